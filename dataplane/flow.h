// SPDX-License-Identifier: BSD-3-Clause
// Flows, their actions, and the pipeline of flow tables the PMDs read.
#pragma once

#include "flow_key.h"

#include <rte_common.h>
#include <urcu-qsbr.h>

#define PSW_MAX_TABLES 255      // table ids 0..254
#define PSW_MAX_ACTIONS 32      // actions in one flow
#define PSW_MAX_CHAIN 8         // tables one packet may visit (goto_table) in a pass
#define PSW_MAX_RECIRC 8        // passes one packet may take (recirculations + 1)
#define PSW_MAX_PMDS 64
#define PSW_MAX_PORTS 1024      // port numbers 1..PSW_MAX_PORTS-1
#define PSW_PORT_NONE 0
#define PSW_NO_TABLE 0xff

enum psw_action_type {
	PSW_ACT_OUTPUT,        // port
	PSW_ACT_IN_PORT,       // output back to the input port
	PSW_ACT_FLOOD,         // every port but the input port
	PSW_ACT_NORMAL,        // L2 learning switch, per VLAN
	PSW_ACT_DROP,          // stop here; outputs already taken stand
	PSW_ACT_PUSH_VLAN,     // tpid, VID 0 until set
	PSW_ACT_POP_VLAN,
	PSW_ACT_SET_VLAN_VID,  // vid; pushes a tag when there is none (mod_vlan_vid)
	PSW_ACT_SET_VLAN_PCP,  // pcp
	PSW_ACT_SET_DL_SRC,    // mac
	PSW_ACT_SET_DL_DST,    // mac
	PSW_ACT_GOTO_TABLE,    // table; always the last action
	// Writes a field of the pipeline's own (metadata, registers): key word
	// 'word' = (word & ~set_mask) | set_value. Only the key changes, as the
	// walk goes on: tables after this one and recirculations see it.
	PSW_ACT_SET_FIELD,
	// Recirculates: the packet, as the actions before made it and with the
	// pipeline's fields the walk set, is looked up again from 'table' in a
	// pass of its own (resubmit(,T) as the last action; connection tracking
	// will use the same). Always the last action.
	PSW_ACT_RECIRC,
	// Routing (dataplane/l3.c). dec_ttl: IPv4 TTL or IPv6 hop limit down by
	// one; at 1 or 0 the packet becomes an ICMP time exceeded from the
	// router (dp.h's psw_router) and is routed again, or, with no router, a
	// counted drop.
	PSW_ACT_DEC_TTL,
	PSW_ACT_ARP_REPLY,     // mac: an ARP request becomes the reply, back out of in_port
	PSW_ACT_ND_ADVERT,     // mac: a neighbour solicitation becomes the advertisement
	// Tunnels (dataplane/vxlan.c). push_vxlan: 'vxlan' is the outer header;
	// 'value' the largest inner L3 packet that fits (longer ones get ICMP
	// fragmentation needed or packet too big, or are counted drops).
	PSW_ACT_PUSH_VXLAN,
	// pop_vxlan: checks and strips the outer headers (VNI vxlan.vni) and
	// looks the inner frame up from 'table', with tun_src and tun_id set.
	// Always the last action.
	PSW_ACT_POP_VXLAN,
	PSW_ACT_CONTROLLER,    // a copy to the control thread (value: the reason it is sent)
	// unreachable: ICMP destination unreachable back to the sender (value: the
	// code), the packet counted as a no_route drop. Always the last action.
	PSW_ACT_UNREACHABLE,
	PSW_ACT_COUNT_,
};

// Actions after which no other may come: the packet goes on elsewhere.
static inline bool psw_action_is_last(uint8_t type)
{
	return type == PSW_ACT_GOTO_TABLE || type == PSW_ACT_RECIRC || type == PSW_ACT_POP_VXLAN ||
		type == PSW_ACT_UNREACHABLE;
}

static inline const char *psw_action_last_name(uint8_t type)
{
	return type == PSW_ACT_RECIRC ? "resubmit" : type == PSW_ACT_POP_VXLAN ? "pop_vxlan" :
		type == PSW_ACT_UNREACHABLE ? "unreachable" : "goto_table";
}

// The outer header push_vxlan prepends: Ethernet, IPv4 (DF, TTL 64), UDP to
// 4789 with a source port from the inner flow's hash, VXLAN.
struct psw_vxlan_spec {
	uint8_t eth_dst[6];
	uint8_t eth_src[6];
	uint32_t vni;            // host order
	uint32_t ip_src, ip_dst; // network order
};

// No hidden padding: actions compare and copy as bytes.
struct psw_action {
	uint8_t type;
	uint8_t table;
	uint8_t word;   // SET_FIELD: the key word
	uint8_t pad;
	uint16_t port;
	uint16_t value; // vid, pcp or tpid (host order); drop: its reason
	union {
		struct {
			uint8_t mac[6];
			uint8_t pad2[2];
			uint64_t set_value, set_mask; // SET_FIELD, in the key word's layout
		};
		struct psw_vxlan_spec vxlan;     // PUSH_VXLAN; POP_VXLAN its vni
	};
};

_Static_assert(sizeof(struct psw_action) == 32, "an action has no hidden padding");

// Thread-safety: one slot per PMD, written only by that PMD, read (racily, as
// plain 64-bit loads) by the control thread to report.
struct flow_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t used_tsc;
} __rte_cache_aligned;

// A flow as installed. Thread-safety: built by the control thread and
// immutable once published, apart from 'stats'; freed with call_rcu after the
// pipeline that held it is replaced.
struct psw_flow {
	struct psw_flow_key match; // already masked
	struct psw_flow_key mask;
	int32_t priority;
	uint8_t table_id;
	uint8_t goto_table;        // PSW_NO_TABLE unless the last action is goto_table
	uint8_t recirc_table;      // PSW_NO_TABLE unless the last action recirculates
	uint8_t n_actions;
	uint8_t has_key_mods;      // sets fields a later table would match on
	uint8_t reparses;          // may make a new packet, looked up again (l3.c, vxlan.c)
	uint8_t stats_moved;       // control thread: 'stats' passed to the flow that replaced
	                           // this one's actions (mod-flows), not ours to free
	uint16_t only_output;      // the port when the one action is output, else 0
	uint16_t idle_timeout;     // seconds, 0 = none
	uint16_t hard_timeout;
	uint64_t cookie;
	uint64_t created_ns;       // CLOCK_MONOTONIC
	uint64_t created_tsc;
	uint64_t seq;              // control thread: order of installation
	struct psw_flow *dump_next; // control thread: freed once the dumps holding it end
	struct flow_stats *stats;  // one slot per PMD
	struct rcu_head rcu;
	struct psw_action actions[];
};

// The whole set of tables, replaced as one pointer so that a batch of flow
// changes is seen all at once. Thread-safety: published by the control thread
// with rcu_assign_pointer, read by PMDs with rcu_dereference once per burst;
// freed after a grace period.
struct psw_pipeline {
	uint32_t version; // never 0, so a zeroed cache entry is never valid
	uint32_t n_flows;
	struct cls_table *tables[PSW_MAX_TABLES];
	// Per input port (PSW_MAX_PORTS slots), the flow that table 0 gives every
	// well-formed frame of that port whatever its headers, when that flow
	// ends the walk; NULL where there is none. The array itself is NULL when
	// no port has one. See pipeline_port_flows.
	const struct psw_flow **port_flows;
	struct rcu_head rcu;
};

// The port flows of a table 0 (NULL: none, or no memory: the PMDs then look
// every frame up, which is only slower). A port has one when its
// highest-priority flow matches in_port alone (or nothing at all), has no
// goto_table and does not recirculate, and outranks every flow of any other
// shape: then no header of the frame can change the lookup's result, and the
// PMD skips the exact-match cache (Open vSwitch's "simple match"). Frames are still parsed, and
// malformed ones dropped, as on the cache's path. Control thread only; the
// caller frees the array.
const struct psw_flow **pipeline_port_flows(const struct cls_table *t0);

// Applies the actions of 'f' that change match fields to 'key', for the lookup
// in the next table.
void flow_apply_key_mods(const struct psw_flow *f, struct psw_flow_key *key);

// Walks the pipeline from table 'table' for 'key' (which it modifies as
// actions would). Fills 'chain' with the flows hit, up to PSW_MAX_CHAIN.
// Returns PSW_DROP_NONE, PSW_DROP_NO_FLOW when a table missed (the flows hit
// before are still in 'chain') or PSW_DROP_TOO_DEEP.
enum psw_drop_reason pipeline_lookup(const struct psw_pipeline *pl, uint8_t table,
	struct psw_flow_key *key, const struct psw_flow **chain, unsigned *n_chain);

// The key a packet whose walk hit 'chain' (ending in a recirculation) is
// looked up with in its next pass: 'key' with the walk's changes applied.
void pipeline_recirc_key(const struct psw_flow *const *chain, unsigned n_chain,
	struct psw_flow_key *key);

// The same walk, from the flows already in 'chain' (at least table 0's): on
// from the last one's goto_table, if it has one.
enum psw_drop_reason pipeline_walk_on(const struct psw_pipeline *pl, struct psw_flow_key *key,
	const struct psw_flow **chain, unsigned *n_chain);
