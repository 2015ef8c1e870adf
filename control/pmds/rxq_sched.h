// SPDX-License-Identifier: BSD-3-Clause
// Which PMD polls which rx queue, and when moving them is worth it: Open
// vSwitch's "cycles" assignment and its auto load balancing, as pure
// functions of measured loads (control/pmd_ctl.c measures and applies).
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct rxq_sched_item {
	uint64_t load; // busy cycles in the load window; 0: none measured
	int pin;       // PMD index, or -1
	bool stay;     // keep 'pmd' if it is still open to the queue
	unsigned pmd;  // in: its PMD now (any value >= n_pmds: none); out: its PMD
};

#define RXQ_SCHED_MAX_PMDS 64

// An assignment's outcome per PMD.
struct rxq_sched {
	unsigned n_pmds;
	uint64_t load[RXQ_SCHED_MAX_PMDS];     // its queues' loads (1 for an unmeasured queue)
	unsigned n_queues[RXQ_SCHED_MAX_PMDS];
	bool isolated[RXQ_SCHED_MAX_PMDS];     // polls pinned queues alone
};

// Gives every item a PMD. A pinned queue goes to its PMD; with 'isolate', a
// PMD with a pinned queue polls nothing else (unless every PMD has one, when
// none is isolated). A queue that is to stay keeps its PMD unless that PMD
// is isolated now. The others go heaviest first to the least loaded PMD,
// ties to the one with fewer queues, then the lower index; equal loads in
// the items' order. Returns 0, or -1 for
// more than RXQ_SCHED_MAX_PMDS PMDs or a pin to a PMD that does not exist (that item is
// then treated as unpinned).
int rxq_sched_assign(struct rxq_sched_item *items, unsigned n, unsigned n_pmds, bool isolate,
	struct rxq_sched *out);

// Fills 'out' for the items' present PMDs ('pmd' as given), isolation as
// rxq_sched_assign would decide it.
void rxq_sched_tally(const struct rxq_sched_item *items, unsigned n, unsigned n_pmds,
	bool isolate, struct rxq_sched *out);

// Variance of the non-isolated PMDs' loads, each in percent of 'window'
// cycles: how uneven an assignment is.
double rxq_sched_variance(const struct rxq_sched *s, uint64_t window);

struct auto_lb_check {
	double load_threshold;        // percent busy that makes a PMD overloaded
	double improvement_threshold; // percent less variance that makes a move worth it
	double improvement;           // out: percent less variance the new assignment gives
	bool overloaded;              // out: some non-isolated PMD was above the threshold
};

// Whether to move from assignment 'cur' to 'next' (both computed from the
// same queue loads over 'window' cycles), given each PMD's measured busy
// percentage: only when some non-isolated PMD is overloaded, at least two
// PMDs can take queues, and the variance drops by the threshold.
bool auto_lb_worth_it(const struct rxq_sched *cur, const struct rxq_sched *next,
	const double *busy_percent, uint64_t window, struct auto_lb_check *c);
