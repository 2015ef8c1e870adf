// SPDX-License-Identifier: BSD-3-Clause
// Routing's work on a packet, done in place in its buffer: TTL and hop
// limit, ICMP errors from the router, and the answers a gateway gives to
// ARP requests and neighbour solicitations.
#pragma once

#include "flow_key.h"

#include <rte_mbuf.h>
#include <urcu-qsbr.h>

// The node's virtual router, as the control side publishes it (dp.h): the
// addresses ICMP errors come from and the table they are routed from.
// Thread-safety: immutable once published, freed after a grace period.
struct psw_router {
	uint8_t mac[6];
	uint8_t route_table;
	uint8_t has_ipv4;
	uint8_t has_ipv6;
	uint8_t pad[3];
	uint32_t ipv4;        // network order
	uint8_t ipv6[16];
	struct rcu_head rcu;
};

struct pmd;

// The ICMP errors a router sends.
enum l3_icmp_kind {
	L3_ICMP_TIME_EXCEEDED, // TTL or hop limit reached 0 in transit
	L3_ICMP_TOO_BIG,       // IPv4 with DF: fragmentation needed; IPv6: packet too big
	L3_ICMP_UNREACHABLE,   // destination unreachable ('info': the ICMPv4 code)
};

// Writes an Ethernet header at 'p' (type in host order).
static inline void l3_eth_write(uint8_t *p, const uint8_t dst[6], const uint8_t src[6],
	uint16_t type)
{
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	p[12] = (uint8_t)(type >> 8);
	p[13] = (uint8_t)type;
}

// Where the frame's L3 header starts, after up to two VLAN tags, and its
// ethertype (network order); 0 when the frame is too short for one.
uint32_t l3_offset(const struct rte_mbuf *m, uint16_t *type);

// dec_ttl: PSW_DROP_NONE, or PSW_DROP_TTL when the TTL or hop limit is 1
// or 0 (the packet is left as it was), or PSW_DROP_ACTION for a frame that
// is not IP.
enum psw_drop_reason l3_dec_ttl(struct rte_mbuf *m);

// The ICMP error of 'kind' about 'm', from the router to its sender (IPv4
// errors quote up to 576 bytes in all, IPv6 ones up to 1280), made in
// place: the packet returned (which is 'm', or for a chained jumbo frame a
// copy, 'm' then freed) is to be routed from the router's table as a packet
// of in_port 0. 'info' is the MTU of TOO_BIG or the ICMPv4 code of
// UNREACHABLE. NULL, with 'm' untouched, when none is sent: no router or no
// address of the family; an error is never sent about an ICMP error, a
// later fragment, or from or to an address that is not one host's; TOO_BIG
// about an IPv4 packet without DF (routers here do not fragment); over the
// PMD's rate of 1,000 a second (bursts of 100; counted icmp_limited).
struct rte_mbuf *l3_icmp_error(struct pmd *pmd, struct rte_mbuf *m, enum l3_icmp_kind kind,
	uint32_t info);

// arp_reply: an ARP request (Ethernet/IPv4) becomes the reply that 'mac'
// has the target address, addressed to the requester. A probe (sender
// 0.0.0.0), a gratuitous ARP (sender = target) and anything but a request
// are not answered (PSW_DROP_NOT_ANSWERED), left untouched.
enum psw_drop_reason l3_arp_reply(struct rte_mbuf *m, const uint8_t mac[6]);

// nd_advert: a neighbour solicitation becomes the solicited advertisement
// (router, solicited, override) of its target at 'mac'. Duplicate address
// detection (source ::) and solicitations with extension headers or cut
// short are not answered.
enum psw_drop_reason l3_nd_advert(struct rte_mbuf *m, const uint8_t mac[6]);

