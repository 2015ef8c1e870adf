// SPDX-License-Identifier: BSD-3-Clause
// The token bucket behind port policing: a full bucket lets its burst
// through, the rate refills it, slivers of a byte add up, and time that goes
// back or runs long neither earns nor overflows.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "policer.h"

#define HZ 2000000000ULL // a 2 GHz TSC

static unsigned take_all(struct psw_policer *p, uint32_t len, unsigned max)
{
	unsigned n = 0;

	while (n < max && policer_take(p, len))
		n++;
	return n;
}

static void test_burst_then_rate(void **state)
{
	struct psw_policer p;

	(void)state;
	// 1,000,000 bytes/s, a burst of 10,000 bytes
	policer_init(&p, 1000000, 10000, HZ, 5000);
	assert_int_equal(take_all(&p, 1000, 100), 10);
	assert_false(policer_take(&p, 1));
	// 1 ms later: 1,000 bytes more, one frame of 1,000
	policer_refill(&p, 5000 + HZ / 1000);
	assert_int_equal(take_all(&p, 1000, 100), 1);
	// a long pause fills the bucket, no more
	policer_refill(&p, 5000 + 100 * HZ);
	assert_int_equal(take_all(&p, 1000, 100), 10);
	// a frame bigger than the burst never passes
	policer_refill(&p, 5000 + 200 * HZ);
	assert_false(policer_take(&p, 10001));
	assert_true(policer_take(&p, 10000));
}

static void test_slivers_add_up(void **state)
{
	struct psw_policer p;
	uint64_t t = 1;
	unsigned passed = 0;

	(void)state;
	// 1,000 bytes/s refilled every microsecond: a thousandth of a byte each
	// time; over 2 s, 2,000 bytes of 100-byte frames beyond the burst
	policer_init(&p, 1000, 100, HZ, t);
	assert_true(policer_take(&p, 100));
	for (unsigned i = 0; i < 2000000; i++) {
		t += HZ / 1000000;
		policer_refill(&p, t);
		passed += policer_take(&p, 100);
	}
	assert_int_equal(passed, 20);
}

static void test_time_going_back_earns_nothing(void **state)
{
	struct psw_policer p;

	(void)state;
	policer_init(&p, 1000000, 1000, HZ, 10 * HZ);
	assert_true(policer_take(&p, 1000));
	// another PMD's older reading
	policer_refill(&p, 9 * HZ);
	assert_false(policer_take(&p, 1));
	assert_int_equal(p.last_tsc, 10 * HZ);
	policer_refill(&p, 10 * HZ + HZ / 2000); // 500 bytes
	assert_true(policer_take(&p, 500));
	assert_false(policer_take(&p, 1));
}

static void test_extremes_do_not_overflow(void **state)
{
	struct psw_policer p;

	(void)state;
	// the largest burst at 400 Gbit/s, and a slow rate after a long gap
	policer_init(&p, 50000000000ULL, POLICER_MAX_BURST_BYTES, 5000000000ULL, 0);
	assert_true(policer_take(&p, POLICER_MAX_BURST_BYTES));
	policer_refill(&p, p.fill_cycles - 1);
	assert_true(p.tokens <= POLICER_MAX_BURST_BYTES * 5000000000ULL);
	assert_true(policer_take(&p, POLICER_MAX_BURST_BYTES - 64));
	policer_init(&p, 1, POLICER_MAX_BURST_BYTES, 5000000000ULL, 0);
	assert_true(policer_take(&p, 1000));
	policer_refill(&p, UINT64_MAX / 2);
	assert_int_equal(p.tokens, POLICER_MAX_BURST_BYTES * 5000000000ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_rate),
		cmocka_unit_test(test_slivers_add_up),
		cmocka_unit_test(test_time_going_back_earns_nothing),
		cmocka_unit_test(test_extremes_do_not_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
