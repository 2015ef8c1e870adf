// SPDX-License-Identifier: BSD-3-Clause
// Ports: names and options checked one way, a port published in one
// transaction with what its subscribers add (a pod's flows and MAC entry),
// and none of it when a subscriber fails; removal takes all of it away.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../eal_test.h"
#include "core/events.h"
#include "core/publish.h"
#include "core/state_file.h"
#include "fdb.h"
#include "flows/flow_table.h"
#include "l2/fdb_ctl.h"
#include "l2/mirror_ctl.h"
#include "pmds/pmd_ctl.h"
#include "port.h"
#include "ports/port_ctl.h"

#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

static struct rte_mempool *pool;
static char dir[] = "/tmp/psw-port-test-XXXXXX";
static int seen_added, seen_removed, fail_next;
static bool published_during_event;

static int watch(enum psw_event ev, void *obj, struct dp_txn *t, char *err, size_t elen)
{
	struct psw_port *p = obj;

	(void)t;
	if (ev == PSW_EV_PORT_ADDED) {
		seen_added++;
		// the port is in the staged table, not yet in the published one
		assert_ptr_equal(dp_view()->ports->by_ofport[p->ofport], p);
		published_during_event = dp_published()->ports->by_ofport[p->ofport] != NULL;
		if (fail_next) {
			fail_next = 0;
			snprintf(err, elen, "refused by the test");
			return -EPERM;
		}
	} else {
		seen_removed++;
		assert_null(dp_view()->ports->by_ofport[p->ofport]);
	}
	return 0;
}

EVENT_SUBSCRIBE(PSW_EV_PORT_ADDED, watch)
EVENT_SUBSCRIBE(PSW_EV_PORT_REMOVED, watch)

static int setup(void **state)
{
	static const struct dp_part_free f = {port_table_free, flow_pipeline_free, mirror_map_free,
		pmd_rxq_set_free};
	struct port_ctl_config pc = {.pool = pool, .run_dir = dir, .control_socket = "/nonexistent"};
	char err[256];

	(void)state;
	seen_added = seen_removed = fail_next = 0;
	assert_int_equal(fdb_init(1024, 300), 0);
	dp_parts_init(&f, NULL, NULL, fdb_table());
	assert_int_equal(flow_table_init(), 0);
	assert_int_equal(port_ctl_init(&pc, err, sizeof(err)), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	port_ctl_fini();
	mirror_fini();
	dp_parts_fini();
	flow_table_fini();
	fdb_fini();
	return 0;
}

static int add(const char *name, const char *type, const char *opts_json, char *err, size_t elen)
{
	json_t *opts = opts_json ? json_loads(opts_json, 0, NULL) : NULL;
	int ret = port_add(name, type, opts, err, elen);

	json_decref(opts);
	return ret;
}

static void test_a_port_and_its_events(void **state)
{
	uint64_t gen = dp_generation();
	char err[256];
	int ofport;

	(void)state;
	ofport = add("up0", "dpdk", "{\"devargs\": \"net_null0\"}", err, sizeof(err));
	assert_int_equal(ofport, 1);
	assert_int_equal(seen_added, 1);
	assert_false(published_during_event);
	// one publication for the port and what came with it
	assert_int_equal(dp_generation(), gen + 1);
	assert_ptr_equal(port_by_name("up0"), port_by_ofport(1));
	assert_int_equal(port_resolve("up0"), 1);
	assert_string_equal(port_name_of(1), "up0");
	assert_int_equal(add("up1", "dpdk", "{\"devargs\": \"net_null0\"}", err, sizeof(err)),
		-EBUSY);
	assert_int_equal(add("up0", "dpdk", "{\"devargs\": \"net_null1\"}", err, sizeof(err)),
		-EEXIST);
	assert_int_equal(port_del("up0", err, sizeof(err)), 0);
	assert_int_equal(seen_removed, 1);
	assert_null(port_by_name("up0"));
	assert_int_equal(port_del("up0", err, sizeof(err)), -ENOENT);
}

static void test_names_and_options(void **state)
{
	static const char *const bad_names[] = {"", ".", "..", ".x", "1", "0x1", "010", "a/b", "a b"};
	char err[256];

	(void)state;
	for (unsigned i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		assert_int_equal(port_name_check(bad_names[i], err, sizeof(err)), -EINVAL);
		assert_int_equal(add(bad_names[i], "dpdk", "{\"devargs\": \"net_null0\"}", err,
			sizeof(err)), -EINVAL);
	}
	assert_int_equal(port_name_check("pod-1.eth0_x", err, sizeof(err)), 0);
	assert_int_equal(add("p", "dpdk", "{\"devargs\": \"net_null0\", \"frames\": 64}", err,
		sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'frames'"));
	assert_int_equal(add("p", "dpdk", "{\"devargs\": \"net_null0\", \"ips\": [\"10.0.0.1\"]}", err,
		sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "need mac"));
	assert_int_equal(add("p", "dpdk", "{\"devargs\": \"net_null0\", \"queues\": 33}", err,
		sizeof(err)), -EINVAL);
	assert_int_equal(add("p", "nosuch", NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(add("p", "dpdk", NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(seen_added, 0);
	assert_int_equal(dp_view()->ports->n, 0);
}

static void test_a_pod_port_comes_and_goes_whole(void **state)
{
	static const uint8_t mac[6] = {0x0a, 0x58, 0, 0, 0, 5};
	char err[256];

	(void)state;
	assert_int_equal(add("pod", "dpdk", "{\"devargs\": \"net_null2\", \"mac\": \"0a:58:00:00:00:05\","
		"\"ips\": [\"10.88.0.5/16\"]}", err, sizeof(err)), 1);
	assert_int_equal(flow_table_count(), 14);
	assert_non_null(fdb_lookup(fdb_table(), mac, 0));
	assert_int_equal(port_del("pod", err, sizeof(err)), 0);
	assert_int_equal(flow_table_count(), 0);
	assert_null(fdb_lookup(fdb_table(), mac, 0));
}

static void test_a_refused_subscriber_leaves_nothing(void **state)
{
	static const uint8_t mac[6] = {0x0a, 0x58, 0, 0, 0, 6};
	uint64_t gen = dp_generation();
	char err[256];

	(void)state;
	fail_next = 1;
	// whatever the pod port staged before this test refused goes too
	assert_int_equal(add("pod", "dpdk", "{\"devargs\": \"net_null3\", \"mac\": \"0a:58:00:00:00:06\","
		"\"ips\": [\"10.88.0.6/16\"]}", err, sizeof(err)), -EPERM);
	assert_string_equal(err, "refused by the test");
	assert_int_equal(dp_generation(), gen);
	assert_null(port_by_name("pod"));
	assert_int_equal(flow_table_count(), 0);
	assert_null(fdb_lookup(fdb_table(), mac, 0));
	// the device went with it: the same one can be a port now
	assert_int_equal(add("pod", "dpdk", "{\"devargs\": \"net_null3\"}", err, sizeof(err)), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_port_and_its_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_and_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_pod_port_comes_and_goes_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_refused_subscriber_leaves_nothing, setup, teardown),
	};
	char err[256];
	int ret;

	eal_test_start();
	pool = rte_pktmbuf_pool_create("test_mbufs", 2048, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (pool == NULL || mkdtemp(dir) == NULL || state_dir_open(dir, err, sizeof(err)) < 0)
		return 1;
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	state_dir_close();
	unlink(strcat(strcpy(err, dir), "/ports.json"));
	rmdir(dir);
	return ret;
}
