// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include "pmd.h"

// What becomes of a packet once its actions ran.
enum act_next {
	ACT_DONE,    // in tx buffers, or dropped and counted
	ACT_RECIRC,  // looked up again with the key its walk made (resubmit)
	ACT_REPARSE, // a new frame (decapsulated, or an ICMP error about it): parsed
	             // and looked up again as 'struct act_reparse' says
};

struct act_reparse {
	struct rte_mbuf *m; // the packet now (an ICMP error may be a new buffer)
	uint16_t in_port;   // 0: made by the router
	uint8_t table;
	uint32_t tun_src;   // the key's tunnel fields
	uint32_t tun_id;
};

// Runs the actions of the flows in 'chain' on 'm' (received on 'in_port'):
// the packet ends in tx buffers or is dropped and counted, or is left to
// the caller as the actions made it (ACT_RECIRC, ACT_REPARSE with 'rp'
// filled), its outputs taken as copies. PMD thread only. 'hint' (may be
// NULL) keeps the normal action's decision with the packet's cache entry.
enum act_next actions_execute(struct pmd *pmd, struct rte_mbuf *m, uint16_t in_port,
	const struct psw_flow *const *chain, unsigned n_chain, enum psw_drop_reason verdict,
	const struct emc_l2_ref *hint, struct act_reparse *rp);
