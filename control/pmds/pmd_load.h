// SPDX-License-Identifier: BSD-3-Clause
// The load window: every interval the control thread samples the busy
// cycles of each rx queue and the busy and idle cycles of each PMD; a load
// is the sum of the last PMD_LOAD_INTERVALS samples and of the interval
// under way (Open vSwitch keeps six intervals of 10 seconds). Rebalancing,
// auto load balancing and pmd-rxq-show read loads from here, so that what
// a queue did an hour ago weighs nothing now. Control thread only.
#pragma once

#include "core/load_window.h"
#include "port.h"

#include <stdint.h>

#define PMD_LOAD_INTERVALS LOAD_INTERVALS

// Closes the interval under way.
void pmd_load_sample(void);

// Busy cycles of queue 'q' of 'p' in the window.
uint64_t pmd_load_rxq(const struct psw_port *p, uint16_t q);

// Cycles of PMD 'pmd' in the window: busy, and busy plus idle.
uint64_t pmd_load_busy(unsigned pmd);
uint64_t pmd_load_total(unsigned pmd);

// Samples taken, up to PMD_LOAD_INTERVALS.
unsigned pmd_load_samples(void);
