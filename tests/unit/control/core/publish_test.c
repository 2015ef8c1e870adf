// SPDX-License-Identifier: BSD-3-Clause
// Transactions over the dataplane's state: nothing is published before the
// outermost commit, then everything at once with one new generation; what
// a part replaced is freed after the commit, what a transaction staged and
// replaced again at once, what an aborted one staged at once and its undo
// work run in reverse order.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/publish.h"
#include "pmd.h"
#include "port.h"

#include <stdlib.h>
#include <string.h>

static int freed_ports, freed_pipelines, freed_sets;
static char log_[64];

static void free_ports(struct port_table *t)
{
	freed_ports++;
	free(t);
}

static void free_pipeline(struct psw_pipeline *p)
{
	freed_pipelines++;
	free(p);
}

static void free_mirrors(struct psw_mirror_map *m)
{
	free(m);
}

static void free_set(struct pmd_rxq_set *s)
{
	freed_sets++;
	free(s);
}

static void note(void *arg)
{
	strncat(log_, arg, sizeof(log_) - strlen(log_) - 1);
}

static int setup(void **state)
{
	static const struct dp_part_free f = {free_ports, free_pipeline, free_mirrors, free_set};

	(void)state;
	freed_ports = freed_pipelines = freed_sets = 0;
	log_[0] = '\0';
	return dp_parts_init(&f, calloc(1, sizeof(struct port_table)), NULL, NULL);
}

static int teardown(void **state)
{
	(void)state;
	dp_parts_fini();
	return 0;
}

static void test_one_publication_for_nested_changes(void **state)
{
	const struct psw_dp *before = dp_published();
	uint64_t gen = dp_generation();
	struct port_table *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct pmd_rxq_set *s = calloc(1, sizeof(*s));
	struct dp_txn *t = txn_begin(), *inner;
	const struct port_table *old = before->ports;

	(void)state;
	txn_set_ports(t, a);
	// a change inside the change joins it
	inner = txn_begin();
	assert_ptr_equal(inner, t);
	txn_set_ports(inner, b);        // replaces what this transaction staged: freed now
	assert_int_equal(freed_ports, 1);
	txn_set_rxqs(inner, 3, s);
	assert_int_equal(txn_after_commit(inner, note, "x"), 0);
	assert_int_equal(txn_commit(inner), 0);
	// nothing is published yet; the control thread sees the staged state
	assert_ptr_equal(dp_published()->ports, old);
	assert_ptr_equal(dp_view()->ports, b);
	assert_string_equal(log_, "");
	assert_int_equal(txn_commit(t), 0);
	assert_ptr_equal(dp_published()->ports, b);
	assert_ptr_equal(dp_published()->rxqs[3], s);
	assert_int_equal(dp_generation(), gen + 1);
	// the table it replaced went after the grace period, and the work with it
	assert_int_equal(freed_ports, 2);
	assert_string_equal(log_, "x");
	assert_ptr_equal(dp_view(), dp_published());
}

static void test_an_abort_undoes_everything(void **state)
{
	const struct port_table *old = dp_published()->ports;
	uint64_t gen = dp_generation();
	struct dp_txn *t = txn_begin(), *inner;

	(void)state;
	txn_set_ports(t, calloc(1, sizeof(struct port_table)));
	assert_int_equal(txn_on_abort(t, note, "1"), 0);
	inner = txn_begin();
	txn_set_rxqs(inner, 0, calloc(1, sizeof(struct pmd_rxq_set)));
	assert_int_equal(txn_on_abort(inner, note, "2"), 0);
	assert_int_equal(txn_after_commit(inner, note, "never"), 0);
	// a part fails: the change is doomed, whatever the outer level does
	txn_abort(inner);
	assert_int_equal(txn_commit(t), -ECANCELED);
	assert_ptr_equal(dp_published()->ports, old);
	assert_null(dp_published()->rxqs[0]);
	assert_int_equal(dp_generation(), gen);
	assert_int_equal(freed_ports, 1);
	assert_int_equal(freed_sets, 1);
	// undone in reverse order, and no after-commit work
	assert_string_equal(log_, "21");
}

static void test_a_change_of_nothing_publishes_nothing(void **state)
{
	uint64_t gen = dp_generation();
	struct dp_txn *t = txn_begin();

	(void)state;
	assert_int_equal(txn_after_commit(t, note, "w"), 0);
	assert_int_equal(txn_commit(t), 0);
	assert_int_equal(dp_generation(), gen);
	// after-commit work still runs (after a grace period of its own)
	assert_string_equal(log_, "w");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_publication_for_nested_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_an_abort_undoes_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_change_of_nothing_publishes_nothing, setup,
			teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
