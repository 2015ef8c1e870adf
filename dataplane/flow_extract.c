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
	[PSW_DROP_POLICED] = "policed",
	[PSW_DROP_RECIRC_DEEP] = "recirc_too_deep",
	[PSW_DROP_TTL] = "ttl_exceeded",
	[PSW_DROP_TOO_BIG] = "too_big",
	[PSW_DROP_BAD_VXLAN] = "malformed_vxlan",
	[PSW_DROP_VXLAN_VNI] = "vxlan_wrong_vni",
	[PSW_DROP_NO_ROUTE] = "no_route",
	[PSW_DROP_NO_NEIGHBOR] = "no_neighbor",
	[PSW_DROP_NOT_ANSWERED] = "not_answered",
	[PSW_DROP_PUNT_LIMITED] = "punt_limited",
};

_Static_assert(RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN, "flow key words are built little-endian");

static inline uint16_t load16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t load32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

// What L3 and L4 contribute to the key: words 2, 3 (less in_port) and 4.
struct l34 {
	uint64_t addrs;   // nw_src | nw_dst << 32
	uint64_t ports;   // tp_src | tp_dst << 16 | tcp_flags << 32
	uint64_t proto;   // nw_proto | nw_frag << 8
};

// L4 of an IP packet: 'p' points at the L4 header, 'len' bytes remain.
// 'icmp' is the ICMP of the IP version (1, or 58 for ICMPv6).
static inline enum psw_drop_reason extract_l4(const uint8_t *p, uint32_t len, uint8_t proto,
	uint8_t icmp, struct l34 *r)
{
	if (proto == icmp) {
		// ICMP type and code go in tp_src and tp_dst, as in Open vSwitch.
		if (len < 4)
			return PSW_DROP_BAD_L4;
		r->ports = (uint64_t)rte_cpu_to_be_16(p[0]) | (uint64_t)rte_cpu_to_be_16(p[1]) << 16;
		return PSW_DROP_NONE;
	}
	switch (proto) {
	case IPPROTO_TCP: {
		uint32_t off;

		if (len < sizeof(struct rte_tcp_hdr))
			return PSW_DROP_BAD_L4;
		off = (uint32_t)(p[12] >> 4) * 4;
		if (off < sizeof(struct rte_tcp_hdr) || off > len)
			return PSW_DROP_BAD_L4;
		r->ports = load32(p) | (uint64_t)(load16(p + 12) & RTE_BE16(0x0fff)) << 32;
		return PSW_DROP_NONE;
	}
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		// SCTP's ports sit where UDP's do; its common header is 12 bytes.
		if (len < (proto == IPPROTO_UDP ? 8u : 12u))
			return PSW_DROP_BAD_L4;
		r->ports = load32(p);
		return PSW_DROP_NONE;
	default:
		return PSW_DROP_NONE;
	}
}

// 'len' bytes of the header are readable at 'p'; the packet has 'frame'
// bytes from there on (more when it spans several buffers).
static inline enum psw_drop_reason extract_ipv4(const uint8_t *p, uint32_t len, uint32_t frame,
	struct l34 *r)
{
	uint32_t ihl, total;
	uint16_t frag;
	uint8_t proto;

	if (len < sizeof(struct rte_ipv4_hdr))
		return PSW_DROP_BAD_IP;
	if ((p[0] >> 4) != 4)
		return PSW_DROP_BAD_IP;
	ihl = (uint32_t)(p[0] & 0x0f) * 4;
	total = rte_be_to_cpu_16(load16(p + 2));
	// Ethernet pads short frames, so the frame may be longer than the packet,
	// never shorter.
	if (ihl < sizeof(struct rte_ipv4_hdr) || total < ihl || total > frame || ihl > len)
		return PSW_DROP_BAD_IP;
	proto = p[9];
	r->addrs = load64(p + 12);
	r->proto = proto;
	frag = rte_be_to_cpu_16(load16(p + 6));
	if (frag & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) {
		if (frag & RTE_IPV4_HDR_OFFSET_MASK) {
			r->proto |= (uint64_t)(PSW_FRAG_ANY | PSW_FRAG_LATER) << 8;
			return PSW_DROP_NONE;
		}
		r->proto |= (uint64_t)PSW_FRAG_ANY << 8;
	}
	// the L4 header must be readable too: a packet whose headers span
	// buffers is given to us with its first bytes gathered
	if (total > len)
		total = len;
	return extract_l4(p + ihl, total - ihl, proto, IPPROTO_ICMP, r);
}

static inline uint64_t load48(const uint8_t *p)
{
	return load32(p) | (uint64_t)load16(p + 4) << 32;
}

// The link-layer addresses of ARP (sender, target) or of neighbour
// discovery (source, target option) as key words 11 and 12.
static inline void put_lladdrs(uint64_t *ll, const uint8_t *sha, const uint8_t *tha)
{
	static const uint8_t zero[6];

	if (sha == NULL)
		sha = zero;
	if (tha == NULL)
		tha = zero;
	ll[0] = load48(sha) | (uint64_t)load16(tha) << 48;
	ll[1] = load32(tha + 2);
}

// Neighbour solicitation or advertisement, 'len' bytes at 'p' (the ICMPv6
// header on): the target address into nd[0..1], the source (NS) or target
// (NA) link-layer option into nd[2..3]. A message cut short, an option of
// length 0 or past the end, or the option twice is malformed, as in Open
// vSwitch.
static inline enum psw_drop_reason extract_nd(const uint8_t *p, uint32_t len, uint64_t *nd)
{
	const uint8_t *ll = NULL;
	uint8_t want = p[0] == 135 ? 1 : 2; // option type: source or target address
	uint32_t off = 24;

	if (len < 24)
		return PSW_DROP_BAD_L4;
	nd[0] = load64(p + 8);
	nd[1] = load64(p + 16);
	while (len - off >= 8) {
		uint32_t olen = (uint32_t)p[off + 1] * 8;

		if (olen == 0 || olen > len - off)
			return PSW_DROP_BAD_L4;
		if (p[off] == want && olen == 8) {
			if (ll != NULL)
				return PSW_DROP_BAD_L4;
			ll = p + off + 2;
		}
		off += olen;
	}
	if (want == 1)
		put_lladdrs(nd + 2, ll, NULL);
	else
		put_lladdrs(nd + 2, NULL, ll);
	return PSW_DROP_NONE;
}

// Extension headers walked to reach the upper layer; a longer chain stops
// there, its next header standing as nw_proto with no ports (as does ESP,
// "no next header" or anything unknown).
#define IPV6_MAX_EXT 8

// 'len' bytes of the header are readable at 'p'; the packet has 'frame'
// bytes from there on. The addresses go to 'v6' (key words 5-8), neighbour
// discovery's fields to v6[4..7] (words 9-12).
static inline enum psw_drop_reason extract_ipv6(const uint8_t *p, uint32_t len, uint32_t frame,
	struct l34 *r, uint64_t *v6)
{
	uint32_t end, avail, off = 40, hlen;
	enum psw_drop_reason ret;
	uint8_t nh, frag = 0;

	if (len < 40 || (p[0] >> 4) != 6)
		return PSW_DROP_BAD_IP;
	end = 40 + (uint32_t)rte_be_to_cpu_16(load16(p + 4));
	if (end > frame)
		return PSW_DROP_BAD_IP;
	v6[0] = load64(p + 8);
	v6[1] = load64(p + 16);
	v6[2] = load64(p + 24);
	v6[3] = load64(p + 32);
	nh = p[6];
	// what is readable of the payload: all of it, but for the gathered
	// headers of a chained jumbo frame
	avail = end < len ? end : len;
	for (unsigned i = 0; i < IPV6_MAX_EXT; i++) {
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS &&
		    nh != IPPROTO_AH && nh != IPPROTO_FRAGMENT)
			break;
		if (off + 8 > avail) {
			r->proto = nh | (uint64_t)frag << 8;
			// past the payload: malformed; past what was gathered: unparsed
			return off + 8 > end ? PSW_DROP_BAD_IP : PSW_DROP_NONE;
		}
		if (nh == IPPROTO_FRAGMENT) {
			uint16_t fo = rte_be_to_cpu_16(load16(p + off + 2));

			hlen = 8;
			if (fo & 0xfff8) {
				// a later fragment: no upper-layer header to read
				r->proto = p[off] | (uint64_t)(PSW_FRAG_ANY | PSW_FRAG_LATER) << 8;
				return PSW_DROP_NONE;
			}
			if (fo & 1)
				frag = PSW_FRAG_ANY;
		} else if (nh == IPPROTO_AH) {
			hlen = ((uint32_t)p[off + 1] + 2) * 4;
		} else {
			hlen = ((uint32_t)p[off + 1] + 1) * 8;
		}
		nh = p[off];
		off += hlen;
	}
	r->proto = nh | (uint64_t)frag << 8;
	if (off > avail)
		return off > end ? PSW_DROP_BAD_IP : PSW_DROP_NONE;
	ret = extract_l4(p + off, avail - off, nh, IPPROTO_ICMPV6, r);
	if (ret == PSW_DROP_NONE && nh == IPPROTO_ICMPV6 && (p[off] == 135 || p[off] == 136) &&
	    p[off + 1] == 0 && !(frag & PSW_FRAG_ANY)) {
		ret = extract_nd(p + off, avail - off, v6 + 4);
		if (ret != PSW_DROP_NONE)
			v6[4] = v6[5] = v6[6] = v6[7] = 0;
	}
	// an upper-layer header cut by the gathering, not by the packet
	if (ret != PSW_DROP_NONE && avail < end)
		return PSW_DROP_NONE;
	return ret;
}

// ARP for IPv4 over Ethernet puts its sender and target addresses in nw_src
// and nw_dst and its opcode in nw_proto, as Open vSwitch does (arp_spa,
// arp_tpa, arp_op). Any other ARP is still a valid frame, switched at L2.
static inline void extract_arp(const uint8_t *p, uint32_t len, struct l34 *r, uint64_t *ll)
{
	static const uint8_t ipv4_over_eth[6] = {0, 1, 0x08, 0x00, 6, 4};
	uint16_t op;

	if (len < 28 || memcmp(p, ipv4_over_eth, sizeof(ipv4_over_eth)) != 0)
		return;
	op = rte_be_to_cpu_16(load16(p + 6));
	if (op > UINT8_MAX)
		return;
	r->addrs = load32(p + 14) | (uint64_t)load32(p + 24) << 32;
	r->proto = op;
	put_lladdrs(ll, p + 8, p + 18);
}

enum psw_drop_reason flow_extract_frame(const uint8_t *data, uint32_t len, uint32_t frame_len,
	uint16_t in_port, struct psw_flow_key *key)
{
	struct l34 r = {0, 0, 0};
	uint64_t x[8] = {0, 0, 0, 0, 0, 0, 0, 0}; // key words 5-12
	enum psw_drop_reason ret = PSW_DROP_NONE;
	uint32_t off = RTE_ETHER_HDR_LEN;
	uint16_t type, tci = 0;

	if (len < RTE_ETHER_HDR_LEN) {
		memset(key, 0, sizeof(*key));
		key->in_port = in_port;
		return PSW_DROP_RUNT;
	}
	type = load16(data + 12);
	if (type == RTE_BE16(RTE_ETHER_TYPE_VLAN) || type == RTE_BE16(RTE_ETHER_TYPE_QINQ)) {
		if (len < off + 4) {
			ret = PSW_DROP_BAD_VLAN;
			goto out;
		}
		tci = load16(data + off) | RTE_BE16(PSW_VLAN_CFI);
		type = load16(data + off + 2);
		off += 4;
		// A second tag (QinQ) stays unparsed: the frame is matched by its
		// outer tag and the inner TPID as dl_type, and switched at L2.
	}
	if (type == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
		ret = extract_ipv4(data + off, len - off, frame_len - off, &r);
		if (ret != PSW_DROP_NONE)
			r.ports = 0;
	} else if (type == RTE_BE16(RTE_ETHER_TYPE_IPV6)) {
		ret = extract_ipv6(data + off, len - off, frame_len - off, &r, x);
		if (ret != PSW_DROP_NONE)
			r.ports = 0;
	} else if (type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
		extract_arp(data + off, len - off, &r, x + 6);
	}
out:
	key->w[0] = load64(data);
	key->w[1] = load32(data + 8) | (uint64_t)tci << 32 | (uint64_t)type << 48;
	key->w[2] = r.addrs;
	key->w[3] = r.ports | (uint64_t)in_port << 48;
	key->w[4] = r.proto;
	for (int i = 0; i < 8; i++)
		key->w[PSW_KEY_IPV6_WORD + i] = x[i];
	for (int i = PSW_KEY_META_WORD; i < PSW_KEY_WORDS; i++)
		key->w[i] = 0;
	return ret;
}
