// SPDX-License-Identifier: BSD-3-Clause
#include "tx.h"
#include "port_io.h"
#include "mirror.h"
#include "policer.h"
#include "pmd_trace.h"

static void tx_drop(struct pmd *pmd, struct rte_mbuf **pkts, uint16_t n,
	enum psw_drop_reason reason)
{
	pmd->stats.drops[reason] += n;
	rte_pktmbuf_free_bulk(pkts, n);
}

// A trace's outputs: recorded with their frames as they would leave, never
// sent; what the real port would refuse is noted.
static __rte_noinline void tx_trace(struct pmd *pmd, uint16_t ofport, const struct psw_port *p)
{
	struct tx_buf *b = &pmd->tx[ofport];
	struct pmd_trace *t = pmd->trace;

	if (p != NULL) {
		if (!p->link_up)
			trace_note(t, TRACE_NOTE_PORT_DOWN, ofport, 0);
		if (rcu_dereference(p->egress_policer) != NULL)
			trace_note(t, TRACE_NOTE_POLICED, ofport, 1);
		if (pmd->mirrors != NULL && pmd->mirrors->tx_out[ofport] != 0)
			mirror_copy(pmd, b->pkts, b->n, pmd->mirrors->tx_out[ofport]);
		for (uint16_t i = 0; i < b->n && t->n_outs < TRACE_MAX_OUTS; i++) {
			struct trace_out *o = &t->outs[t->n_outs++];
			uint32_t len = RTE_MIN(b->pkts[i]->pkt_len, (uint32_t)TRACE_FRAME_MAX);
			const void *d = rte_pktmbuf_read(b->pkts[i], 0, len, o->frame);

			if (d != o->frame && d != NULL)
				memcpy(o->frame, d, len);
			o->ofport = ofport;
			o->via = (uint8_t)b->pkts[i]->hash.usr;
			o->dropped = p->link_up ? PSW_DROP_NONE : PSW_DROP_PORT_DOWN;
			o->len = (uint16_t)b->pkts[i]->pkt_len;
		}
	}
	rte_pktmbuf_free_bulk(b->pkts, b->n);
	b->n = 0;
}

// Sends what is buffered for 'ofport'. Leaves it in the touched list: the
// caller's tx_flush_all clears the list, and an empty buffer costs nothing.
void tx_flush_port(struct pmd *pmd, uint16_t ofport)
{
	struct tx_buf *b = &pmd->tx[ofport];
	const struct psw_port *p = pmd->ports->by_ofport[ofport];
	struct port_pmd_stats *st;
	struct psw_policer *policer;
	uint16_t sent, q;
	uint64_t bytes = 0;

	if (b->n == 0)
		return;
	if (unlikely(pmd->trace != NULL)) {
		tx_trace(pmd, ofport, p);
		return;
	}
	if (unlikely(p == NULL)) {
		tx_drop(pmd, b->pkts, b->n, PSW_DROP_NO_PORT);
		b->n = 0;
		return;
	}
	st = &p->stats[pmd->index];
	if (unlikely(!p->link_up)) {
		tx_drop(pmd, b->pkts, b->n, PSW_DROP_PORT_DOWN);
		st->tx_dropped += b->n;
		b->n = 0;
		return;
	}
	policer = rcu_dereference(p->egress_policer);
	if (unlikely(policer != NULL)) {
		uint16_t kept = policer_run(policer, b->pkts, b->n, pmd->now_tsc);

		pmd->stats.drops[PSW_DROP_POLICED] += (uint64_t)(b->n - kept);
		st->tx_dropped += (uint64_t)(b->n - kept);
		b->n = kept;
		if (kept == 0)
			return;
	}
	if (unlikely(pmd->mirrors != NULL) && pmd->mirrors->tx_out[ofport] != 0)
		mirror_copy(pmd, b->pkts, b->n, pmd->mirrors->tx_out[ofport]);
	for (uint16_t i = 0; i < b->n; i++)
		bytes += b->pkts[i]->pkt_len;
	q = (uint16_t)(pmd->index % p->nb_txq);
	// Fewer tx queues than PMDs: as Open vSwitch does, PMDs sharing a queue
	// take turns; never the case when queues >= PMDs.
	if (p->tx_shared)
		rte_spinlock_lock((rte_spinlock_t *)&p->txq_locks[q]);
	sent = port_tx(p, q, b->pkts, b->n);
	if (p->tx_shared)
		rte_spinlock_unlock((rte_spinlock_t *)&p->txq_locks[q]);
	if (unlikely(sent < b->n)) {
		for (uint16_t i = sent; i < b->n; i++)
			bytes -= b->pkts[i]->pkt_len;
		pmd->stats.drops[PSW_DROP_TX_FULL] += (uint64_t)(b->n - sent);
		st->tx_dropped += (uint64_t)(b->n - sent);
	}
	if (port_tx_copies(p))
		rte_pktmbuf_free_bulk(b->pkts, b->n);
	else if (unlikely(sent < b->n))
		rte_pktmbuf_free_bulk(b->pkts + sent, (unsigned)(b->n - sent));
	st->tx_packets += sent;
	st->tx_bytes += bytes;
	b->n = 0;
}
