// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include "flow_key.h"

#include <jansson.h>

// Describes what a packet of 'key' would go through: the flows it hits in
// each table, their actions, and where it would leave or why it would be
// dropped. 'given' masks the fields the operator named, for display.
// Counts nothing. Control thread only.
json_t *trace_packet(const struct psw_flow_key *key, const struct psw_flow_key *given);
