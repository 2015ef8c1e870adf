// SPDX-License-Identifier: BSD-3-Clause
// The ovs-ofctl-like flow syntax: parsing and formatting.
//   table=0,priority=100,in_port=pod1,tcp,nw_dst=10.244.1.5,tp_dst=80,actions=output:pod2
#pragma once

#include "flow.h"

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>

// Resolves a port name to its number; returns PSW_PORT_NONE when unknown.
typedef uint16_t (*port_resolve_fn_t)(const char *name);
// Gives the name of a port number, or NULL.
typedef const char *(*port_name_fn_t)(uint16_t ofport);

// What a flow text says, before it becomes a psw_flow.
struct flow_spec {
	struct psw_flow_key match; // masked
	struct psw_flow_key mask;
	int32_t priority;
	uint8_t table_id;
	bool has_table;
	bool has_priority;
	uint64_t cookie;
	uint64_t cookie_mask;       // for filters: cookie=V/M
	uint16_t idle_timeout;
	uint16_t hard_timeout;
	uint8_t n_actions;
	bool has_actions;
	uint64_t fields;            // the match fields set, 1 << enum mf_id
	struct psw_action actions[PSW_MAX_ACTIONS];
};

enum flow_parse_mode {
	FLOW_PARSE_ADD,    // actions required
	FLOW_PARSE_FILTER, // a match for dump-flows/del-flows: no actions
	FLOW_PARSE_PACKET, // trace: fields of one packet, no masks needed
};

// Parses 'text'. Returns 0, or -EINVAL with a sentence in 'err'.
int flow_parse(const char *text, enum flow_parse_mode mode, port_resolve_fn_t resolve,
	struct flow_spec *spec, char *err, size_t err_len);

// Parses every string of 'list' (a JSON array of flow texts; with
// 'skip_empty', empty ones are passed over). On success '*specs' (to be
// freed) holds the '*n' flows; an error names the flow by its position,
// counted from 1 as 'unit' ("flow", or "line" for a file's lines).
int flow_parse_list(const json_t *list, enum flow_parse_mode mode, port_resolve_fn_t resolve,
	bool skip_empty, const char *unit, struct flow_spec **specs, unsigned *n, char *err,
	size_t err_len);

// Writes the match part ("priority=100,in_port=pod1,tcp,tp_dst=80") and the
// actions ("output:pod2") in the form flow_parse reads back.
void flow_format_match(const struct psw_flow_key *match, const struct psw_flow_key *mask,
	int32_t priority, port_name_fn_t name, char *buf, size_t len);
void flow_format_actions(const struct psw_action *acts, unsigned n, port_name_fn_t name,
	char *buf, size_t len);

// True when the flow (match, mask) is selected by the filter: every field the
// filter sets, the flow sets to the same value (ovs-ofctl's loose match).
bool flow_filter_selects(const struct flow_spec *filter, const struct psw_flow_key *match,
	const struct psw_flow_key *mask, uint64_t cookie);
