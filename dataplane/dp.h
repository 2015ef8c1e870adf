// SPDX-License-Identifier: BSD-3-Clause
// The contract between the control side and the PMDs: the one state the PMDs
// read, published as one pointer.
//
// Thread-safety: the control thread builds a new state beside the published
// one (control/core/publish.c), publishes it with dp_publish and frees what
// only the old one held after one grace period, so that a whole change (a
// pod's port with its queue placement and port security, a policy update)
// appears to the PMDs at once. PMDs are liburcu QSBR readers: each loop
// iteration reads the state once (dp_read) and keeps nothing of it past its
// quiescent state. Everything a state points to is immutable while
// published, apart from what the types say otherwise (counters, link state,
// the MAC table, which is a concurrent hash of its own).
#pragma once

#include "flow.h"

#include <urcu-qsbr.h>

struct port_table;
struct psw_pipeline;
struct psw_mirror_map;
struct psw_mac_table;
struct pmd_rxq_set;
struct psw_router;
struct rte_ring;

struct psw_dp {
	uint64_t gen;                         // publications so far
	const struct port_table *ports;
	const struct psw_pipeline *pipeline;
	const struct psw_mirror_map *mirrors; // NULL: no mirror
	struct psw_mac_table *macs;           // the same table in every state
	const struct psw_router *router;      // the pod network's router (l3.h); NULL: none
	// The same rings in every state: copies the PMDs give the control
	// thread (the controller action; multi-producer), and packets the
	// control thread sends out of a port (its ofport in the buffer's
	// 'port'), which PMD 0 takes and transmits.
	struct rte_ring *punt, *inject;
	const struct pmd_rxq_set *rxqs[PSW_MAX_PMDS]; // what PMD i polls; NULL: nothing
};

extern struct psw_dp *psw_dp_root;

// PMDs: the published state, once per iteration.
static inline const struct psw_dp *dp_read(void)
{
	return rcu_dereference(psw_dp_root);
}

// Control thread: publishes 'next' and returns the state it replaces, which
// PMDs may still read until a grace period has passed.
struct psw_dp *dp_publish(struct psw_dp *next);
