// SPDX-License-Identifier: BSD-3-Clause
// Port mirroring (Open vSwitch's mirrors, what ovs-tcpdump builds on): a copy
// of every frame a selected port sends into the switch (as it arrived) or
// the switch sends out of one (as it leaves), given to the mirror's output
// port. The copies come from the PMD's buffer pool; a copy that finds no
// buffer is counted (no_mbuf) and the original goes on.
//
// Thread-safety: the map is built by the control thread and published whole
// with rcu_assign_pointer (NULL while no mirror exists: one pointer test per
// burst); PMDs read it once per iteration.
#pragma once

#include "pmd.h"
#include "pmd_trace.h"
#include "tx.h"

struct psw_mirror_map {
	uint16_t rx_out[PSW_MAX_PORTS]; // frames received on port i go also to rx_out[i] (0: none)
	uint16_t tx_out[PSW_MAX_PORTS]; // frames sent out of port i go also to tx_out[i]
};

static inline void mirror_copy(struct pmd *pmd, struct rte_mbuf *const *pkts, uint16_t n,
	uint16_t out)
{
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *c = rte_pktmbuf_copy(pkts[i], pmd->pool, 0, UINT32_MAX);

		if (unlikely(c == NULL)) {
			pmd->stats.drops[PSW_DROP_NO_MBUF]++;
			continue;
		}
		if (unlikely(pmd->trace != NULL))
			c->hash.usr = TRACE_VIA_MIRROR;
		tx_enqueue(pmd, out, c);
	}
}
