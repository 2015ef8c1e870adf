// SPDX-License-Identifier: BSD-3-Clause
#include "pmd_ctl.h"
#include "log.h"
#include "pmd.h"
#include "port_ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

// Rebalancing weighs queues by their busy cycles since the last assignment.
static bool rebalance_by_load;

int pmd_ctl_start(const unsigned *lcores, unsigned n, struct rte_mempool *pool,
	uint32_t emc_entries)
{
	if (n == 0 || n > PSW_MAX_PMDS)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		int socket = (int)rte_lcore_to_socket_id(lcores[i]);
		struct pmd *pmd = rte_zmalloc_socket("pmd", sizeof(*pmd), RTE_CACHE_LINE_SIZE, socket);
		void *emc = rte_malloc_socket("pmd_emc", emc_memory_size(emc_entries),
			RTE_CACHE_LINE_SIZE, socket);

		if (pmd == NULL || emc == NULL) {
			rte_free(pmd);
			rte_free(emc);
			LOG_ERR("cannot allocate PMD state: give more --memory or fewer --emc-entries",
				KV_UINT("emc_entries", emc_entries),
				KV_UINT("emc_mb", emc_memory_size(emc_entries) >> 20));
			return -ENOMEM;
		}
		// Zeroed here rather than by rte_zmalloc, which leaves fresh memory
		// unwritten (it is zero already): every page is touched now, so that
		// no PMD takes a page fault on its first use of a cache line, and the
		// memory is resident from the start.
		memset(emc, 0, emc_memory_size(emc_entries));
		emc_init(&pmd->emc, emc_entries, emc);
		pmd->index = i;
		pmd->lcore = lcores[i];
		pmd->pool = pool;
		pmd->tsc_hz = rte_get_tsc_hz();
		psw_pmds[i] = pmd;
	}
	psw_n_pmds = n;
	for (unsigned i = 0; i < n; i++) {
		int ret = rte_eal_remote_launch(pmd_main, psw_pmds[i], lcores[i]);

		if (ret < 0)
			return errno_log(ret, "cannot launch PMD");
		LOG_INFO(0, "PMD started", KV_INT("core", lcores[i]), KV_INT("pmd", i));
	}
	return 0;
}

void pmd_ctl_stop(void)
{
	for (unsigned i = 0; i < psw_n_pmds; i++)
		psw_pmds[i]->stop = true;
	rte_eal_mp_wait_lcore();
	for (unsigned i = 0; i < psw_n_pmds; i++) {
		struct pmd_rxq_set *s = psw_pmds[i]->rxqs;

		free(s);
		rte_free(psw_pmds[i]->emc.sets);
		rte_free(psw_pmds[i]);
		psw_pmds[i] = NULL;
	}
	psw_n_pmds = 0;
}

struct rxq_ref {
	struct psw_port *port;
	uint16_t queue;
	uint64_t load;
};

static int load_order(const void *a, const void *b)
{
	const struct rxq_ref *x = a, *y = b;

	return (x->load < y->load) - (x->load > y->load);
}

int pmd_ctl_assign_rxqs(void)
{
	const struct port_table *t = psw_active_ports;
	struct pmd_rxq_set *sets[PSW_MAX_PMDS] = {NULL}, *old[PSW_MAX_PMDS];
	uint64_t load[PSW_MAX_PMDS] = {0};
	struct rxq_ref *refs;
	unsigned n_refs = 0, total = 0;

	if (psw_n_pmds == 0)
		return 0;
	for (uint32_t i = 0; i < t->n; i++)
		total += t->by_ofport[t->ofports[i]]->nb_rxq;
	refs = calloc(total ? total : 1, sizeof(*refs));
	for (unsigned p = 0; p < psw_n_pmds; p++)
		sets[p] = calloc(1, sizeof(struct pmd_rxq_set) + (total ? total : 1) * sizeof(struct pmd_rxq));
	for (unsigned p = 0; p < psw_n_pmds; p++) {
		if (sets[p] == NULL || refs == NULL) {
			for (unsigned q = 0; q < psw_n_pmds; q++)
				free(sets[q]);
			free(refs);
			return -ENOMEM;
		}
	}
	for (uint32_t i = 0; i < t->n; i++) {
		struct psw_port *port = t->by_ofport[t->ofports[i]];

		for (uint16_t q = 0; q < port->nb_rxq; q++) {
			refs[n_refs++] = (struct rxq_ref){.port = port, .queue = q,
				.load = rebalance_by_load ? port->rxq_stats[q].busy_cycles : 1};
		}
	}
	// heaviest first onto the least loaded PMD, as Open vSwitch's "cycles" mode
	qsort(refs, n_refs, sizeof(*refs), load_order);
	for (unsigned r = 0; r < n_refs; r++) {
		struct port_ctl *c = refs[r].port->ctl;
		int pin = c->rxq_pin[refs[r].queue];
		unsigned best = 0;

		if (pin >= 0 && (unsigned)pin < psw_n_pmds) {
			best = (unsigned)pin;
		} else {
			for (unsigned p = 1; p < psw_n_pmds; p++)
				if (load[p] < load[best] ||
				    (load[p] == load[best] && sets[p]->n < sets[best]->n))
					best = p;
		}
		load[best] += refs[r].load ? refs[r].load : 1;
		c->rxq_pmd[refs[r].queue] = (int16_t)best;
		sets[best]->q[sets[best]->n++] = (struct pmd_rxq){
			.eth_port = refs[r].port->eth_port, .queue = refs[r].queue,
			.ofport = refs[r].port->ofport, .port = refs[r].port};
	}
	free(refs);
	for (unsigned p = 0; p < psw_n_pmds; p++) {
		old[p] = psw_pmds[p]->rxqs;
		rcu_assign_pointer(psw_pmds[p]->rxqs, sets[p]);
	}
	synchronize_rcu();
	for (unsigned p = 0; p < psw_n_pmds; p++)
		free(old[p]);
	return 0;
}

int pmd_ctl_pin(const char *name, int queue, int core, char *err, size_t elen)
{
	struct psw_port *p = port_by_name(name);
	struct port_ctl *c;
	int pmd = -1;

	if (p == NULL) {
		snprintf(err, elen, "no port '%s'", name);
		return -ENOENT;
	}
	if (queue < 0 || queue >= p->nb_rxq) {
		snprintf(err, elen, "port '%s' has no rx queue %d (it has %u)", name, queue, p->nb_rxq);
		return -EINVAL;
	}
	if (core >= 0) {
		for (unsigned i = 0; i < psw_n_pmds; i++)
			if (psw_pmds[i]->lcore == (unsigned)core)
				pmd = (int)i;
		if (pmd < 0) {
			snprintf(err, elen, "no PMD runs on core %d", core);
			return -EINVAL;
		}
	}
	c = p->ctl;
	c->rxq_pin[queue] = (int16_t)pmd;
	return pmd_ctl_assign_rxqs();
}

int pmd_ctl_rebalance(void)
{
	int ret;

	rebalance_by_load = true;
	ret = pmd_ctl_assign_rxqs();
	rebalance_by_load = false;
	return ret;
}

static void stats_delta(const struct pmd *pmd, struct pmd_stats *d)
{
	const uint64_t *now = (const uint64_t *)&pmd->stats, *base = (const uint64_t *)&pmd->cleared;
	uint64_t *out = (uint64_t *)d;

	for (size_t i = 0; i < offsetof(struct pmd_stats, drops) / 8 + PSW_DROP_REASON_COUNT; i++)
		out[i] = now[i] - base[i];
}

json_t *pmd_ctl_stats(void)
{
	json_t *arr = json_array();

	for (unsigned i = 0; i < psw_n_pmds; i++) {
		struct pmd_stats d;
		uint64_t lookups, total_cycles, dropped = 0;

		stats_delta(psw_pmds[i], &d);
		lookups = d.emc_hits + d.cls_hits + d.cls_misses;
		total_cycles = d.busy_cycles + d.idle_cycles;
		for (unsigned r = 0; r < PSW_DROP_REASON_COUNT; r++)
			dropped += d.drops[r];
		json_array_append_new(arr, json_pack(
			"{s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:I}",
			"pmd", i, "core", psw_pmds[i]->lcore,
			"packets", (json_int_t)d.rx_packets, "dropped", (json_int_t)dropped,
			"port_flow_hits", (json_int_t)d.port_flow_hits,
			"emc_hits", (json_int_t)d.emc_hits, "classifier_hits", (json_int_t)d.cls_hits,
			"misses", (json_int_t)d.cls_misses, "busy_cycles", (json_int_t)d.busy_cycles,
			"idle_cycles", (json_int_t)d.idle_cycles, "iterations", (json_int_t)d.iterations,
			"cycles_per_packet", d.rx_packets ? (double)d.busy_cycles / (double)d.rx_packets : 0.0,
			"emc_hit_ratio", lookups ? (double)d.emc_hits / (double)lookups : 0.0,
			"subtables_per_lookup", d.cls_hits + d.cls_misses ?
				(double)d.cls_probes / (double)(d.cls_hits + d.cls_misses) : 0.0,
			"idle_ratio", total_cycles ? (double)d.idle_cycles / (double)total_cycles : 1.0,
			"busy_ratio", total_cycles ? (double)d.busy_cycles / (double)total_cycles : 0.0,
			"packets_per_busy_iteration", d.busy_iterations ?
				(double)d.rx_packets / (double)d.busy_iterations : 0.0,
			"emc_entries", (json_int_t)(2 * ((json_int_t)psw_pmds[i]->emc.set_mask + 1))));
	}
	return arr;
}

void pmd_ctl_stats_clear(void)
{
	// The PMDs own their counters; clearing moves the baseline instead.
	for (unsigned i = 0; i < psw_n_pmds; i++)
		memcpy(&psw_pmds[i]->cleared, (const void *)&psw_pmds[i]->stats,
			sizeof(struct pmd_stats));
}

json_t *pmd_ctl_rxq_show(void)
{
	json_t *arr = json_array();

	for (unsigned i = 0; i < psw_n_pmds; i++) {
		const struct pmd_rxq_set *s = psw_pmds[i]->rxqs;
		uint64_t total = 0;
		json_t *qs = json_array();

		for (uint32_t j = 0; s != NULL && j < s->n; j++)
			total += s->q[j].port->rxq_stats[s->q[j].queue].busy_cycles;
		for (uint32_t j = 0; s != NULL && j < s->n; j++) {
			const struct psw_port *p = s->q[j].port;
			const struct port_ctl *c = p->ctl;
			uint64_t busy = p->rxq_stats[s->q[j].queue].busy_cycles;

			json_array_append_new(qs, json_pack("{s:s,s:i,s:b,s:I,s:f}", "port", p->name,
				"queue", s->q[j].queue, "pinned", c->rxq_pin[s->q[j].queue] >= 0,
				"packets", (json_int_t)p->rxq_stats[s->q[j].queue].packets,
				"usage", total ? (double)busy / (double)total : 0.0));
		}
		json_array_append_new(arr, json_pack("{s:i,s:i,s:o}", "pmd", i, "core",
			psw_pmds[i]->lcore, "rxqs", qs));
	}
	return arr;
}

json_t *pmd_ctl_drop_stats(void)
{
	uint64_t total[PSW_DROP_REASON_COUNT] = {0};
	json_t *o = json_object(), *per = json_array();

	for (unsigned i = 0; i < psw_n_pmds; i++) {
		json_t *po = json_object();

		for (unsigned r = 1; r < PSW_DROP_REASON_COUNT; r++) {
			uint64_t v = psw_pmds[i]->stats.drops[r];

			total[r] += v;
			json_object_set_new(po, psw_drop_reason_names[r], json_integer((json_int_t)v));
		}
		json_array_append_new(per, json_pack("{s:i,s:i,s:o}", "pmd", i, "core",
			psw_pmds[i]->lcore, "drops", po));
	}
	for (unsigned r = 1; r < PSW_DROP_REASON_COUNT; r++)
		json_object_set_new(o, psw_drop_reason_names[r], json_integer((json_int_t)total[r]));
	return json_pack("{s:o,s:o}", "total", o, "pmds", per);
}
