// SPDX-License-Identifier: BSD-3-Clause
#include "pmds/rxq_sched.h"

#include <stdlib.h>
#include <string.h>

static bool pin_valid(const struct rxq_sched_item *it, unsigned n_pmds)
{
	return it->pin >= 0 && (unsigned)it->pin < n_pmds;
}

// Isolation as Open vSwitch's pmd-rxq-isolate: a PMD given a pinned queue is
// kept for it, unless that would leave no PMD for the other queues.
static void decide_isolation(const struct rxq_sched_item *items, unsigned n, unsigned n_pmds,
	bool isolate, struct rxq_sched *out)
{
	unsigned n_isolated = 0;

	memset(out, 0, sizeof(*out));
	out->n_pmds = n_pmds;
	for (unsigned i = 0; isolate && i < n; i++) {
		if (pin_valid(&items[i], n_pmds) && !out->isolated[items[i].pin]) {
			out->isolated[items[i].pin] = true;
			n_isolated++;
		}
	}
	if (n_isolated == n_pmds)
		memset(out->isolated, 0, sizeof(out->isolated));
}

static void add_queue(struct rxq_sched *s, unsigned pmd, uint64_t load)
{
	s->load[pmd] += load ? load : 1;
	s->n_queues[pmd]++;
}

void rxq_sched_tally(const struct rxq_sched_item *items, unsigned n, unsigned n_pmds,
	bool isolate, struct rxq_sched *out)
{
	decide_isolation(items, n, n_pmds, isolate, out);
	for (unsigned i = 0; i < n; i++)
		if (items[i].pmd < n_pmds)
			add_queue(out, items[i].pmd, items[i].load);
}

// heaviest first; equal loads in their given order
static int heavier_first(const void *a, const void *b, void *arg)
{
	const struct rxq_sched_item *items = arg;
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	uint64_t lx = items[x].load, ly = items[y].load;

	if (lx != ly)
		return lx < ly ? 1 : -1;
	return (x > y) - (x < y);
}

int rxq_sched_assign(struct rxq_sched_item *items, unsigned n, unsigned n_pmds, bool isolate,
	struct rxq_sched *out)
{
	unsigned *order;
	bool *placed;
	int ret = 0;

	if (n_pmds == 0 || n_pmds > RXQ_SCHED_MAX_PMDS)
		return -1;
	order = malloc((n ? n : 1) * sizeof(*order));
	placed = malloc((n ? n : 1) * sizeof(*placed));
	if (order == NULL || placed == NULL) {
		free(order);
		free(placed);
		return -1;
	}
	decide_isolation(items, n, n_pmds, isolate, out);
	for (unsigned i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), heavier_first, items);
	// pinned queues and those that stay first: the others are spread
	// around what they load
	for (unsigned i = 0; i < n; i++) {
		struct rxq_sched_item *it = &items[i];

		if (it->pin >= 0 && !pin_valid(it, n_pmds))
			ret = -1;
		placed[i] = pin_valid(it, n_pmds) ||
			(it->stay && it->pmd < n_pmds && !out->isolated[it->pmd]);
		if (pin_valid(it, n_pmds))
			it->pmd = (unsigned)it->pin;
		if (placed[i])
			add_queue(out, it->pmd, it->load);
	}
	for (unsigned k = 0; k < n; k++) {
		struct rxq_sched_item *it = &items[order[k]];
		unsigned best = n_pmds;

		if (placed[order[k]])
			continue;
		for (unsigned p = 0; p < n_pmds; p++) {
			if (out->isolated[p])
				continue;
			if (best == n_pmds || out->load[p] < out->load[best] ||
			    (out->load[p] == out->load[best] && out->n_queues[p] < out->n_queues[best]))
				best = p;
		}
		it->pmd = best; // decide_isolation leaves at least one PMD open
		add_queue(out, best, it->load);
	}
	free(order);
	free(placed);
	return ret;
}

double rxq_sched_variance(const struct rxq_sched *s, uint64_t window)
{
	double sum = 0, sq = 0;
	unsigned n = 0;

	if (window == 0)
		return 0;
	for (unsigned p = 0; p < s->n_pmds; p++) {
		double pct;

		if (s->isolated[p])
			continue;
		pct = 100.0 * (double)s->load[p] / (double)window;
		sum += pct;
		sq += pct * pct;
		n++;
	}
	if (n == 0)
		return 0;
	return sq / n - (sum / n) * (sum / n);
}

bool auto_lb_worth_it(const struct rxq_sched *cur, const struct rxq_sched *next,
	const double *busy_percent, uint64_t window, struct auto_lb_check *c)
{
	unsigned open = 0;
	double v_cur, v_next;

	c->overloaded = false;
	c->improvement = 0;
	for (unsigned p = 0; p < cur->n_pmds; p++) {
		if (next->isolated[p])
			continue;
		open++;
		if (!cur->isolated[p] && busy_percent[p] >= c->load_threshold)
			c->overloaded = true;
	}
	if (!c->overloaded || open < 2)
		return false;
	v_cur = rxq_sched_variance(cur, window);
	v_next = rxq_sched_variance(next, window);
	if (v_cur <= 0)
		return false;
	c->improvement = 100.0 * (v_cur - v_next) / v_cur;
	return c->improvement >= c->improvement_threshold;
}
