// SPDX-License-Identifier: BSD-3-Clause
// A PMD thread's private state: its rx queues, exact-match cache, tx buffers
// and counters.
#pragma once

#include "emc.h"
#include "fdb.h"
#include "flow.h"
#include "port.h"

#include <rte_mbuf.h>

#define PSW_BURST 32

struct pmd_rxq {
	uint16_t eth_port;
	uint16_t queue;
	uint16_t ofport;
	struct psw_port *port;
};

// Thread-safety: built by the control thread, published per PMD with
// rcu_assign_pointer, freed after a grace period.
struct pmd_rxq_set {
	uint32_t n;
	struct rcu_head rcu;
	struct pmd_rxq q[];
};

// Thread-safety: written only by the PMD; read racily by the control thread.
struct pmd_stats {
	uint64_t iterations;
	uint64_t busy_iterations; // iterations that received packets
	uint64_t rx_packets;
	uint64_t busy_cycles;  // cycles of iterations that received packets
	uint64_t idle_cycles;
	uint64_t sleep_ns;     // idle time slept (--pmd-sleep-max), within idle_cycles
	uint64_t sleeps;
	uint64_t emc_hits;
	uint64_t port_flow_hits; // frames that took their port's flow, no lookup
	uint64_t cls_hits;     // classifier lookups that found a flow
	uint64_t cls_misses;   // classifier lookups that missed a table
	uint64_t cls_probes;   // subtables searched by the table-0 lookups of cache misses
	uint64_t recirculations; // packets looked up again after a recirculation
	uint64_t learn_queued;
	uint64_t learn_dropped; // learn ring full
	uint64_t icmp_errors;   // ICMP errors the router sent (TTL, MTU, unreachable)
	uint64_t icmp_limited;  // ICMP errors not sent: over the PMD's rate
	uint64_t punted;        // copies given to the control thread
	uint64_t injected;      // packets the control thread sent through this PMD
	uint64_t drops[PSW_DROP_REASON_COUNT];
} __rte_cache_aligned;

// What NORMAL decided for the last frame it saw without an exact-match cache
// entry (a port flow's frames): the next frame of the same input port, MACs
// and VLAN takes the same output, without learning or looking up again,
// under the rules of the cache's hint (the same MAC table version, and the
// same second, so that aging still sees the source refreshed).
struct l2_memo {
	uint8_t dst[6];
	uint8_t src[6];
	uint16_t vlan;
	uint16_t in_port;
	uint16_t out;         // the learned port, or EMC_L2_FLOOD
	uint16_t learned_sec; // low bits of the second it was made in
	uint32_t fdb_version; // 0: empty
};

// A rate a PMD keeps to (ICMP errors, copies to the control thread): a
// generic cell rate, 'tat' the time the next one is due (pmd_rate_take).
struct pmd_rate {
	uint64_t tat;
};

static inline bool pmd_rate_take(struct pmd_rate *r, uint64_t now_tsc, uint64_t tsc_hz,
	unsigned per_sec, unsigned burst)
{
	uint64_t step = tsc_hz / per_sec;

	if (r->tat < now_tsc)
		r->tat = now_tsc;
	if (r->tat - now_tsc > step * (burst - 1))
		return false;
	r->tat += step;
	return true;
}

struct tx_buf {
	uint16_t n;
	struct rte_mbuf *pkts[PSW_BURST];
};

struct psw_mirror_map;
struct psw_mac_table;
struct psw_router;
struct rte_ring;

// A PMD's private state. Thread-safety: written by its PMD, apart from
// 'stop' (the control thread); the counters are read racily by the control
// thread, which made the PMD and frees it after it stopped.
struct pmd {
	unsigned index;      // 0..n_pmds-1: slot in per-PMD arrays
	unsigned core;       // the CPU it runs on (its EAL lcore is index + 1)
	volatile bool stop;
	volatile bool running;
	uint32_t sleep_max_us;     // 0: busy-poll; else idle iterations sleep up to this long
	uint32_t sleep_us;         // the next idle sleep: doubles while idle, 0 once busy
	struct rte_mempool *pool; // rx buffers of vhost ports, and copies for multi-output
	uint64_t tsc_hz;
	// Per-iteration snapshot of the published state (dataplane/dp.h):
	// valid until the next quiescent state only.
	const struct port_table *ports;
	const struct psw_pipeline *pl;
	const struct psw_mirror_map *mirrors; // NULL: no mirror
	struct psw_mac_table *macs;
	const struct psw_router *router;     // NULL: no pod network
	struct rte_ring *punt;               // copies to the control thread
	uint64_t now_tsc;
	uint32_t now_sec;
	struct fdb_learn_msg last_learn; // one-entry cache: skip repeated learn requests
	struct l2_memo l2_memo;          // NORMAL's last decision, for frames with no cache entry
	struct pmd_trace *trace;   // NULL but in a trace's context (dataplane/trace.h)
	struct pmd_rate icmp_rate; // ICMP errors sent
	struct pmd_rate punt_rate; // copies to the control thread
	struct pmd_stats stats;
	struct pmd_stats cleared;  // control thread's baseline for pmd-stats --clear
	struct emc emc;
	uint16_t n_touched;
	uint16_t touched[PSW_MAX_PORTS];
	struct tx_buf tx[PSW_MAX_PORTS];
} __rte_cache_aligned;

struct psw_dp;

// The iteration's snapshot of the published state (dp.h) and clock.
void pmd_take_state(struct pmd *pmd, const struct psw_dp *dp, uint64_t now_tsc);

// The PMD's main loop, started on its lcore with rte_eal_remote_launch.
int pmd_main(void *arg);

// Processes one burst received on 'rxq': parse, look up, act, transmit.
// Exposed for the dataplane tests, which feed crafted bursts.
void pmd_process_burst(struct pmd *pmd, const struct pmd_rxq *rxq, struct rte_mbuf **pkts,
	uint16_t n);
