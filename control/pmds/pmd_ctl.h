// SPDX-License-Identifier: BSD-3-Clause
// PMD threads: started on the cores given, fed rx queues, reported on.
// Control thread only.
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <rte_mempool.h>

struct pmd;

// EAL lcore ids are pswitchd's own: 0 is the control thread, i + 1 PMD i,
// each mapped to the CPU the operator gave (--lcores), so that a PMD may
// share the control thread's CPU when the operator asks for it.
#define CONTROL_LCORE 0u
#define PMD_LCORE(i) ((unsigned)(i) + 1u)

// Starts a PMD on each of the 'n' CPUs of 'cores' (on lcores PMD_LCORE(0..n-1)),
// each with an exact-match cache of 'emc_entries' (a power of two).
// Returns 0 or -errno.
int pmd_ctl_start(const unsigned *cores, unsigned n, struct rte_mempool *pool,
	uint32_t emc_entries, unsigned sleep_max_us);
void pmd_ctl_stop(void);

// How rx queues are spread and balanced (pswitchd's --pmd-* options).
struct pmd_balance {
	bool isolate;                 // a PMD with a pinned queue polls nothing else
	bool auto_lb;                 // move queues when a PMD is overloaded
	double load_threshold;        // percent busy over the window: overloaded
	double improvement_threshold; // percent less variance that makes a move worth it
	uint64_t load_interval_ms;    // one of the load window's intervals
	uint64_t auto_lb_interval_ms; // least time between two automatic moves
};

#define PMD_BALANCE_DEFAULTS {.isolate = true, .auto_lb = false, .load_threshold = 95, \
	.improvement_threshold = 25, .load_interval_ms = 10000, .auto_lb_interval_ms = 60000}

void pmd_ctl_balance_config(const struct pmd_balance *b);

// The PMDs: i of pmd_ctl_count(), or NULL.
struct pmd *pmd_ctl_get(unsigned i);
unsigned pmd_ctl_count(void);

// Rx queues are placed as ports come and go (subscribed to their events):
// a new port's queues go to their pinned PMD or the least loaded, and no
// other port's queue moves. A queue that moves (pinning, rebalancing) is
// polled by no PMD for a grace period, never by two.

// The rx-queue set part's freeing function (control/core/publish.h).
struct pmd_rxq_set;
void pmd_rxq_set_free(struct pmd_rxq_set *s);

// Pins queue 'queue' of port 'name' to the PMD on 'core' (core -1 unpins).
int pmd_ctl_pin(const char *name, int queue, int core, char *err, size_t elen);

// Places every unpinned queue anew by its load over the window.
int pmd_ctl_rebalance(void);

// From the control loop: closes a load interval when one is due, and then
// runs auto load balancing when it is on.
void pmd_ctl_tick(uint64_t now_ms);

json_t *pmd_ctl_stats(void);
void pmd_ctl_stats_clear(void);
json_t *pmd_ctl_rxq_show(void);
json_t *pmd_ctl_drop_stats(void);
