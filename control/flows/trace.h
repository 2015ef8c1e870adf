// SPDX-License-Identifier: BSD-3-Clause
// pswitchctl trace: a packet run through the PMDs' own code.
#pragma once

#include "flow_key.h"

#include <jansson.h>
#include <stddef.h>

// Builds the frame that 'key' describes (its fields given by the operator,
// 'given' masking them, for display), runs it through the pipeline as a PMD
// would, and describes what happened: the flows it hit in each table and
// pass, where it would leave with what bytes, what NORMAL found, or why it
// would be dropped. Counts, learns and sends nothing. Returns NULL with a
// sentence in 'err' (no such port, out of memory). Control thread only.
json_t *trace_packet(const struct psw_flow_key *key, const struct psw_flow_key *given, char *err,
	size_t elen);

// Frees what tracing keeps between traces.
void trace_fini(void);
