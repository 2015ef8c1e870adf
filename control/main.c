// SPDX-License-Identifier: BSD-3-Clause
// pswitchd: the DPDK pod switch. One process: PMD threads on the cores given,
// the control thread (socket, learning, aging, link state) on another.
#include "cluster/cluster.h"
#include "core/api_server.h"
#include "core/loop.h"
#include "core/publish.h"
#include "core/state_file.h"
#include "config.h"
#include "l2/fdb_ctl.h"
#include "flows/flow_save.h"
#include "flows/flow_table.h"
#include "flows/trace.h"
#include "log.h"
#include "l2/mirror_ctl.h"
#include "ports/pending_del.h"
#include "pmd.h"
#include "pmds/pmd_ctl.h"
#include "pmds/pmd_load.h"
#include "ports/port_ctl.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>

// DPDK's own messages (EAL, drivers) come through here into our log format.
static ssize_t dpdk_log_write(void *cookie, const char *buf, size_t size)
{
	char text[1024];
	uint32_t level = rte_log_cur_msg_loglevel();
	enum psw_log_severity sev = level <= RTE_LOG_ERR ? PSW_SEV_ERROR :
		level <= RTE_LOG_WARNING ? PSW_SEV_WARNING : PSW_SEV_INFO;

	(void)cookie;
	snprintf(text, sizeof(text), "%.*s", (int)RTE_MIN(size, sizeof(text) - 1), buf);
	psw_log_raw(sev, "dpdk", text);
	return (ssize_t)size;
}

static int eal_start(const struct psw_config *cfg)
{
	char lcores[16 * (PSW_MAX_PMDS + 1)], main_lcore[16], mem[32], loglevel[32];
	char *argv[64 + PSW_CONFIG_MAX_EAL];
	cookie_io_functions_t io = {.write = dpdk_log_write};
	int argc = 0, off, ret;
	FILE *stream;

	off = snprintf(lcores, sizeof(lcores), "%u@%u", CONTROL_LCORE, cfg->control_core);
	for (unsigned i = 0; i < cfg->n_pmd_cores; i++)
		off += snprintf(lcores + off, sizeof(lcores) - (size_t)off, ",%u@%u", PMD_LCORE(i),
			cfg->pmd_cores[i]);
	snprintf(main_lcore, sizeof(main_lcore), "%u", CONTROL_LCORE);
	snprintf(mem, sizeof(mem), "%u", cfg->memory_mb);
	// -v 0 shows DPDK's warnings and errors; -v 4 its info; -v 6 its debug
	snprintf(loglevel, sizeof(loglevel), "%d", psw_log_verbosity() >= 6 ? RTE_LOG_DEBUG :
		psw_log_verbosity() >= 4 ? RTE_LOG_INFO : RTE_LOG_WARNING);
	argv[argc++] = "pswitchd";
	argv[argc++] = "--lcores";
	argv[argc++] = lcores;
	argv[argc++] = "--main-lcore";
	argv[argc++] = main_lcore;
	argv[argc++] = "--file-prefix";
	argv[argc++] = (char *)cfg->file_prefix;
	argv[argc++] = "--log-level";
	argv[argc++] = loglevel;
	if (cfg->no_huge) {
		argv[argc++] = "--no-huge";
		argv[argc++] = "-m";
		argv[argc++] = mem;
	} else {
		// Nothing else maps our memory (vhost-user maps the pods'), so it
		// need not live in files: no hugepage files are left behind.
		argv[argc++] = "--in-memory";
		argv[argc++] = "--socket-mem";
		argv[argc++] = mem;
	}
	if (!cfg->pci)
		argv[argc++] = "--no-pci";
	for (unsigned i = 0; i < cfg->n_eal_args; i++)
		argv[argc++] = cfg->eal_args[i];
	argv[argc] = NULL;
	stream = fopencookie(NULL, "w", io);
	if (stream != NULL) {
		setvbuf(stream, NULL, _IOLBF, 0);
		rte_openlog_stream(stream);
	}
	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		return errno_log(rte_errno, "cannot initialize DPDK (EAL)");
	return 0;
}

// Short waits keep MAC learning prompt: the PMDs queue what they saw.
static void on_learn(void *arg)
{
	(void)arg;
	while (fdb_drain_learn() > 0)
		;
}

static void on_links(void *arg)
{
	(void)arg;
	port_poll_links();
	pmd_ctl_tick(loop_now_ms());
}

static void on_second(void *arg)
{
	(void)arg;
	fdb_age();
	flow_table_expire();
	pending_del_run();
}

// The periodic work of the control thread, on the loop.
static int start_timers(struct loop_timer **timers)
{
	timers[0] = loop_every(2, on_learn, NULL);
	timers[1] = loop_every(100, on_links, NULL);
	timers[2] = loop_every(1000, on_second, NULL);
	for (unsigned i = 0; i < 3; i++)
		if (timers[i] == NULL)
			return errno_log(ENOMEM, "cannot start the control thread's timers");
	return 0;
}

// The first state the PMDs read: the MAC table, no flows, no ports.
static int start_state(const struct psw_config *cfg, struct rte_mempool *pool, char *err,
	size_t elen)
{
	static const struct dp_part_free part_free = {
		.ports = port_table_free,
		.pipeline = flow_pipeline_free,
		.mirrors = mirror_map_free,
		.rxqs = pmd_rxq_set_free,
	};
	struct port_ctl_config pc = {.pool = pool, .run_dir = cfg->run_dir,
		.control_socket = cfg->control_socket,
		.socket_dirs = (const char *const *)cfg->socket_dirs,
		.n_socket_dirs = cfg->n_socket_dirs, .n_pmds = cfg->n_pmd_cores,
		.pmd_cores = cfg->pmd_cores};
	int ret;

	dp_parts_init(&part_free, NULL, NULL, fdb_table());
	if ((ret = flow_table_init()) < 0)
		return errno_log(ret, "cannot make the first pipeline");
	ret = port_ctl_init(&pc, err, elen);
	if (ret < 0)
		LOG_ERR("cannot set ports up", KV_STR("err", err));
	return ret;
}

static int start_cluster(const struct psw_config *cfg, char *err, size_t elen)
{
	struct cluster_config cc = {.manifests = cfg->manifests, .kubeconfig = cfg->kubeconfig,
		.watch_timeout_s = cfg->kube_watch_timeout_s, .node_name = cfg->node_name,
		.pod_cidrs = (const char *const *)cfg->pod_cidrs, .n_pod_cidrs = cfg->n_pod_cidrs,
		.detach_grace_ms = (uint64_t)cfg->pod_detach_grace_s * 1000};

	return cluster_start(&cc, err, elen);
}

static int load_initial_flows(const char *path)
{
	char err[512];
	int ret = config_load_flows(path, err, sizeof(err));

	if (ret < 0)
		LOG_ERR("cannot load flows", KV_STR("file", path), KV_STR("err", err));
	return ret;
}

int main(int argc, char **argv)
{
	struct psw_config cfg;
	struct loop_timer *timers[3] = {NULL};
	struct rte_mempool *pool;
	char err[512];
	int ret;

	ret = config_parse(argc, argv, &cfg, err, sizeof(err));
	if (ret != 0) {
		if (ret > 0)
			return 0; // --help, --version
		fprintf(stderr, "pswitchd: %s\n", err);
		return 2;
	}
	psw_log_setup(cfg.log_format, cfg.verbosity, "pswitchd");
	LOG_INFO(0, "starting pswitchd", KV_STR("version", PSW_VERSION),
		KV_STR("control_socket", cfg.control_socket), KV_STR("run_dir", cfg.run_dir));
	if (cfg.control_shares_pmd)
		LOG_WARN("a PMD shares the control thread's core: control commands and flow changes "
			"wait for its time slices", KV_UINT("core", cfg.control_core));
	if (state_dir_open(cfg.run_dir, err, sizeof(err)) < 0) {
		LOG_ERR("cannot use the run directory", KV_STR("err", err));
		return 1;
	}
	if (loop_init() < 0)
		return 1;
	if (eal_start(&cfg) < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("psw_mbufs", cfg.n_mbufs, 256, 0,
		RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (pool == NULL) {
		errno_log(rte_errno, "cannot create the packet buffer pool");
		goto out_eal;
	}
	if (fdb_init(cfg.fdb_max, cfg.fdb_age) < 0 || start_state(&cfg, pool, err, sizeof(err)) < 0)
		goto out_eal;
	pmd_ctl_balance_config(&(struct pmd_balance){.isolate = cfg.rxq_isolate,
		.auto_lb = cfg.auto_lb, .load_threshold = cfg.lb_load_threshold,
		.improvement_threshold = cfg.lb_improvement_threshold,
		.load_interval_ms = (uint64_t)cfg.load_interval_s * 1000,
		.auto_lb_interval_ms = (uint64_t)cfg.lb_interval_s * 1000});
	if (cfg.auto_lb)
		LOG_INFO(0, "PMD auto load balance is on", KV_UINT("load_threshold_percent",
			cfg.lb_load_threshold), KV_UINT("improvement_threshold_percent",
			cfg.lb_improvement_threshold), KV_UINT("interval_s", cfg.lb_interval_s),
			KV_UINT("window_s", cfg.load_interval_s * PMD_LOAD_INTERVALS));
	if (pmd_ctl_start(cfg.pmd_cores, cfg.n_pmd_cores, pool, cfg.emc_entries,
	    cfg.pmd_sleep_max_us) < 0)
		goto out_eal;
	if (api_server_start(cfg.control_socket, &cfg.ctl_limits) < 0 || flow_save_init() < 0)
		goto out_pmds;
	pending_del_init(cfg.control_socket);
	// flows first, so that a restored port's first frames meet them; each
	// port brings its MAC entries in its own transaction
	if (cfg.restore) {
		if (flow_restore() < 0)
			goto out_api;
		fdb_restore_begin();
		port_restore();
		fdb_restore_end();
	}
	pending_del_run();
	if (config_apply(&cfg, err, sizeof(err)) < 0) {
		LOG_ERR("cannot apply the configuration", KV_STR("err", err));
		goto out_api;
	}
	if (cfg.flows_file[0] != '\0' && load_initial_flows(cfg.flows_file) < 0)
		goto out_api;
	if (start_cluster(&cfg, err, sizeof(err)) < 0) {
		LOG_ERR("cannot start the cluster side", KV_STR("err", err));
		goto out_api;
	}
	LOG_INFO(0, "pswitchd ready", KV_INT("pmds", cfg.n_pmd_cores),
		KV_INT("ports", dp_published()->ports->n), KV_INT("flows", flow_table_count()));
	if (start_timers(timers) < 0 || loop_run() < 0)
		goto out_api;
	LOG_INFO(0, "stopping pswitchd");
	ret = 0;
	goto out_api_ok;
out_api:
	ret = 1;
out_api_ok:
	for (unsigned i = 0; i < 3; i++)
		loop_timer_free(timers[i]);
	api_server_stop();
	cluster_stop();
	flow_save_fini();
	fdb_save_freeze();
	pmd_ctl_stop();
	trace_fini();
	port_ctl_fini();
	mirror_fini();
	dp_parts_fini();
	flow_table_fini();
	fdb_fini();
	rte_mempool_free(pool);
	rte_eal_cleanup();
	state_dir_close();
	loop_fini();
	return ret;
out_pmds:
	pmd_ctl_stop();
out_eal:
	rte_eal_cleanup();
	loop_fini();
	return 1;
}
