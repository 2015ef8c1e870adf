// SPDX-License-Identifier: BSD-3-Clause
// The classifier: priorities across masks, overlapping rules, port flows and a
// randomized comparison against a linear scan; the EMC: hits, versions.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "classifier.h"
#include "emc.h"
#include "flows/flow_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct psw_flow *mk(const char *text)
{
	struct flow_spec s;
	char err[256];
	struct psw_flow *f;

	if (flow_parse(text, FLOW_PARSE_ADD, NULL, &s, err, sizeof(err)) != 0)
		fail_msg("%s: %s", text, err);
	f = calloc(1, sizeof(*f));
	flow_key_mask(&f->match, &s.match, &s.mask);
	f->mask = s.mask;
	f->priority = s.priority;
	f->goto_table = PSW_NO_TABLE;
	f->recirc_table = PSW_NO_TABLE;
	return f;
}

static struct emc *new_emc(void)
{
	struct emc *emc = calloc(1, sizeof(*emc));

	emc_init(emc, 32768, calloc(1, emc_memory_size(32768)));
	return emc;
}

static void free_emc(struct emc *emc)
{
	free(emc->sets);
	free(emc);
}

static struct psw_flow_key pkt(const char *text)
{
	struct flow_spec s;
	char err[256];

	if (flow_parse(text, FLOW_PARSE_PACKET, NULL, &s, err, sizeof(err)) != 0)
		fail_msg("%s: %s", text, err);
	return s.match;
}

static void test_priorities_and_masks(void **state)
{
	struct psw_flow *f[] = {
		mk("priority=10,in_port=1,actions=drop"),
		mk("priority=20,tcp,tp_dst=80,actions=drop"),
		mk("priority=30,ip,nw_dst=10.0.0.0/8,actions=drop"),
		mk("priority=40,ip,nw_dst=10.1.0.0/16,actions=drop"),
		mk("priority=5,actions=drop"),
		mk("priority=25,in_port=1,tcp,tp_dst=80,actions=drop"),
		mk("priority=24,in_port=1,tcp,tp_dst=80,actions=drop"), // same match, lower priority
	};
	struct cls_table *t = cls_table_build((const struct psw_flow *const *)f, RTE_DIM(f), NULL);
	struct psw_flow_key k;

	(void)state;
	assert_non_null(t);
	assert_int_equal(t->n_flows, RTE_DIM(f));
	k = pkt("in_port=2,arp");
	assert_ptr_equal(cls_lookup(t, &k), f[4]);
	k = pkt("in_port=1,arp");
	assert_ptr_equal(cls_lookup(t, &k), f[0]);
	k = pkt("in_port=2,tcp,nw_dst=192.168.0.1,tp_dst=80");
	assert_ptr_equal(cls_lookup(t, &k), f[1]);
	k = pkt("in_port=1,tcp,nw_dst=192.168.0.1,tp_dst=80");
	assert_ptr_equal(cls_lookup(t, &k), f[5]);
	k = pkt("in_port=1,tcp,nw_dst=10.2.0.1,tp_dst=80");
	assert_ptr_equal(cls_lookup(t, &k), f[2]);
	k = pkt("in_port=1,tcp,nw_dst=10.1.2.3,tp_dst=80");
	assert_ptr_equal(cls_lookup(t, &k), f[3]);
	// subtables searched: the first (priority 40) decides the second key;
	// the first key finds its flow in the last of the six
	{
		struct psw_flow_key two[2] = {pkt("in_port=2,arp"), k};
		const struct psw_flow *best[2];
		uint8_t idx[2] = {0, 1};

		assert_int_equal(t->n_subtables, 6);
		assert_int_equal(cls_lookup_batch(t, two, idx, 2, best), 6 + 1);
		assert_ptr_equal(best[0], f[4]);
		assert_ptr_equal(best[1], f[3]);
	}
	cls_table_free(t);
	for (unsigned i = 0; i < RTE_DIM(f); i++)
		free(f[i]);
}

static void test_empty(void **state)
{
	struct cls_table *t = cls_table_build(NULL, 0, NULL);
	struct psw_flow_key k = pkt("in_port=1");

	(void)state;
	assert_non_null(t);
	assert_null(cls_lookup(t, &k));
	// the batch lookup clears what its caller left in 'best'
	{
		struct psw_flow *junk = mk("actions=drop");
		const struct psw_flow *best[2] = {junk, junk};
		uint8_t idx[2] = {0, 0};

		cls_lookup_batch(t, &k, idx, 2, best);
		assert_null(best[0]);
		assert_null(best[1]);
		best[0] = junk;
		cls_lookup_batch(NULL, &k, idx, 1, best);
		assert_null(best[0]);
		free(junk);
	}
	cls_table_free(t);
}

// The reference: every flow tried, word by word (leaving at the first
// word that differs keeps it quick under the sanitizers).
static const struct psw_flow *linear(struct psw_flow **f, unsigned n, const struct psw_flow_key *k)
{
	const struct psw_flow *best = NULL;

	for (unsigned i = 0; i < n; i++) {
		int w = 0;

		while (w < PSW_KEY_WORDS && (k->w[w] & f[i]->mask.w[w]) == f[i]->match.w[w])
			w++;
		if (w == PSW_KEY_WORDS && (best == NULL || f[i]->priority > best->priority))
			best = f[i];
	}
	return best;
}

// A flow of one of five mask shapes, of priority 'prio', matching random
// values of the ranges random_packet draws from.
static struct psw_flow *random_flow(unsigned prio, unsigned shape)
{
	char text[256];

	switch (shape) {
	case 0:
		snprintf(text, sizeof(text), "priority=%u,in_port=%d,actions=drop", prio, rand() % 8 + 1);
		break;
	case 1:
		snprintf(text, sizeof(text), "priority=%u,ip,nw_dst=10.%d.%d.0/24,actions=drop", prio,
			rand() % 4, rand() % 8);
		break;
	case 2:
		snprintf(text, sizeof(text), "priority=%u,tcp,tp_dst=%d,actions=drop", prio, rand() % 64);
		break;
	case 3:
		snprintf(text, sizeof(text), "priority=%u,in_port=%d,udp,nw_src=10.%d.0.0/16,tp_src=%d,actions=drop",
			prio, rand() % 8 + 1, rand() % 4, rand() % 64);
		break;
	default:
		snprintf(text, sizeof(text), "priority=%u,ip,nw_dst=10.%d.0.0/16,actions=drop", prio,
			rand() % 4);
	}
	return mk(text);
}

static struct psw_flow_key random_packet(void)
{
	char text[256];

	snprintf(text, sizeof(text), "in_port=%d,%s,nw_src=10.%d.%d.%d,nw_dst=10.%d.%d.%d,tp_src=%d,tp_dst=%d",
		rand() % 8 + 1, rand() % 2 ? "tcp" : "udp", rand() % 4, rand() % 8, rand() % 255,
		rand() % 4, rand() % 8, rand() % 255, rand() % 64, rand() % 64);
	return pkt(text);
}

// Many random flows over several masks, unique priorities: the classifier
// must agree with a linear scan on every packet.
static void test_random_against_linear(void **state)
{
	enum { N = 3000, PACKETS = 20000 };
	struct psw_flow **f = calloc(N, sizeof(*f));
	struct cls_table *t;

	(void)state;
	srand(42);
	for (unsigned i = 0; i < N; i++)
		f[i] = random_flow(i, (unsigned)rand() % 5);
	t = cls_table_build((const struct psw_flow *const *)f, N, NULL);
	assert_non_null(t);
	for (unsigned p = 0; p < PACKETS; p += CLS_BATCH_MAX) {
		struct psw_flow_key k[CLS_BATCH_MAX];
		const struct psw_flow *want[CLS_BATCH_MAX], *best[CLS_BATCH_MAX];
		uint8_t idx[CLS_BATCH_MAX];
		unsigned n = 0;

		for (unsigned j = 0; j < CLS_BATCH_MAX; j++) {
			k[j] = random_packet();
			want[j] = linear(f, N, &k[j]);
			assert_ptr_equal(cls_lookup(t, &k[j]), want[j]);
		}
		// the batch lookup agrees, for any subset of the keys in any order
		// (the whole batch every fourth time)
		for (unsigned j = 0; j < CLS_BATCH_MAX; j++)
			if (p % (4 * CLS_BATCH_MAX) == 0 || rand() % 2)
				idx[n++] = (uint8_t)j;
		for (unsigned j = n; j > 1; j--) {
			unsigned r = (unsigned)rand() % j;
			uint8_t x = idx[j - 1];

			idx[j - 1] = idx[r];
			idx[r] = x;
		}
		cls_lookup_batch(t, k, idx, n, best);
		for (unsigned j = 0; j < n; j++)
			assert_ptr_equal(best[j], want[idx[j]]);
	}
	cls_table_free(t);
	for (unsigned i = 0; i < N; i++)
		free(f[i]);
	free(f);
}

static int by_cls_order(const void *a, const void *b)
{
	return cls_flow_order(*(const struct psw_flow *const *)a, *(const struct psw_flow *const *)b);
}

static unsigned count_shared(const struct cls_table *a, const struct cls_table *b)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < a->n_subtables; i++)
		for (uint32_t j = 0; j < b->n_subtables; j++)
			n += a->subtables[i].store == b->subtables[j].store;
	return n;
}

// A table built from its predecessor shares the subtables whose flows did
// not change, builds the others, and answers as a table built afresh would,
// also once its predecessor is freed.
static void test_rebuild_shares_unchanged_subtables(void **state)
{
	enum { N = 2000, ADDED = 50, PACKETS = 5000 };
	struct psw_flow **f = calloc(N + ADDED, sizeof(*f)), **g = calloc(N + ADDED, sizeof(*g));
	struct cls_table *t1, *t2, *t3;
	unsigned n = 0;

	(void)state;
	srand(7);
	for (unsigned i = 0; i < N; i++)
		f[i] = random_flow(i, i % 5);
	qsort(f, N, sizeof(*f), by_cls_order);
	t1 = cls_table_build((const struct psw_flow *const *)f, N, NULL);
	assert_non_null(t1);
	assert_int_equal(t1->n_subtables, 5);
	// the next version: shape 2 loses every other flow, shape 4 gains some
	for (unsigned i = 0; i < N; i++)
		if (f[i]->priority % 10 != 2)
			g[n++] = f[i];
	assert_int_not_equal(n, N);
	for (unsigned i = 0; i < ADDED; i++)
		g[n++] = random_flow(N + i, 4);
	// given out of order: the build sorts what it is given
	t2 = cls_table_build((const struct psw_flow *const *)g, n, t1);
	assert_non_null(t2);
	assert_int_equal(count_shared(t1, t2), 3);
	// the same flows again, in order: everything shared
	qsort(g, n, sizeof(*g), by_cls_order);
	t3 = cls_table_build((const struct psw_flow *const *)g, n, t2);
	assert_non_null(t3);
	assert_int_equal(count_shared(t2, t3), 5);
	cls_table_free(t1);
	cls_table_free(t2);
	for (unsigned p = 0; p < PACKETS; p++) {
		struct psw_flow_key k = random_packet();

		assert_ptr_equal(cls_lookup(t3, &k), linear(g, n, &k));
	}
	cls_table_free(t3);
	for (unsigned i = 0; i < n; i++)
		if (g[i]->priority >= N)
			free(g[i]);
	for (unsigned i = 0; i < N; i++)
		free(f[i]);
	free(f);
	free(g);
}

static void test_emc(void **state)
{
	struct emc *emc = new_emc();
	struct psw_flow *f = mk("in_port=1,actions=drop");
	const struct psw_flow *chain[1] = {f};
	struct psw_flow_key k1 = pkt("in_port=1,tcp,tp_dst=1"), k2 = pkt("in_port=1,tcp,tp_dst=2");
	uint32_t h1 = emc_hash(&k1), h2 = emc_hash(&k2);
	struct emc_entry *e;

	(void)state;
	assert_null(emc_lookup(emc, &k1, h1, 1));
	emc_insert(emc, &k1, h1, 1, chain, 1, PSW_DROP_NONE);
	e = emc_lookup(emc, &k1, h1, 1);
	assert_non_null(e);
	assert_ptr_equal(e->chain[0], f);
	assert_int_equal(e->n_chain, 1);
	// another key misses; a newer pipeline version misses everything
	assert_null(emc_lookup(emc, &k2, h2, 1));
	assert_null(emc_lookup(emc, &k1, h1, 2));
	// a chain longer than the entry holds is not cached
	{
		const struct psw_flow *long_chain[3] = {f, f, f};
		emc_insert(emc, &k2, h2, 1, long_chain, 3, PSW_DROP_NONE);
		assert_null(emc_lookup(emc, &k2, h2, 1));
	}
	// both ways of a set are used before one is evicted
	{
		struct psw_flow_key k3 = k1;
		k3.nw_src = 1;
		// force the same set by using k1's hash
		emc_insert(emc, &k3, h1, 1, chain, 1, PSW_DROP_NO_FLOW);
		assert_non_null(emc_lookup(emc, &k1, h1, 1));
		e = emc_lookup(emc, &k3, h1, 1);
		assert_non_null(e);
		assert_int_equal(e->verdict, PSW_DROP_NO_FLOW);
	}
	// a new occupant of a way has a new generation, so a NORMAL hint
	// written for the one before is stale
	{
		struct emc_entry *way = &emc->sets[h1 & emc->set_mask][0];
		uint16_t gen = way->gen;
		struct psw_flow_key k4 = k1;

		k4.nw_dst = 9;
		e = emc_insert(emc, &k4, h1, 2, chain, 1, PSW_DROP_NONE);
		assert_ptr_equal(e, way);
		assert_int_not_equal(e->gen, gen);
	}
	free(f);
	free_emc(emc);
}

// IPv6 prefixes of several lengths, and IPv4 rules beside them: a key
// matches by its whole addresses, the EMC tells apart IPv6 keys that differ
// only in the address words it keeps outside its entry.
static void test_ipv6(void **state)
{
	struct psw_flow *f[] = {
		mk("priority=10,ipv6,ipv6_dst=fd00::/8,actions=drop"),
		mk("priority=20,ipv6,ipv6_dst=fd00:10:244::/48,actions=drop"),
		mk("priority=30,tcp6,ipv6_dst=fd00:10:244:1::5,tp_dst=80,actions=drop"),
		mk("priority=40,ip,nw_dst=10.0.0.0/8,actions=drop"),
		mk("priority=50,ipv6,ipv6_src=fd00:10:244:2::/64,ipv6_dst=fd00:10:244:1::/64,actions=drop"),
	};
	struct cls_table *t = cls_table_build((const struct psw_flow *const *)f, RTE_DIM(f), NULL);
	struct emc *emc = new_emc();
	struct psw_flow_key k1, k2;
	const struct psw_flow *chain[1];

	(void)state;
	assert_non_null(t);
	assert_ptr_equal(cls_lookup(t, (k1 = pkt("ipv6,ipv6_dst=fd01::1"), &k1)), f[0]);
	assert_ptr_equal(cls_lookup(t, (k1 = pkt("ipv6,ipv6_dst=fd00:10:244:7::1"), &k1)), f[1]);
	assert_ptr_equal(cls_lookup(t, (k1 = pkt("tcp6,ipv6_dst=fd00:10:244:1::5,tp_dst=80"), &k1)), f[2]);
	assert_ptr_equal(cls_lookup(t, (k1 = pkt("tcp6,ipv6_dst=fd00:10:244:1::5,tp_dst=81"), &k1)), f[1]);
	assert_ptr_equal(cls_lookup(t, (k1 = pkt("ipv6,ipv6_src=fd00:10:244:2::9,ipv6_dst=fd00:10:244:1::5"),
		&k1)), f[4]);
	assert_null(cls_lookup(t, (k1 = pkt("ipv6,ipv6_dst=fe80::1"), &k1)));
	// an IPv4 key never takes an IPv6 rule, nor the reverse
	assert_ptr_equal(cls_lookup(t, (k1 = pkt("ip,nw_dst=10.1.2.3"), &k1)), f[3]);
	assert_null(cls_lookup(t, (k1 = pkt("ip,nw_dst=11.0.0.1"), &k1)));

	k1 = pkt("udp6,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::2,tp_dst=53");
	k2 = pkt("udp6,ipv6_src=2001:db8::1,ipv6_dst=2001:db8::3,tp_dst=53");
	chain[0] = f[0];
	assert_int_not_equal(emc_hash(&k1), emc_hash(&k2));
	emc_insert(emc, &k1, emc_hash(&k1), 1, chain, 1, PSW_DROP_NONE);
	assert_non_null(emc_lookup(emc, &k1, emc_hash(&k1), 1));
	// k2 in k1's set: same base words, other addresses: a miss
	assert_null(emc_lookup(emc, &k2, emc_hash(&k1), 1));
	emc_insert(emc, &k2, emc_hash(&k1), 1, chain, 1, PSW_DROP_NO_FLOW);
	assert_int_equal(emc_lookup(emc, &k2, emc_hash(&k1), 1)->verdict, PSW_DROP_NO_FLOW);
	assert_int_equal(emc_lookup(emc, &k1, emc_hash(&k1), 1)->verdict, PSW_DROP_NONE);
	cls_table_free(t);
	for (unsigned i = 0; i < RTE_DIM(f); i++)
		free(f[i]);
	free_emc(emc);
}

// Builds table 0 of 'texts' and checks each port's flow: want[p] is the
// index of the flow port p must take without a lookup, or -1.
static void check_port_flows(const char *const *texts, unsigned n, int goto_of, const int *want,
	unsigned n_ports)
{
	struct psw_flow *f[8];
	const struct psw_flow **pf;
	struct cls_table *t;

	for (unsigned i = 0; i < n; i++) {
		f[i] = mk(texts[i]);
		if ((int)i == goto_of)
			f[i]->goto_table = 1;
	}
	t = cls_table_build((const struct psw_flow *const *)f, n, NULL);
	assert_non_null(t);
	pf = pipeline_port_flows(t);
	for (unsigned p = 1; p <= n_ports; p++) {
		if (want[p - 1] < 0)
			assert_true(pf == NULL || pf[p] == NULL);
		else
			assert_true(pf != NULL && pf[p] == f[want[p - 1]]);
	}
	free(pf);
	cls_table_free(t);
	for (unsigned i = 0; i < n; i++)
		free(f[i]);
}

static void test_port_flows(void **state)
{
	(void)state;
	{	// flows on in_port alone: each port its own, a port without one none
		const char *fl[] = {"priority=10,in_port=1,actions=drop", "priority=10,in_port=2,actions=drop",
			"priority=9,in_port=1,actions=drop"};
		check_port_flows(fl, 3, -1, (int[]){0, 1, -1}, 3);
		// the one that ends in a goto_table needs the walk
		check_port_flows(fl, 3, 0, (int[]){-1, 1, -1}, 3);
	}
	{	// a flow of another shape outranks port 2's flow, not port 1's
		const char *fl[] = {"priority=10,in_port=1,actions=drop", "priority=5,in_port=2,actions=drop",
			"priority=7,tcp,tp_dst=80,actions=drop"};
		check_port_flows(fl, 3, -1, (int[]){0, -1, -1}, 3);
	}
	{	// a catch-all below a port's flow, above it, level with it
		const char *below[] = {"priority=0,actions=drop", "priority=10,in_port=1,actions=drop"};
		const char *above[] = {"priority=20,actions=drop", "priority=10,in_port=1,actions=drop"};
		const char *level[] = {"priority=10,actions=drop", "priority=10,in_port=1,actions=drop"};

		check_port_flows(below, 2, -1, (int[]){1, 0, 0}, 3);
		check_port_flows(above, 2, -1, (int[]){0, 0, 0}, 3);
		check_port_flows(level, 2, -1, (int[]){-1, 0, 0}, 3);
	}
	// random tables: a port's flow is what every lookup from that port finds
	srand(7);
	unsigned with_flow = 0;
	for (unsigned round = 0; round < 400; round++) {
		struct psw_flow *f[12];
		unsigned n = 1 + (unsigned)rand() % 12;
		const struct psw_flow **pf;
		struct cls_table *t;

		for (unsigned i = 0; i < n; i++) {
			unsigned shape = (unsigned)rand() % 8;
			unsigned prio = round % 3 == 0 ? i : (unsigned)rand() % 1000 * 16 + i; // unique

			if (shape >= 6) {
				char text[64];

				snprintf(text, sizeof(text), "priority=%u,actions=drop", prio);
				f[i] = mk(text);
			} else {
				f[i] = random_flow(prio, shape >= 4 ? 0 : shape);
			}
			if (rand() % 8 == 0)
				f[i]->goto_table = 1;
		}
		// the random in_port flows may repeat a match and priority: skip
		// such a table (identities must be unique)
		bool dup = false;
		for (unsigned i = 0; i < n; i++)
			for (unsigned j = i + 1; j < n; j++)
				dup |= cls_flow_order(f[i], f[j]) == 0;
		t = dup ? NULL : cls_table_build((const struct psw_flow *const *)f, n, NULL);
		pf = t != NULL ? pipeline_port_flows(t) : NULL;
		for (unsigned p = 1; pf != NULL && p <= 8; p++) {
			if (pf[p] == NULL)
				continue;
			with_flow++;
			assert_int_equal(pf[p]->goto_table, PSW_NO_TABLE);
			for (unsigned k = 0; k < 40; k++) {
				struct psw_flow_key key = random_packet();

				key.in_port = (uint16_t)p;
				assert_ptr_equal(cls_lookup(t, &key), pf[p]);
			}
		}
		free(pf);
		cls_table_free(t);
		for (unsigned i = 0; i < n; i++)
			free(f[i]);
	}
	assert_true(with_flow > 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_priorities_and_masks),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_random_against_linear),
		cmocka_unit_test(test_rebuild_shares_unchanged_subtables),
		cmocka_unit_test(test_emc),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_port_flows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
