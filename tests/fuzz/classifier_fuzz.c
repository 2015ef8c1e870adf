// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target: the classifier's incremental builds. The input is a
// program: add a flow, delete one, rebuild the table from its predecessor
// (in order, or shuffled so that the build must sort), look keys up. After
// every rebuild, each lookup, alone and in a batch, must return a flow that
// matches the key at the highest priority any flow matching it has, or NULL
// when none matches; the predecessor is freed first, so a subtable shared
// by mistake, or freed while shared, is a use after free under ASan.
// Every port flow (pipeline_port_flows) must be exactly what the lookup of
// any key from its port finds.
#include "classifier.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FLOWS 48

// The key words the flows use: base and extension words, so that both are
// hashed and compared.
static const unsigned words[4] = {0, 3, 7, 12};
static const uint64_t patterns[4] = {0, 0x3, 0x30, 0xff};

struct input {
	const uint8_t *d;
	size_t n, i;
};

static uint8_t next(struct input *in)
{
	return in->i < in->n ? in->d[in->i++] : 0;
}

struct state {
	struct psw_flow *flows[MAX_FLOWS];
	unsigned n;
	struct psw_flow *garbage[MAX_FLOWS * 2];
	unsigned n_garbage;
	struct cls_table *table;
};

static void make_flow(struct input *in, struct psw_flow *f)
{
	uint8_t sel = next(in);

	memset(f, 0, sizeof(*f));
	for (unsigned w = 0; w < 4; w++) {
		f->mask.w[words[w]] = patterns[(sel >> (2 * w)) & 3];
		f->match.w[words[w]] = next(in) & f->mask.w[words[w]];
	}
	uint8_t how = next(in);

	f->priority = how & 7;
	f->goto_table = how & 0x80 ? 1 : PSW_NO_TABLE;
	f->recirc_table = PSW_NO_TABLE;
	if (how & 0x08) {
		// the shapes port flows come from: in_port alone, or nothing
		memset(&f->mask, 0, sizeof(f->mask));
		memset(&f->match, 0, sizeof(f->match));
		if (how & 0x40) {
			f->mask.in_port = 0xffff;
			f->match.in_port = (uint16_t)(1 + ((how >> 4) & 3));
		}
	}
}

static void make_key(struct input *in, const struct state *st, struct psw_flow_key *k)
{
	uint8_t how = next(in);

	memset(k, 0, sizeof(*k));
	// most keys start from a flow's match, so that lookups hit
	if (st->n > 0 && (how & 3) != 0)
		*k = st->flows[(how >> 2) % st->n]->match;
	for (unsigned w = 0; w < 4; w++)
		if (how & (0x10 << w))
			k->w[words[w]] ^= next(in);
	if ((how & 3) == 0)
		k->in_port = (uint16_t)(next(in) & 7);
}

static bool matches(const struct psw_flow *f, const struct psw_flow_key *k)
{
	for (unsigned w = 0; w < PSW_KEY_WORDS; w++)
		if ((k->w[w] & f->mask.w[w]) != f->match.w[w])
			return false;
	return true;
}

static void check(const struct state *st, const struct psw_flow_key *k, const struct psw_flow *got)
{
	int32_t best = INT32_MIN;

	for (unsigned i = 0; i < st->n; i++)
		if (matches(st->flows[i], k) && st->flows[i]->priority > best)
			best = st->flows[i]->priority;
	if (got == NULL ? best != INT32_MIN : !matches(got, k) || got->priority != best)
		abort();
}

static void rebuild(struct state *st, bool shuffle, struct input *in)
{
	const struct psw_flow *list[MAX_FLOWS];
	struct cls_table *t;

	for (unsigned i = 0; i < st->n; i++)
		list[i] = st->flows[i];
	if (shuffle) {
		for (unsigned i = st->n; i > 1; i--) {
			unsigned r = next(in) % i;
			const struct psw_flow *x = list[i - 1];

			list[i - 1] = list[r];
			list[r] = x;
		}
	} else {
		// the order the control thread keeps: insertion sort is enough here
		for (unsigned i = 1; i < st->n; i++)
			for (unsigned j = i; j > 0 && cls_flow_order(list[j - 1], list[j]) > 0; j--) {
				const struct psw_flow *x = list[j];

				list[j] = list[j - 1];
				list[j - 1] = x;
			}
	}
	t = cls_table_build(list, st->n, st->table);
	if (t == NULL || t->n_flows != st->n)
		abort();
	cls_table_free(st->table);
	st->table = t;
	// what only the old table held can go now
	for (unsigned i = 0; i < st->n_garbage; i++)
		free(st->garbage[i]);
	st->n_garbage = 0;
}

static void lookups(struct state *st, struct input *in)
{
	struct psw_flow_key keys[8];
	const struct psw_flow *best[8];
	uint8_t idx[8];
	unsigned n = (next(in) & 7) + 1;
	const struct psw_flow **port_flows = pipeline_port_flows(st->table);

	for (unsigned i = 0; i < n; i++) {
		const struct psw_flow *got;

		make_key(in, st, &keys[i]);
		idx[i] = (uint8_t)(n - 1 - i);
		got = cls_lookup(st->table, &keys[i]);
		check(st, &keys[i], got);
		if (port_flows != NULL && keys[i].in_port < PSW_MAX_PORTS &&
		    port_flows[keys[i].in_port] != NULL && port_flows[keys[i].in_port] != got)
			abort();
	}
	free(port_flows);
	cls_lookup_batch(st->table, keys, idx, n, best);
	for (unsigned i = 0; i < n; i++)
		check(st, &keys[idx[i]], best[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size, 0};
	struct state st = {.n = 0};

	st.table = cls_table_build(NULL, 0, NULL);
	while (in.i < in.n) {
		uint8_t op = next(&in) & 3;

		if (op == 0 && st.n < MAX_FLOWS && st.n_garbage < MAX_FLOWS) {
			struct psw_flow *f = malloc(sizeof(*f));
			unsigned i;

			make_flow(&in, f);
			// one flow per identity: a new one replaces the old
			for (i = 0; i < st.n && cls_flow_order(st.flows[i], f) != 0; i++)
				;
			if (i < st.n)
				st.garbage[st.n_garbage++] = st.flows[i];
			else
				st.n++;
			st.flows[i] = f;
		} else if (op == 1 && st.n > 0 && st.n_garbage < MAX_FLOWS) {
			unsigned i = next(&in) % st.n;

			st.garbage[st.n_garbage++] = st.flows[i];
			st.flows[i] = st.flows[--st.n];
		} else if (op == 2) {
			rebuild(&st, next(&in) & 1, &in);
			lookups(&st, &in);
		} else if (op == 3) {
			// nothing changed since the last build: everything is shared
			rebuild(&st, false, &in);
		}
	}
	rebuild(&st, false, &in);
	lookups(&st, &in);
	cls_table_free(st.table);
	for (unsigned i = 0; i < st.n; i++)
		free(st.flows[i]);
	return 0;
}
