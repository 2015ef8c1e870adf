// SPDX-License-Identifier: BSD-3-Clause
#include "classifier.h"

#include <rte_prefetch.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

// Orders flows by mask, then masked match, then priority descending: each run
// of one mask becomes a subtable, each run of one match a bucket.
static int flow_order(const void *a, const void *b)
{
	const struct psw_flow *fa = *(const struct psw_flow *const *)a;
	const struct psw_flow *fb = *(const struct psw_flow *const *)b;
	int c = memcmp(&fa->mask, &fb->mask, sizeof(fa->mask));

	if (c != 0)
		return c;
	c = memcmp(&fa->match, &fb->match, sizeof(fa->match));
	if (c != 0)
		return c;
	return (fa->priority < fb->priority) - (fa->priority > fb->priority);
}

static int subtable_order(const void *a, const void *b)
{
	const struct cls_subtable *sa = a, *sb = b;

	return (sa->max_priority < sb->max_priority) - (sa->max_priority > sb->max_priority);
}

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 8;

	while (p < n)
		p <<= 1;
	return p;
}

static int subtable_fill(struct cls_subtable *st, const struct psw_flow **flows, uint32_t n)
{
	uint32_t n_keys = 0, i, j;

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
	st->buckets = calloc(st->bucket_mask + 1, sizeof(*st->buckets));
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

// The flow of 'st' whose match equals key's masked words, or NULL.
static inline const struct psw_flow *subtable_find(const struct cls_subtable *st,
	const struct psw_flow_key *key, uint32_t h)
{
	for (uint32_t idx = h & st->bucket_mask;; idx = (idx + 1) & st->bucket_mask) {
		const struct cls_entry *e = &st->buckets[idx];

		if (e->n_flows == 0)
			return NULL;
		if (e->hash == h && cls_match_words(e->flows[0], key, st))
			return e->flows[0];
	}
}

void cls_lookup_batch(const struct cls_table *t, const struct psw_flow_key *keys,
	const uint8_t *idx, unsigned n, const struct psw_flow **best)
{
	uint32_t hashes[CLS_BATCH_MAX];
	uint64_t live;

	for (unsigned j = 0; j < n; j++)
		best[j] = NULL;
	if (t == NULL || n == 0)
		return;
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
		for (m = live; m != 0; m &= m - 1) {
			unsigned j = (unsigned)__builtin_ctzll(m);

			hashes[j] = cls_hash_words(&keys[idx[j]], st);
			rte_prefetch0(&st->buckets[hashes[j] & st->bucket_mask]);
		}
		for (m = live; m != 0; m &= m - 1) {
			unsigned j = (unsigned)__builtin_ctzll(m);
			const struct psw_flow *f = subtable_find(st, &keys[idx[j]], hashes[j]);

			if (f != NULL && (best[j] == NULL || f->priority > best[j]->priority))
				best[j] = f;
		}
	}
}

struct cls_table *cls_table_build(const struct psw_flow *const *flows, uint32_t n)
{
	struct cls_table *t = calloc(1, sizeof(*t));
	uint32_t i, j, s = 0;

	if (t == NULL)
		return NULL;
	t->n_flows = n;
	t->flows = malloc((n ? n : 1) * sizeof(*t->flows));
	if (t->flows == NULL)
		goto out_free;
	if (n > 0)
		memcpy(t->flows, flows, n * sizeof(*flows));
	qsort(t->flows, n, sizeof(*t->flows), flow_order);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && flow_key_equal(&t->flows[j]->mask, &t->flows[i]->mask); j++)
			;
		t->n_subtables++;
	}
	t->subtables = calloc(t->n_subtables ? t->n_subtables : 1, sizeof(*t->subtables));
	if (t->subtables == NULL)
		goto out_free;
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && flow_key_equal(&t->flows[j]->mask, &t->flows[i]->mask); j++)
			;
		if (subtable_fill(&t->subtables[s++], &t->flows[i], j - i) < 0)
			goto out_free;
	}
	qsort(t->subtables, t->n_subtables, sizeof(*t->subtables), subtable_order);
	return t;

out_free:
	cls_table_free(t);
	errno = ENOMEM;
	return NULL;
}

void cls_table_free(struct cls_table *t)
{
	if (t == NULL)
		return;
	for (uint32_t s = 0; t->subtables != NULL && s < t->n_subtables; s++)
		free(t->subtables[s].buckets);
	free(t->subtables);
	free(t->flows);
	free(t);
}
