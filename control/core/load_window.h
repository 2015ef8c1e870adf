// SPDX-License-Identifier: BSD-3-Clause
// A counter's load over a window of intervals (Open vSwitch keeps six of 10
// seconds): its growth in each of the last intervals, and its value when the
// last one closed, so that what it did an hour ago weighs nothing now. The
// PMD placement keeps one per PMD and per rx queue (control/pmds/pmd_load.c).
#pragma once

#include <stdint.h>

#define LOAD_INTERVALS 6

struct load_window {
	uint64_t sample[LOAD_INTERVALS];
	uint64_t last;
};
