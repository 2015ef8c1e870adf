// SPDX-License-Identifier: BSD-3-Clause
#include "l3.h"
#include "pmd.h"

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#define ICMP4_QUOTE_MAX (576 - 20 - 8)   // RFC 1812 4.3.2.3: up to 576 bytes in all
#define ICMP6_QUOTE_MAX (1280 - 40 - 8)  // RFC 4443 2.4 (c): up to the minimum MTU
#define ICMP_RATE 1000
#define ICMP_BURST 100

uint32_t l3_offset(const struct rte_mbuf *m, uint16_t *type)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t off = 12;

	for (int tags = 0; tags <= 2; tags++) {
		uint16_t t;

		if (m->data_len < off + 2)
			break;
		memcpy(&t, d + off, 2);
		if (tags < 2 && (t == RTE_BE16(RTE_ETHER_TYPE_VLAN) ||
				 t == RTE_BE16(RTE_ETHER_TYPE_QINQ))) {
			off += 4;
			continue;
		}
		*type = t;
		return off + 2;
	}
	*type = 0;
	return 0;
}

enum psw_drop_reason l3_dec_ttl(struct rte_mbuf *m)
{
	uint16_t type;
	uint32_t off = l3_offset(m, &type);

	if (type == RTE_BE16(RTE_ETHER_TYPE_IPV4) && m->data_len >= off + 20) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, off);
		uint32_t sum;

		if (ip->time_to_live <= 1)
			return PSW_DROP_TTL;
		ip->time_to_live--;
		// RFC 1141: the TTL is the high byte of its 16-bit word
		sum = rte_be_to_cpu_16(ip->hdr_checksum) + 0x0100;
		ip->hdr_checksum = rte_cpu_to_be_16((uint16_t)(sum + (sum >> 16)));
		return PSW_DROP_NONE;
	}
	if (type == RTE_BE16(RTE_ETHER_TYPE_IPV6) && m->data_len >= off + 40) {
		struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, off);

		if (ip6->hop_limits <= 1)
			return PSW_DROP_TTL;
		ip6->hop_limits--;
		return PSW_DROP_NONE;
	}
	return PSW_DROP_ACTION;
}

// Whether an IPv4 address may be an ICMP error's destination (one host's).
static bool ipv4_unicast(uint32_t be)
{
	uint32_t a = rte_be_to_cpu_32(be);

	return a != 0 && a != UINT32_MAX && (a >> 28) != 0xe && (a >> 24) != 127;
}

static bool icmp4_is_error(uint8_t type)
{
	// the queries and their replies: echo, timestamp, information, mask
	return !(type == 0 || type == 8 || (type >= 13 && type <= 18));
}

static bool ipv6_unspecified(const uint8_t *a)
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

// 'm' with its first 'keep' bytes from 'off' on, in one buffer: 'm' itself
// trimmed, or a copy of those bytes ('m' freed); NULL (m untouched) when no
// buffer is left.
static struct rte_mbuf *quote_of(struct pmd *pmd, struct rte_mbuf *m, uint32_t off, uint32_t keep)
{
	struct rte_mbuf *c;

	if (m->nb_segs == 1) {
		rte_pktmbuf_adj(m, (uint16_t)off);
		rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - keep));
		return m;
	}
	c = rte_pktmbuf_copy(m, pmd->pool, off, keep);
	if (c == NULL)
		return NULL;
	if (c->nb_segs > 1 && rte_pktmbuf_linearize(c) < 0) {
		rte_pktmbuf_free(c);
		return NULL;
	}
	rte_pktmbuf_free(m);
	return c;
}

static bool icmp_rate_ok(struct pmd *pmd)
{
	if (unlikely(pmd->trace != NULL))
		return true;
	if (pmd_rate_take(&pmd->icmp_rate, pmd->now_tsc, pmd->tsc_hz, ICMP_RATE, ICMP_BURST))
		return true;
	pmd->stats.icmp_limited++;
	return false;
}

static struct rte_mbuf *icmp4_error(struct pmd *pmd, struct rte_mbuf *m, uint32_t off,
	enum l3_icmp_kind kind, uint32_t info)
{
	const struct psw_router *r = pmd->router;
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, off);
	const uint8_t *eth = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t ihl, tot, quote, src;
	uint16_t frag;
	uint8_t dst_mac[6], tos;
	struct rte_ipv4_hdr *nip;
	struct rte_icmp_hdr *icmp;
	uint8_t *p;

	if (!r->has_ipv4 || m->data_len < off + sizeof(*ip))
		return NULL;
	ihl = (ip->version_ihl & 0xf) * 4u;
	tot = rte_be_to_cpu_16(ip->total_length);
	frag = rte_be_to_cpu_16(ip->fragment_offset);
	if (ihl < 20 || m->data_len < off + ihl || (frag & RTE_IPV4_HDR_OFFSET_MASK) != 0)
		return NULL;
	if (kind == L3_ICMP_TOO_BIG && !(frag & RTE_IPV4_HDR_DF_FLAG))
		return NULL;
	if (!ipv4_unicast(ip->src_addr) || !ipv4_unicast(ip->dst_addr))
		return NULL;
	if (ip->next_proto_id == IPPROTO_ICMP &&
	    (m->data_len <= off + ihl || icmp4_is_error(eth[off + ihl])))
		return NULL;
	if (!icmp_rate_ok(pmd))
		return NULL;
	src = ip->src_addr;
	tos = ip->type_of_service;
	memcpy(dst_mac, eth + 6, 6);
	quote = RTE_MIN(tot, m->pkt_len - off);
	quote = RTE_MIN(quote, (uint32_t)ICMP4_QUOTE_MAX);
	m = quote_of(pmd, m, off, quote);
	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_prepend(m, 14 + 20 + 8);
	if (p == NULL) // no headroom: nothing to answer with
		return NULL;
	l3_eth_write(p, dst_mac, r->mac, RTE_ETHER_TYPE_IPV4);
	nip = (struct rte_ipv4_hdr *)(p + 14);
	*nip = (struct rte_ipv4_hdr){.version_ihl = 0x45,
		.type_of_service = (uint8_t)((tos & 0x1e) | 0xc0), // internetwork control
		.total_length = rte_cpu_to_be_16((uint16_t)(20 + 8 + quote)), .time_to_live = 64,
		.next_proto_id = IPPROTO_ICMP, .src_addr = r->ipv4, .dst_addr = src};
	nip->hdr_checksum = rte_ipv4_cksum(nip);
	icmp = (struct rte_icmp_hdr *)(nip + 1);
	memset(icmp, 0, sizeof(*icmp));
	if (kind == L3_ICMP_TIME_EXCEEDED) {
		icmp->icmp_type = 11;
	} else if (kind == L3_ICMP_TOO_BIG) {
		icmp->icmp_type = 3;
		icmp->icmp_code = 4; // fragmentation needed and DF set
		icmp->icmp_seq_nb = rte_cpu_to_be_16((uint16_t)info); // next-hop MTU (RFC 1191)
	} else {
		icmp->icmp_type = 3;
		icmp->icmp_code = (uint8_t)info;
	}
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, 8 + quote);
	return m;
}

static struct rte_mbuf *icmp6_error(struct pmd *pmd, struct rte_mbuf *m, uint32_t off,
	enum l3_icmp_kind kind, uint32_t info)
{
	const struct psw_router *r = pmd->router;
	const struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *,
		off);
	const uint8_t *eth = rte_pktmbuf_mtod(m, const uint8_t *);
	uint8_t dst_mac[6], src[16];
	uint32_t quote;
	struct rte_ipv6_hdr *nip;
	uint8_t *p, *icmp;

	if (!r->has_ipv6 || m->data_len < off + sizeof(*ip6))
		return NULL;
	// an error is not sent to, or about a packet from, no one or a group
	if (ipv6_unspecified(ip6->src_addr) || ip6->src_addr[0] == 0xff ||
	    (ip6->dst_addr[0] == 0xff && kind != L3_ICMP_TOO_BIG))
		return NULL;
	if (ip6->proto == IPPROTO_ICMPV6 && (m->data_len <= off + 40 || eth[off + 40] < 128))
		return NULL;
	if (!icmp_rate_ok(pmd))
		return NULL;
	memcpy(src, ip6->src_addr, 16);
	memcpy(dst_mac, eth + 6, 6);
	quote = RTE_MIN(40u + rte_be_to_cpu_16(ip6->payload_len), m->pkt_len - off);
	quote = RTE_MIN(quote, (uint32_t)ICMP6_QUOTE_MAX);
	m = quote_of(pmd, m, off, quote);
	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_prepend(m, 14 + 40 + 8);
	if (p == NULL)
		return NULL;
	l3_eth_write(p, dst_mac, r->mac, RTE_ETHER_TYPE_IPV6);
	nip = (struct rte_ipv6_hdr *)(p + 14);
	nip->vtc_flow = RTE_BE32(0x60000000);
	nip->payload_len = rte_cpu_to_be_16((uint16_t)(8 + quote));
	nip->proto = IPPROTO_ICMPV6;
	nip->hop_limits = 64;
	memcpy(nip->src_addr, r->ipv6, 16);
	memcpy(nip->dst_addr, src, 16);
	icmp = (uint8_t *)(nip + 1);
	memset(icmp, 0, 8);
	if (kind == L3_ICMP_TIME_EXCEEDED) {
		icmp[0] = 3;
	} else if (kind == L3_ICMP_TOO_BIG) {
		uint32_t mtu = rte_cpu_to_be_32(info);

		icmp[0] = 2;
		memcpy(icmp + 4, &mtu, 4);
	} else {
		icmp[0] = 1;
		icmp[1] = info == 0 ? 0 : 3; // no route, or address unreachable
	}
	{
		uint16_t ck = rte_ipv6_udptcp_cksum(nip, icmp);

		memcpy(icmp + 2, &ck, 2);
	}
	return m;
}

struct rte_mbuf *l3_icmp_error(struct pmd *pmd, struct rte_mbuf *m, enum l3_icmp_kind kind,
	uint32_t info)
{
	uint16_t type;
	uint32_t off;
	struct rte_mbuf *e = NULL;

	if (pmd->router == NULL)
		return NULL;
	off = l3_offset(m, &type);
	if (type == RTE_BE16(RTE_ETHER_TYPE_IPV4))
		e = icmp4_error(pmd, m, off, kind, info);
	else if (type == RTE_BE16(RTE_ETHER_TYPE_IPV6))
		e = icmp6_error(pmd, m, off, kind, info);
	if (e != NULL && likely(pmd->trace == NULL))
		pmd->stats.icmp_errors++;
	return e;
}

enum psw_drop_reason l3_arp_reply(struct rte_mbuf *m, const uint8_t mac[6])
{
	uint16_t type;
	uint32_t off = l3_offset(m, &type);
	uint8_t *eth = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_arp_hdr *arp;
	uint32_t spa;

	if (type != RTE_BE16(RTE_ETHER_TYPE_ARP) || m->data_len < off + sizeof(*arp))
		return PSW_DROP_NOT_ANSWERED;
	arp = (struct rte_arp_hdr *)(eth + off);
	if (arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != 6 ||
	    arp->arp_plen != 4 || arp->arp_opcode != RTE_BE16(RTE_ARP_OP_REQUEST))
		return PSW_DROP_NOT_ANSWERED;
	spa = arp->arp_data.arp_sip;
	// RFC 5227: a probe and an announcement ask no one
	if (spa == 0 || spa == arp->arp_data.arp_tip)
		return PSW_DROP_NOT_ANSWERED;
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	arp->arp_data.arp_tha = arp->arp_data.arp_sha;
	memcpy(&arp->arp_data.arp_sha, mac, 6);
	arp->arp_data.arp_sip = arp->arp_data.arp_tip;
	arp->arp_data.arp_tip = spa;
	memcpy(eth, eth + 6, 6);
	memcpy(eth + 6, mac, 6);
	return PSW_DROP_NONE;
}

enum psw_drop_reason l3_nd_advert(struct rte_mbuf *m, const uint8_t mac[6])
{
	uint16_t type;
	uint32_t off = l3_offset(m, &type), len = off + 40 + 32;
	uint8_t *eth = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv6_hdr *ip6;
	uint8_t *icmp;
	uint16_t ck;

	if (type != RTE_BE16(RTE_ETHER_TYPE_IPV6) || m->nb_segs != 1 ||
	    m->data_len < off + 40 + 24)
		return PSW_DROP_NOT_ANSWERED;
	ip6 = (struct rte_ipv6_hdr *)(eth + off);
	icmp = (uint8_t *)(ip6 + 1);
	// RFC 4861 7.1.1: hop limit 255 (it came from the link), code 0, a
	// target that is not a group; DAD (from ::) is answered by no one but
	// the address's owner
	if (ip6->proto != IPPROTO_ICMPV6 || icmp[0] != 135 || icmp[1] != 0 ||
	    ip6->hop_limits != 255 || icmp[8] == 0xff || ipv6_unspecified(ip6->src_addr))
		return PSW_DROP_NOT_ANSWERED;
	if (m->pkt_len < len) {
		if (rte_pktmbuf_append(m, (uint16_t)(len - m->pkt_len)) == NULL)
			return PSW_DROP_NOT_ANSWERED;
	} else if (m->pkt_len > len) {
		rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - len));
	}
	ip6->payload_len = RTE_BE16(32);
	memcpy(ip6->dst_addr, ip6->src_addr, 16);
	memcpy(ip6->src_addr, icmp + 8, 16); // the target, where an NA carries it too
	icmp[0] = 136;
	icmp[2] = icmp[3] = 0;
	icmp[4] = 0xe0; // router, solicited, override
	icmp[5] = icmp[6] = icmp[7] = 0;
	icmp[24] = 2; // target link-layer address
	icmp[25] = 1;
	memcpy(icmp + 26, mac, 6);
	ck = rte_ipv6_udptcp_cksum(ip6, icmp);
	memcpy(icmp + 2, &ck, 2);
	memcpy(eth, eth + 6, 6);
	memcpy(eth + 6, mac, 6);
	return PSW_DROP_NONE;
}
