// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include "pmd.h"

// Runs the actions of the flows in 'chain' on 'm' (received on 'in_port'):
// the packet ends in tx buffers or is dropped and counted, or, when the last
// flow recirculates, is left to the caller (true) as the actions made it,
// its outputs taken as copies. PMD thread only. 'hint' (may be NULL) keeps
// the normal action's decision with the packet's cache entry.
bool actions_execute(struct pmd *pmd, struct rte_mbuf *m, uint16_t in_port,
	const struct psw_flow *const *chain, unsigned n_chain, enum psw_drop_reason verdict,
	const struct emc_l2_ref *hint);
