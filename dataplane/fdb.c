// SPDX-License-Identifier: BSD-3-Clause
// The MAC table's storage, which the PMDs read and control/l2/fdb.c writes.
#include "fdb.h"

struct rte_hash *fdb_hash;
volatile uint32_t fdb_version = 1;
struct rte_ring *fdb_learn_ring;
