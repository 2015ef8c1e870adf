// SPDX-License-Identifier: BSD-3-Clause
// The operator's flows across restarts: saved in the run directory within a
// second of a change, restored at start before the ports, so that a port's
// first frames meet its flows. Control thread only.
#pragma once

#include <stdint.h>

// Starts saving (on the event loop); without it nothing is saved.
int flow_save_init(void);
// Saves what is not saved yet, and stops.
void flow_save_fini(void);

// Flows whose cookie, masked with 'mask', is 'cookie' belong to an object
// that brings them back itself: not saved.
void flow_save_exclude(uint64_t cookie, uint64_t mask);

// The tables changed (flow_table.c calls it after each commit).
void flow_save_changed(void);

// Adds the saved flows. A file that cannot be read is kept aside. Returns 0
// or -errno.
int flow_restore(void);
