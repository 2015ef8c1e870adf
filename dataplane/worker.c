// SPDX-License-Identifier: BSD-3-Clause
// The PMD loop: poll the assigned rx queues, switch each burst, stay a
// quiescent RCU reader between bursts.
#include "actions.h"
#include "classifier.h"
#include "pmd.h"
#include "tx.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>
#include <unistd.h>

struct pmd *psw_pmds[PSW_MAX_PMDS];
unsigned psw_n_pmds;
struct port_table *psw_active_ports;

static inline void count_flows(struct pmd *pmd, const struct psw_flow *const *chain,
	unsigned n, uint32_t len)
{
	for (unsigned i = 0; i < n; i++) {
		struct flow_stats *s = &chain[i]->stats[pmd->index];

		s->packets++;
		s->bytes += len;
		s->used_tsc = pmd->now_tsc;
	}
}

void pmd_process_burst(struct pmd *pmd, const struct pmd_rxq *rxq, struct rte_mbuf **pkts,
	uint16_t n)
{
	const struct psw_pipeline *pl = pmd->pl;
	struct port_pmd_stats *ps = &rxq->port->stats[pmd->index];
	const struct psw_flow *walk[PSW_MAX_CHAIN];
	uint64_t bytes = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct psw_flow *const *chain;
		enum psw_drop_reason verdict;
		struct psw_flow_key key;
		struct emc_entry *e;
		unsigned n_chain;
		uint32_t hash;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		bytes += m->pkt_len;
		verdict = flow_extract(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len,
			rxq->ofport, &key);
		if (unlikely(verdict != PSW_DROP_NONE)) {
			pmd->stats.drops[verdict]++;
			rte_pktmbuf_free(m);
			continue;
		}
		hash = emc_hash(&key);
		e = emc_lookup(&pmd->emc, &key, hash, pl->version);
		if (likely(e != NULL)) {
			pmd->stats.emc_hits++;
			chain = e->chain;
			n_chain = e->n_chain;
			verdict = e->verdict;
		} else {
			struct psw_flow_key walk_key = key;

			verdict = pipeline_lookup(pl, &walk_key, walk, &n_chain);
			if (verdict == PSW_DROP_NONE)
				pmd->stats.cls_hits++;
			else
				pmd->stats.cls_misses++;
			emc_insert(&pmd->emc, &key, hash, pl->version, walk, n_chain, (uint8_t)verdict);
			chain = walk;
		}
		count_flows(pmd, chain, n_chain, m->pkt_len);
		actions_execute(pmd, m, rxq->ofport, chain, n_chain, verdict);
	}
	ps->rx_packets += n;
	ps->rx_bytes += bytes;
	pmd->stats.rx_packets += n;
}

int pmd_main(void *arg)
{
	struct pmd *pmd = arg;
	struct rte_mbuf *pkts[PSW_BURST];

	urcu_qsbr_register_thread();
	pmd->running = true;
	while (!pmd->stop) {
		const struct pmd_rxq_set *set = rcu_dereference(pmd->rxqs);
		uint64_t start = rte_rdtsc(), t0;
		bool busy = false;

		if (set == NULL || set->n == 0) {
			// Nothing to poll: sleep offline so grace periods need not wait.
			urcu_qsbr_thread_offline();
			usleep(1000);
			urcu_qsbr_thread_online();
			continue;
		}
		pmd->ports = rcu_dereference(psw_active_ports);
		pmd->pl = rcu_dereference(psw_active_pipeline);
		pmd->now_tsc = start;
		pmd->now_sec = (uint32_t)(start / pmd->tsc_hz);
		t0 = start;
		for (uint32_t i = 0; i < set->n; i++) {
			const struct pmd_rxq *rxq = &set->q[i];
			uint16_t n = rte_eth_rx_burst(rxq->eth_port, rxq->queue, pkts, PSW_BURST);
			uint64_t t1;

			if (n == 0) {
				t0 = rte_rdtsc();
				continue;
			}
			busy = true;
			pmd_process_burst(pmd, rxq, pkts, n);
			tx_flush_all(pmd);
			t1 = rte_rdtsc();
			rxq->port->rxq_stats[rxq->queue].packets += n;
			rxq->port->rxq_stats[rxq->queue].busy_cycles += t1 - t0;
			t0 = t1;
		}
		if (busy)
			pmd->stats.busy_cycles += t0 - start;
		else
			pmd->stats.idle_cycles += t0 - start;
		pmd->stats.iterations++;
		urcu_qsbr_quiescent_state();
	}
	urcu_qsbr_unregister_thread();
	pmd->running = false;
	return 0;
}
