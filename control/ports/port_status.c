// SPDX-License-Identifier: BSD-3-Clause
// What ports report: their links, kept fresh, and show.
#include "log.h"
#include "ports/port_ctl.h"
#include "ports/port_kind.h"
#include "ports/port_policing.h"

void port_poll_links(void)
{
	const struct port_table *t = dp_view()->ports;

	for (uint32_t i = 0; t != NULL && i < t->n; i++) {
		struct psw_port *p = t->by_ofport[t->ofports[i]];
		struct port_ctl *c = p->ctl;
		bool up;

		if (c->kind->link == NULL) {
			// vhost-user: the vhost events keep link_up and link_resets
			c->link_speed = RTE_ETH_SPEED_NUM_10G;
			continue;
		}
		up = c->kind->link(p, &c->link_speed);
		if (up != p->link_up || !c->link_logged) {
			if (c->link_logged || up)
				LOG_INFO(1, "port link changed", KV_STR("port", p->name),
					KV_STR("link", up ? "up" : "down"));
			if (c->link_logged && up != p->link_up)
				c->link_resets++;
			c->link_logged = true;
			p->link_up = up;
		}
	}
}

static json_t *rxq_pmds(const struct psw_port *p)
{
	const struct port_ctl *c = p->ctl;
	json_t *rxqs = json_array();

	for (uint16_t q = 0; q < p->nb_rxq; q++) {
		int pmd = c->rxq_pmd[q];

		json_array_append_new(rxqs, json_pack("{s:i,s:i,s:b}", "queue", q,
			"pmd_core", port_ctl_pmd_core(pmd), "pinned", c->rxq_pin[q] >= 0));
	}
	return rxqs;
}

static json_t *port_json(struct psw_port *p)
{
	unsigned n_pmds = port_ctl_n_pmds();
	struct port_ctl *c = p->ctl;
	struct port_pmd_stats sum = {0};
	uint64_t missed = 0, errors = 0;
	json_t *o;

	for (unsigned j = 0; j < n_pmds; j++) {
		sum.rx_packets += p->stats[j].rx_packets;
		sum.rx_bytes += p->stats[j].rx_bytes;
		sum.tx_packets += p->stats[j].tx_packets;
		sum.tx_bytes += p->stats[j].tx_bytes;
		sum.tx_dropped += p->stats[j].tx_dropped;
		sum.rx_dropped += p->stats[j].rx_dropped;
	}
	if (c->kind->rx_errors != NULL)
		c->kind->rx_errors(p, c, &missed, &errors);
	o = json_pack("{s:s,s:i,s:s,s:s,s:i,s:s,s:I,s:I,s:i,s:i,s:o,s:s,s:i,s:o,s:O}",
		"name", p->name, "ofport", p->ofport, "type", c->kind->type, "devargs", c->devargs,
		"eth_port", p->kind == PSW_PORT_ETHDEV ? p->eth_port : -1,
		"link", p->link_up ? "up" : "down",
		"link_resets", (json_int_t)__atomic_load_n(&c->link_resets, __ATOMIC_RELAXED),
		"link_speed", (json_int_t)c->link_speed, "rxqs", p->nb_rxq, "txqs", p->nb_txq,
		"rxq_pmds", rxq_pmds(p), "vlan_mode", p->vlan_mode == PSW_VLAN_ACCESS ? "access" : "trunk",
		"tag", p->vlan_tag, "policing", port_policing_show(p), "options", c->options);
	json_object_set_new(o, "stats", json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
		"rx_packets", (json_int_t)sum.rx_packets, "rx_bytes", (json_int_t)sum.rx_bytes,
		"tx_packets", (json_int_t)sum.tx_packets, "tx_bytes", (json_int_t)sum.tx_bytes,
		"tx_dropped", (json_int_t)sum.tx_dropped, "rx_missed", (json_int_t)missed,
		"rx_errors", (json_int_t)errors, "rx_dropped", (json_int_t)sum.rx_dropped));
	if (c->path[0] != '\0')
		json_object_set_new(o, "path", json_string(c->path));
	return o;
}

json_t *port_show(void)
{
	const struct port_table *t = dp_view()->ports;
	json_t *arr = json_array();

	// what is shown is what the PMDs act on from now: not a poll old
	port_poll_links();
	for (uint32_t i = 0; t != NULL && i < t->n; i++)
		json_array_append_new(arr, port_json(t->by_ofport[t->ofports[i]]));
	return arr;
}
