// SPDX-License-Identifier: BSD-3-Clause
// A wildcard classifier for one flow table: a tuple-space search, one hash
// table per distinct mask, as in Open vSwitch's megaflow classifier.
//
// Thread-safety: a cls_table is built by the control thread and never changed
// after it is published; a change builds a new one. Any thread may look up.
#pragma once

#include "flow.h"

#include <nmmintrin.h>

struct cls_entry {
	uint32_t hash;
	uint32_t n_flows;           // 0: empty bucket
	const struct psw_flow **flows; // same masked match, priority descending
};

// A subtable's flows and buckets, shared by the versions of a table that
// hold the same flows of that mask: a change rebuilds only the subtables
// whose flows it changes. Control thread only ('refs' is no atomic).
struct cls_store {
	uint32_t refs;
	uint32_t n_flows;
	const struct psw_flow **flows; // by masked match, priority descending
	struct cls_entry *buckets;
};

struct cls_subtable {
	struct psw_flow_key mask;
	int32_t max_priority;
	uint32_t bucket_mask;
	uint8_t n_words;              // the key words the mask uses, hashed and
	uint8_t words[PSW_KEY_WORDS]; // compared; the others are all wildcards
	struct cls_entry *buckets;    // store->buckets, one pointer nearer
	struct cls_store *store;
};

struct cls_table {
	uint32_t refs;                  // pipelines holding it; control thread only
	uint32_t n_flows;
	uint32_t n_subtables;
	struct cls_subtable *subtables; // max_priority descending
};

// The order a table keeps its flows in: by mask, then masked match, then
// priority descending. Two flows that compare equal have the same identity
// (mask, match and priority): one replaces the other.
int cls_flow_order(const struct psw_flow *a, const struct psw_flow *b);

// Builds a table of the 'n' flows (matches already masked, no two of the same
// identity), fastest when they come in cls_flow_order. 'prev' (may be NULL)
// is the table this one replaces: its subtables whose flows are the same
// pointers are shared, not built again, so that a change costs what the
// subtables it touches hold rather than the whole table. Returns NULL with
// errno set on allocation failure. Control thread only.
struct cls_table *cls_table_build(const struct psw_flow *const *flows, uint32_t n,
	const struct cls_table *prev);
// Takes a reference to 't' (a pipeline that shares it). Control thread only.
struct cls_table *cls_table_get(struct cls_table *t);
// Drops a reference; the last one frees the table and its references to
// its subtables' storage. Control thread only, once no reader can still
// hold the table.
void cls_table_free(struct cls_table *t);

static inline uint32_t cls_hash_words(const struct psw_flow_key *key,
	const struct cls_subtable *st)
{
	uint32_t h = 0x9e3779b9;

	for (unsigned i = 0; i < st->n_words; i++)
		h = (uint32_t)_mm_crc32_u64(h, key->w[st->words[i]] & st->mask.w[st->words[i]]);
	return h;
}

static inline bool cls_match_words(const struct psw_flow *f, const struct psw_flow_key *key,
	const struct cls_subtable *st)
{
	uint64_t diff = 0;

	for (unsigned i = 0; i < st->n_words; i++) {
		unsigned w = st->words[i];

		diff |= (key->w[w] & st->mask.w[w]) ^ f->match.w[w];
	}
	return diff == 0;
}

// Looks up keys[idx[0]] .. keys[idx[n - 1]] (n <= CLS_BATCH_MAX): best[j]
// gets the highest-priority flow matching keys[idx[j]], or NULL, as
// cls_lookup would. Each subtable is probed for every key still undecided
// before the next subtable: the hashes first, prefetching their buckets, then
// the compares, so that the cache misses of a burst overlap instead of
// following one another (Open vSwitch's dpcls does the same). Returns the
// number of subtables searched, summed over the keys.
#define CLS_BATCH_MAX 64
uint32_t cls_lookup_batch(const struct cls_table *t, const struct psw_flow_key *keys,
	const uint8_t *idx, unsigned n, const struct psw_flow **best);

// The flow of 'st' whose match equals key's masked words (hashed as 'h'),
// or NULL: the highest-priority flow of that match.
static inline const struct psw_flow *cls_subtable_find(const struct cls_subtable *st,
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

// Returns the highest-priority flow matching 'key', or NULL.
static inline const struct psw_flow *cls_lookup(const struct cls_table *t,
	const struct psw_flow_key *key)
{
	const struct psw_flow *best = NULL;

	for (uint32_t s = 0; s < t->n_subtables; s++) {
		const struct cls_subtable *st = &t->subtables[s];
		const struct psw_flow *f;

		if (best != NULL && st->max_priority <= best->priority)
			break;
		f = cls_subtable_find(st, key, cls_hash_words(key, st));
		if (f != NULL && (best == NULL || f->priority > best->priority))
			best = f;
	}
	return best;
}
