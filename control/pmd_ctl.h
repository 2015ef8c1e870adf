// SPDX-License-Identifier: BSD-3-Clause
// PMD threads: started on the cores given, fed rx queues, reported on.
// Control thread only.
#pragma once

#include <jansson.h>
#include <rte_mempool.h>

// Starts one PMD on each lcore of 'lcores'. Returns 0 or -errno.
// Starts a PMD on each of the 'n' cores, each with an exact-match cache of
// 'emc_entries' (a power of two).
int pmd_ctl_start(const unsigned *lcores, unsigned n, struct rte_mempool *pool,
	uint32_t emc_entries);
void pmd_ctl_stop(void);

// Spreads the rx queues of all ports over the PMDs (pinned queues go to their
// PMD; the rest to the least loaded) and publishes each PMD's set.
int pmd_ctl_assign_rxqs(void);

// Pins queue 'queue' of port 'name' to the PMD on 'core' (core -1 unpins).
int pmd_ctl_pin(const char *name, int queue, int core, char *err, size_t elen);

// Reassigns unpinned queues by their measured load.
int pmd_ctl_rebalance(void);

json_t *pmd_ctl_stats(void);
void pmd_ctl_stats_clear(void);
json_t *pmd_ctl_rxq_show(void);
json_t *pmd_ctl_drop_stats(void);
