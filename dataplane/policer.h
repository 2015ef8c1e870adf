// SPDX-License-Identifier: BSD-3-Clause
// A port's rate limit, as Open vSwitch's ingress_policing_rate/burst and its
// egress policer: a token bucket of bytes that frames beyond the rate find
// empty, and are dropped (counted "policed"). One bucket per direction of a
// port, shared by the PMDs that use it and taken once per burst under its
// spinlock (only policed ports pay for it, as in Open vSwitch).
//
// Tokens are kept in byte-cycles (bytes times the TSC rate), so that the
// sliver of a byte that a short gap between bursts earns is not lost to
// rounding at low rates.
//
// Thread-safety: created and freed (after a grace period) by the control
// thread; 'rate', 'burst' and 'hz' constant; the rest under 'lock'.
#pragma once

#include <rte_mbuf.h>
#include <rte_spinlock.h>
#include <stdbool.h>
#include <stdint.h>

#define POLICER_MAX_BURST_BYTES (1ULL << 29) // burst * hz stays under 2^62

struct psw_policer {
	rte_spinlock_t lock;
	uint64_t rate;   // bytes per second, > 0
	uint64_t burst;  // bytes, 1 .. POLICER_MAX_BURST_BYTES
	uint64_t hz;     // TSC cycles per second
	uint64_t fill_cycles; // an empty bucket is full again after this long
	uint64_t tokens; // byte-cycles, at most burst * hz
	uint64_t last_tsc;
};

static inline void policer_init(struct psw_policer *p, uint64_t rate_bytes, uint64_t burst_bytes,
	uint64_t hz, uint64_t now_tsc)
{
	rte_spinlock_init(&p->lock);
	p->rate = rate_bytes;
	p->burst = burst_bytes;
	p->hz = hz;
	p->fill_cycles = burst_bytes * hz / rate_bytes + 1;
	p->tokens = burst_bytes * hz; // a new bucket starts full
	p->last_tsc = now_tsc;
}

// Earns what the time since the last call is worth, up to a full bucket.
static inline void policer_refill(struct psw_policer *p, uint64_t now_tsc)
{
	uint64_t elapsed = now_tsc - p->last_tsc, full = p->burst * p->hz;

	// a clock that went back (another PMD's later reading came first) earns nothing
	if ((int64_t)elapsed <= 0)
		return;
	p->last_tsc = now_tsc;
	// past the fill time the bucket is full: elapsed * rate cannot overflow below it
	if (elapsed >= p->fill_cycles)
		p->tokens = full;
	else
		p->tokens = RTE_MIN(full, p->tokens + elapsed * p->rate);
}

// Whether a frame of 'len' bytes fits; takes its tokens if it does.
static inline bool policer_take(struct psw_policer *p, uint32_t len)
{
	uint64_t cost = (uint64_t)len * p->hz;

	if (p->tokens < cost)
		return false;
	p->tokens -= cost;
	return true;
}

// Keeps the frames of pkts[0..n) that fit, in their order, at the front of
// 'pkts', and frees the others. Returns how many are kept.
static inline uint16_t policer_run(struct psw_policer *p, struct rte_mbuf **pkts, uint16_t n,
	uint64_t now_tsc)
{
	uint16_t kept = 0;

	rte_spinlock_lock(&p->lock);
	policer_refill(p, now_tsc);
	for (uint16_t i = 0; i < n; i++) {
		if (policer_take(p, pkts[i]->pkt_len))
			pkts[kept++] = pkts[i];
		else
			rte_pktmbuf_free(pkts[i]);
	}
	rte_spinlock_unlock(&p->lock);
	return kept;
}
