// SPDX-License-Identifier: BSD-3-Clause
#include "flow_key.h"

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

const char *const psw_drop_reason_names[PSW_DROP_REASON_COUNT] = {
	[PSW_DROP_NONE] = "none",
	[PSW_DROP_RUNT] = "runt",
	[PSW_DROP_BAD_VLAN] = "malformed_vlan",
	[PSW_DROP_BAD_IP] = "malformed_ip",
	[PSW_DROP_BAD_L4] = "malformed_l4",
	[PSW_DROP_NO_FLOW] = "no_flow",
	[PSW_DROP_ACTION] = "action_drop",
	[PSW_DROP_NO_PORT] = "no_port",
	[PSW_DROP_PORT_DOWN] = "port_down",
	[PSW_DROP_TX_FULL] = "tx_full",
	[PSW_DROP_NO_MBUF] = "no_mbuf",
	[PSW_DROP_VLAN_MISMATCH] = "vlan_mismatch",
	[PSW_DROP_LOOP] = "loop",
	[PSW_DROP_TOO_DEEP] = "chain_too_deep",
};

static inline uint16_t load_be16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t load_be32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

// L4 of an IPv4 packet: 'p' points at the L4 header, 'len' bytes remain.
static enum psw_drop_reason extract_l4(const uint8_t *p, uint32_t len, struct psw_flow_key *key)
{
	switch (key->nw_proto) {
	case IPPROTO_TCP: {
		uint32_t off;

		if (len < sizeof(struct rte_tcp_hdr))
			return PSW_DROP_BAD_L4;
		off = (uint32_t)(p[12] >> 4) * 4;
		if (off < sizeof(struct rte_tcp_hdr) || off > len)
			return PSW_DROP_BAD_L4;
		key->tp_src = load_be16(p);
		key->tp_dst = load_be16(p + 2);
		key->tcp_flags = load_be16(p + 12) & RTE_BE16(0x0fff);
		return PSW_DROP_NONE;
	}
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		// SCTP's ports sit where UDP's do; its common header is 12 bytes.
		if (len < (key->nw_proto == IPPROTO_UDP ? 8u : 12u))
			return PSW_DROP_BAD_L4;
		key->tp_src = load_be16(p);
		key->tp_dst = load_be16(p + 2);
		return PSW_DROP_NONE;
	case IPPROTO_ICMP:
		// ICMP type and code go in tp_src and tp_dst, as in Open vSwitch.
		if (len < 4)
			return PSW_DROP_BAD_L4;
		key->tp_src = rte_cpu_to_be_16(p[0]);
		key->tp_dst = rte_cpu_to_be_16(p[1]);
		return PSW_DROP_NONE;
	default:
		return PSW_DROP_NONE;
	}
}

static enum psw_drop_reason extract_ipv4(const uint8_t *p, uint32_t len, struct psw_flow_key *key)
{
	uint32_t ihl, total;
	uint16_t frag;

	if (len < sizeof(struct rte_ipv4_hdr))
		return PSW_DROP_BAD_IP;
	if ((p[0] >> 4) != 4)
		return PSW_DROP_BAD_IP;
	ihl = (uint32_t)(p[0] & 0x0f) * 4;
	total = rte_be_to_cpu_16(load_be16(p + 2));
	// Ethernet pads short frames, so the frame may be longer than the packet,
	// never shorter.
	if (ihl < sizeof(struct rte_ipv4_hdr) || total < ihl || total > len)
		return PSW_DROP_BAD_IP;
	key->nw_proto = p[9];
	key->nw_src = load_be32(p + 12);
	key->nw_dst = load_be32(p + 16);
	frag = rte_be_to_cpu_16(load_be16(p + 6));
	if (frag & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) {
		key->nw_frag = PSW_FRAG_ANY;
		if (frag & RTE_IPV4_HDR_OFFSET_MASK) {
			key->nw_frag |= PSW_FRAG_LATER;
			return PSW_DROP_NONE;
		}
	}
	return extract_l4(p + ihl, total - ihl, key);
}

enum psw_drop_reason flow_extract(const uint8_t *data, uint32_t len, uint16_t in_port,
	struct psw_flow_key *key)
{
	uint32_t off = RTE_ETHER_HDR_LEN;
	uint16_t type;

	memset(key, 0, sizeof(*key));
	key->in_port = in_port;
	if (len < RTE_ETHER_HDR_LEN)
		return PSW_DROP_RUNT;
	memcpy(key->dl_dst, data, 6);
	memcpy(key->dl_src, data + 6, 6);
	type = load_be16(data + 12);
	if (type == RTE_BE16(RTE_ETHER_TYPE_VLAN) || type == RTE_BE16(RTE_ETHER_TYPE_QINQ)) {
		if (len < off + 4)
			return PSW_DROP_BAD_VLAN;
		key->vlan_tci = load_be16(data + off) | RTE_BE16(PSW_VLAN_CFI);
		type = load_be16(data + off + 2);
		off += 4;
		// A second tag (QinQ) stays unparsed: the frame is matched by its
		// outer tag and the inner TPID as dl_type, and switched at L2.
	}
	key->dl_type = type;
	if (type == RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return extract_ipv4(data + off, len - off, key);
	return PSW_DROP_NONE;
}
