// SPDX-License-Identifier: BSD-3-Clause
// pswitchctl trace: the frame a packet's fields describe, run through the
// PMD's own code (pmd_process_burst and everything it calls) by a PMD
// context of the control thread's that records instead of counting and
// sending (dataplane/trace.h). What trace says is what the PMDs do.
#include "flows/trace.h"
#include "core/publish.h"
#include "emc.h"
#include "errorf.h"
#include "flows/flow_parse.h"
#include "flows/packet_build.h"
#include "pmd.h"
#include "ports/port_ctl.h"
#include "pmd_trace.h"
#include "tx.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#define TRACE_EMC_ENTRIES EMC_MIN_ENTRIES

static struct pmd *tpmd;
static struct pmd_trace *rec;

static int trace_context(void)
{
	if (tpmd != NULL)
		return 0;
	tpmd = rte_zmalloc("psw_trace_pmd", sizeof(*tpmd), RTE_CACHE_LINE_SIZE);
	rec = rte_zmalloc("psw_trace", sizeof(*rec), RTE_CACHE_LINE_SIZE);
	if (tpmd != NULL)
		tpmd->emc.sets = rte_zmalloc("psw_trace_emc", emc_memory_size(TRACE_EMC_ENTRIES),
			RTE_CACHE_LINE_SIZE);
	if (tpmd == NULL || rec == NULL || tpmd->emc.sets == NULL) {
		trace_fini();
		return -ENOMEM;
	}
	emc_init(&tpmd->emc, TRACE_EMC_ENTRIES, tpmd->emc.sets);
	tpmd->tsc_hz = rte_get_tsc_hz();
	return 0;
}

void trace_fini(void)
{
	if (tpmd != NULL)
		rte_free(tpmd->emc.sets);
	rte_free(tpmd);
	rte_free(rec);
	tpmd = NULL;
	rec = NULL;
}

static const char *const via_names[] = {
	[TRACE_VIA_OUTPUT] = "output",
	[TRACE_VIA_IN_PORT] = "in_port",
	[TRACE_VIA_FLOOD] = "flood",
	[TRACE_VIA_NORMAL] = "normal",
	[TRACE_VIA_MIRROR] = "mirror",
};

static json_t *hex(const uint8_t *d, size_t n)
{
	char buf[2 * TRACE_FRAME_MAX + 1];

	n = RTE_MIN(n, (size_t)TRACE_FRAME_MAX);
	for (size_t i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", d[i]);
	buf[2 * n] = '\0';
	return json_string(buf);
}

static json_t *note_text(const struct trace_note *n)
{
	const char *port = port_name_of(n->a);

	switch (n->kind) {
	case TRACE_NOTE_PORT_FLOW:
		return json_string("port flow: table 0 decides every frame of this port by the port "
			"alone; the PMD takes it with no lookup");
	case TRACE_NOTE_NORMAL_LEARNED:
		return json_sprintf("normal: destination learned on port %u in VLAN %u", n->a, n->b);
	case TRACE_NOTE_NORMAL_FLOOD:
		return json_sprintf("normal: flood in VLAN %u", n->b);
	case TRACE_NOTE_NORMAL_REMEMBERED:
		return json_string("normal: the decision kept for the stream");
	case TRACE_NOTE_RECIRC:
		return json_sprintf("recirculated: looked up again from table %u", n->a);
	case TRACE_NOTE_PORT_DOWN:
		return json_sprintf("port %s is down: what the PMDs send there is dropped (port_down)",
			port ? port : "?");
	case TRACE_NOTE_ICMP_ERROR:
		return json_sprintf("router: dropped (%s), answered with ICMP %s",
			n->b < PSW_DROP_REASON_COUNT ? psw_drop_reason_names[n->b] : "?",
			n->a == 0 ? "time exceeded" : n->a == 1 ? "fragmentation needed / packet too big" :
			"destination unreachable");
	case TRACE_NOTE_CONTROLLER:
		return json_sprintf("a copy goes to the control thread (controller:%u)", n->a);
	case TRACE_NOTE_REPARSE:
		return json_sprintf("a new frame%s is looked up from table %u",
			n->b == 0 ? " from the router" : ", decapsulated,", n->a);
	case TRACE_NOTE_POLICED:
		return json_sprintf("port %s has an %s rate limit: traffic over it is dropped",
			port ? port : "?", n->b ? "egress" : "ingress");
	}
	return json_string("?");
}

static json_t *steps_json(void)
{
	json_t *steps = json_array();
	char match[1024], acts[2048];

	for (unsigned i = 0; i < rec->n_steps; i++) {
		const struct psw_flow *f = rec->steps[i].flow;

		flow_format_match(&f->match, &f->mask, f->priority, port_name_of, match, sizeof(match));
		flow_format_actions(f->actions, f->n_actions, port_name_of, acts, sizeof(acts));
		json_array_append_new(steps, json_pack("{s:i,s:i,s:i,s:I,s:s,s:s}", "pass",
			rec->steps[i].pass, "table", f->table_id, "priority", f->priority, "cookie",
			(json_int_t)f->cookie, "match", match, "actions", acts));
	}
	return steps;
}

static json_t *outputs_json(void)
{
	json_t *outs = json_array();

	for (unsigned i = 0; i < rec->n_outs; i++) {
		const struct trace_out *o = &rec->outs[i];
		const char *name = port_name_of(o->ofport);

		json_array_append_new(outs, json_pack("{s:i,s:s,s:s,s:o,s:b}", "ofport", o->ofport,
			"port", name ? name : "(none)", "via",
			o->via < RTE_DIM(via_names) ? via_names[o->via] : "?", "frame",
			hex(o->frame, o->len), "delivered", o->dropped == PSW_DROP_NONE));
	}
	return outs;
}

// The first reason the trace's context counted a drop under, or NONE.
static enum psw_drop_reason drop_reason(void)
{
	for (unsigned r = 1; r < PSW_DROP_REASON_COUNT; r++)
		if (tpmd->stats.drops[r] != 0)
			return (enum psw_drop_reason)r;
	return PSW_DROP_NONE;
}

json_t *trace_packet(const struct psw_flow_key *packet, const struct psw_flow_key *given,
	char *err, size_t elen)
{
	const struct psw_dp *dp = dp_published();
	struct psw_port *in = port_by_ofport(packet->in_port);
	struct psw_flow_key shown = *given;
	uint8_t frame[512];
	char text[1024];
	struct rte_mbuf *m;
	enum psw_drop_reason why;
	json_t *notes;
	size_t len;

	if (in == NULL) {
		psw_errorf(err, elen, -ENOENT, "no port %u", packet->in_port);
		return NULL;
	}
	if (given->tun_id != 0 || given->tun_src != 0) {
		psw_errorf(err, elen, -EINVAL, "a packet has tunnel fields only once pop_vxlan took "
			"them off: trace the encapsulated frame");
		return NULL;
	}
	for (unsigned w = PSW_KEY_META_WORD; w < PSW_KEY_WORDS; w++) {
		if (given->w[w] != 0) {
			psw_errorf(err, elen, -EINVAL, "a packet carries no metadata or registers: "
				"flows set them");
			return NULL;
		}
	}
	if (trace_context() < 0) {
		psw_errorf(err, elen, -ENOMEM, "out of memory");
		return NULL;
	}
	len = packet_build(packet, frame, sizeof(frame));
	m = rte_pktmbuf_alloc(port_ctl_pool());
	if (len == 0 || m == NULL || rte_pktmbuf_append(m, (uint16_t)len) == NULL) {
		rte_pktmbuf_free(m);
		psw_errorf(err, elen, -ENOMEM, "cannot make the packet: out of buffers");
		return NULL;
	}
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), frame, len);
	// a context of its own each time: no decision kept from the last trace
	memset(rec, 0, sizeof(*rec));
	memset(&tpmd->stats, 0, sizeof(tpmd->stats));
	memset(&tpmd->l2_memo, 0, sizeof(tpmd->l2_memo));
	memset(&tpmd->last_learn, 0, sizeof(tpmd->last_learn));
	memset(tpmd->emc.sets, 0, emc_memory_size(TRACE_EMC_ENTRIES));
	tpmd->trace = rec;
	tpmd->pool = port_ctl_pool();
	pmd_take_state(tpmd, dp, rte_rdtsc());
	tpmd->punt = NULL; // a trace gives the control thread nothing
	pmd_process_burst(tpmd, &(struct pmd_rxq){.eth_port = in->eth_port, .queue = 0,
		.ofport = in->ofport, .port = in}, &m, 1);
	tx_flush_all(tpmd);
	why = drop_reason();
	notes = json_array();
	for (unsigned i = 0; i < rec->n_notes; i++)
		json_array_append_new(notes, note_text(&rec->notes[i]));
	if (why == PSW_DROP_NO_FLOW)
		json_array_append_new(notes, json_string("table miss: dropped"));
	else if (why != PSW_DROP_NONE)
		json_array_append_new(notes, json_sprintf("dropped: %s", psw_drop_reason_names[why]));
	shown.in_port = UINT16_MAX;
	flow_format_match(packet, &shown, 0, port_name_of, text, sizeof(text));
	return json_pack("{s:s,s:o,s:o,s:o,s:o,s:s}", "packet",
		strchr(text, ',') ? strchr(text, ',') + 1 : "", "frame", hex(frame, len),
		"steps", steps_json(), "outputs", outputs_json(), "notes", notes,
		"verdict", rec->n_outs > 0 ? "forwarded" : why == PSW_DROP_NO_FLOW ?
			"dropped: no_flow" : "dropped");
}
