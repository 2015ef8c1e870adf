// SPDX-License-Identifier: BSD-3-Clause
// Flows as data: code builds a flow's match and actions with these, field
// by field from the match-field table (control/flows/match_field.h), and
// checks it once. The ovs-ofctl text syntax (flow_parse.c) is one front end
// of it; pod port security, the config file and, later, the policy
// compiler build flows directly. Every function returns 0 or -errno: a
// field set twice to different values (a contradiction), a value out of
// its range, or no room for another action.
#pragma once

#include "flows/flow_parse.h"
#include "flows/match_field.h"

#include <stdint.h>

// An empty flow: table, priority and cookie, no match, no action (drop).
void flow_spec_init(struct flow_spec *sp, uint8_t table, int32_t priority, uint64_t cookie);

// Matches field 'f' on the bits of 'mask' (NULL: all of them) being 'value',
// both in the key's layout ('f''s width, network order for header fields).
int flow_match(struct flow_spec *sp, enum mf_id f, const void *value, const void *mask);
// The same with host integers (ports, protocol numbers, ICMP types,
// registers): 'mask' 0 means exact.
int flow_match_u64(struct flow_spec *sp, enum mf_id f, uint64_t value, uint64_t mask);
int flow_match_mac(struct flow_spec *sp, enum mf_id f, const uint8_t mac[6]);
// An IPv4 address (network order) or prefix of 'len' bits.
int flow_match_ipv4(struct flow_spec *sp, enum mf_id f, uint32_t addr, unsigned len);
int flow_match_ipv6(struct flow_spec *sp, enum mf_id f, const uint8_t addr[16], unsigned len);
// ip, ipv6, arp ('nw_proto' < 0), or tcp, udp6, icmp, ... ('nw_proto' >= 0).
int flow_match_proto(struct flow_spec *sp, uint16_t dl_type, int nw_proto);

// Appends an action. Returns -E2BIG past PSW_MAX_ACTIONS, -EINVAL after an
// action that must be the last (goto_table, resubmit).
int flow_action(struct flow_spec *sp, const struct psw_action *a);
int flow_action_output(struct flow_spec *sp, uint16_t port);
int flow_action_normal(struct flow_spec *sp);
// Writes 'value' into the bits of 'mask' of a pipeline field (metadata, a
// register).
int flow_action_set_field(struct flow_spec *sp, enum mf_id f, uint64_t value, uint64_t mask);

// Checks what only the whole flow can say: every field's prerequisites,
// and that goto_table goes forward. Returns 0 or -EINVAL with a sentence.
int flow_spec_check(const struct flow_spec *sp, char *err, size_t elen);
