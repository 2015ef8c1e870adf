// SPDX-License-Identifier: BSD-3-Clause
#include "core/publish.h"
#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct txn_op {
	loop_cb_t fn;
	void *arg;
};

struct op_list {
	struct txn_op *ops;
	unsigned n, cap;
};

struct dp_txn {
	unsigned depth;
	bool doomed;   // a part failed: the outermost level undoes all
	bool staged;   // a part of 'next' differs from the published state
	struct psw_dp next;
	struct op_list after, undo;
};

// Two roots, used in turn: the one published, and the one the next commit
// fills, which no PMD reads any more once the grace period of the commit
// before has passed. A commit needs no allocation.
static struct psw_dp roots[2];
static unsigned cur;
static struct dp_txn txn;
static struct dp_part_free part_free;

const struct psw_dp *dp_published(void)
{
	return &roots[cur];
}

const struct psw_dp *dp_view(void)
{
	return txn.depth > 0 ? &txn.next : &roots[cur];
}

uint64_t dp_generation(void)
{
	return roots[cur].gen;
}

struct dp_txn *txn_begin(void)
{
	if (txn.depth++ == 0) {
		txn.doomed = false;
		txn.staged = false;
		txn.next = roots[cur];
	}
	return &txn;
}

static int op_add(struct op_list *l, loop_cb_t fn, void *arg)
{
	if (l->n == l->cap) {
		unsigned cap = l->cap ? l->cap * 2 : 16;
		struct txn_op *ops = realloc(l->ops, cap * sizeof(*ops));

		if (ops == NULL)
			return -ENOMEM;
		l->ops = ops;
		l->cap = cap;
	}
	l->ops[l->n++] = (struct txn_op){fn, arg};
	return 0;
}

int txn_after_commit(struct dp_txn *t, loop_cb_t fn, void *arg)
{
	return op_add(&t->after, fn, arg);
}

int txn_on_abort(struct dp_txn *t, loop_cb_t fn, void *arg)
{
	return op_add(&t->undo, fn, arg);
}

// A part of the state: its value in two states, and how it is freed.
struct part {
	const void *a, *b;
	void (*free_fn)(void *);
};

#define N_PARTS (4 + PSW_MAX_PMDS)

static void parts_of(const struct psw_dp *a, const struct psw_dp *b, struct part *out)
{
	out[0] = (struct part){a->ports, b->ports, (void (*)(void *))part_free.ports};
	out[1] = (struct part){a->pipeline, b->pipeline, (void (*)(void *))part_free.pipeline};
	out[2] = (struct part){a->mirrors, b->mirrors, (void (*)(void *))part_free.mirrors};
	out[3] = (struct part){a->router, b->router, free};
	for (unsigned i = 0; i < PSW_MAX_PMDS; i++)
		out[4 + i] = (struct part){a->rxqs[i], b->rxqs[i], (void (*)(void *))part_free.rxqs};
}

// Frees the parts of 'a' that 'b' does not share.
static void free_unshared(const struct psw_dp *a, const struct psw_dp *b)
{
	struct part parts[N_PARTS];

	parts_of(a, b, parts);
	for (unsigned i = 0; i < N_PARTS; i++)
		if (parts[i].a != parts[i].b && parts[i].a != NULL)
			parts[i].free_fn((void *)parts[i].a);
}

// A part staged again: what this transaction staged before goes at once.
static void set_part(const void **slot, const void *published, const void *next,
	void (*free_fn)(void *))
{
	const void *prev = *slot;

	*slot = next;
	txn.staged = true;
	if (prev != published && prev != next && prev != NULL)
		free_fn((void *)prev);
}

void txn_set_ports(struct dp_txn *t, struct port_table *next)
{
	set_part((const void **)&t->next.ports, roots[cur].ports, next,
		(void (*)(void *))part_free.ports);
}

void txn_set_pipeline(struct dp_txn *t, struct psw_pipeline *next)
{
	set_part((const void **)&t->next.pipeline, roots[cur].pipeline, next,
		(void (*)(void *))part_free.pipeline);
}

void txn_set_mirrors(struct dp_txn *t, struct psw_mirror_map *next)
{
	set_part((const void **)&t->next.mirrors, roots[cur].mirrors, next,
		(void (*)(void *))part_free.mirrors);
}

void txn_set_router(struct dp_txn *t, struct psw_router *next)
{
	set_part((const void **)&t->next.router, roots[cur].router, next, free);
}

void txn_set_rxqs(struct dp_txn *t, unsigned pmd, struct pmd_rxq_set *next)
{
	set_part((const void **)&t->next.rxqs[pmd], roots[cur].rxqs[pmd], next,
		(void (*)(void *))part_free.rxqs);
}

static void txn_reset(void)
{
	txn.after.n = 0;
	txn.undo.n = 0;
	txn.depth = 0;
	txn.doomed = false;
	txn.staged = false;
}

static void undo(void)
{
	free_unshared(&txn.next, &roots[cur]);
	for (unsigned i = txn.undo.n; i-- > 0;)
		txn.undo.ops[i].fn(txn.undo.ops[i].arg);
	txn_reset();
}

void txn_abort(struct dp_txn *t)
{
	if (t->depth > 1) {
		t->depth--;
		t->doomed = true;
		return;
	}
	undo();
}

int txn_commit(struct dp_txn *t)
{
	struct psw_dp *next;

	if (t->depth > 1) {
		t->depth--;
		return 0;
	}
	if (t->doomed) {
		undo();
		return -ECANCELED;
	}
	if (t->staged) {
		next = &roots[cur ^ 1];
		*next = t->next;
		next->gen = roots[cur].gen + 1;
		dp_publish(next);
		synchronize_rcu();
		// roots[cur] is what the PMDs read until the grace period ended
		free_unshared(&roots[cur], next);
		cur ^= 1;
	} else if (t->after.n > 0) {
		// after-commit work may free what PMDs reached outside the state
		// (the MAC table's entries): it waits a grace period too
		synchronize_rcu();
	}
	for (unsigned i = 0; i < t->after.n; i++)
		t->after.ops[i].fn(t->after.ops[i].arg);
	txn_reset();
	return 0;
}

int dp_parts_init(const struct dp_part_free *f, struct port_table *ports,
	struct psw_pipeline *pipeline, struct psw_mac_table *macs)
{
	part_free = *f;
	memset(roots, 0, sizeof(roots));
	cur = 0;
	roots[0].ports = ports;
	roots[0].pipeline = pipeline;
	roots[0].macs = macs;
	roots[0].gen = 1;
	dp_publish(&roots[0]);
	return 0;
}

void dp_parts_set_rings(struct rte_ring *punt, struct rte_ring *inject)
{
	// before the PMDs start: every later state copies them
	roots[cur].punt = punt;
	roots[cur].inject = inject;
}

void dp_parts_fini(void)
{
	static const struct psw_dp none;

	dp_publish(NULL);
	synchronize_rcu();
	free_unshared(&roots[cur], &none);
	memset(roots, 0, sizeof(roots));
	free(txn.after.ops);
	free(txn.undo.ops);
	memset(&txn, 0, sizeof(txn));
}
