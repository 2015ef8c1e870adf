// SPDX-License-Identifier: BSD-3-Clause
// The flow tables as the control thread owns them: changes built as data,
// each one publication (or a part of a bigger one), undone whole when their
// transaction is aborted, counters carried by mod-flows and given back by
// an abort, dumps that outlive the flows they hold.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "classifier.h"
#include "core/publish.h"
#include "flows/flow_build.h"
#include "flows/flow_table.h"
#include "l2/mirror_ctl.h"
#include "pmds/pmd_ctl.h"
#include "port.h"
#include "ports/port_ctl.h"

#include <stdlib.h>
#include <string.h>

static struct flow_spec udp_to(uint16_t dport, int32_t prio, uint16_t out)
{
	struct flow_spec sp;

	flow_spec_init(&sp, 0, prio, dport);
	assert_int_equal(flow_match_proto(&sp, 0x0800, 17), 0);
	assert_int_equal(flow_match_u64(&sp, MF_TP_DST, dport, 0), 0);
	assert_int_equal(flow_action_output(&sp, out), 0);
	return sp;
}

static struct psw_flow_key udp_key(uint16_t dport)
{
	struct psw_flow_key k;

	memset(&k, 0, sizeof(k));
	k.dl_type = RTE_BE16(0x0800);
	k.nw_proto = 17;
	k.tp_dst = rte_cpu_to_be_16(dport);
	k.in_port = 1;
	return k;
}

// The flow the published pipeline gives 'dport', or NULL.
static const struct psw_flow *lookup(uint16_t dport)
{
	const struct psw_pipeline *pl = dp_published()->pipeline;
	struct psw_flow_key k = udp_key(dport);

	return pl->tables[0] ? cls_lookup(pl->tables[0], &k) : NULL;
}

static int setup(void **state)
{
	static const struct dp_part_free f = {port_table_free, flow_pipeline_free, mirror_map_free,
		pmd_rxq_set_free};

	(void)state;
	dp_parts_init(&f, calloc(1, sizeof(struct port_table)), NULL, NULL);
	return flow_table_init();
}

static int teardown(void **state)
{
	(void)state;
	dp_parts_fini();
	flow_table_fini();
	return 0;
}

static void test_a_batch_is_one_publication(void **state)
{
	struct flow_spec specs[3] = {udp_to(53, 10, 2), udp_to(80, 10, 3), udp_to(443, 10, 4)};
	uint32_t version = dp_published()->pipeline->version;
	uint64_t gen = dp_generation();
	char err[256];

	(void)state;
	assert_int_equal(flow_table_add(specs, 3, err, sizeof(err)), 0);
	assert_int_equal(dp_generation(), gen + 1);
	assert_int_not_equal(dp_published()->pipeline->version, version);
	assert_int_equal(flow_table_count(), 3);
	assert_int_equal(lookup(80)->only_output, 3);
	assert_null(lookup(81));
}

static void test_changes_in_one_transaction(void **state)
{
	struct flow_spec a = udp_to(53, 10, 2), b = udp_to(80, 10, 3), filter, mod = udp_to(53, 10, 9);
	uint64_t gen = dp_generation();
	struct dp_txn *t;
	char err[256];

	(void)state;
	t = txn_begin();
	assert_int_equal(flow_table_add(&a, 1, err, sizeof(err)), 0);
	assert_int_equal(flow_table_add(&b, 1, err, sizeof(err)), 0);
	// the transaction sees its own changes, the PMDs none yet
	assert_int_equal(flow_table_count(), 2);
	assert_null(lookup(53));
	flow_spec_init(&filter, 0, 10, 0);
	assert_int_equal(flow_match_proto(&filter, 0x0800, 17), 0);
	assert_int_equal(flow_match_u64(&filter, MF_TP_DST, 80, 0), 0);
	assert_int_equal(flow_table_del(&filter, true), 1);
	assert_int_equal(flow_table_mod(&mod, true, err, sizeof(err)), 1);
	assert_int_equal(txn_commit(t), 0);
	assert_int_equal(dp_generation(), gen + 1);
	assert_int_equal(flow_table_count(), 1);
	assert_int_equal(lookup(53)->only_output, 9);
	assert_null(lookup(80));
}

static void test_an_aborted_transaction_leaves_the_tables(void **state)
{
	struct flow_spec a = udp_to(53, 10, 2), b = udp_to(80, 10, 3), mod = udp_to(53, 10, 7);
	const struct psw_flow *f;
	struct dp_txn *t;
	char err[256];

	(void)state;
	assert_int_equal(flow_table_add(&a, 1, err, sizeof(err)), 0);
	f = lookup(53);
	f->stats[0].packets = 42;
	t = txn_begin();
	assert_int_equal(flow_table_add(&b, 1, err, sizeof(err)), 0);
	// mod-flows passes the counters on: the abort gives them back
	assert_int_equal(flow_table_mod(&mod, true, err, sizeof(err)), 1);
	assert_int_equal(flow_table_replace(&b, 1, err, sizeof(err)), 0);
	txn_abort(t);
	assert_int_equal(flow_table_count(), 1);
	assert_ptr_equal(lookup(53), f);
	assert_int_equal(f->only_output, 2);
	assert_int_equal(f->stats_moved, 0);
	assert_int_equal(f->stats[0].packets, 42);
	assert_null(lookup(80));
}

static void test_a_dump_holds_its_flows(void **state)
{
	struct flow_spec specs[2] = {udp_to(53, 10, 2), udp_to(80, 20, 3)};
	struct flow_spec all;
	struct flow_dump *d;
	const struct psw_flow *f;
	char err[256];

	(void)state;
	assert_int_equal(flow_table_add(specs, 2, err, sizeof(err)), 0);
	d = flow_dump_start(NULL);
	assert_non_null(d);
	memset(&all, 0, sizeof(all));
	assert_int_equal(flow_table_del(&all, false), 2);
	// deleted from the tables, still there for the dump: highest priority first
	f = flow_dump_next(d);
	assert_int_equal(f->priority, 20);
	assert_int_equal(f->only_output, 3);
	f = flow_dump_next(d);
	assert_int_equal(f->priority, 10);
	assert_null(flow_dump_next(d));
	flow_dump_end(d);
	assert_int_equal(flow_table_count(), 0);
}

static void test_goto_table_must_go_forward(void **state)
{
	struct flow_spec sp;
	char err[256];

	(void)state;
	flow_spec_init(&sp, 3, 10, 0);
	assert_int_equal(flow_action(&sp, &(struct psw_action){.type = PSW_ACT_GOTO_TABLE,
		.table = 2}), 0);
	assert_int_equal(flow_spec_check(&sp, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "later table"));
	// nothing may follow it
	assert_int_equal(flow_action_output(&sp, 1), -EINVAL);
	// a field set twice to two values is a contradiction
	flow_spec_init(&sp, 0, 10, 0);
	assert_int_equal(flow_match_proto(&sp, 0x0800, 6), 0);
	assert_int_equal(flow_match_proto(&sp, 0x0800, 6), 0);
	assert_int_equal(flow_match_proto(&sp, 0x86dd, 6), -EINVAL);
	assert_int_equal(flow_match_u64(&sp, MF_REG0, 1ULL << 32, 0), -ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_batch_is_one_publication, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes_in_one_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_an_aborted_transaction_leaves_the_tables, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_a_dump_holds_its_flows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_goto_table_must_go_forward, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
