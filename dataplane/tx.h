// SPDX-License-Identifier: BSD-3-Clause
// Per-PMD tx buffers: packets are gathered per output port and sent with one
// rte_eth_tx_burst per port and burst.
#pragma once

#include "pmd.h"

#include <rte_ethdev.h>

void tx_flush_port(struct pmd *pmd, uint16_t ofport);

static inline void tx_enqueue(struct pmd *pmd, uint16_t ofport, struct rte_mbuf *m)
{
	struct tx_buf *b;

	if (unlikely(ofport >= PSW_MAX_PORTS)) {
		pmd->stats.drops[PSW_DROP_NO_PORT]++;
		rte_pktmbuf_free(m);
		return;
	}
	b = &pmd->tx[ofport];
	if (b->n == 0) {
		// a port is listed again after each flush: a burst of many
		// outputs (and mirror copies) could list more ports than there is
		// room for; one that finds the list full is sent at once
		if (unlikely(pmd->n_touched == PSW_MAX_PORTS)) {
			b->pkts[b->n++] = m;
			tx_flush_port(pmd, ofport);
			return;
		}
		pmd->touched[pmd->n_touched++] = ofport;
	}
	b->pkts[b->n++] = m;
	if (unlikely(b->n == PSW_BURST))
		tx_flush_port(pmd, ofport);
}

static inline void tx_flush_all(struct pmd *pmd)
{
	for (uint16_t i = 0; i < pmd->n_touched; i++)
		tx_flush_port(pmd, pmd->touched[i]);
	pmd->n_touched = 0;
}
