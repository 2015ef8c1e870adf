// SPDX-License-Identifier: BSD-3-Clause
// A log-linear latency histogram: 16 sub-buckets per power of two, so a
// percentile read from it is within about 6% of the true value, in 1 KiB of
// counters whatever the number of samples.
#pragma once

#include <stdint.h>
#include <string.h>

#define LAT_SUB 16
#define LAT_BUCKETS (64 * LAT_SUB)

struct latency {
	uint64_t count;
	uint64_t sum;
	uint64_t min;
	uint64_t max;
	uint64_t buckets[LAT_BUCKETS];
};

static inline void latency_reset(struct latency *l)
{
	memset(l, 0, sizeof(*l));
	l->min = UINT64_MAX;
}

static inline unsigned latency_bucket(uint64_t v)
{
	unsigned lg;

	if (v < LAT_SUB)
		return (unsigned)v;
	lg = 63 - (unsigned)__builtin_clzll(v);
	return (lg - 3) * LAT_SUB + (unsigned)((v >> (lg - 4)) & (LAT_SUB - 1));
}

// The smallest value that falls in bucket 'b'.
static inline uint64_t latency_bucket_low(unsigned b)
{
	unsigned lg;

	if (b < LAT_SUB)
		return b;
	lg = b / LAT_SUB + 3;
	return (1ull << lg) | ((uint64_t)(b % LAT_SUB) << (lg - 4));
}

static inline void latency_add(struct latency *l, uint64_t v)
{
	l->count++;
	l->sum += v;
	if (v < l->min)
		l->min = v;
	if (v > l->max)
		l->max = v;
	l->buckets[latency_bucket(v)]++;
}

// The value below which a fraction 'q' of the samples lie (0 <= q <= 1).
static inline uint64_t latency_quantile(const struct latency *l, double q)
{
	uint64_t want, seen = 0;

	if (l->count == 0)
		return 0;
	want = (uint64_t)(q * (double)l->count);
	if (want >= l->count)
		want = l->count - 1;
	for (unsigned b = 0; b < LAT_BUCKETS; b++) {
		seen += l->buckets[b];
		if (seen > want) {
			uint64_t v = latency_bucket_low(b);
			return v < l->min ? l->min : v > l->max ? l->max : v;
		}
	}
	return l->max;
}
