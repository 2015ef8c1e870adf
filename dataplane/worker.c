// SPDX-License-Identifier: BSD-3-Clause
// The PMD loop: poll the assigned rx queues, switch each burst, stay a
// quiescent RCU reader between bursts.
#include "actions.h"
#include "classifier.h"
#include "mirror.h"
#include "pmd.h"
#include "policer.h"
#include "pmd_trace.h"
#include "tx.h"
#include "dp.h"
#include "port_io.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <sys/prctl.h>
#include <unistd.h>

// Flow counters are summed over runs of packets that hit the same flow, and
// written once per run: in a burst most packets belong to few flows.
struct flow_count {
	const struct psw_flow *flow;
	uint64_t packets;
	uint64_t bytes;
};

static inline void flow_count_flush(struct pmd *pmd, struct flow_count *fc)
{
	struct flow_stats *s;

	if (fc->flow == NULL)
		return;
	// a trace counts nothing: it notes the flows it hit, in order
	if (unlikely(pmd->trace != NULL)) {
		trace_step(pmd->trace, fc->flow);
		fc->flow = NULL;
		return;
	}
	s = &fc->flow->stats[pmd->index];
	s->packets += fc->packets;
	s->bytes += fc->bytes;
	s->used_tsc = pmd->now_tsc;
	fc->flow = NULL;
}

static inline void count_flows(struct pmd *pmd, struct flow_count *fc,
	const struct psw_flow *const *chain, unsigned n, uint32_t len)
{
	for (unsigned i = 0; i < n; i++) {
		if (chain[i] != fc->flow) {
			flow_count_flush(pmd, fc);
			fc->flow = chain[i];
			fc->packets = 0;
			fc->bytes = 0;
		}
		fc->packets++;
		fc->bytes += len;
	}
}

_Static_assert(PSW_BURST <= CLS_BATCH_MAX, "a burst's cache misses fit one classifier batch");

// The packets of one pass through the pipeline: the burst as received, or
// the packets of it that recirculated, with their keys.
struct pass {
	uint16_t n;
	struct rte_mbuf *pkts[PSW_BURST];
	struct psw_flow_key keys[PSW_BURST];
	uint32_t hashes[PSW_BURST];
	uint8_t verdicts[PSW_BURST]; // a parse drop, before lookups
};

// Walks the pipeline for the packets of a pass that missed the exact-match
// cache and caches what they hit. A burst's first pass looks up table 0 for
// all of them at once; a recirculated pass each from its own table.
static void classify_misses(struct pmd *pmd, const struct psw_pipeline *pl,
	const struct pass *ps, bool first, const uint8_t *miss, unsigned n_miss,
	const struct psw_flow *(*chains)[PSW_MAX_CHAIN], uint8_t *n_chains, uint8_t *verdicts,
	struct emc_l2_ref *hints)
{
	const struct psw_flow *first_hit[PSW_BURST];

	if (first)
		pmd->stats.cls_probes += cls_lookup_batch(pl->tables[0], ps->keys, miss, n_miss,
			first_hit);
	for (unsigned j = 0; j < n_miss; j++) {
		unsigned i = miss[j];
		enum psw_drop_reason verdict = PSW_DROP_NO_FLOW;
		struct psw_flow_key walk_key = ps->keys[i];
		struct emc_entry *e;
		unsigned n_chain = 0;

		if (!first) {
			verdict = pipeline_lookup(pl, walk_key.recirc_table, &walk_key, chains[i],
				&n_chain);
		} else if (first_hit[j] != NULL) {
			chains[i][n_chain++] = first_hit[j];
			if (first_hit[j]->goto_table == PSW_NO_TABLE)
				verdict = PSW_DROP_NONE;
			else
				verdict = pipeline_walk_on(pl, &walk_key, chains[i], &n_chain);
		}
		if (verdict == PSW_DROP_NONE)
			pmd->stats.cls_hits++;
		else
			pmd->stats.cls_misses++;
		// a packet of the same stream earlier in this burst has cached it
		e = emc_lookup(&pmd->emc, &ps->keys[i], ps->hashes[i], pl->version);
		if (e == NULL)
			e = emc_insert(&pmd->emc, &ps->keys[i], ps->hashes[i], pl->version, chains[i],
				n_chain, (uint8_t)verdict);
		n_chains[i] = (uint8_t)n_chain;
		verdicts[i] = (uint8_t)verdict;
		if (e != NULL)
			hints[i] = (struct emc_l2_ref){emc_l2_hint(&pmd->emc, e), e->gen};
	}
}

static inline void count_rx(struct pmd *pmd, const struct pmd_rxq *rxq, uint16_t n,
	uint64_t bytes)
{
	struct port_pmd_stats *ps = &rxq->port->stats[pmd->index];

	if (unlikely(pmd->trace != NULL))
		return;
	ps->rx_packets += n;
	ps->rx_bytes += bytes;
	pmd->stats.rx_packets += n;
}

// Drops what is over the port's ingress rate (counted as the port's
// rx_dropped, not its rx_packets); returns what is left.
static uint16_t police_rx(struct pmd *pmd, const struct pmd_rxq *rxq, struct psw_policer *policer,
	struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t kept = policer_run(policer, pkts, n, pmd->now_tsc);

	pmd->stats.drops[PSW_DROP_POLICED] += (uint64_t)(n - kept);
	rxq->port->stats[pmd->index].rx_dropped += (uint64_t)(n - kept);
	pmd->stats.rx_packets += (uint64_t)(n - kept);
	return kept;
}

// Parses one frame for its verdict (malformed or not); the key is scratch.
static inline enum psw_drop_reason frame_verdict(const struct rte_mbuf *m, uint16_t in_port,
	struct psw_flow_key *key)
{
	if (likely(m->nb_segs == 1))
		return flow_extract(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, in_port, key);
	// a jumbo frame in a chain: its headers, gathered when the first
	// buffer does not hold them all
	uint8_t hdr[PSW_MAX_HEADERS];
	uint32_t len = RTE_MIN(m->pkt_len, (uint32_t)sizeof(hdr));
	const uint8_t *d = rte_pktmbuf_read(m, 0, len, hdr);

	return flow_extract_frame(d, len, m->pkt_len, in_port, key);
}

// A burst from a port whose frames all hit 'f' whatever their headers
// (pipeline_port_flows): parsed only to drop malformed ones, with no cache
// lookup.
static void process_port_flow_burst(struct pmd *pmd, const struct pmd_rxq *rxq,
	struct rte_mbuf **pkts, uint16_t n, const struct psw_flow *f)
{
	bool direct = f->only_output != 0 && f->only_output != rxq->ofport;
	uint64_t bytes = 0, passed = 0, passed_bytes = 0;

	if (unlikely(pmd->trace != NULL)) {
		trace_note(pmd->trace, TRACE_NOTE_PORT_FLOW, 0, 0);
		direct = false; // the interpreter says why it goes where it goes
	}

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct psw_flow_key key;
		enum psw_drop_reason verdict;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		bytes += m->pkt_len;
		verdict = frame_verdict(m, rxq->ofport, &key);
		if (unlikely(verdict != PSW_DROP_NONE)) {
			pmd->stats.drops[verdict]++;
			rte_pktmbuf_free(m);
			continue;
		}
		passed++;
		passed_bytes += m->pkt_len;
		if (likely(direct)) {
			tx_enqueue(pmd, f->only_output, m);
		} else {
			struct act_reparse rp;

			// port flows never recirculate nor make new frames (pipeline_port_flows)
			if (unlikely(actions_execute(pmd, m, rxq->ofport, &f, 1, PSW_DROP_NONE, NULL,
					&rp) != ACT_DONE)) {
				pmd->stats.drops[PSW_DROP_RECIRC_DEEP]++;
				rte_pktmbuf_free(m);
			}
		}
	}
	if (passed > 0) {
		struct flow_count fc = {.flow = f, .packets = passed, .bytes = passed_bytes};

		flow_count_flush(pmd, &fc);
	}
	pmd->stats.port_flow_hits += passed;
	count_rx(pmd, rxq, n, bytes);
}

// Looks the packets of 'ps' (parsed, hashed) up in the exact-match cache,
// the misses in the classifier together, then counts and acts on them in
// order; those whose walk ends in a recirculation go to 'next' with the key
// of their next pass. Each packet keeps its own copy of the flows it hit: a
// cache entry read here may be replaced by a miss of the same pass.
static void switch_pass(struct pmd *pmd, struct pass *ps, bool first,
	struct pass *next)
{
	const struct psw_pipeline *pl = pmd->pl;
	const struct psw_flow *chains[PSW_BURST][PSW_MAX_CHAIN];
	struct emc_l2_ref hints[PSW_BURST];
	uint8_t verdicts[PSW_BURST], n_chains[PSW_BURST], miss[PSW_BURST];
	struct flow_count fc = {.flow = NULL};
	unsigned n_miss = 0;

	for (uint16_t i = 0; i < ps->n; i++) {
		struct emc_entry *e;

		n_chains[i] = 0;
		hints[i].slot = NULL;
		verdicts[i] = ps->verdicts[i];
		if (unlikely(verdicts[i] != PSW_DROP_NONE))
			continue;
		e = emc_lookup(&pmd->emc, &ps->keys[i], ps->hashes[i], pl->version);
		if (likely(e != NULL)) {
			pmd->stats.emc_hits++;
			n_chains[i] = e->n_chain;
			verdicts[i] = e->verdict;
			chains[i][0] = e->chain[0];
			chains[i][1] = e->chain[1];
			hints[i] = (struct emc_l2_ref){emc_l2_hint(&pmd->emc, e), e->gen};
		} else {
			miss[n_miss++] = (uint8_t)i;
		}
	}
	if (unlikely(n_miss > 0))
		classify_misses(pmd, pl, ps, first, miss, n_miss, chains, n_chains, verdicts, hints);
	next->n = 0;
	for (uint16_t i = 0; i < ps->n; i++) {
		struct rte_mbuf *m = ps->pkts[i];
		const struct psw_flow *const *chain = chains[i];
		enum psw_drop_reason verdict = verdicts[i];
		unsigned n_chain = n_chains[i];
		uint16_t in_port = ps->keys[i].in_port; // 0 for what the router made
		struct act_reparse rp;
		enum act_next nx;

		if (unlikely(verdict != PSW_DROP_NONE && n_chain == 0)) {
			pmd->stats.drops[verdict]++;
			rte_pktmbuf_free(m);
			continue;
		}
		count_flows(pmd, &fc, chain, n_chain, m->pkt_len);
		// the common flow, one output and nothing else, skips the interpreter
		if (likely(n_chain == 1 && verdict == PSW_DROP_NONE && chain[0]->only_output != 0 &&
			    chain[0]->only_output != in_port)) {
			tx_enqueue(pmd, chain[0]->only_output, m);
			continue;
		}
		nx = actions_execute(pmd, m, in_port, chain, n_chain, verdict,
			hints[i].slot != NULL ? &hints[i] : NULL, &rp);
		if (likely(nx == ACT_DONE))
			continue;
		unsigned r = next->n++;

		if (nx == ACT_RECIRC) {
			next->pkts[r] = m;
			next->keys[r] = ps->keys[i];
			pipeline_recirc_key(chain, n_chain, &next->keys[r]);
			next->verdicts[r] = PSW_DROP_NONE;
		} else {
			// a new frame: its key from its bytes, as a received one's
			struct psw_flow_key *k = &next->keys[r];

			next->pkts[r] = rp.m;
			next->verdicts[r] = (uint8_t)frame_verdict(rp.m, rp.in_port, k);
			k->tun_src = rp.tun_src;
			k->tun_id = rp.tun_id;
			k->recirc = 1;
			k->recirc_table = rp.table;
			if (unlikely(pmd->trace != NULL))
				trace_note(pmd->trace, TRACE_NOTE_REPARSE, rp.table, rp.in_port);
		}
	}
	flow_count_flush(pmd, &fc);
}

// Parses a burst received on 'rxq' and switches it: passes through the
// pipeline until no packet recirculates, at most PSW_MAX_RECIRC of them.
void pmd_process_burst(struct pmd *pmd, const struct pmd_rxq *rxq, struct rte_mbuf **pkts,
	uint16_t n)
{
	const struct psw_pipeline *pl = pmd->pl;
	struct pass passes[2], *ps = &passes[0], *next = &passes[1];
	uint64_t bytes = 0;
	struct psw_policer *policer = rcu_dereference(rxq->port->ingress_policer);

	if (unlikely(policer != NULL)) {
		if (unlikely(pmd->trace != NULL)) {
			trace_note(pmd->trace, TRACE_NOTE_POLICED, rxq->ofport, 0);
		} else {
			n = police_rx(pmd, rxq, policer, pkts, n);
			if (n == 0)
				return;
		}
	}
	if (unlikely(pmd->mirrors != NULL) && pmd->mirrors->rx_out[rxq->ofport] != 0)
		mirror_copy(pmd, pkts, n, pmd->mirrors->rx_out[rxq->ofport]);
	if (pl->port_flows != NULL && rxq->ofport < PSW_MAX_PORTS &&
	    pl->port_flows[rxq->ofport] != NULL) {
		process_port_flow_burst(pmd, rxq, pkts, n, pl->port_flows[rxq->ofport]);
		return;
	}
	ps->n = n;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		ps->pkts[i] = m;
		bytes += m->pkt_len;
		ps->verdicts[i] = (uint8_t)frame_verdict(m, rxq->ofport, &ps->keys[i]);
		ps->hashes[i] = emc_hash(&ps->keys[i]);
		rte_prefetch0(pmd->emc.sets[ps->hashes[i] & pmd->emc.set_mask]);
	}
	count_rx(pmd, rxq, n, bytes);
	for (unsigned pass = 1;; pass++) {
		struct pass *t;

		if (unlikely(pmd->trace != NULL))
			pmd->trace->pass = (uint8_t)pass;
		switch_pass(pmd, ps, pass == 1, next);
		if (likely(next->n == 0))
			return;
		if (unlikely(pass == PSW_MAX_RECIRC)) {
			pmd->stats.drops[PSW_DROP_RECIRC_DEEP] += next->n;
			rte_pktmbuf_free_bulk(next->pkts, next->n);
			return;
		}
		pmd->stats.recirculations += next->n;
		if (unlikely(pmd->trace != NULL))
			trace_note(pmd->trace, TRACE_NOTE_RECIRC, next->keys[0].recirc_table, 0);
		for (uint16_t i = 0; i < next->n; i++) {
			next->hashes[i] = emc_hash(&next->keys[i]);
			rte_prefetch0(pmd->emc.sets[next->hashes[i] & pmd->emc.set_mask]);
		}
		t = ps;
		ps = next;
		next = t;
	}
}

void pmd_take_state(struct pmd *pmd, const struct psw_dp *dp, uint64_t now_tsc)
{
	pmd->ports = dp->ports;
	pmd->pl = dp->pipeline;
	pmd->mirrors = dp->mirrors;
	pmd->macs = dp->macs;
	pmd->router = dp->router;
	pmd->punt = dp->punt;
	pmd->now_tsc = now_tsc;
	pmd->now_sec = (uint32_t)(now_tsc / pmd->tsc_hz);
}

// Packets the control thread sends out of ports (ARP requests to next
// hops): PMD 0 transmits them as its own.
static void pmd_inject(struct pmd *pmd, struct rte_ring *inject)
{
	struct rte_mbuf *pkts[PSW_BURST];
	unsigned n = rte_ring_sc_dequeue_burst(inject, (void **)pkts, PSW_BURST, NULL);

	for (unsigned i = 0; i < n; i++)
		tx_enqueue(pmd, pkts[i]->port, pkts[i]);
	tx_flush_all(pmd);
	pmd->stats.injected += n;
}

// An idle iteration's sleep (--pmd-sleep-max): 1 us, doubling while the PMD
// stays idle, up to the maximum; offline, so that no grace period waits.
static void pmd_idle_sleep(struct pmd *pmd)
{
	uint64_t t0 = rte_rdtsc();

	pmd->sleep_us = pmd->sleep_us == 0 ? 1 : RTE_MIN(pmd->sleep_us * 2, pmd->sleep_max_us);
	urcu_qsbr_thread_offline();
	usleep(pmd->sleep_us);
	urcu_qsbr_thread_online();
	uint64_t slept = rte_rdtsc() - t0;

	pmd->stats.sleeps++;
	pmd->stats.sleep_ns += slept * 1000000000ull / pmd->tsc_hz;
	pmd->stats.idle_cycles += slept; // idle all the same: loads stay true
}

int pmd_main(void *arg)
{
	struct pmd *pmd = arg;
	struct rte_mbuf *pkts[PSW_BURST];

	urcu_qsbr_register_thread();
	// a sleep of a few microseconds is that, not the default 50 us of slack
	if (pmd->sleep_max_us > 0)
		prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	pmd->running = true;
	while (!pmd->stop) {
		const struct psw_dp *dp = dp_read();
		const struct pmd_rxq_set *set = dp != NULL ? dp->rxqs[pmd->index] : NULL;
		uint64_t start = rte_rdtsc(), t0;
		bool busy = false;

		if (dp != NULL) {
			pmd_take_state(pmd, dp, start);
			if (unlikely(pmd->index == 0 && dp->inject != NULL &&
				     !rte_ring_empty(dp->inject)))
				pmd_inject(pmd, dp->inject);
		}
		if (set == NULL || set->n == 0) {
			// Nothing to poll: sleep offline so grace periods need not wait.
			urcu_qsbr_thread_offline();
			usleep(1000);
			urcu_qsbr_thread_online();
			continue;
		}
		t0 = start;
		for (uint32_t i = 0; i < set->n; i++) {
			const struct pmd_rxq *rxq = &set->q[i];
			uint16_t n = port_rx(rxq->port, rxq->queue, pmd->pool, pkts, PSW_BURST);
			uint64_t t1;

			// an empty poll's cycles go to the next busy queue: one
			// rdtsc less per poll
			if (n == 0)
				continue;
			busy = true;
			pmd_process_burst(pmd, rxq, pkts, n);
			tx_flush_all(pmd);
			t1 = rte_rdtsc();
			rxq->port->rxq_stats[rxq->queue].packets += n;
			rxq->port->rxq_stats[rxq->queue].busy_cycles += t1 - t0;
			t0 = t1;
		}
		if (busy) {
			pmd->stats.busy_cycles += t0 - start;
			pmd->stats.busy_iterations++;
			pmd->sleep_us = 0;
		} else {
			pmd->stats.idle_cycles += rte_rdtsc() - start;
		}
		pmd->stats.iterations++;
		urcu_qsbr_quiescent_state();
		if (!busy && pmd->sleep_max_us > 0)
			pmd_idle_sleep(pmd);
	}
	urcu_qsbr_unregister_thread();
	pmd->running = false;
	return 0;
}
