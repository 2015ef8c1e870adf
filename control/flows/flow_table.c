// SPDX-License-Identifier: BSD-3-Clause
#include "flows/flow_table.h"
#include "classifier.h"
#include "errorf.h"
#include "flows/flow_save.h"
#include "log.h"
#include "pmd.h"
#include "pmds/pmd_ctl.h"
#include "ports/port_ctl.h"

#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>

// Thread-safety: control thread only. The flows of each table, in no order.
struct flow_list {
	const struct psw_flow **flows;
	uint32_t n;
};

// Frees of this many flows and more give memory back to the system.
#define TRIM_AFTER_FLOWS 4096

// The tables as published.
static struct flow_list tables[PSW_MAX_TABLES];
static uint64_t next_seq = 1;
static unsigned n_flows_total;

// What the open transaction (control/core/publish.h) changes: the new lists
// of the tables it touched, the flows it took out (freed after its grace
// period), the flows it made (freed if it is aborted), and those whose
// counters it passed on (mod-flows) or borrowed.
struct flow_ptrs {
	const struct psw_flow **f;
	uint32_t n, cap;
};

static struct {
	bool active;
	bool changed[PSW_MAX_TABLES];
	struct flow_list lists[PSW_MAX_TABLES];
	unsigned n_flows;
	struct flow_ptrs garbage, made, moved, borrowed;
} stage;

// A table's flows as the control thread sees them: staged, or published.
static const struct flow_list *view(unsigned t)
{
	return stage.changed[t] ? &stage.lists[t] : &tables[t];
}

static unsigned view_count(void)
{
	return stage.active ? stage.n_flows : n_flows_total;
}

static int ptrs_reserve(struct flow_ptrs *l, uint32_t more)
{
	if (l->n + more > l->cap) {
		uint32_t cap = RTE_MAX(l->cap * 2, l->n + more);
		const struct psw_flow **f = realloc(l->f, (cap ? cap : 1) * sizeof(*f));

		if (f == NULL)
			return -ENOMEM;
		l->f = f;
		l->cap = cap;
	}
	return 0;
}

static void ptrs_append(struct flow_ptrs *l, const struct psw_flow *const *f, uint32_t n)
{
	if (n == 0)
		return;
	memcpy(&l->f[l->n], f, n * sizeof(*f));
	l->n += n;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

// How long ago 'then' was, by a clock read at 'now': a PMD may stamp a flow
// with a time later than the control thread's reading (its iteration began
// after), which is no time ago rather than a wrapped subtraction.
static uint64_t ns_since(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

void flow_pipeline_free(struct psw_pipeline *pl)
{
	if (pl == NULL)
		return;
	for (unsigned t = 0; t < PSW_MAX_TABLES; t++)
		cls_table_free(pl->tables[t]);
	free(pl->port_flows);
	free(pl);
}

int flow_table_init(void)
{
	struct psw_pipeline *pl = calloc(1, sizeof(*pl));
	struct dp_txn *t;

	if (pl == NULL)
		return -ENOMEM;
	pl->version = 1;
	t = txn_begin();
	txn_set_pipeline(t, pl);
	return txn_commit(t);
}

// Dumps under way, and the flows they hold that were taken out of the tables
// meanwhile (freed when the last dump ends).
static unsigned dump_pins;
static struct psw_flow *deferred;

static void flow_free(const struct psw_flow *f)
{
	if (f == NULL)
		return;
	if (dump_pins > 0) {
		struct psw_flow *d = (struct psw_flow *)f;

		d->dump_next = deferred;
		deferred = d;
		return;
	}
	if (!f->stats_moved)
		free(f->stats);
	free((void *)f);
}

// After the PMDs stopped and the state was freed (dp_parts_fini).
void flow_table_fini(void)
{
	for (unsigned t = 0; t < PSW_MAX_TABLES; t++) {
		for (uint32_t i = 0; i < tables[t].n; i++)
			flow_free(tables[t].flows[i]);
		free(tables[t].flows);
		tables[t] = (struct flow_list){0};
	}
	n_flows_total = 0;
	free(stage.garbage.f);
	free(stage.made.f);
	free(stage.moved.f);
	free(stage.borrowed.f);
	memset(&stage, 0, sizeof(stage));
}

// Copies the actions of 'sp' into 'f' (allocated with room for them) with
// what the fast path derives from them.
static void flow_set_actions(struct psw_flow *f, const struct flow_spec *sp)
{
	f->n_actions = sp->n_actions;
	memcpy(f->actions, sp->actions, sp->n_actions * sizeof(struct psw_action));
	f->goto_table = PSW_NO_TABLE;
	f->recirc_table = PSW_NO_TABLE;
	f->only_output = 0;
	f->has_key_mods = 0;
	f->reparses = 0;
	if (f->n_actions == 1 && f->actions[0].type == PSW_ACT_OUTPUT)
		f->only_output = f->actions[0].port;
	for (unsigned i = 0; i < f->n_actions; i++) {
		switch (f->actions[i].type) {
		case PSW_ACT_GOTO_TABLE:
			f->goto_table = f->actions[i].table;
			break;
		case PSW_ACT_RECIRC:
			f->recirc_table = f->actions[i].table;
			break;
		case PSW_ACT_DEC_TTL:
		case PSW_ACT_PUSH_VXLAN:
		case PSW_ACT_POP_VXLAN:
		case PSW_ACT_UNREACHABLE:
			f->reparses = 1;
			break;
		case PSW_ACT_SET_FIELD:
		case PSW_ACT_PUSH_VLAN:
		case PSW_ACT_POP_VLAN:
		case PSW_ACT_SET_VLAN_VID:
		case PSW_ACT_SET_VLAN_PCP:
		case PSW_ACT_SET_DL_SRC:
		case PSW_ACT_SET_DL_DST:
			f->has_key_mods = 1;
			break;
		default:
			break;
		}
	}
}

static struct psw_flow *flow_create(const struct flow_spec *sp)
{
	struct psw_flow *f = calloc(1, sizeof(*f) + sp->n_actions * sizeof(struct psw_action));
	unsigned n_pmds = pmd_ctl_count() ? pmd_ctl_count() : 1;

	if (f == NULL)
		return NULL;
	f->stats = aligned_alloc(RTE_CACHE_LINE_SIZE, n_pmds * sizeof(*f->stats));
	if (f->stats == NULL) {
		free(f);
		return NULL;
	}
	memset(f->stats, 0, n_pmds * sizeof(*f->stats));
	flow_key_mask(&f->match, &sp->match, &sp->mask);
	f->mask = sp->mask;
	f->priority = sp->priority;
	f->table_id = sp->table_id;
	f->cookie = sp->cookie;
	f->idle_timeout = sp->idle_timeout;
	f->hard_timeout = sp->hard_timeout;
	f->created_ns = monotonic_ns();
	f->created_tsc = rte_rdtsc();
	f->seq = next_seq++;
	flow_set_actions(f, sp);
	return f;
}

// Of new flows of one identity, the newest first.
static int fresh_order(const void *a, const void *b)
{
	const struct psw_flow *fa = *(const struct psw_flow *const *)a;
	const struct psw_flow *fb = *(const struct psw_flow *const *)b;
	int c = cls_flow_order(fa, fb);

	return c != 0 ? c : (fa->seq < fb->seq) - (fa->seq > fb->seq);
}

// The first of old[lo..n) that does not come before 'f' in cls_flow_order.
static uint32_t lower_bound(const struct psw_flow **old, uint32_t lo, uint32_t n,
	const struct psw_flow *f)
{
	while (lo < n) {
		uint32_t mid = lo + (n - lo) / 2;

		if (cls_flow_order(old[mid], f) < 0)
			lo = mid + 1;
		else
			n = mid;
	}
	return lo;
}

// Merges 'fresh' (n_fresh new flows of one table, in any order) into 'old'
// (the table's flows, in cls_flow_order) as 'out', in cls_flow_order too, so
// that the classifier need not sort them: of the flows of one identity the
// newest stays, the others go to 'garbage'. The new flows find their places
// by binary search: adding a few flows to a large table reads few of its
// flows.
static void merge_flows(const struct psw_flow **old, uint32_t n_old, const struct psw_flow **fresh,
	uint32_t n_fresh, struct flow_list *out, const struct psw_flow **garbage,
	uint32_t *n_garbage)
{
	uint32_t i = 0;

	qsort(fresh, n_fresh, sizeof(*fresh), fresh_order);
	out->n = 0;
	for (uint32_t j = 0; j < n_fresh; j++) {
		uint32_t at;

		if (j > 0 && cls_flow_order(fresh[j - 1], fresh[j]) == 0) {
			garbage[(*n_garbage)++] = fresh[j]; // an older one of this batch
			continue;
		}
		at = lower_bound(old, i, n_old, fresh[j]);
		if (at > i)
			memcpy(&out->flows[out->n], &old[i], (at - i) * sizeof(*old));
		out->n += at - i;
		i = at;
		if (i < n_old && cls_flow_order(old[i], fresh[j]) == 0)
			garbage[(*n_garbage)++] = old[i++];
		out->flows[out->n++] = fresh[j];
	}
	if (n_old > i)
		memcpy(&out->flows[out->n], &old[i], (n_old - i) * sizeof(*old));
	out->n += n_old - i;
}

static void stage_reset(void)
{
	stage.active = false;
	memset(stage.changed, 0, sizeof(stage.changed));
	stage.garbage.n = stage.made.n = stage.moved.n = stage.borrowed.n = 0;
}

// After the grace period of the commit: the staged lists are the tables,
// and what the old pipeline alone held goes.
static void stage_committed(void *arg)
{
	(void)arg;
	for (unsigned t = 0; t < PSW_MAX_TABLES; t++) {
		if (!stage.changed[t])
			continue;
		free(tables[t].flows);
		tables[t] = stage.lists[t];
	}
	for (uint32_t i = 0; i < stage.garbage.n; i++)
		flow_free(stage.garbage.f[i]);
	// large tables gone: malloc keeps what they held unless told, and the
	// process would grow with every churn of flows
	if (stage.garbage.n >= TRIM_AFTER_FLOWS)
		malloc_trim(0);
	n_flows_total = stage.n_flows;
	stage_reset();
	flow_save_changed();
}

static void stage_aborted(void *arg)
{
	(void)arg;
	for (unsigned t = 0; t < PSW_MAX_TABLES; t++)
		if (stage.changed[t])
			free(stage.lists[t].flows);
	for (uint32_t i = 0; i < stage.moved.n; i++)
		((struct psw_flow *)stage.moved.f[i])->stats_moved = 0;
	// counters borrowed from flows that stay
	for (uint32_t i = 0; i < stage.borrowed.n; i++)
		free((void *)stage.borrowed.f[i]);
	for (uint32_t i = 0; i < stage.made.n; i++)
		flow_free(stage.made.f[i]);
	stage_reset();
}

// What a change hands to stage_change(): the flows it made (NULL: none), the flows
// it made that borrow other flows' counters (mod-flows), and the flows whose
// counters went to them.
struct change {
	const struct psw_flow **made;
	uint32_t n_made;
	const struct psw_flow **borrowed;
	const struct psw_flow **moved;
	uint32_t n_moved;
};

// Stages new contents for the tables marked in 'changed' ('next' holds
// their new lists) in the open transaction or one of their own: one new
// pipeline, built beside the one the transaction sees, sharing what did not
// change. 'garbage' is what the change takes out. On failure nothing is
// staged and 'next' is freed; the caller frees what it made.
static int stage_change(bool *changed, struct flow_list *next, const struct psw_flow **garbage,
	uint32_t n_garbage, const struct change *ch)
{
	struct dp_txn *txn = txn_begin();
	const struct psw_pipeline *old = dp_view()->pipeline;
	struct psw_pipeline *pl;
	unsigned t, n_flows = 0;

	if (!stage.active) {
		if (txn_after_commit(txn, stage_committed, NULL) < 0 ||
		    txn_on_abort(txn, stage_aborted, NULL) < 0)
			goto out_nomem;
		stage.active = true;
	}
	if (ptrs_reserve(&stage.garbage, n_garbage) < 0 ||
	    ptrs_reserve(&stage.made, ch->n_made) < 0 || ptrs_reserve(&stage.moved, ch->n_moved) < 0 ||
	    ptrs_reserve(&stage.borrowed, ch->n_moved) < 0)
		goto out_nomem;
	pl = malloc(sizeof(*pl));
	if (pl == NULL)
		goto out_nomem;
	*pl = *old;
	pl->version = old->version + 1 ? old->version + 1 : 1;
	pl->port_flows = NULL;
	for (t = 0; t < PSW_MAX_TABLES; t++) {
		if (!changed[t]) {
			cls_table_get(pl->tables[t]);
			continue;
		}
		pl->tables[t] = NULL;
		if (next[t].n == 0)
			continue;
		pl->tables[t] = cls_table_build(next[t].flows, next[t].n, old->tables[t]);
		if (pl->tables[t] == NULL)
			goto out_free_tables;
	}
	if (changed[0]) {
		pl->port_flows = pipeline_port_flows(pl->tables[0]);
	} else if (old->port_flows != NULL) {
		pl->port_flows = malloc(PSW_MAX_PORTS * sizeof(*pl->port_flows));
		if (pl->port_flows == NULL) {
			t = PSW_MAX_TABLES;
			goto out_free_tables;
		}
		memcpy(pl->port_flows, old->port_flows, PSW_MAX_PORTS * sizeof(*pl->port_flows));
	}
	for (t = 0; t < PSW_MAX_TABLES; t++) {
		if (changed[t]) {
			if (stage.changed[t])
				free(stage.lists[t].flows);
			stage.lists[t] = next[t];
			stage.changed[t] = true;
		}
		n_flows += view(t)->n;
	}
	pl->n_flows = n_flows;
	stage.n_flows = n_flows;
	ptrs_append(&stage.garbage, garbage, n_garbage);
	ptrs_append(&stage.made, ch->made, ch->n_made);
	ptrs_append(&stage.borrowed, ch->borrowed, ch->n_moved);
	ptrs_append(&stage.moved, ch->moved, ch->n_moved);
	for (uint32_t i = 0; i < ch->n_moved; i++)
		((struct psw_flow *)ch->moved[i])->stats_moved = 1;
	txn_set_pipeline(txn, pl);
	return txn_commit(txn);

out_free_tables:
	for (unsigned u = 0; u < t; u++)
		cls_table_free(pl->tables[u]);
	free(pl);
out_nomem:
	for (t = 0; t < PSW_MAX_TABLES; t++)
		if (changed[t])
			free(next[t].flows);
	txn_abort(txn);
	return -ENOMEM;
}

// Installs the flows of 'specs' in one step, beside the flows already there
// or, with 'replace', instead of all of them.
static int flows_install(const struct flow_spec *specs, unsigned n, bool replace, char *err,
	size_t elen)
{
	struct flow_list *next = calloc(PSW_MAX_TABLES, sizeof(*next));
	const struct psw_flow **made = malloc((n ? n : 1) * sizeof(*made));
	const struct psw_flow **fresh = malloc((n ? n : 1) * sizeof(*fresh));
	bool changed[PSW_MAX_TABLES] = {false};
	uint32_t per_table[PSW_MAX_TABLES] = {0}, base[PSW_MAX_TABLES], fill[PSW_MAX_TABLES];
	const struct psw_flow **garbage = NULL;
	uint32_t n_made = 0, n_garbage = 0, g_cap = n + 1, start = 0;
	unsigned i, t;
	int ret = -ENOMEM;

	snprintf(err, elen, "out of memory");
	if (next == NULL || made == NULL || fresh == NULL)
		goto out_free;
	for (i = 0; i < n; i++) {
		changed[specs[i].table_id] = true;
		per_table[specs[i].table_id]++;
	}
	// 'fresh' holds each table's new flows together, table after table
	for (t = 0; t < PSW_MAX_TABLES; t++) {
		base[t] = fill[t] = start;
		start += per_table[t];
		changed[t] |= replace && view(t)->n > 0;
		if (!changed[t])
			continue;
		next[t].flows = malloc(((replace ? 0 : view(t)->n) + per_table[t] + 1) *
			sizeof(*next[t].flows));
		if (next[t].flows == NULL)
			goto out_free;
		g_cap += view(t)->n;
	}
	garbage = malloc(g_cap * sizeof(*garbage));
	if (garbage == NULL)
		goto out_free;
	for (i = 0; i < n; i++) {
		struct psw_flow *f = flow_create(&specs[i]);

		if (f == NULL) {
			snprintf(err, elen, "out of memory for flow %u", i + 1);
			goto out_free;
		}
		made[n_made++] = f;
		fresh[fill[f->table_id]++] = f;
	}
	for (t = 0; replace && t < PSW_MAX_TABLES; t++)
		for (uint32_t r = 0; r < view(t)->n; r++)
			garbage[n_garbage++] = view(t)->flows[r];
	for (t = 0; t < PSW_MAX_TABLES; t++)
		if (changed[t])
			merge_flows(view(t)->flows, replace ? 0 : view(t)->n, fresh + base[t],
				per_table[t], &next[t], garbage, &n_garbage);
	// stage_change frees the lists whatever happens; on success the garbage goes
	// after the commit, and the flows made if the transaction is aborted
	ret = stage_change(changed, next, garbage, n_garbage,
		&(struct change){.made = made, .n_made = n_made});
	if (ret < 0) {
		snprintf(err, elen, "out of memory building flow tables");
		for (i = 0; i < n_made; i++)
			flow_free(made[i]);
	}
	free(garbage);
	free(fresh);
	free(made);
	free(next);
	return ret;

out_free:
	for (i = 0; i < n_made; i++)
		flow_free(made[i]);
	for (t = 0; t < PSW_MAX_TABLES && next != NULL; t++)
		free(next[t].flows);
	free(garbage);
	free(fresh);
	free(made);
	free(next);
	return ret;
}

int flow_table_add(const struct flow_spec *specs, unsigned n, char *err, size_t elen)
{
	return flows_install(specs, n, false, err, elen);
}

int flow_table_replace(const struct flow_spec *specs, unsigned n, char *err, size_t elen)
{
	return flows_install(specs, n, true, err, elen);
}

static bool strict_selects(const struct flow_spec *filter, const struct psw_flow *f)
{
	struct psw_flow_key m;

	flow_key_mask(&m, &filter->match, &filter->mask);
	return flow_key_equal(&f->mask, &filter->mask) && flow_key_equal(&f->match, &m) &&
		f->priority == filter->priority &&
		(f->cookie & filter->cookie_mask) == (filter->cookie & filter->cookie_mask);
}

// What del-flows and mod-flows select: flows at least as specific as
// 'filter', or with 'strict' its exact match and priority.
static bool filter_selects(const struct flow_spec *filter, bool strict, const struct psw_flow *f)
{
	if (strict)
		return strict_selects(filter, f);
	return flow_filter_selects(filter, &f->match, &f->mask, f->cookie);
}

typedef bool (*flow_pred_fn_t)(const struct psw_flow *f, const void *arg);

// The range of table t's flows that a filter may select: all of them, or for
// a strict filter (not NULL) the one of its identity, found by binary search
// rather than by reading every flow of the table.
static void candidates(unsigned t, const struct flow_spec *strict, uint32_t *lo, uint32_t *hi)
{
	struct psw_flow probe;

	*lo = 0;
	*hi = view(t)->n;
	if (strict == NULL || view(t)->n == 0)
		return;
	flow_key_mask(&probe.match, &strict->match, &strict->mask);
	probe.mask = strict->mask;
	probe.priority = strict->priority;
	*lo = lower_bound(view(t)->flows, 0, view(t)->n, &probe);
	*hi = *lo < view(t)->n && cls_flow_order(view(t)->flows[*lo], &probe) == 0 ? *lo + 1 : *lo;
}

// Deletes, from the tables selected, every flow 'pred' accepts; with
// 'strict', only among the flows of that filter's identity.
static int delete_where(int only_table, const struct flow_spec *strict, flow_pred_fn_t pred,
	const void *arg)
{
	struct flow_list *next = calloc(PSW_MAX_TABLES, sizeof(*next));
	bool changed[PSW_MAX_TABLES] = {false};
	const struct psw_flow **garbage;
	uint32_t n_garbage = 0;
	int ret;

	garbage = malloc((view_count() ? view_count() : 1) * sizeof(*garbage));
	if (next == NULL || garbage == NULL) {
		free(next);
		free(garbage);
		return -ENOMEM;
	}
	for (unsigned t = 0; t < PSW_MAX_TABLES; t++) {
		const struct psw_flow **flows = view(t)->flows;
		uint32_t lo, hi, n_before = n_garbage;

		if ((only_table >= 0 && (unsigned)only_table != t) || view(t)->n == 0)
			continue;
		candidates(t, strict, &lo, &hi);
		for (uint32_t i = lo; i < hi; i++) {
			if (!pred(flows[i], arg))
				continue;
			if (!changed[t]) {
				changed[t] = true;
				next[t].flows = malloc(view(t)->n * sizeof(*next[t].flows));
				if (next[t].flows == NULL) {
					ret = -ENOMEM;
					goto out_free;
				}
				memcpy(next[t].flows, flows, i * sizeof(*flows));
				next[t].n = i;
			}
			garbage[n_garbage++] = flows[i];
		}
		if (!changed[t])
			continue;
		// keep the others, in order: what lies between the deleted ones,
		// then what follows the range
		for (uint32_t i = next[t].n, g = n_before; i < hi; i++) {
			if (g < n_garbage && flows[i] == garbage[g])
				g++;
			else
				next[t].flows[next[t].n++] = flows[i];
		}
		memcpy(&next[t].flows[next[t].n], &flows[hi], (view(t)->n - hi) * sizeof(*flows));
		next[t].n += view(t)->n - hi;
	}
	ret = n_garbage == 0 ? 0 : stage_change(changed, next, garbage, n_garbage, &(struct change){0});
	if (ret == 0)
		ret = (int)n_garbage;
	free(garbage);
	free(next);
	return ret;
out_free:
	for (unsigned t = 0; t < PSW_MAX_TABLES; t++)
		free(next[t].flows);
	free(garbage);
	free(next);
	return ret;
}

// The flow 'old' with the actions of 'sp': the same identity, cookie,
// timeouts, age and counters (it takes over the counter slots, which PMDs
// still holding the old pipeline keep counting in).
static struct psw_flow *flow_with_actions(const struct psw_flow *old, const struct flow_spec *sp)
{
	struct psw_flow *f = malloc(sizeof(*f) + sp->n_actions * sizeof(struct psw_action));

	if (f == NULL)
		return NULL;
	memcpy(f, old, sizeof(*f));
	f->stats_moved = 0;
	flow_set_actions(f, sp);
	return f;
}

int flow_table_mod(const struct flow_spec *spec, bool strict, char *err, size_t elen)
{
	size_t cap = view_count() ? view_count() : 1;
	struct flow_list *next = calloc(PSW_MAX_TABLES, sizeof(*next));
	bool changed[PSW_MAX_TABLES] = {false};
	const struct psw_flow **garbage = malloc(cap * sizeof(*garbage));
	struct psw_flow **made = malloc(cap * sizeof(*made));
	uint32_t n = 0;
	int ret = -ENOMEM;

	snprintf(err, elen, "out of memory");
	if (next == NULL || garbage == NULL || made == NULL)
		goto out;
	for (unsigned t = 0; t < PSW_MAX_TABLES; t++) {
		if (spec->has_table && spec->table_id != t)
			continue;
		uint32_t lo, hi;

		if (view(t)->n == 0)
			continue;
		candidates(t, strict ? spec : NULL, &lo, &hi);
		for (uint32_t i = lo; i < hi; i++) {
			const struct psw_flow *f = view(t)->flows[i];

			if (!filter_selects(spec, strict, f))
				continue;
			// goto_table is the last action when there is one
			if (spec->n_actions > 0 && spec->actions[spec->n_actions - 1].type ==
				PSW_ACT_GOTO_TABLE && spec->actions[spec->n_actions - 1].table <= t) {
				ret = psw_errorf(err, elen, -EINVAL,
					"goto_table:%u in a flow of table %u: it must go to a later table",
					spec->actions[spec->n_actions - 1].table, t);
				goto out_undo;
			}
			if (!changed[t]) {
				next[t].flows = malloc(view(t)->n * sizeof(*next[t].flows));
				if (next[t].flows == NULL)
					goto out_undo;
				memcpy(next[t].flows, view(t)->flows, view(t)->n * sizeof(*next[t].flows));
				next[t].n = view(t)->n;
				changed[t] = true;
			}
			made[n] = flow_with_actions(f, spec);
			if (made[n] == NULL)
				goto out_undo;
			next[t].flows[i] = made[n];
			garbage[n++] = f;
		}
	}
	if (n == 0) {
		ret = 0;
		goto out;
	}
	// stage_change frees the lists whatever happens; the old flows pass their
	// counters to the new ones and go after the commit
	ret = stage_change(changed, next, garbage, n, &(struct change){.borrowed =
		(const struct psw_flow **)made, .moved = garbage, .n_moved = n});
	if (ret == 0) {
		ret = (int)n;
		goto out;
	}
	snprintf(err, elen, "out of memory building flow tables");
	for (uint32_t i = 0; i < n; i++)
		free(made[i]); // their counters are the old flows'
	goto out;

out_undo:
	for (uint32_t i = 0; i < n; i++)
		free(made[i]);
	for (unsigned t = 0; t < PSW_MAX_TABLES; t++)
		free(next[t].flows);
out:
	free(made);
	free(garbage);
	free(next);
	return ret;
}

struct del_arg {
	const struct flow_spec *filter;
	bool strict;
};

static bool del_pred(const struct psw_flow *f, const void *arg)
{
	const struct del_arg *d = arg;

	return filter_selects(d->filter, d->strict, f);
}

int flow_table_del(const struct flow_spec *filter, bool strict)
{
	struct del_arg d = {.filter = filter, .strict = strict};

	return delete_where(filter->has_table ? filter->table_id : -1, strict ? filter : NULL,
		del_pred, &d);
}

void flow_stats_sum(const struct psw_flow *f, uint64_t *packets, uint64_t *bytes,
	uint64_t *used_tsc)
{
	unsigned n_pmds = pmd_ctl_count() ? pmd_ctl_count() : 1;

	*packets = *bytes = 0;
	*used_tsc = f->created_tsc;
	for (unsigned i = 0; i < n_pmds; i++) {
		*packets += f->stats[i].packets;
		*bytes += f->stats[i].bytes;
		if (f->stats[i].used_tsc > *used_tsc)
			*used_tsc = f->stats[i].used_tsc;
	}
}

static bool expired_pred(const struct psw_flow *f, const void *arg)
{
	const uint64_t *now = arg; // [0] ns, [1] tsc
	uint64_t packets, bytes, used;

	if (f->hard_timeout && ns_since(now[0], f->created_ns) >= f->hard_timeout * 1000000000ull)
		return true;
	if (f->idle_timeout) {
		flow_stats_sum(f, &packets, &bytes, &used);
		if (ns_since(now[1], used) >= f->idle_timeout * rte_get_tsc_hz())
			return true;
	}
	return false;
}

void flow_table_expire(void)
{
	uint64_t now[2] = {monotonic_ns(), rte_rdtsc()};
	bool any = false;

	for (unsigned t = 0; t < PSW_MAX_TABLES && !any; t++)
		for (uint32_t i = 0; i < view(t)->n && !any; i++)
			any = expired_pred(view(t)->flows[i], now);
	if (any) {
		int n = delete_where(-1, NULL, expired_pred, now);

		if (n > 0)
			LOG_INFO(2, "flows expired", KV_INT("count", n));
	}
}

static int dump_order(const void *a, const void *b)
{
	const struct psw_flow *fa = *(const struct psw_flow *const *)a;
	const struct psw_flow *fb = *(const struct psw_flow *const *)b;

	if (fa->table_id != fb->table_id)
		return fa->table_id < fb->table_id ? -1 : 1;
	if (fa->priority != fb->priority)
		return fa->priority < fb->priority ? 1 : -1;
	return (fa->seq > fb->seq) - (fa->seq < fb->seq);
}

// A dump under way: the flows it selected when it started, in dump order,
// kept from being freed (flow_free defers them) until it ends.
struct flow_dump {
	const struct psw_flow **flows;
	uint32_t n, next;
};

struct flow_dump *flow_dump_start(const struct flow_spec *filter)
{
	struct flow_dump *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->flows = malloc((view_count() ? view_count() : 1) * sizeof(*d->flows));
	if (d->flows == NULL) {
		free(d);
		return NULL;
	}
	for (unsigned t = 0; t < PSW_MAX_TABLES; t++) {
		if (filter != NULL && filter->has_table && filter->table_id != t)
			continue;
		for (uint32_t i = 0; i < view(t)->n; i++) {
			const struct psw_flow *f = view(t)->flows[i];

			if (filter == NULL || flow_filter_selects(filter, &f->match, &f->mask, f->cookie))
				d->flows[d->n++] = f;
		}
	}
	qsort(d->flows, d->n, sizeof(*d->flows), dump_order);
	dump_pins++;
	return d;
}

json_t *flow_dump_item(const struct psw_flow *f)
{
	uint64_t now_ns = monotonic_ns(), now_tsc = rte_rdtsc(), hz = rte_get_tsc_hz();
	char match[1024], acts[2048];
	uint64_t packets, bytes, used;

	flow_stats_sum(f, &packets, &bytes, &used);
	flow_format_match(&f->match, &f->mask, f->priority, port_name_of, match, sizeof(match));
	flow_format_actions(f->actions, f->n_actions, port_name_of, acts, sizeof(acts));
	return json_pack("{s:i,s:i,s:I,s:I,s:I,s:f,s:f,s:i,s:i,s:s,s:s}",
		"table", f->table_id, "priority", f->priority, "cookie", (json_int_t)f->cookie,
		"n_packets", (json_int_t)packets, "n_bytes", (json_int_t)bytes,
		"duration", (double)ns_since(now_ns, f->created_ns) / 1e9,
		"idle_age", (double)ns_since(now_tsc, used) / (double)hz,
		"idle_timeout", f->idle_timeout, "hard_timeout", f->hard_timeout,
		"match", match, "actions", acts);
}

const struct psw_flow *flow_dump_next(struct flow_dump *d)
{
	return d->next < d->n ? d->flows[d->next++] : NULL;
}

void flow_dump_end(struct flow_dump *d)
{
	unsigned n;

	if (d == NULL)
		return;
	free(d->flows);
	free(d);
	if (--dump_pins > 0)
		return;
	// no dump holds a flow now: what was freed meanwhile goes
	n = 0;
	while (deferred != NULL) {
		struct psw_flow *f = deferred;

		deferred = f->dump_next;
		flow_free(f);
		n++;
	}
	if (n >= TRIM_AFTER_FLOWS)
		malloc_trim(0);
}

unsigned flow_table_count(void)
{
	return view_count();
}
