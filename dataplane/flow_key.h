// SPDX-License-Identifier: BSD-3-Clause
// The compact flow key that a packet is parsed into once, and that flows match
// against with a mask of the same layout.
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

// Words 0-4 hold what every IPv4 or L2 frame has; words 5-12 the IPv6
// addresses, the neighbour discovery target and the ARP or ND link-layer
// addresses, zero in every frame but IPv6 and ARP ones; words 13-17 the
// pipeline's own fields, which no wire carries (metadata and registers:
// zero when a frame arrives, set by flows and carried into a
// recirculation). The exact-match cache keeps the first five in its entry's
// cache line and looks at the rest only for IPv6, ARP and recirculated
// keys.
#define PSW_KEY_WORDS 18
#define PSW_KEY_BASE_WORDS 5
#define PSW_KEY_IPV6_WORD 5
#define PSW_KEY_META_WORD 13
#define PSW_N_REGS 8

// VLAN_CFI marks "a tag is present" in vlan_tci, as in Open vSwitch, so that
// an untagged frame (tci 0) and a frame tagged with VID 0 differ.
#define PSW_VLAN_CFI 0x1000
#define PSW_VLAN_VID_MASK 0x0fff
#define PSW_VLAN_PCP_MASK 0xe000

// nw_frag bits
#define PSW_FRAG_ANY 0x01   // a fragment (first or later)
#define PSW_FRAG_LATER 0x02 // a fragment with an offset: no L4 header

// Multi-byte fields are in network byte order, as they are on the wire, so that
// parsing is plain loads; in_port is the host-order OpenFlow-style port number.
// IPv6 frames leave nw_src and nw_dst zero and carry their addresses in
// ipv6_src and ipv6_dst; nw_proto is the upper-layer protocol found after the
// extension headers, tp_src/tp_dst its ports (ICMPv6: type and code).
// As in Open vSwitch, ARP's hardware addresses and neighbour discovery's
// link-layer options share arp_sha and arp_tha.
// The layout follows the packet: the MACs, and the IPv4 addresses, and the L4
// ports are each contiguous on the wire and in the key, so that flow_extract
// builds every 64-bit word in a register from wide loads and stores it once
// (piecemeal stores read back as words stall store forwarding).
struct psw_flow_key {
	union {
		struct {
			uint8_t dl_dst[6];
			uint8_t dl_src[6];
			uint16_t vlan_tci;
			uint16_t dl_type;
			uint32_t nw_src;
			uint32_t nw_dst;
			uint16_t tp_src;
			uint16_t tp_dst;
			uint16_t tcp_flags;
			uint16_t in_port;
			uint8_t nw_proto;
			uint8_t nw_frag;
			uint8_t recirc;        // 0: as received; else a pass that recirculated
			uint8_t recirc_table;  // the table a recirculated pass starts in
			uint32_t tun_id;       // host order: the VNI a decapsulated frame came with
			                       // (0 for every other frame)
			uint8_t ipv6_src[16];
			uint8_t ipv6_dst[16];
			uint8_t nd_target[16]; // ICMPv6 NS/NA
			uint8_t arp_sha[6];    // ARP sender / ND source link-layer address (nd_sll)
			uint8_t arp_tha[6];    // ARP target / ND target link-layer address (nd_tll)
			uint32_t tun_src;      // the outer IPv4 source of a decapsulated frame
			uint64_t metadata;     // host order, as the registers
			uint32_t regs[PSW_N_REGS];
		};
		uint64_t w[PSW_KEY_WORDS];
	};
};

_Static_assert(sizeof(struct psw_flow_key) == PSW_KEY_WORDS * 8, "flow key layout");
_Static_assert(__builtin_offsetof(struct psw_flow_key, metadata) == PSW_KEY_META_WORD * 8,
	"the pipeline's fields start at their word");

static inline bool flow_key_equal(const struct psw_flow_key *a, const struct psw_flow_key *b)
{
	uint64_t diff = 0;

	for (int i = 0; i < PSW_KEY_WORDS; i++)
		diff |= a->w[i] ^ b->w[i];
	return diff == 0;
}

static inline void flow_key_mask(struct psw_flow_key *dst, const struct psw_flow_key *key,
	const struct psw_flow_key *mask)
{
	for (int i = 0; i < PSW_KEY_WORDS; i++)
		dst->w[i] = key->w[i] & mask->w[i];
}

// Why a packet was dropped. Every drop is counted under one of these.
enum psw_drop_reason {
	PSW_DROP_NONE = 0,
	PSW_DROP_RUNT,          // shorter than an Ethernet header
	PSW_DROP_BAD_VLAN,      // VLAN tag cut short
	PSW_DROP_BAD_IP,        // IPv4/IPv6 header (or IPv6 extension header) cut short, bad
	                        // version, IHL or length
	PSW_DROP_BAD_L4,        // TCP/UDP/ICMP header cut short or bad TCP offset
	PSW_DROP_NO_FLOW,       // no flow matched (table miss)
	PSW_DROP_ACTION,        // a flow's actions said drop, or had no output
	PSW_DROP_NO_PORT,       // output to a port that does not exist (any more)
	PSW_DROP_PORT_DOWN,     // output port's link is down (peer not connected)
	PSW_DROP_TX_FULL,       // the port's tx queue refused the packet
	PSW_DROP_NO_MBUF,       // copying for a second output found no buffer
	PSW_DROP_VLAN_MISMATCH, // normal: tagged frame on an access port, or VLAN not allowed
	PSW_DROP_LOOP,          // output back to the input port by normal/flood
	PSW_DROP_TOO_DEEP,      // goto_table chain longer than PSW_MAX_CHAIN
	PSW_DROP_POLICED,       // over the port's ingress or egress policing rate
	PSW_DROP_RECIRC_DEEP,   // recirculated more than PSW_MAX_RECIRC times
	PSW_DROP_TTL,           // dec_ttl found TTL or hop limit 1 or 0
	PSW_DROP_TOO_BIG,       // longer than the tunnel's MTU (the sender told when it can be)
	PSW_DROP_BAD_VXLAN,     // pop_vxlan: a fragment, bad UDP length or flags, inner runt
	PSW_DROP_VXLAN_VNI,     // pop_vxlan: not our VNI
	PSW_DROP_NO_ROUTE,      // drop:no_route or unreachable: no node owns the address
	PSW_DROP_NO_NEIGHBOR,   // drop:no_neighbor: the next hop's MAC is not resolved yet
	PSW_DROP_NOT_ANSWERED,  // arp_reply/nd_advert: a probe, a gratuitous or a bad request
	PSW_DROP_PUNT_LIMITED,  // controller: over the PMD's rate, or the ring is full
	PSW_DROP_REASON_COUNT,
};

extern const char *const psw_drop_reason_names[PSW_DROP_REASON_COUNT];

// Parses the frame 'data' of 'len' bytes received on 'in_port' into 'key'.
// Returns PSW_DROP_NONE or the reason the frame is malformed. Reads nothing
// beyond 'len'. Fields of layers that are absent are zero.
// Ethernet, two VLAN tags, IPv6 with a few extension headers (or IPv4 with
// options), TCP with options. A chained frame's headers are gathered up to
// this many bytes; extension headers that reach beyond are left unparsed.
#define PSW_MAX_HEADERS (14 + 8 + 40 + 256 + 60)

// flow_extract_frame parses the first 'len' bytes of a frame of 'frame_len'
// bytes (a jumbo frame in a chain of buffers, its headers gathered).
enum psw_drop_reason flow_extract_frame(const uint8_t *data, uint32_t len, uint32_t frame_len,
	uint16_t in_port, struct psw_flow_key *key);

static inline enum psw_drop_reason flow_extract(const uint8_t *data, uint32_t len,
	uint16_t in_port, struct psw_flow_key *key)
{
	return flow_extract_frame(data, len, len, in_port, key);
}
