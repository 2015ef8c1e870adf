// SPDX-License-Identifier: BSD-3-Clause
// The exact-match cache: per PMD, two-way set associative, keyed by the full
// flow key. An entry holds the flows a packet of that key hits (up to two
// tables deep) for one pipeline version; a new pipeline invalidates every
// entry at once, without touching them, because its version differs.
// The entry's cache line holds the key's first words; the rest (IPv6 and
// ND addresses, ARP hardware addresses) sit in a parallel array, read only
// for IPv6 and ARP frames, so that IPv4 lookups still touch one line.
#pragma once

#include "flow.h"

#include <nmmintrin.h>
#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_ether.h>

// Entries per PMD unless --emc-entries says otherwise: enough for 100,000
// streams each way without thrashing (each entry costs EMC_ENTRY_BYTES).
#define EMC_DEFAULT_ENTRIES (1u << 18)
#define EMC_MIN_ENTRIES 1024u
#define EMC_MAX_ENTRIES (1u << 24)
#define EMC_CHAIN 2

// Thread-safety: private to one PMD.
struct emc_entry {
	uint64_t key[PSW_KEY_BASE_WORDS];
	uint32_t version;   // pipeline version; 0 = empty
	uint8_t n_chain;
	uint8_t verdict;    // enum psw_drop_reason of the walk (NO_FLOW: table miss)
	uint16_t gen;       // bumped by each insert: a hint written for an earlier
	                    // occupant is stale without the insert touching its line
	const struct psw_flow *chain[EMC_CHAIN];
};

_Static_assert(sizeof(struct emc_entry) == 64, "an EMC entry fills one cache line");

// What the normal action decided for the packets of one entry: valid while
// the MAC table's version is unchanged, and for the second in which the
// source address was last refreshed (so that aging sees active addresses).
struct emc_l2_hint {
	uint32_t fdb_version;  // 0: none
	uint16_t out;          // the learned port, or EMC_L2_FLOOD
	uint16_t learned_sec;  // low bits of the second of the last refresh
	uint16_t gen;          // the entry's gen when written
	uint16_t pad[3];
};

// A hint slot and the generation of the entry it belongs to.
struct emc_l2_ref {
	struct emc_l2_hint *slot;
	uint16_t gen;
};

#define EMC_L2_FLOOD 0xffff

#define EMC_EXT_WORDS (PSW_KEY_META_WORD - PSW_KEY_BASE_WORDS)
#define EMC_META_WORDS (PSW_KEY_WORDS - PSW_KEY_META_WORD)

// The IPv6, neighbour discovery and ARP words of a key: a cache line.
struct emc_ext {
	uint64_t w[EMC_EXT_WORDS];
};

_Static_assert(sizeof(struct emc_ext) == 64, "an IPv6 key's words fill one cache line");

// The pipeline's fields of a recirculated key.
struct emc_meta {
	uint64_t w[EMC_META_WORDS];
};

// The arrays, one slot per entry, come from one block (emc_init).
struct emc {
	uint32_t set_mask;          // sets - 1; sets = entries / 2, a power of two
	struct emc_entry (*sets)[2];
	struct emc_l2_hint (*l2)[2];
	struct emc_ext (*ext)[2];
	struct emc_meta (*meta)[2];
};

#define EMC_ENTRY_BYTES (sizeof(struct emc_entry) + sizeof(struct emc_l2_hint) + \
	sizeof(struct emc_ext) + sizeof(struct emc_meta))

// The memory an EMC of 'entries' (a power of two) takes, to be zeroed and
// cache-line aligned.
static inline size_t emc_memory_size(uint32_t entries)
{
	return (size_t)entries * EMC_ENTRY_BYTES;
}

static inline void emc_init(struct emc *emc, uint32_t entries, void *mem)
{
	uint8_t *p = mem;

	emc->set_mask = entries / 2 - 1;
	emc->sets = (struct emc_entry (*)[2])p;
	p += (size_t)entries * sizeof(struct emc_entry);
	emc->ext = (struct emc_ext (*)[2])p;
	p += (size_t)entries * sizeof(struct emc_ext);
	emc->l2 = (struct emc_l2_hint (*)[2])p;
	p += (size_t)entries * sizeof(struct emc_l2_hint);
	emc->meta = (struct emc_meta (*)[2])p;
}

// Whether the key's words past the base may be non-zero: IPv6 and ARP
// frames, and recirculated keys (the pipeline's fields).
static inline bool emc_key_has_ext(const struct psw_flow_key *key)
{
	return key->dl_type == RTE_BE16(RTE_ETHER_TYPE_IPV6) ||
		key->dl_type == RTE_BE16(RTE_ETHER_TYPE_ARP) || key->recirc != 0;
}

static inline struct emc_ext *emc_ext_of(struct emc *emc, const struct emc_entry *e)
{
	return &emc->ext[0][0] + (e - &emc->sets[0][0]);
}

static inline struct emc_meta *emc_meta_of(struct emc *emc, const struct emc_entry *e)
{
	return &emc->meta[0][0] + (e - &emc->sets[0][0]);
}

static inline struct emc_l2_hint *emc_l2_hint(struct emc *emc, const struct emc_entry *e)
{
	return &emc->l2[0][0] + (e - &emc->sets[0][0]);
}

static inline uint32_t emc_hash(const struct psw_flow_key *key)
{
	uint32_t h = 0x4d9f2b1a;

	for (int i = 0; i < PSW_KEY_BASE_WORDS; i++)
		h = (uint32_t)_mm_crc32_u64(h, key->w[i]);
	if (unlikely(emc_key_has_ext(key)))
		for (int i = PSW_KEY_BASE_WORDS; i < PSW_KEY_META_WORD; i++)
			h = (uint32_t)_mm_crc32_u64(h, key->w[i]);
	if (unlikely(key->recirc != 0))
		for (int i = PSW_KEY_META_WORD; i < PSW_KEY_WORDS; i++)
			h = (uint32_t)_mm_crc32_u64(h, key->w[i]);
	return h;
}

static inline bool emc_entry_matches(struct emc *emc, const struct emc_entry *e,
	const struct psw_flow_key *key, uint32_t version)
{
	uint64_t diff = 0;

	if (e->version != version)
		return false;
	for (int i = 0; i < PSW_KEY_BASE_WORDS; i++)
		diff |= e->key[i] ^ key->w[i];
	if (diff != 0)
		return false;
	if (likely(!emc_key_has_ext(key)))
		return true;
	// the same base words: the entry has the same ethertype and recirc,
	// the same extra words in use
	for (int i = PSW_KEY_BASE_WORDS; i < PSW_KEY_META_WORD; i++)
		diff |= emc_ext_of(emc, e)->w[i - PSW_KEY_BASE_WORDS] ^ key->w[i];
	if (key->recirc != 0)
		for (int i = PSW_KEY_META_WORD; i < PSW_KEY_WORDS; i++)
			diff |= emc_meta_of(emc, e)->w[i - PSW_KEY_META_WORD] ^ key->w[i];
	return diff == 0;
}

static inline struct emc_entry *emc_lookup(struct emc *emc, const struct psw_flow_key *key,
	uint32_t hash, uint32_t version)
{
	struct emc_entry *set = emc->sets[hash & emc->set_mask];

	if (emc_entry_matches(emc, &set[0], key, version))
		return &set[0];
	if (emc_entry_matches(emc, &set[1], key, version))
		return &set[1];
	return NULL;
}

// Stores a walk's result; evicts a stale entry first, else the way that the
// hash's high bit picks.
static inline struct emc_entry *emc_insert(struct emc *emc, const struct psw_flow_key *key,
	uint32_t hash, uint32_t version, const struct psw_flow *const *chain, unsigned n_chain,
	uint8_t verdict)
{
	struct emc_entry *set = emc->sets[hash & emc->set_mask];
	struct emc_entry *e;

	if (n_chain > EMC_CHAIN)
		return NULL;
	if (set[0].version != version)
		e = &set[0];
	else if (set[1].version != version)
		e = &set[1];
	else
		e = &set[hash >> 31];
	memcpy(e->key, key->w, sizeof(e->key));
	if (emc_key_has_ext(key))
		memcpy(emc_ext_of(emc, e)->w, &key->w[PSW_KEY_BASE_WORDS],
			sizeof(emc_ext_of(emc, e)->w));
	if (key->recirc != 0)
		memcpy(emc_meta_of(emc, e)->w, &key->w[PSW_KEY_META_WORD],
			sizeof(emc_meta_of(emc, e)->w));
	e->version = version;
	e->n_chain = (uint8_t)n_chain;
	e->verdict = verdict;
	for (unsigned i = 0; i < n_chain; i++)
		e->chain[i] = chain[i];
	e->gen++;
	return e;
}
