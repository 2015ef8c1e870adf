// SPDX-License-Identifier: BSD-3-Clause
#include "flows/trace.h"
#include "core/publish.h"
#include "fdb.h"
#include "l2/fdb_ctl.h"
#include "flows/flow_parse.h"
#include "ports/port_ctl.h"

#include <rte_byteorder.h>
#include <rte_ether.h>

static void add_output(json_t *outs, uint16_t ofport, const char *via)
{
	const char *name = port_name_of(ofport);

	json_array_append_new(outs, json_pack("{s:i,s:s,s:s}", "ofport", ofport, "port",
		name ? name : "(none)", "via", via));
}

static void trace_normal(const struct psw_flow_key *key, json_t *outs, json_t *notes)
{
	const struct port_table *t = dp_view()->ports;
	const struct psw_port *in = port_by_ofport(key->in_port);
	bool tagged = key->vlan_tci != 0;
	uint16_t vlan = rte_be_to_cpu_16(key->vlan_tci) & PSW_VLAN_VID_MASK;
	const struct fdb_entry *e = NULL;

	if (in != NULL && in->vlan_mode == PSW_VLAN_ACCESS) {
		if (tagged) {
			json_array_append_new(notes, json_string("normal: tagged frame on an access port: dropped"));
			return;
		}
		vlan = in->vlan_tag;
	}
	if (!(key->dl_dst[0] & 1))
		e = fdb_lookup(fdb_table(), key->dl_dst, vlan);
	if (e != NULL) {
		json_array_append_new(notes, json_sprintf("normal: destination learned on port %u in VLAN %u",
			e->ofport, vlan));
		if (e->ofport != key->in_port)
			add_output(outs, e->ofport, "normal");
		return;
	}
	json_array_append_new(notes, json_sprintf("normal: flood in VLAN %u", vlan));
	for (uint32_t i = 0; i < t->n; i++) {
		const struct psw_port *p = t->by_ofport[t->ofports[i]];

		if (p->ofport == key->in_port)
			continue;
		if (p->vlan_mode == PSW_VLAN_ACCESS && p->vlan_tag != vlan)
			continue;
		add_output(outs, p->ofport, "normal");
	}
}

json_t *trace_packet(const struct psw_flow_key *packet, const struct psw_flow_key *given)
{
	const struct psw_pipeline *pl = dp_view()->pipeline;
	const struct psw_flow *chain[PSW_MAX_CHAIN];
	struct psw_flow_key key = *packet, shown = *given;
	json_t *steps = json_array(), *outs = json_array(), *notes = json_array();
	enum psw_drop_reason verdict;
	char match[1024], acts[2048];
	unsigned n;
	bool dropped = false;

	verdict = pipeline_lookup(pl, &key, chain, &n);
	key = *packet;
	if (n > 0 && pl->port_flows != NULL && packet->in_port < PSW_MAX_PORTS &&
	    pl->port_flows[packet->in_port] == chain[0])
		json_array_append_new(notes, json_string("port flow: table 0 decides every frame of "
			"this port by the port alone; the PMD takes it with no lookup"));
	for (unsigned c = 0; c < n && !dropped; c++) {
		const struct psw_flow *f = chain[c];

		flow_format_match(&f->match, &f->mask, f->priority, port_name_of, match, sizeof(match));
		flow_format_actions(f->actions, f->n_actions, port_name_of, acts, sizeof(acts));
		json_array_append_new(steps, json_pack("{s:i,s:i,s:I,s:s,s:s}", "table", f->table_id,
			"priority", f->priority, "cookie", (json_int_t)f->cookie, "match", match,
			"actions", acts));
		for (unsigned i = 0; i < f->n_actions && !dropped; i++) {
			const struct psw_action *a = &f->actions[i];
			const struct port_table *t = dp_view()->ports;

			switch (a->type) {
			case PSW_ACT_OUTPUT:
				if (a->port != key.in_port)
					add_output(outs, a->port, "output");
				break;
			case PSW_ACT_IN_PORT:
				add_output(outs, key.in_port, "in_port");
				break;
			case PSW_ACT_FLOOD:
				for (uint32_t p = 0; p < t->n; p++)
					if (t->ofports[p] != key.in_port)
						add_output(outs, t->ofports[p], "flood");
				break;
			case PSW_ACT_NORMAL:
				trace_normal(&key, outs, notes);
				break;
			case PSW_ACT_DROP:
				dropped = true;
				break;
			default:
				break;
			}
		}
		flow_apply_key_mods(f, &key);
	}
	shown.in_port = UINT16_MAX;
	flow_format_match(packet, &shown, 0, port_name_of, match, sizeof(match));
	if (verdict == PSW_DROP_NO_FLOW)
		json_array_append_new(notes, json_sprintf("table miss after %u flow(s): dropped", n));
	else if (verdict != PSW_DROP_NONE)
		json_array_append_new(notes, json_string(psw_drop_reason_names[verdict]));
	return json_pack("{s:s,s:o,s:o,s:o,s:s}", "packet", strchr(match, ',') ? strchr(match, ',') + 1 : "",
		"steps", steps, "outputs", outs, "notes", notes,
		"verdict", json_array_size(outs) > 0 ? "forwarded" :
			verdict == PSW_DROP_NO_FLOW ? "dropped: no_flow" : "dropped");
}
