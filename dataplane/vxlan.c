// SPDX-License-Identifier: BSD-3-Clause
#include "vxlan.h"
#include "l3.h"

#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_udp.h>

// The outer UDP source port: a hash of the inner flow's addresses and
// ports, in the dynamic range (RFC 7348 5), so that the underlay spreads
// the tunnel's flows over its paths as it would the flows themselves.
// CRC32-C of 'n' bytes (a multiple of 4) at any alignment.
static uint32_t crc_unaligned(const uint8_t *p, unsigned n)
{
	uint32_t h = 0;

	for (unsigned i = 0; i + 4 <= n; i += 4) {
		uint32_t w;

		memcpy(&w, p + i, 4);
		h = rte_hash_crc_4byte(w, h);
	}
	return h;
}

static uint16_t inner_entropy(const struct rte_mbuf *m)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t type;
	uint32_t off = l3_offset(m, &type), h = 0;

	if (type == RTE_BE16(RTE_ETHER_TYPE_IPV4) && m->data_len >= off + 24)
		h = crc_unaligned(d + off + 12, 12); // addresses and the L4 ports
	else if (type == RTE_BE16(RTE_ETHER_TYPE_IPV6) && m->data_len >= off + 44)
		h = crc_unaligned(d + off + 8, 36);
	else if (m->data_len >= 12)
		h = crc_unaligned(d, 12);
	return (uint16_t)(49152 + (h & 0x3fff));
}

enum psw_drop_reason vxlan_push(struct rte_mbuf *m, const struct psw_vxlan_spec *spec,
	uint16_t mtu)
{
	uint16_t type;
	uint32_t off = l3_offset(m, &type), inner = m->pkt_len;
	uint16_t sport;
	uint8_t *p;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;

	if (inner < RTE_ETHER_HDR_LEN)
		return PSW_DROP_RUNT;
	if (mtu != 0 && off != 0 && inner - off > mtu)
		return PSW_DROP_TOO_BIG;
	sport = inner_entropy(m);
	p = (uint8_t *)rte_pktmbuf_prepend(m, PSW_VXLAN_OVERHEAD);
	if (p == NULL)
		return PSW_DROP_NO_MBUF;
	l3_eth_write(p, spec->eth_dst, spec->eth_src, RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(p + 14);
	*ip = (struct rte_ipv4_hdr){.version_ihl = 0x45,
		.total_length = rte_cpu_to_be_16((uint16_t)(inner + 36)),
		.fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG), .time_to_live = 64,
		.next_proto_id = IPPROTO_UDP, .src_addr = spec->ip_src, .dst_addr = spec->ip_dst};
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp = (struct rte_udp_hdr *)(ip + 1);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = RTE_BE16(PSW_VXLAN_PORT);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(inner + 16));
	udp->dgram_cksum = 0; // allowed over IPv4 (RFC 7348 5)
	p += 14 + 20 + 8;
	p[0] = 0x08; // I: the VNI is valid
	p[1] = p[2] = p[3] = 0;
	p[4] = (uint8_t)(spec->vni >> 16);
	p[5] = (uint8_t)(spec->vni >> 8);
	p[6] = (uint8_t)spec->vni;
	p[7] = 0;
	return PSW_DROP_NONE;
}

enum psw_drop_reason vxlan_pop(struct rte_mbuf *m, uint32_t vni, uint32_t *tun_src)
{
	uint16_t type;
	uint32_t off = l3_offset(m, &type), ihl, ip_len, udp_len, hdrs;
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_ipv4_hdr *ip;
	const struct rte_udp_hdr *udp;
	const uint8_t *vx;

	if (type != RTE_BE16(RTE_ETHER_TYPE_IPV4) || m->data_len < off + 20)
		return PSW_DROP_BAD_VXLAN;
	ip = (const struct rte_ipv4_hdr *)(d + off);
	ihl = (ip->version_ihl & 0xf) * 4u;
	ip_len = rte_be_to_cpu_16(ip->total_length);
	hdrs = off + ihl + 8 + 8;
	// a fragment carries part of a frame: pswitch does not reassemble
	if ((ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0 ||
	    ihl < 20 || m->data_len < hdrs || ip_len > m->pkt_len - off)
		return PSW_DROP_BAD_VXLAN;
	udp = (const struct rte_udp_hdr *)(d + off + ihl);
	udp_len = rte_be_to_cpu_16(udp->dgram_len);
	if (udp_len != ip_len - ihl || udp_len < 8 + 8 + RTE_ETHER_HDR_LEN)
		return PSW_DROP_BAD_VXLAN;
	vx = d + off + ihl + 8;
	if (!(vx[0] & 0x08))
		return PSW_DROP_BAD_VXLAN;
	if (((uint32_t)vx[4] << 16 | (uint32_t)vx[5] << 8 | vx[6]) != vni)
		return PSW_DROP_VXLAN_VNI;
	*tun_src = ip->src_addr;
	// the outer frame's Ethernet padding, if any, goes with it
	rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - (off + ip_len)));
	rte_pktmbuf_adj(m, (uint16_t)hdrs);
	return PSW_DROP_NONE;
}
