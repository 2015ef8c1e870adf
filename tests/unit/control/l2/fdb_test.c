// SPDX-License-Identifier: BSD-3-Clause
// The MAC table's writer side: what the PMDs ask to learn, static entries
// that learning never moves, aging, flushes, and a port's entries going in
// its transaction; every change moves the table's version.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../eal_test.h"
#include "core/publish.h"
#include "fdb.h"
#include "flows/flow_table.h"
#include "l2/fdb_ctl.h"
#include "l2/mirror_ctl.h"
#include "pmds/pmd_ctl.h"
#include "port.h"
#include "ports/port_ctl.h"

#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>

static const uint8_t MAC1[6] = {2, 0, 0, 0, 0, 1}, MAC2[6] = {2, 0, 0, 0, 0, 2};
static struct psw_port *ports[4];

// A port table with ports 1-3 (the learning side checks the port exists).
static int setup(void **state)
{
	static const struct dp_part_free f = {port_table_free, flow_pipeline_free, mirror_map_free,
		pmd_rxq_set_free};
	struct port_table *t = calloc(1, sizeof(*t));

	(void)state;
	for (uint16_t i = 1; i <= 3; i++) {
		ports[i] = rte_zmalloc("p", sizeof(*ports[i]), 64);
		*(uint16_t *)&ports[i]->ofport = i;
		t->by_ofport[i] = ports[i];
		t->ofports[t->n++] = i;
	}
	assert_int_equal(fdb_init(1024, 300), 0);
	dp_parts_init(&f, t, NULL, fdb_table());
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dp_parts_fini();
	fdb_fini();
	for (unsigned i = 1; i <= 3; i++)
		rte_free(ports[i]);
	return 0;
}

static void learn(const uint8_t *mac, uint16_t vlan, uint16_t port)
{
	struct fdb_learn_msg m = {.ofport = port};

	memcpy(m.key.mac, mac, 6);
	m.key.vlan = vlan;
	assert_int_equal(rte_ring_mp_enqueue_elem(fdb_table()->learn, &m, sizeof(m)), 0);
}

static const struct fdb_entry *find(const uint8_t *mac, uint16_t vlan)
{
	return fdb_lookup(fdb_table(), mac, vlan);
}

static void test_learning_moves_and_versions(void **state)
{
	uint32_t v = fdb_table()->version;

	(void)state;
	learn(MAC1, 0, 1);
	learn(MAC1, 5, 2);
	assert_int_equal(fdb_drain_learn(), 2);
	assert_int_equal(find(MAC1, 0)->ofport, 1);
	assert_int_equal(find(MAC1, 5)->ofport, 2);
	assert_int_not_equal(fdb_table()->version, v);
	// a move
	v = fdb_table()->version;
	learn(MAC1, 0, 3);
	assert_int_equal(fdb_drain_learn(), 1);
	assert_int_equal(find(MAC1, 0)->ofport, 3);
	assert_int_not_equal(fdb_table()->version, v);
	// a port that is gone teaches nothing
	learn(MAC2, 0, 9);
	assert_int_equal(fdb_drain_learn(), 0);
	assert_null(find(MAC2, 0));
}

static void test_static_entries_stay(void **state)
{
	char err[128];

	(void)state;
	assert_int_equal(fdb_add_static(MAC2, 7, 2, false, err, sizeof(err)), 0);
	learn(MAC2, 7, 1);
	assert_int_equal(fdb_drain_learn(), 0);
	assert_int_equal(find(MAC2, 7)->ofport, 2);
	assert_true(find(MAC2, 7)->is_static);
	fdb_flush(false);
	assert_non_null(find(MAC2, 7));
	assert_int_equal(fdb_add_static(MAC2, 4096, 2, false, err, sizeof(err)), -EINVAL);
	assert_int_equal(fdb_add_static(MAC2, 1, 9, false, err, sizeof(err)), -ENOENT);
	assert_int_equal(fdb_del(MAC2, 7), 0);
	assert_null(find(MAC2, 7));
	assert_int_equal(fdb_del(MAC2, 7), -ENOENT);
}

static void test_aging(void **state)
{
	(void)state;
	learn(MAC1, 0, 1);
	fdb_drain_learn();
	fdb_set_age(1000);
	fdb_age();
	assert_non_null(find(MAC1, 0));
	// seen long ago
	((struct fdb_entry *)find(MAC1, 0))->last_seen -= 5000;
	fdb_age();
	assert_null(find(MAC1, 0));
}

static void test_a_port_takes_its_entries_in_its_transaction(void **state)
{
	struct dp_txn *t;
	char err[128];

	(void)state;
	learn(MAC1, 0, 1);
	learn(MAC2, 0, 2);
	fdb_drain_learn();
	assert_int_equal(fdb_add_static(MAC1, 9, 1, false, err, sizeof(err)), 0);
	t = txn_begin();
	fdb_flush_port(1, t);
	// the entries are gone from the table at once, freed after the commit
	assert_null(find(MAC1, 0));
	assert_null(find(MAC1, 9));
	assert_non_null(find(MAC2, 0));
	assert_int_equal(txn_commit(t), 0);
	fdb_flush(true);
	assert_null(find(MAC2, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_learning_moves_and_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_static_entries_stay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_port_takes_its_entries_in_its_transaction, setup,
			teardown),
	};

	eal_test_start();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
