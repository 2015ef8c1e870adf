// SPDX-License-Identifier: BSD-3-Clause
#include "pmds/pmd_ctl.h"
#include "core/api.h"
#include "core/events.h"
#include "errorf.h"
#include "log.h"
#include "pmd.h"
#include "pmds/pmd_load.h"
#include "ports/port_ctl.h"
#include "pmds/rxq_sched.h"

#include <psw/commands.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

_Static_assert(RXQ_SCHED_MAX_PMDS == PSW_MAX_PMDS, "the scheduler places queues on every PMD");

// The PMDs, made at start and freed at exit. Thread-safety: the control
// thread's; each PMD gets its own struct.
static struct pmd *pmds[PSW_MAX_PMDS];
static unsigned n_pmds;

static struct pmd_balance balance = PMD_BALANCE_DEFAULTS;
static uint64_t load_last_ms, auto_lb_last_ms, auto_lb_moves;
static bool pmd_isolated[PSW_MAX_PMDS]; // as the last published placement decided
static bool staged_isolated[PSW_MAX_PMDS];

struct pmd *pmd_ctl_get(unsigned i)
{
	return i < n_pmds ? pmds[i] : NULL;
}

unsigned pmd_ctl_count(void)
{
	return n_pmds;
}

int pmd_ctl_start(const unsigned *cores, unsigned n, struct rte_mempool *pool,
	uint32_t emc_entries, unsigned sleep_max_us)
{
	if (n == 0 || n > PSW_MAX_PMDS)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		int socket = (int)rte_lcore_to_socket_id(PMD_LCORE(i));
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
		pmd->core = cores[i];
		pmd->pool = pool;
		pmd->tsc_hz = rte_get_tsc_hz();
		pmd->sleep_max_us = sleep_max_us;
		pmds[i] = pmd;
	}
	n_pmds = n;
	for (unsigned i = 0; i < n; i++) {
		int ret = rte_eal_remote_launch(pmd_main, pmds[i], PMD_LCORE(i));

		if (ret < 0)
			return errno_log(ret, "cannot launch PMD");
		LOG_INFO(0, "PMD started", KV_INT("core", cores[i]), KV_INT("pmd", i));
	}
	return 0;
}

void pmd_ctl_stop(void)
{
	for (unsigned i = 0; i < n_pmds; i++)
		pmds[i]->stop = true;
	rte_eal_mp_wait_lcore();
	for (unsigned i = 0; i < n_pmds; i++) {
		rte_free(pmds[i]->emc.sets);
		rte_free(pmds[i]);
		pmds[i] = NULL;
	}
	n_pmds = 0;
}

struct rxq_ref {
	struct psw_port *port;
	uint16_t queue;
};

// The PMD that polls each queue in the state the control thread sees (the
// staged one inside a transaction), by port number and queue.
static int16_t placed[PSW_MAX_PORTS][PSW_MAX_RXQ];

static void read_placement(void)
{
	const struct psw_dp *dp = dp_view();

	memset(placed, 0xff, sizeof(placed));
	for (unsigned p = 0; p < n_pmds; p++) {
		const struct pmd_rxq_set *s = dp->rxqs[p];

		for (uint32_t i = 0; s != NULL && i < s->n; i++)
			placed[s->q[i].ofport][s->q[i].queue] = (int16_t)p;
	}
}

// Every rx queue of the ports, with its load, pin and PMD now.
static unsigned collect_rxqs(struct rxq_ref **refs, struct rxq_sched_item **items)
{
	const struct port_table *t = dp_view()->ports;
	unsigned total = 0, n = 0;

	read_placement();
	for (uint32_t i = 0; i < t->n; i++)
		total += t->by_ofport[t->ofports[i]]->nb_rxq;
	*refs = calloc(total ? total : 1, sizeof(**refs));
	*items = calloc(total ? total : 1, sizeof(**items));
	if (*refs == NULL || *items == NULL) {
		free(*refs);
		free(*items);
		return UINT32_MAX;
	}
	for (uint32_t i = 0; i < t->n; i++) {
		struct psw_port *port = t->by_ofport[t->ofports[i]];
		const struct port_ctl *c = port->ctl;

		for (uint16_t q = 0; q < port->nb_rxq; q++) {
			int16_t at = placed[port->ofport][q];

			(*refs)[n] = (struct rxq_ref){.port = port, .queue = q};
			(*items)[n] = (struct rxq_sched_item){.load = pmd_load_rxq(port, q),
				.pin = c->rxq_pin[q], .pmd = at >= 0 ? (unsigned)at : UINT32_MAX};
			n++;
		}
	}
	return n;
}

static struct pmd_rxq_set *new_set(unsigned n)
{
	return calloc(1, sizeof(struct pmd_rxq_set) + (n ? n : 1) * sizeof(struct pmd_rxq));
}

void pmd_rxq_set_free(struct pmd_rxq_set *s)
{
	free(s);
}

// After a placement is published: what show and pmd-rxq-show report.
static void placement_published(void *arg)
{
	const struct port_table *t = dp_published()->ports;

	(void)arg;
	read_placement();
	for (uint32_t i = 0; t != NULL && i < t->n; i++) {
		struct psw_port *port = t->by_ofport[t->ofports[i]];
		struct port_ctl *c = port->ctl;

		for (uint16_t q = 0; q < PSW_MAX_RXQ; q++)
			c->rxq_pmd[q] = q < port->nb_rxq ? placed[port->ofport][q] : -1;
	}
	memcpy(pmd_isolated, staged_isolated, sizeof(pmd_isolated));
}

// Stages 'sets' (one per PMD) in 't'; frees them on failure.
static int stage_sets(struct dp_txn *t, struct pmd_rxq_set **sets)
{
	int ret = txn_after_commit(t, placement_published, NULL);

	if (ret < 0) {
		for (unsigned p = 0; p < n_pmds; p++)
			free(sets[p]);
		return ret;
	}
	for (unsigned p = 0; p < n_pmds; p++)
		txn_set_rxqs(t, p, sets[p]);
	return 0;
}

// A placement of every rx queue: the queues, where they are, where they go.
struct plan {
	struct rxq_ref *refs;
	struct rxq_sched_item *items;
	unsigned n;
	struct rxq_sched cur, next;
};

// Stages the placement 'pl' makes in 't'. A queue that changes PMD is first
// taken from its old PMD, in a publication of its own, and given to the new
// one only in the next: no two PMDs ever poll one queue (an ethdev queue is
// single-reader). Moves therefore happen only outside other transactions
// ('t' NULL); inside one, queues stay where they are.
static int apply(const struct plan *pl, struct dp_txn *t)
{
	const struct rxq_ref *refs = pl->refs;
	const struct rxq_sched_item *items = pl->items;
	unsigned n = pl->n;
	struct pmd_rxq_set *keep[PSW_MAX_PMDS] = {NULL}, *sets[PSW_MAX_PMDS] = {NULL};
	bool moved = false;
	int ret;

	for (unsigned p = 0; p < n_pmds; p++) {
		keep[p] = new_set(n);
		sets[p] = new_set(n);
		if (keep[p] == NULL || sets[p] == NULL) {
			for (unsigned q = 0; q <= p; q++) {
				free(keep[q]);
				free(sets[q]);
			}
			return -ENOMEM;
		}
	}
	for (unsigned r = 0; r < n; r++) {
		unsigned pmd = items[r].pmd, now = UINT32_MAX;
		struct pmd_rxq q = {.eth_port = refs[r].port->eth_port, .queue = refs[r].queue,
			.ofport = refs[r].port->ofport, .port = refs[r].port};

		if (placed[q.ofport][q.queue] >= 0)
			now = (unsigned)placed[q.ofport][q.queue];
		if (now != UINT32_MAX && now != pmd && t != NULL)
			pmd = now;
		if (now == pmd)
			keep[pmd]->q[keep[pmd]->n++] = q;
		else if (now != UINT32_MAX)
			moved = true;
		sets[pmd]->q[sets[pmd]->n++] = q;
	}
	memcpy(staged_isolated, pl->next.isolated, sizeof(staged_isolated));
	if (moved) {
		struct dp_txn *first = txn_begin();

		ret = stage_sets(first, keep);
		if (ret < 0) {
			txn_abort(first);
			for (unsigned p = 0; p < n_pmds; p++)
				free(sets[p]);
			return ret;
		}
		txn_commit(first);
	} else {
		for (unsigned p = 0; p < n_pmds; p++)
			free(keep[p]);
	}
	if (t != NULL)
		return stage_sets(t, sets);
	t = txn_begin();
	ret = stage_sets(t, sets);
	if (ret < 0) {
		txn_abort(t);
		return ret;
	}
	return txn_commit(t);
}

// With 'by_load', every queue is placed anew by its load; otherwise queues
// that have a PMD keep it, and new ones go to the least loaded (a port added
// or removed moves no other port's queue).
static int plan_make(struct plan *pl, bool by_load)
{
	pl->n = collect_rxqs(&pl->refs, &pl->items);
	if (pl->n == UINT32_MAX)
		return -ENOMEM;
	rxq_sched_tally(pl->items, pl->n, n_pmds, balance.isolate, &pl->cur);
	for (unsigned i = 0; i < pl->n; i++)
		pl->items[i].stay = !by_load;
	rxq_sched_assign(pl->items, pl->n, n_pmds, balance.isolate, &pl->next);
	return 0;
}

static void plan_free(struct plan *pl)
{
	free(pl->refs);
	free(pl->items);
}

// Places the queues in 't' (queues that have a PMD keep it), or with 't'
// NULL in publications of their own (queues may move).
static int assign(struct dp_txn *t, bool by_load)
{
	struct plan pl;
	int ret;

	if (n_pmds == 0)
		return 0;
	ret = plan_make(&pl, by_load);
	if (ret == 0)
		ret = apply(&pl, t);
	plan_free(&pl);
	return ret;
}

// A port comes or goes: its queues are placed, or leave their PMDs, with it.
static int on_port_event(enum psw_event ev, void *obj, struct dp_txn *t, char *err, size_t elen)
{
	int ret;

	(void)ev;
	(void)obj;
	ret = assign(t, false);
	if (ret < 0)
		return psw_errorf(err, elen, ret, "cannot place the rx queues: out of memory");
	return 0;
}

EVENT_SUBSCRIBE(PSW_EV_PORT_ADDED, on_port_event)
EVENT_SUBSCRIBE(PSW_EV_PORT_REMOVED, on_port_event)

int pmd_ctl_pin(const char *name, int queue, int core, char *err, size_t elen)
{
	struct psw_port *p = port_by_name(name);
	struct port_ctl *c;
	int pmd = -1;

	if (p == NULL)
		return psw_errorf(err, elen, -ENOENT, "no port '%s'", name);
	if (queue < 0 || queue >= p->nb_rxq)
		return psw_errorf(err, elen, -EINVAL, "port '%s' has no rx queue %d (it has %u)", name,
			queue, p->nb_rxq);
	if (core >= 0) {
		for (unsigned i = 0; i < n_pmds; i++)
			if (pmds[i]->core == (unsigned)core)
				pmd = (int)i;
		if (pmd < 0)
			return psw_errorf(err, elen, -EINVAL, "no PMD runs on core %d", core);
	}
	c = p->ctl;
	c->rxq_pin[queue] = (int16_t)pmd;
	return assign(NULL, false);
}

int pmd_ctl_rebalance(void)
{
	return assign(NULL, true);
}

void pmd_ctl_balance_config(const struct pmd_balance *b)
{
	balance = *b;
}

// The longest window among the PMDs: the cycles a PMD's load is a share of.
static uint64_t window_cycles(void)
{
	uint64_t w = 0;

	for (unsigned p = 0; p < n_pmds; p++)
		if (pmd_load_total(p) > w)
			w = pmd_load_total(p);
	return w;
}

// Open vSwitch's auto load balancing: when a PMD that takes any queue is
// busier than the load threshold over the window, and placing every queue
// anew by its load would make the PMDs' loads less uneven (their variance)
// by the improvement threshold, the queues move.
static void auto_lb_run(uint64_t now_ms)
{
	struct auto_lb_check c = {.load_threshold = balance.load_threshold,
		.improvement_threshold = balance.improvement_threshold};
	double busy[PSW_MAX_PMDS];
	struct plan pl;

	for (unsigned p = 0; p < n_pmds; p++) {
		uint64_t total = pmd_load_total(p);

		busy[p] = total ? 100.0 * (double)pmd_load_busy(p) / (double)total : 0;
	}
	if (plan_make(&pl, true) < 0)
		return;
	if (auto_lb_worth_it(&pl.cur, &pl.next, busy, window_cycles(), &c)) {
		if (apply(&pl, NULL) == 0) {
			auto_lb_moves++;
			auto_lb_last_ms = now_ms;
			LOG_INFO(0, "auto load balance moved rx queues between PMDs",
				KV_UINT("improvement_percent", (uint64_t)c.improvement),
				KV_UINT("rebalances", auto_lb_moves));
		}
	} else if (c.overloaded) {
		LOG_INFO(2, "auto load balance: a PMD is overloaded, moving queues would not help enough",
			KV_INT("improvement_percent", (int64_t)c.improvement));
	}
	plan_free(&pl);
}

void pmd_ctl_tick(uint64_t now_ms)
{
	if (balance.load_interval_ms == 0 || now_ms - load_last_ms < balance.load_interval_ms)
		return;
	load_last_ms = now_ms;
	pmd_load_sample();
	if (balance.auto_lb && n_pmds > 1 &&
	    (auto_lb_moves == 0 || now_ms - auto_lb_last_ms >= balance.auto_lb_interval_ms))
		auto_lb_run(now_ms);
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

	for (unsigned i = 0; i < n_pmds; i++) {
		struct pmd_stats d;
		uint64_t lookups, total_cycles, dropped = 0;

		stats_delta(pmds[i], &d);
		lookups = d.emc_hits + d.cls_hits + d.cls_misses;
		total_cycles = d.busy_cycles + d.idle_cycles;
		for (unsigned r = 0; r < PSW_DROP_REASON_COUNT; r++)
			dropped += d.drops[r];
		json_array_append_new(arr, json_pack(
			"{s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:I}",
			"pmd", i, "core", pmds[i]->core,
			"packets", (json_int_t)d.rx_packets, "dropped", (json_int_t)dropped,
			"port_flow_hits", (json_int_t)d.port_flow_hits,
			"emc_hits", (json_int_t)d.emc_hits, "classifier_hits", (json_int_t)d.cls_hits,
			"misses", (json_int_t)d.cls_misses, "recirculations", (json_int_t)d.recirculations,
			"busy_cycles", (json_int_t)d.busy_cycles,
			"idle_cycles", (json_int_t)d.idle_cycles, "iterations", (json_int_t)d.iterations,
			"cycles_per_packet", d.rx_packets ? (double)d.busy_cycles / (double)d.rx_packets : 0.0,
			"emc_hit_ratio", lookups ? (double)d.emc_hits / (double)lookups : 0.0,
			"subtables_per_lookup", d.cls_hits + d.cls_misses ?
				(double)d.cls_probes / (double)(d.cls_hits + d.cls_misses) : 0.0,
			"idle_ratio", total_cycles ? (double)d.idle_cycles / (double)total_cycles : 1.0,
			"busy_ratio", total_cycles ? (double)d.busy_cycles / (double)total_cycles : 0.0,
			"packets_per_busy_iteration", d.busy_iterations ?
				(double)d.rx_packets / (double)d.busy_iterations : 0.0,
			"emc_entries", (json_int_t)(2 * ((json_int_t)pmds[i]->emc.set_mask + 1))));
		json_t *p = json_array_get(arr, json_array_size(arr) - 1);

		json_object_set_new(p, "sleep_max_us", json_integer(pmds[i]->sleep_max_us));
		json_object_set_new(p, "sleep_ns", json_integer((json_int_t)d.sleep_ns));
		json_object_set_new(p, "sleeps", json_integer((json_int_t)d.sleeps));
		json_object_set_new(p, "icmp_errors", json_integer((json_int_t)d.icmp_errors));
		json_object_set_new(p, "icmp_limited", json_integer((json_int_t)d.icmp_limited));
		json_object_set_new(p, "punted", json_integer((json_int_t)d.punted));
		json_object_set_new(p, "injected", json_integer((json_int_t)d.injected));
	}
	return arr;
}

void pmd_ctl_stats_clear(void)
{
	// The PMDs own their counters; clearing moves the baseline instead.
	for (unsigned i = 0; i < n_pmds; i++)
		memcpy(&pmds[i]->cleared, (const void *)&pmds[i]->stats,
			sizeof(struct pmd_stats));
}

// Loads over the window, as shares of the PMD's cycles in it: a queue's
// usage is the part of its PMD's time spent on it.
json_t *pmd_ctl_rxq_show(void)
{
	json_t *arr = json_array();

	for (unsigned i = 0; i < n_pmds; i++) {
		const struct pmd_rxq_set *s = dp_published()->rxqs[i];
		uint64_t window = pmd_load_total(i);
		json_t *qs = json_array();

		for (uint32_t j = 0; s != NULL && j < s->n; j++) {
			const struct psw_port *p = s->q[j].port;
			const struct port_ctl *c = p->ctl;
			uint16_t q = s->q[j].queue;

			json_array_append_new(qs, json_pack("{s:s,s:i,s:b,s:I,s:f}", "port", p->name,
				"queue", q, "pinned", c->rxq_pin[q] >= 0,
				"packets", (json_int_t)p->rxq_stats[q].packets,
				"usage", window ? (double)pmd_load_rxq(p, q) / (double)window : 0.0));
		}
		json_array_append_new(arr, json_pack("{s:i,s:i,s:b,s:f,s:o}", "pmd", i, "core",
			pmds[i]->core, "isolated", pmd_isolated[i],
			"usage", window ? (double)pmd_load_busy(i) / (double)window : 0.0, "rxqs", qs));
	}
	return arr;
}

json_t *pmd_ctl_drop_stats(void)
{
	uint64_t total[PSW_DROP_REASON_COUNT] = {0};
	json_t *o = json_object(), *per = json_array();

	for (unsigned i = 0; i < n_pmds; i++) {
		json_t *po = json_object();

		for (unsigned r = 1; r < PSW_DROP_REASON_COUNT; r++) {
			uint64_t v = pmds[i]->stats.drops[r];

			total[r] += v;
			json_object_set_new(po, psw_drop_reason_names[r], json_integer((json_int_t)v));
		}
		json_array_append_new(per, json_pack("{s:i,s:i,s:o}", "pmd", i, "core",
			pmds[i]->core, "drops", po));
	}
	for (unsigned r = 1; r < PSW_DROP_REASON_COUNT; r++)
		json_object_set_new(o, psw_drop_reason_names[r], json_integer((json_int_t)total[r]));
	return json_pack("{s:o,s:o}", "total", o, "pmds", per);
}

static json_t *h_pmd_stats(json_t *req, struct api_reply *rep)
{
	json_t *r;

	(void)rep;
	r = pmd_ctl_stats();
	if (api_bool(req, PSW_KEY_CLEAR))
		pmd_ctl_stats_clear();
	return r;
}

static const struct api_param pmd_stats_params[] = {
	{PSW_KEY_CLEAR, API_BOOL},
	{NULL},
};
static struct api_command pmd_stats_cmd = {PSW_CMD_PMD_STATS, h_pmd_stats, pmd_stats_params};
API_REGISTER(pmd_stats_cmd)

static json_t *h_pmd_rxq_show(json_t *req, struct api_reply *rep)
{
	(void)req;
	(void)rep;
	return pmd_ctl_rxq_show();
}

static struct api_command pmd_rxq_show_cmd = {PSW_CMD_PMD_RXQ_SHOW, h_pmd_rxq_show, NULL};
API_REGISTER(pmd_rxq_show_cmd)

static json_t *h_pmd_rxq_pin(json_t *req, struct api_reply *rep)
{
	int ret = pmd_ctl_pin(api_str(req, PSW_KEY_PORT), (int)api_int(req, PSW_KEY_QUEUE, 0),
		(int)api_int(req, PSW_KEY_CORE, -1), rep->err, sizeof(rep->err));

	if (ret < 0)
		return api_status(rep, ret);
	return pmd_ctl_rxq_show();
}

static const struct api_param pmd_rxq_pin_params[] = {
	{PSW_KEY_PORT, API_STRING, .required = true},
	{PSW_KEY_QUEUE, API_INT, .required = true, .min = 0, .max = PSW_MAX_RXQ - 1},
	{PSW_KEY_CORE, API_INT, .required = true, .min = -1, .max = RTE_MAX_LCORE - 1},
	{NULL},
};
static struct api_command pmd_rxq_pin_cmd = {PSW_CMD_PMD_RXQ_PIN, h_pmd_rxq_pin,
	pmd_rxq_pin_params};
API_REGISTER(pmd_rxq_pin_cmd)

static json_t *h_pmd_rxq_rebalance(json_t *req, struct api_reply *rep)
{
	(void)req;
	if (pmd_ctl_rebalance() < 0)
		return api_fail(rep, -ENOMEM, "cannot rebalance: out of memory");
	return pmd_ctl_rxq_show();
}

static struct api_command pmd_rxq_rebalance_cmd = {PSW_CMD_PMD_RXQ_REBALANCE,
	h_pmd_rxq_rebalance, NULL};
API_REGISTER(pmd_rxq_rebalance_cmd)

static json_t *h_drop_stats(json_t *req, struct api_reply *rep)
{
	(void)req;
	(void)rep;
	return pmd_ctl_drop_stats();
}

static struct api_command drop_stats_cmd = {PSW_CMD_DROP_STATS, h_drop_stats, NULL};
API_REGISTER(drop_stats_cmd)
