// SPDX-License-Identifier: BSD-3-Clause
// Placing rx queues on PMDs: by count, by load, pins and isolation, queues
// that stay; and when auto load balancing finds a move worth it.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pmds/rxq_sched.h"

#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

static void item(struct rxq_sched_item *it, uint64_t load, int pin)
{
	*it = (struct rxq_sched_item){.load = load, .pin = pin, .pmd = NONE};
}

static void test_unmeasured_queues_spread_by_count(void **state)
{
	struct rxq_sched_item q[5];
	struct rxq_sched s;

	(void)state;
	for (int i = 0; i < 5; i++)
		item(&q[i], 0, -1);
	assert_int_equal(rxq_sched_assign(q, 5, 2, true, &s), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(q[i].pmd, (unsigned)(i % 2));
	assert_int_equal(s.n_queues[0], 3);
	assert_int_equal(s.n_queues[1], 2);
	assert_int_equal(s.load[0], 3);
}

static void test_heaviest_first_to_the_least_loaded(void **state)
{
	struct rxq_sched_item q[4];
	struct rxq_sched s;

	(void)state;
	item(&q[0], 10, -1);
	item(&q[1], 50, -1);
	item(&q[2], 30, -1);
	item(&q[3], 20, -1);
	assert_int_equal(rxq_sched_assign(q, 4, 2, true, &s), 0);
	// 50 -> 0; 30 -> 1; 20 -> 1 (30 < 50); 10 -> 0 (50 = 50, fewer queues)
	assert_int_equal(q[1].pmd, 0);
	assert_int_equal(q[2].pmd, 1);
	assert_int_equal(q[3].pmd, 1);
	assert_int_equal(q[0].pmd, 0);
	assert_int_equal(s.load[0], 60);
	assert_int_equal(s.load[1], 50);
}

static void test_pins_isolate_their_pmd(void **state)
{
	struct rxq_sched_item q[4];
	struct rxq_sched s;

	(void)state;
	item(&q[0], 5, 1);
	item(&q[1], 100, -1);
	item(&q[2], 100, -1);
	item(&q[3], 100, -1);
	assert_int_equal(rxq_sched_assign(q, 4, 3, true, &s), 0);
	assert_int_equal(q[0].pmd, 1);
	assert_true(s.isolated[1]);
	assert_false(s.isolated[0] || s.isolated[2]);
	for (int i = 1; i < 4; i++)
		assert_int_not_equal(q[i].pmd, 1);
	assert_int_equal(s.n_queues[1], 1);
	// without isolation the pinned PMD takes others too, its pin's load first
	for (int i = 0; i < 4; i++)
		q[i].pmd = NONE;
	assert_int_equal(rxq_sched_assign(q, 4, 3, false, &s), 0);
	assert_false(s.isolated[1]);
	assert_int_equal(s.n_queues[1], 2);
	assert_int_equal(s.load[1], 105);
}

static void test_every_pmd_pinned_isolates_none(void **state)
{
	struct rxq_sched_item q[3];
	struct rxq_sched s;

	(void)state;
	item(&q[0], 5, 0);
	item(&q[1], 5, 1);
	item(&q[2], 7, -1);
	assert_int_equal(rxq_sched_assign(q, 3, 2, true, &s), 0);
	assert_false(s.isolated[0] || s.isolated[1]);
	assert_true(q[2].pmd < 2);
}

static void test_staying_queues_keep_their_pmd(void **state)
{
	struct rxq_sched_item q[5];
	struct rxq_sched s;

	(void)state;
	// three queues stay where they are, all on PMD 0; a new queue goes to
	// the emptier PMD 1; a queue on a PMD isolated now moves
	for (int i = 0; i < 3; i++) {
		item(&q[i], 40, -1);
		q[i].pmd = 0;
		q[i].stay = true;
	}
	item(&q[3], 1, -1);
	q[3].stay = true; // no PMD yet: placed
	item(&q[4], 1, 2);
	q[2].pmd = 2;     // staying, but PMD 2 is isolated by q[4]'s pin
	assert_int_equal(rxq_sched_assign(q, 5, 3, true, &s), 0);
	assert_int_equal(q[0].pmd, 0);
	assert_int_equal(q[1].pmd, 0);
	assert_int_equal(q[2].pmd, 1);
	assert_int_equal(q[3].pmd, 1);
	assert_int_equal(q[4].pmd, 2);
	// the same queues placed anew spread out
	for (int i = 0; i < 5; i++)
		q[i].stay = false;
	assert_int_equal(rxq_sched_assign(q, 5, 3, true, &s), 0);
	assert_int_not_equal(q[0].pmd, q[1].pmd);
}

static void test_bad_pin_is_reported_and_ignored(void **state)
{
	struct rxq_sched_item q[2];
	struct rxq_sched s;

	(void)state;
	item(&q[0], 1, 5);
	item(&q[1], 1, -1);
	assert_int_equal(rxq_sched_assign(q, 2, 2, true, &s), -1);
	assert_true(q[0].pmd < 2);
	assert_false(s.isolated[0] || s.isolated[1]);
	assert_int_equal(rxq_sched_assign(q, 2, 0, true, &s), -1);
	assert_int_equal(rxq_sched_assign(q, 2, RXQ_SCHED_MAX_PMDS + 1, true, &s), -1);
}

static void test_tally_of_present_placement(void **state)
{
	struct rxq_sched_item q[3];
	struct rxq_sched s;

	(void)state;
	item(&q[0], 30, -1);
	item(&q[1], 0, -1);
	item(&q[2], 9, 1);
	q[0].pmd = 0;
	q[1].pmd = 0;
	q[2].pmd = 1;
	rxq_sched_tally(q, 3, 2, true, &s);
	assert_int_equal(s.load[0], 31);
	assert_int_equal(s.n_queues[0], 2);
	assert_int_equal(s.load[1], 9);
	assert_true(s.isolated[1]);
}

static void test_auto_lb_decision(void **state)
{
	struct rxq_sched_item q[2];
	struct rxq_sched cur, next;
	double busy[2] = {97, 3};
	struct auto_lb_check c = {.load_threshold = 95, .improvement_threshold = 25};

	(void)state;
	// two queues of 45% each on PMD 0: moving one evens the PMDs
	item(&q[0], 45, -1);
	item(&q[1], 45, -1);
	q[0].pmd = q[1].pmd = 0;
	rxq_sched_tally(q, 2, 2, true, &cur);
	assert_int_equal(rxq_sched_assign(q, 2, 2, true, &next), 0);
	assert_int_not_equal(q[0].pmd, q[1].pmd);
	assert_true(rxq_sched_variance(&cur, 100) > 2000);
	assert_true(rxq_sched_variance(&next, 100) < 1e-9);
	assert_true(auto_lb_worth_it(&cur, &next, busy, 100, &c));
	assert_true(c.overloaded);
	assert_true(c.improvement > 99.9);
	// no PMD over the threshold: nothing moves
	busy[0] = 90;
	assert_false(auto_lb_worth_it(&cur, &next, busy, 100, &c));
	assert_false(c.overloaded);
	// improvement under the threshold: nothing moves
	busy[0] = 97;
	c.improvement_threshold = 100.5;
	assert_false(auto_lb_worth_it(&cur, &next, busy, 100, &c));
	// one heavy queue: placing it anew changes nothing
	c.improvement_threshold = 25;
	item(&q[0], 90, -1);
	item(&q[1], 1, -1);
	q[0].pmd = 0;
	q[1].pmd = 1;
	rxq_sched_tally(q, 2, 2, true, &cur);
	rxq_sched_assign(q, 2, 2, true, &next);
	assert_false(auto_lb_worth_it(&cur, &next, busy, 100, &c));
	assert_true(c.overloaded);
	// only one PMD open to unpinned queues: nowhere to move them
	item(&q[0], 45, -1);
	item(&q[1], 45, 1);
	q[0].pmd = 0;
	q[1].pmd = 1;
	rxq_sched_tally(q, 2, 2, true, &cur);
	rxq_sched_assign(q, 2, 2, true, &next);
	assert_false(auto_lb_worth_it(&cur, &next, busy, 100, &c));
}

// Random loads and pins: every queue placed on an existing PMD, pins kept,
// isolated PMDs hold their pins alone, and the greedy bound holds: no open
// PMD carries more than the open PMDs' average plus the heaviest queue.
static void test_random_placements(void **state)
{
	(void)state;
	srand(7);
	for (int round = 0; round < 2000; round++) {
		unsigned n_pmds = 1 + (unsigned)rand() % 8, n = (unsigned)rand() % 40;
		struct rxq_sched_item q[40];
		struct rxq_sched s;
		uint64_t open_sum = 0, heaviest = 0, open_max = 0;
		unsigned n_open = 0;

		for (unsigned i = 0; i < n; i++) {
			item(&q[i], rand() % 4 == 0 ? 0 : (uint64_t)(rand() % 1000000),
				rand() % 10 == 0 ? rand() % (int)n_pmds : -1);
			if (rand() % 3 == 0) {
				q[i].stay = true;
				q[i].pmd = (unsigned)rand() % (n_pmds + 1);
			}
		}
		assert_int_equal(rxq_sched_assign(q, n, n_pmds, rand() % 2, &s), 0);
		for (unsigned i = 0; i < n; i++) {
			assert_true(q[i].pmd < n_pmds);
			if (q[i].pin >= 0)
				assert_int_equal(q[i].pmd, (unsigned)q[i].pin);
			else
				assert_false(s.isolated[q[i].pmd]);
		}
		for (unsigned p = 0; p < n_pmds; p++) {
			if (s.isolated[p])
				continue;
			n_open++;
			open_sum += s.load[p];
			open_max = s.load[p] > open_max ? s.load[p] : open_max;
		}
		for (unsigned i = 0; i < n; i++)
			if (!q[i].stay && q[i].pin < 0 && q[i].load + 1 > heaviest)
				heaviest = q[i].load + 1;
		// the bound holds for greedy placement alone: no queue pinned or
		// staying on an open PMD
		if (n_open > 0 && heaviest > 0) {
			bool fixed = false;

			for (unsigned i = 0; i < n; i++)
				fixed |= (q[i].stay || q[i].pin >= 0) && !s.isolated[q[i].pmd];
			if (!fixed)
				assert_true(open_max <= open_sum / n_open + heaviest);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unmeasured_queues_spread_by_count),
		cmocka_unit_test(test_heaviest_first_to_the_least_loaded),
		cmocka_unit_test(test_pins_isolate_their_pmd),
		cmocka_unit_test(test_every_pmd_pinned_isolates_none),
		cmocka_unit_test(test_staying_queues_keep_their_pmd),
		cmocka_unit_test(test_bad_pin_is_reported_and_ignored),
		cmocka_unit_test(test_tally_of_present_placement),
		cmocka_unit_test(test_auto_lb_decision),
		cmocka_unit_test(test_random_placements),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
