// SPDX-License-Identifier: BSD-3-Clause
// pswitchd's options: the command line, and a JSON config file with the same
// keys plus the ports and flows to start with.
#pragma once

#include "core/api_server.h"
#include "flow.h"
#include "log.h"

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>

#define PSW_CONFIG_MAX_EAL 32

struct psw_config {
	unsigned pmd_cores[PSW_MAX_PMDS];
	unsigned n_pmd_cores;
	unsigned control_core;
	bool control_shares_pmd;   // the operator put a PMD on the control thread's CPU
	char control_socket[108];
	char run_dir[PATH_MAX - 64];
	char file_prefix[64];
	int hugepages;             // 1 yes, 0 no, -1 when available
	bool no_huge;              // the outcome
	unsigned memory_mb;
	unsigned n_mbufs;
	unsigned emc_entries; // per PMD, a power of two
	bool pci;
	char *eal_args[PSW_CONFIG_MAX_EAL];
	unsigned n_eal_args;
	enum psw_log_format log_format;
	int verbosity;
	bool rxq_isolate;          // a PMD with a pinned queue polls nothing else
	bool auto_lb;
	unsigned lb_load_threshold;        // percent
	unsigned lb_improvement_threshold; // percent
	unsigned lb_interval_s;            // least time between automatic moves
	unsigned load_interval_s;          // one of the load window's six intervals
	unsigned pmd_sleep_max_us;         // 0: PMDs busy-poll
	unsigned fdb_max;
	unsigned fdb_age;
	struct api_limits ctl_limits; // the control socket's clients
	char *socket_dirs[16];        // --vhost-socket-dir: where vhost-user sockets may be
	unsigned n_socket_dirs;
	char manifests[PATH_MAX];     // the cluster from files, or empty
	char kubeconfig[PATH_MAX];    // the API server, or empty (in-cluster, when there)
	unsigned kube_watch_timeout_s;
	char node_name[256];
	char *pod_cidrs[2];
	unsigned n_pod_cidrs;
	unsigned pod_detach_grace_s;
	bool restore;
	char flows_file[PATH_MAX];
	json_t *file;              // the config file, for its ports and flows
};

// Fills 'cfg' from the command line (and the file --config names). Returns 0,
// 1 when the program should exit successfully (--help), or -errno with 'err'.
int config_parse(int argc, char **argv, struct psw_config *cfg, char *err, size_t elen);

// Adds the ports and flows of the config file. Control thread, after start.
int config_apply(const struct psw_config *cfg, char *err, size_t elen);

// Adds the flows of a text file (one a line, '#' comments) as one batch.
int config_load_flows(const char *path, char *err, size_t elen);
