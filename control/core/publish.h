// SPDX-License-Identifier: BSD-3-Clause
// How a change reaches the PMDs: a transaction stages the next dataplane
// state (dataplane/dp.h) beside the published one, part by part, and its
// commit publishes all of it with one pointer and one grace period. A pod
// attach (its port, its queue placement, its port security) or a batch of
// flows is one transaction; a packet sees all of it or none of it.
//
// Transactions nest: txn_begin inside an open one joins it, and only the
// outermost commit publishes, so that a function that changes the state
// (flow_table_add, say) is one change on its own and a part of a bigger one
// when called from it. One transaction is open at a time. Control thread
// only.
//
// What replaced parts held is freed after the grace period; what a staged
// part that is replaced again within the transaction held, at once (no PMD
// ever saw it); what an aborted transaction staged, at once.
#pragma once

#include "core/loop.h"
#include "dp.h"

#include <stdbool.h>

struct dp_txn;

// Opens a transaction, or joins the one open. Never fails: what a commit
// needs is allocated at start.
struct dp_txn *txn_begin(void);

// Closes what txn_begin opened. The outermost commit publishes the staged
// state (if anything was staged), waits one grace period and runs the
// after-commit work. Returns 0, or -ECANCELED when the transaction was
// aborted by one of its parts (everything it staged is then undone).
int txn_commit(struct dp_txn *t);

// Gives the transaction up: the outermost level undoes everything staged,
// running the abort work in reverse order; a nested level marks it doomed.
void txn_abort(struct dp_txn *t);

// The state as the control thread sees it now: the staged one while a
// transaction is open, else the published one.
const struct psw_dp *dp_view(void);

// The state published now.
const struct psw_dp *dp_published(void);

// Stages a new value of a part. 'next' replaces what the transaction
// staged for that part before (freed at once) or, at commit, what was
// published (freed after the grace period). The freeing functions are the
// parts' owners' (dp_parts_init).
void txn_set_ports(struct dp_txn *t, struct port_table *next);
void txn_set_pipeline(struct dp_txn *t, struct psw_pipeline *next);
void txn_set_mirrors(struct dp_txn *t, struct psw_mirror_map *next);
void txn_set_rxqs(struct dp_txn *t, unsigned pmd, struct pmd_rxq_set *next);
void txn_set_router(struct dp_txn *t, struct psw_router *next); // freed with free()

// Work for after the commit's grace period (freeing what only the old
// state held, closing a removed port's device), or for an abort (undoing
// what was done outside the staged state). Returns 0 or -ENOMEM; a caller
// that cannot register its undo aborts the transaction itself.
int txn_after_commit(struct dp_txn *t, loop_cb_t fn, void *arg);
int txn_on_abort(struct dp_txn *t, loop_cb_t fn, void *arg);

// How each part's objects are freed, set once at start by their owners.
struct dp_part_free {
	void (*ports)(struct port_table *);
	void (*pipeline)(struct psw_pipeline *);
	void (*mirrors)(struct psw_mirror_map *);
	void (*rxqs)(struct pmd_rxq_set *);
};

// Publishes the first state (parts may be NULL) with 'macs', the MAC table.
// Returns 0 or -ENOMEM.
int dp_parts_init(const struct dp_part_free *f, struct port_table *ports,
	struct psw_pipeline *pipeline, struct psw_mac_table *macs);
// The rings between the PMDs and the control thread (dp.h), set once
// before the PMDs start.
void dp_parts_set_rings(struct rte_ring *punt, struct rte_ring *inject);
// Unpublishes and frees the state; call once the PMDs are stopped.
void dp_parts_fini(void);

// Publications so far (for tests and show).
uint64_t dp_generation(void);
