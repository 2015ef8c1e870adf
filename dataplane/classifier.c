// SPDX-License-Identifier: BSD-3-Clause
#include "classifier.h"

#include <rte_prefetch.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int cls_flow_order(const struct psw_flow *a, const struct psw_flow *b)
{
	int c = memcmp(&a->mask, &b->mask, sizeof(a->mask));

	if (c != 0)
		return c;
	c = memcmp(&a->match, &b->match, sizeof(a->match));
	if (c != 0)
		return c;
	return (a->priority < b->priority) - (a->priority > b->priority);
}

static int flow_order(const void *a, const void *b)
{
	return cls_flow_order(*(const struct psw_flow *const *)a,
		*(const struct psw_flow *const *)b);
}

static int subtable_order(const void *a, const void *b)
{
	const struct cls_subtable *sa = a, *sb = b;

	return (sa->max_priority < sb->max_priority) - (sa->max_priority > sb->max_priority);
}

static int subtable_mask_order(const void *a, const void *b)
{
	const struct cls_subtable *sa = *(const struct cls_subtable *const *)a;
	const struct cls_subtable *sb = *(const struct cls_subtable *const *)b;

	return memcmp(&sa->mask, &sb->mask, sizeof(sa->mask));
}

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 8;

	while (p < n)
		p <<= 1;
	return p;
}

static void store_put(struct cls_store *store)
{
	if (store == NULL || --store->refs > 0)
		return;
	free(store->buckets);
	free(store->flows);
	free(store);
}

// Fills 'st' from the 'n' flows of one mask, in cls_flow_order.
static int subtable_fill(struct cls_subtable *st, const struct psw_flow *const *run, uint32_t n)
{
	struct cls_store *store = calloc(1, sizeof(*store));
	const struct psw_flow **flows;
	uint32_t n_keys = 0, i, j;

	if (store == NULL)
		return -ENOMEM;
	store->refs = 1;
	store->n_flows = n;
	st->store = store;
	store->flows = flows = malloc(n * sizeof(*flows));
	if (flows == NULL)
		return -ENOMEM;
	memcpy(flows, run, n * sizeof(*flows));
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && flow_key_equal(&flows[j]->match, &flows[i]->match); j++)
			;
		n_keys++;
	}
	st->mask = flows[0]->mask;
	st->n_words = 0;
	for (unsigned w = 0; w < PSW_KEY_WORDS; w++)
		if (st->mask.w[w] != 0)
			st->words[st->n_words++] = (uint8_t)w;
	st->bucket_mask = pow2_at_least(n_keys * 2) - 1;
	st->buckets = store->buckets = calloc(st->bucket_mask + 1, sizeof(*st->buckets));
	if (st->buckets == NULL)
		return -ENOMEM;
	st->max_priority = INT32_MIN;
	for (i = 0; i < n; i = j) {
		uint32_t h = cls_hash_words(&flows[i]->match, st);
		uint32_t idx = h & st->bucket_mask;

		for (j = i + 1; j < n && flow_key_equal(&flows[j]->match, &flows[i]->match); j++)
			;
		while (st->buckets[idx].n_flows != 0)
			idx = (idx + 1) & st->bucket_mask;
		st->buckets[idx] = (struct cls_entry){.hash = h, .n_flows = j - i, .flows = &flows[i]};
		if (flows[i]->priority > st->max_priority)
			st->max_priority = flows[i]->priority;
	}
	return 0;
}

// The subtable of 'old' (sorted by mask) whose flows are the 'run' of
// 'flows' that starts at 'i': the same pointers, where 'flows' holds no other
// flow of that mask. Compares pointers, mostly: a change that touches one
// subtable of a large table should not read every flow of the others.
static const struct cls_subtable *find_same(const struct cls_subtable *const *old, uint32_t n_old,
	const struct psw_flow *const *flows, uint32_t n, uint32_t i)
{
	uint32_t lo = 0, hi = n_old;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = memcmp(&old[mid]->mask, &flows[i]->mask, sizeof(flows[i]->mask));

		if (c == 0) {
			const struct cls_store *st = old[mid]->store;

			if (st->n_flows > n - i ||
			    memcmp(st->flows, &flows[i], st->n_flows * sizeof(*flows)) != 0)
				return NULL;
			// the run ends where the old one did
			if (i + st->n_flows < n &&
			    flow_key_equal(&flows[i + st->n_flows]->mask, &flows[i]->mask))
				return NULL;
			return old[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

uint32_t cls_lookup_batch(const struct cls_table *t, const struct psw_flow_key *keys,
	const uint8_t *idx, unsigned n, const struct psw_flow **best)
{
	uint32_t hashes[CLS_BATCH_MAX], probes = 0;
	uint64_t live;

	for (unsigned j = 0; j < n; j++)
		best[j] = NULL;
	if (t == NULL || n == 0)
		return 0;
	live = n >= 64 ? UINT64_MAX : (1ULL << n) - 1;
	for (uint32_t s = 0; s < t->n_subtables && live != 0; s++) {
		const struct cls_subtable *st = &t->subtables[s];
		uint64_t m;

		// subtables come by max_priority descending: a key whose best
		// outranks this one is decided for good
		for (m = live; m != 0; m &= m - 1) {
			unsigned j = (unsigned)__builtin_ctzll(m);

			if (best[j] != NULL && st->max_priority <= best[j]->priority)
				live &= ~(1ULL << j);
		}
		probes += (uint32_t)__builtin_popcountll(live);
		for (m = live; m != 0; m &= m - 1) {
			unsigned j = (unsigned)__builtin_ctzll(m);

			hashes[j] = cls_hash_words(&keys[idx[j]], st);
			rte_prefetch0(&st->buckets[hashes[j] & st->bucket_mask]);
		}
		for (m = live; m != 0; m &= m - 1) {
			unsigned j = (unsigned)__builtin_ctzll(m);
			const struct psw_flow *f = cls_subtable_find(st, &keys[idx[j]], hashes[j]);

			if (f != NULL && (best[j] == NULL || f->priority > best[j]->priority))
				best[j] = f;
		}
	}
	return probes;
}

// The end of the run of flows that share flows[i]'s mask, each in order
// after the one before it; 'sorted' turns false when one is not.
static uint32_t run_end(const struct psw_flow *const *flows, uint32_t n, uint32_t i, bool *sorted)
{
	uint32_t j;

	for (j = i + 1; j < n && flow_key_equal(&flows[j]->mask, &flows[i]->mask); j++)
		if (cls_flow_order(flows[j - 1], flows[j]) > 0)
			*sorted = false;
	return j;
}

// Splits 'flows' into runs of one mask, reusing what 'old' holds of them.
// Returns false when 'flows' turns out not to be in cls_flow_order (runs
// would be split up): the caller sorts them and tries again, which succeeds.
static bool split_runs(const struct psw_flow *const *flows, uint32_t n,
	const struct cls_subtable *const *old, uint32_t n_old, uint32_t *starts, uint32_t *n_runs,
	const struct cls_subtable **same)
{
	bool sorted = true;
	uint32_t i, j;

	*n_runs = 0;
	for (i = 0; i < n; i = j) {
		if (i > 0 && cls_flow_order(flows[i - 1], flows[i]) > 0)
			return false;
		same[*n_runs] = find_same(old, n_old, flows, n, i);
		j = same[*n_runs] != NULL ? i + same[*n_runs]->store->n_flows :
			run_end(flows, n, i, &sorted);
		if (!sorted)
			return false;
		starts[(*n_runs)++] = i;
	}
	starts[*n_runs] = n;
	return true;
}

struct cls_table *cls_table_build(const struct psw_flow *const *flows, uint32_t n,
	const struct cls_table *prev)
{
	struct cls_table *t = calloc(1, sizeof(*t));
	uint32_t n_old = prev != NULL ? prev->n_subtables : 0, n_runs = 0, s = 0;
	const struct cls_subtable **old = malloc((n_old + 1) * sizeof(*old));
	const struct cls_subtable **same = malloc((n + 1) * sizeof(*same));
	uint32_t *starts = malloc((n + 1) * sizeof(*starts));
	const struct psw_flow **sorted = NULL;

	if (t == NULL || old == NULL || same == NULL || starts == NULL)
		goto out_free;
	t->n_flows = n;
	t->refs = 1;
	for (uint32_t i = 0; i < n_old; i++)
		old[i] = &prev->subtables[i];
	qsort(old, n_old, sizeof(*old), subtable_mask_order);
	if (!split_runs(flows, n, old, n_old, starts, &n_runs, same)) {
		// callers keep their flows in order; anything else is sorted here
		sorted = malloc((n ? n : 1) * sizeof(*sorted));
		if (sorted == NULL)
			goto out_free;
		memcpy(sorted, flows, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), flow_order);
		flows = sorted;
		split_runs(flows, n, old, n_old, starts, &n_runs, same);
	}
	t->subtables = calloc(n_runs ? n_runs : 1, sizeof(*t->subtables));
	if (t->subtables == NULL)
		goto out_free;
	for (s = 0; s < n_runs; s++) {
		if (same[s] != NULL) {
			t->subtables[s] = *same[s];
			same[s]->store->refs++;
		} else if (subtable_fill(&t->subtables[s], &flows[starts[s]],
				starts[s + 1] - starts[s]) < 0) {
			s++;
			goto out_free;
		}
	}
	t->n_subtables = n_runs;
	qsort(t->subtables, t->n_subtables, sizeof(*t->subtables), subtable_order);
	free(old);
	free(same);
	free(starts);
	free(sorted);
	return t;

out_free:
	// the subtables not reached hold no store
	if (t != NULL) {
		t->n_subtables = s;
		t->refs = 1;
	}
	free(old);
	free(same);
	free(starts);
	free(sorted);
	cls_table_free(t);
	errno = ENOMEM;
	return NULL;
}

struct cls_table *cls_table_get(struct cls_table *t)
{
	if (t != NULL)
		t->refs++;
	return t;
}

void cls_table_free(struct cls_table *t)
{
	if (t == NULL || --t->refs > 0)
		return;
	for (uint32_t s = 0; t->subtables != NULL && s < t->n_subtables; s++)
		store_put(t->subtables[s].store);
	free(t->subtables);
	free(t);
}
