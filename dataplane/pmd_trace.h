// SPDX-License-Identifier: BSD-3-Clause
// Tracing (pswitchctl trace): a packet run through the PMD's own code, by a
// PMD context of the control thread's whose 'trace' is set. Such a context
// records what the code decides, flows hit, outputs with the frames as they
// would leave, what NORMAL found, and counts and sends nothing (no flow,
// port or policer sees it, no address is learned). Every hook is one branch
// on pmd->trace, in stages that run once per flow run, output or burst.
#pragma once

#include "flow.h"

#include <stdint.h>

#define TRACE_MAX_STEPS 64
#define TRACE_MAX_OUTS 32
#define TRACE_MAX_NOTES 32
#define TRACE_FRAME_MAX 2048

// Why a packet went to a port.
enum trace_via {
	TRACE_VIA_OUTPUT,
	TRACE_VIA_IN_PORT,
	TRACE_VIA_FLOOD,
	TRACE_VIA_NORMAL,
	TRACE_VIA_MIRROR,
};

enum trace_note_kind {
	TRACE_NOTE_PORT_FLOW,      // table 0 decided by the port alone, no lookup
	TRACE_NOTE_NORMAL_LEARNED, // a: the port the destination is on, b: VLAN
	TRACE_NOTE_NORMAL_FLOOD,   // b: VLAN
	TRACE_NOTE_NORMAL_REMEMBERED, // a decision NORMAL kept for the stream (a: port or 0xffff)
	TRACE_NOTE_RECIRC,         // a: the table the next pass starts in
	TRACE_NOTE_PORT_DOWN,      // a: a port output to whose link is down
	TRACE_NOTE_POLICED,        // a: a port with a rate limit, not applied here
	TRACE_NOTE_ICMP_ERROR,     // a: enum l3_icmp_kind, b: the drop it answers
	TRACE_NOTE_CONTROLLER,     // a: why a copy goes to the control thread
	TRACE_NOTE_REPARSE,        // a: the table a new frame is looked up from, b: in_port
};

struct trace_step {
	uint8_t pass;              // 1, then each recirculation
	const struct psw_flow *flow;
};

struct trace_out {
	uint16_t ofport;
	uint8_t via;
	uint8_t dropped;           // enum psw_drop_reason the port would drop it for, or 0
	uint16_t len;              // the frame's length (bytes kept: up to TRACE_FRAME_MAX)
	uint8_t frame[TRACE_FRAME_MAX];
};

struct trace_note {
	uint8_t kind;
	uint16_t a, b;
};

// Thread-safety: the control thread's, like the context it is given to.
struct pmd_trace {
	uint8_t pass;
	uint8_t via;               // of the action running now
	unsigned n_steps, n_outs, n_notes;
	struct trace_step steps[TRACE_MAX_STEPS];
	struct trace_out outs[TRACE_MAX_OUTS];
	struct trace_note notes[TRACE_MAX_NOTES];
};

static inline void trace_note(struct pmd_trace *t, enum trace_note_kind kind, uint16_t a,
	uint16_t b)
{
	if (t->n_notes < TRACE_MAX_NOTES)
		t->notes[t->n_notes++] = (struct trace_note){(uint8_t)kind, a, b};
}

static inline void trace_step(struct pmd_trace *t, const struct psw_flow *f)
{
	if (t->n_steps < TRACE_MAX_STEPS)
		t->steps[t->n_steps++] = (struct trace_step){t->pass, f};
}
