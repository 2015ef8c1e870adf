// SPDX-License-Identifier: BSD-3-Clause
#include "config.h"
#include "emc.h"
#include "errorf.h"
#include "flows/flow_table.h"
#include "netaddr.h"
#include "ports/port_ctl.h"

#include <psw/ctl.h>

#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: pswitchd [options] [-- EAL options]\n"
	"\n"
	"  --pmd-cores LIST        cores for PMD threads, e.g. 1 or 2-3,6 (default: the last core)\n"
	"  --control-core N        core for the control thread (default: the first other core;\n"
	"                          with --pmd-cores, it may share a PMD's core)\n"
	"  --control-socket PATH   control socket (default " PSW_CTL_DEFAULT_SOCKET ")\n"
	"  --run-dir DIR           sockets and saved state (default " PSW_CTL_DEFAULT_RUN_DIR ")\n"
	"  --hugepages yes|no|auto use hugepages (auto: when enough are free; default)\n"
	"  --no-huge               same as --hugepages no\n"
	"  --memory MB             memory for packet buffers and tables (default 1024)\n"
	"  --mbufs N               packet buffers (default 32768)\n"
	"  --emc-entries N         exact-match cache entries per PMD, a power of two\n"
	"                          (default 262144, 184 bytes each)\n"
	"  --file-prefix NAME      DPDK file prefix, one per running instance (default pswitchd)\n"
	"  --pci                   probe PCI devices at start (default: only when added as ports)\n"
	"  --config FILE           JSON file with these options and \"ports\" and \"flows\"\n"
	"  --flows FILE            flows to install at start, one per line\n"
	"  --no-restore            do not bring back the ports of the last run\n"
	"  --pmd-rxq-isolate yes|no  a PMD given a pinned rx queue polls no other (default yes)\n"
	"  --pmd-sleep-max US      an idle PMD sleeps, 1 us doubling up to US (0-10000, default\n"
	"                          0: busy-poll); it wakes when traffic returns\n"
	"  --pmd-load-interval S   seconds in each of the six intervals over which rx queue\n"
	"                          and PMD loads are measured (default 10)\n"
	"  --pmd-auto-lb           move rx queues between PMDs when one is overloaded and\n"
	"                          moving them evens the load enough (default off)\n"
	"  --pmd-auto-lb-load-threshold PCT         overloaded: busy this share of the time (95)\n"
	"  --pmd-auto-lb-improvement-threshold PCT  enough: the loads' variance drops this much (25)\n"
	"  --pmd-auto-lb-interval S                 least seconds between two moves (60)\n"
	"  --fdb-max N             MAC table size (default 65536)\n"
	"  --fdb-age SECONDS       MAC aging time (default 300)\n"
	"  --manifests DIR         the cluster's Pods, Namespaces, Nodes and NetworkPolicies\n"
	"                          from the YAML and JSON files of DIR, watched\n"
	"  --kubeconfig FILE       the API server to watch: FILE's current context (server,\n"
	"                          CA, token, token file or client certificate); without it\n"
	"                          and --manifests, in-cluster (KUBERNETES_SERVICE_HOST)\n"
	"  --kube-watch-timeout S  each watch asks the server to end after S to 2S seconds\n"
	"                          (default 300); one silent for 2S+30 is dropped\n"
	"  --node-name NAME        this node's name (default: NODE_NAME, or the host name)\n"
	"  --pod-cidr CIDR         this node's pod CIDR when its Node has none (twice: dual stack)\n"
	"  --pod-detach-grace S    a pod deleted in the API keeps its port this long, waiting\n"
	"                          for the runtime's DEL (default 30)\n"
	"  --vhost-socket-dir DIR  vhost-user sockets may be in DIR (and below) as well as in\n"
	"                          the run directory; may be given up to 16 times\n"
	"  --ctl-max-clients N     control socket connections at once (default 128); an idle\n"
	"                          one is closed to make room for a new one\n"
	"  --ctl-idle-timeout S    close a control client idle this long (default 60)\n"
	"  --ctl-timeout S         a request must arrive whole, and its reply be read whole,\n"
	"                          within this (default 30)\n"
	"  --logging-format F      text (klog, default) or json\n"
	"  -v, --v N               log verbosity (default 0)\n"
	"  --version, -h/--help\n";

enum {
	OPT_PMD_CORES = 256, OPT_CONTROL_CORE, OPT_CONTROL_SOCKET, OPT_RUN_DIR, OPT_HUGEPAGES,
	OPT_NO_HUGE, OPT_MEMORY, OPT_MBUFS, OPT_EMC_ENTRIES, OPT_FILE_PREFIX, OPT_PCI, OPT_CONFIG, OPT_FLOWS,
	OPT_NO_RESTORE, OPT_FDB_MAX, OPT_FDB_AGE, OPT_LOG_FORMAT, OPT_VERSION, OPT_RXQ_ISOLATE,
	OPT_LOAD_INTERVAL, OPT_SLEEP_MAX, OPT_AUTO_LB, OPT_LB_LOAD, OPT_LB_IMPROVEMENT, OPT_LB_INTERVAL,
	OPT_CTL_MAX_CLIENTS, OPT_CTL_IDLE_TIMEOUT, OPT_CTL_TIMEOUT, OPT_SOCKET_DIR,
	OPT_MANIFESTS, OPT_KUBECONFIG, OPT_WATCH_TIMEOUT, OPT_NODE_NAME, OPT_POD_CIDR, OPT_DETACH_GRACE,
};

static const struct option long_opts[] = {
	{"pmd-cores", required_argument, NULL, OPT_PMD_CORES},
	{"control-core", required_argument, NULL, OPT_CONTROL_CORE},
	{"control-socket", required_argument, NULL, OPT_CONTROL_SOCKET},
	{"run-dir", required_argument, NULL, OPT_RUN_DIR},
	{"hugepages", required_argument, NULL, OPT_HUGEPAGES},
	{"no-huge", no_argument, NULL, OPT_NO_HUGE},
	{"memory", required_argument, NULL, OPT_MEMORY},
	{"mbufs", required_argument, NULL, OPT_MBUFS},
	{"emc-entries", required_argument, NULL, OPT_EMC_ENTRIES},
	{"file-prefix", required_argument, NULL, OPT_FILE_PREFIX},
	{"pci", no_argument, NULL, OPT_PCI},
	{"config", required_argument, NULL, OPT_CONFIG},
	{"flows", required_argument, NULL, OPT_FLOWS},
	{"no-restore", no_argument, NULL, OPT_NO_RESTORE},
	{"pmd-rxq-isolate", required_argument, NULL, OPT_RXQ_ISOLATE},
	{"pmd-load-interval", required_argument, NULL, OPT_LOAD_INTERVAL},
	{"pmd-sleep-max", required_argument, NULL, OPT_SLEEP_MAX},
	{"pmd-auto-lb", no_argument, NULL, OPT_AUTO_LB},
	{"pmd-auto-lb-load-threshold", required_argument, NULL, OPT_LB_LOAD},
	{"pmd-auto-lb-improvement-threshold", required_argument, NULL, OPT_LB_IMPROVEMENT},
	{"pmd-auto-lb-interval", required_argument, NULL, OPT_LB_INTERVAL},
	{"fdb-max", required_argument, NULL, OPT_FDB_MAX},
	{"fdb-age", required_argument, NULL, OPT_FDB_AGE},
	{"vhost-socket-dir", required_argument, NULL, OPT_SOCKET_DIR},
	{"manifests", required_argument, NULL, OPT_MANIFESTS},
	{"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
	{"kube-watch-timeout", required_argument, NULL, OPT_WATCH_TIMEOUT},
	{"node-name", required_argument, NULL, OPT_NODE_NAME},
	{"pod-cidr", required_argument, NULL, OPT_POD_CIDR},
	{"pod-detach-grace", required_argument, NULL, OPT_DETACH_GRACE},
	{"ctl-max-clients", required_argument, NULL, OPT_CTL_MAX_CLIENTS},
	{"ctl-idle-timeout", required_argument, NULL, OPT_CTL_IDLE_TIMEOUT},
	{"ctl-timeout", required_argument, NULL, OPT_CTL_TIMEOUT},
	{"logging-format", required_argument, NULL, OPT_LOG_FORMAT},
	{"v", required_argument, NULL, 'v'},
	{"version", no_argument, NULL, OPT_VERSION},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

#define fail(err, len, ...) psw_errorf((err), (len), -EINVAL, __VA_ARGS__)

static int parse_num(const char *s, unsigned long max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s == '\0' || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end != '\0' || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

// "1", "2-3,6"
static int parse_core_list(const char *s, unsigned *cores, unsigned *n)
{
	char *copy = strdup(s), *tok, *save = NULL;
	int ret = 0;

	if (copy == NULL)
		return -ENOMEM;
	*n = 0;
	for (tok = strtok_r(copy, ",", &save); tok && ret == 0; tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		unsigned lo, hi;

		if (dash != NULL)
			*dash = '\0';
		if (parse_num(tok, RTE_MAX_LCORE - 1, &lo) < 0 ||
		    parse_num(dash ? dash + 1 : tok, RTE_MAX_LCORE - 1, &hi) < 0 || hi < lo) {
			ret = -EINVAL;
			break;
		}
		for (unsigned c = lo; c <= hi; c++) {
			if (*n == PSW_MAX_PMDS) {
				ret = -E2BIG;
				break;
			}
			for (unsigned i = 0; i < *n; i++)
				if (cores[i] == c)
					ret = -EINVAL;
			cores[(*n)++] = c;
		}
	}
	free(copy);
	return *n == 0 ? -EINVAL : ret;
}

static int set_option(struct psw_config *cfg, int opt, const char *arg, char *err, size_t elen)
{
	switch (opt) {
	case OPT_PMD_CORES:
		if (parse_core_list(arg, cfg->pmd_cores, &cfg->n_pmd_cores) < 0)
			return fail(err, elen, "bad --pmd-cores '%s': give cores as 1 or 2-3,6", arg);
		break;
	case OPT_CONTROL_CORE:
		if (parse_num(arg, RTE_MAX_LCORE - 1, &cfg->control_core) < 0)
			return fail(err, elen, "bad --control-core '%s'", arg);
		break;
	case OPT_CONTROL_SOCKET:
		if (strlen(arg) >= sizeof(cfg->control_socket))
			return fail(err, elen, "--control-socket path is too long for a unix socket");
		snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s", arg);
		break;
	case OPT_RUN_DIR:
		if (strlen(arg) >= sizeof(cfg->run_dir) || arg[0] == '\0')
			return fail(err, elen, "bad --run-dir");
		snprintf(cfg->run_dir, sizeof(cfg->run_dir), "%s", arg);
		break;
	case OPT_HUGEPAGES:
		if (strcmp(arg, "yes") == 0)
			cfg->hugepages = 1;
		else if (strcmp(arg, "no") == 0)
			cfg->hugepages = 0;
		else if (strcmp(arg, "auto") == 0)
			cfg->hugepages = -1;
		else
			return fail(err, elen, "--hugepages takes yes, no or auto");
		break;
	case OPT_NO_HUGE:
		cfg->hugepages = 0;
		break;
	case OPT_MEMORY:
		if (parse_num(arg, 1 << 20, &cfg->memory_mb) < 0 || cfg->memory_mb < 64)
			return fail(err, elen, "--memory takes megabytes, at least 64");
		break;
	case OPT_MBUFS:
		if (parse_num(arg, 1 << 24, &cfg->n_mbufs) < 0 || cfg->n_mbufs < 1024)
			return fail(err, elen, "--mbufs takes a count of at least 1024");
		break;
	case OPT_EMC_ENTRIES:
		if (parse_num(arg, EMC_MAX_ENTRIES, &cfg->emc_entries) < 0 ||
		    cfg->emc_entries < EMC_MIN_ENTRIES || (cfg->emc_entries & (cfg->emc_entries - 1)))
			return fail(err, elen, "--emc-entries takes a power of two from %u to %u",
				EMC_MIN_ENTRIES, EMC_MAX_ENTRIES);
		break;
	case OPT_FILE_PREFIX:
		if (strlen(arg) >= sizeof(cfg->file_prefix) || arg[0] == '\0' || strchr(arg, '/'))
			return fail(err, elen, "bad --file-prefix");
		snprintf(cfg->file_prefix, sizeof(cfg->file_prefix), "%s", arg);
		break;
	case OPT_PCI:
		cfg->pci = true;
		break;
	case OPT_FLOWS:
		snprintf(cfg->flows_file, sizeof(cfg->flows_file), "%s", arg);
		break;
	case OPT_NO_RESTORE:
		cfg->restore = false;
		break;
	case OPT_RXQ_ISOLATE:
		if (strcmp(arg, "yes") != 0 && strcmp(arg, "no") != 0)
			return fail(err, elen, "--pmd-rxq-isolate takes yes or no");
		cfg->rxq_isolate = strcmp(arg, "yes") == 0;
		break;
	case OPT_LOAD_INTERVAL:
		if (parse_num(arg, 3600, &cfg->load_interval_s) < 0 || cfg->load_interval_s == 0)
			return fail(err, elen, "--pmd-load-interval takes seconds, 1 to 3600");
		break;
	case OPT_SLEEP_MAX:
		if (parse_num(arg, 10000, &cfg->pmd_sleep_max_us) < 0)
			return fail(err, elen, "--pmd-sleep-max takes microseconds, 0 to 10000");
		break;
	case OPT_AUTO_LB:
		cfg->auto_lb = true;
		break;
	case OPT_LB_LOAD:
		if (parse_num(arg, 100, &cfg->lb_load_threshold) < 0 || cfg->lb_load_threshold == 0)
			return fail(err, elen, "--pmd-auto-lb-load-threshold takes a percentage, 1 to 100");
		break;
	case OPT_LB_IMPROVEMENT:
		if (parse_num(arg, 100, &cfg->lb_improvement_threshold) < 0)
			return fail(err, elen, "--pmd-auto-lb-improvement-threshold takes a percentage, "
				"0 to 100");
		break;
	case OPT_LB_INTERVAL:
		if (parse_num(arg, 86400, &cfg->lb_interval_s) < 0)
			return fail(err, elen, "--pmd-auto-lb-interval takes seconds, 0 to 86400");
		break;
	case OPT_FDB_MAX:
		if (parse_num(arg, 1 << 24, &cfg->fdb_max) < 0 || cfg->fdb_max < 16)
			return fail(err, elen, "--fdb-max takes a count of at least 16");
		break;
	case OPT_FDB_AGE:
		if (parse_num(arg, 1000000, &cfg->fdb_age) < 0 || cfg->fdb_age == 0)
			return fail(err, elen, "--fdb-age takes seconds, at least 1");
		break;
	case OPT_MANIFESTS:
		if (arg[0] == '\0' || strlen(arg) >= sizeof(cfg->manifests))
			return fail(err, elen, "bad --manifests");
		snprintf(cfg->manifests, sizeof(cfg->manifests), "%s", arg);
		break;
	case OPT_KUBECONFIG:
		if (arg[0] == '\0' || strlen(arg) >= sizeof(cfg->kubeconfig))
			return fail(err, elen, "bad --kubeconfig");
		snprintf(cfg->kubeconfig, sizeof(cfg->kubeconfig), "%s", arg);
		break;
	case OPT_WATCH_TIMEOUT:
		if (parse_num(arg, 3600, &cfg->kube_watch_timeout_s) < 0 || cfg->kube_watch_timeout_s == 0)
			return fail(err, elen, "--kube-watch-timeout takes seconds, 1 to 3600");
		break;
	case OPT_NODE_NAME:
		if (arg[0] == '\0' || strlen(arg) >= sizeof(cfg->node_name) ||
		    strspn(arg, "abcdefghijklmnopqrstuvwxyz0123456789-.") != strlen(arg))
			return fail(err, elen, "--node-name takes a node's name (lowercase letters, digits, "
				"'-' and '.')");
		snprintf(cfg->node_name, sizeof(cfg->node_name), "%s", arg);
		break;
	case OPT_POD_CIDR: {
		struct psw_prefix pfx;

		if (psw_parse_prefix(arg, &pfx) < 0)
			return fail(err, elen, "--pod-cidr takes a prefix such as 10.244.1.0/24, not '%s'", arg);
		if (cfg->n_pod_cidrs == 2)
			return fail(err, elen, "--pod-cidr may be given twice at most (IPv4 and IPv6)");
		cfg->pod_cidrs[cfg->n_pod_cidrs++] = strdup(arg);
		break;
	}
	case OPT_DETACH_GRACE:
		if (parse_num(arg, 86400, &cfg->pod_detach_grace_s) < 0)
			return fail(err, elen, "--pod-detach-grace takes seconds, 0 to 86400");
		break;
	case OPT_SOCKET_DIR:
		if (arg[0] != '/' || strlen(arg) >= PATH_MAX)
			return fail(err, elen, "--vhost-socket-dir takes an absolute path");
		if (cfg->n_socket_dirs == RTE_DIM(cfg->socket_dirs))
			return fail(err, elen, "--vhost-socket-dir may be given %zu times at most",
				RTE_DIM(cfg->socket_dirs));
		cfg->socket_dirs[cfg->n_socket_dirs] = strdup(arg);
		if (cfg->socket_dirs[cfg->n_socket_dirs] == NULL)
			return -ENOMEM;
		cfg->n_socket_dirs++;
		break;
	case OPT_CTL_MAX_CLIENTS:
		if (parse_num(arg, 65536, &cfg->ctl_limits.max_clients) < 0 ||
		    cfg->ctl_limits.max_clients == 0)
			return fail(err, elen, "--ctl-max-clients takes a count, 1 to 65536");
		break;
	case OPT_CTL_IDLE_TIMEOUT:
	case OPT_CTL_TIMEOUT: {
		unsigned sec;

		if (parse_num(arg, 86400, &sec) < 0 || sec == 0)
			return fail(err, elen, "--%s takes seconds, 1 to 86400",
				opt == OPT_CTL_TIMEOUT ? "ctl-timeout" : "ctl-idle-timeout");
		if (opt == OPT_CTL_TIMEOUT)
			cfg->ctl_limits.io_timeout_ms = (uint64_t)sec * 1000;
		else
			cfg->ctl_limits.idle_timeout_ms = (uint64_t)sec * 1000;
		break;
	}
	case OPT_LOG_FORMAT:
		if (strcmp(arg, "text") == 0)
			cfg->log_format = PSW_LOG_TEXT;
		else if (strcmp(arg, "json") == 0)
			cfg->log_format = PSW_LOG_JSON;
		else
			return fail(err, elen, "--logging-format takes text or json");
		break;
	case 'v': {
		unsigned v;

		if (parse_num(arg, 10, &v) < 0)
			return fail(err, elen, "-v takes a level of 0 to 10");
		cfg->verbosity = (int)v;
		break;
	}
	default:
		return fail(err, elen, "unknown option");
	}
	return 0;
}

static unsigned opt_index(int opt)
{
	unsigned i = 0;

	while (long_opts[i].name != NULL && long_opts[i].val != opt)
		i++;
	return i;
}

// The config file's keys are the long options with '_' for '-'.
static int load_file(struct psw_config *cfg, const char *path, char *err, size_t elen)
{
	json_error_t jerr;
	const char *key;
	json_t *v;

	cfg->file = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (cfg->file == NULL)
		return fail(err, elen, "cannot read config '%s': line %d: %s", path, jerr.line, jerr.text);
	if (!json_is_object(cfg->file))
		return fail(err, elen, "config '%s' must hold a JSON object", path);
	json_object_foreach(cfg->file, key, v) {
		char name[64], num[32];
		const char *arg = num;
		int opt = -1;

		if (strcmp(key, "ports") == 0 || strcmp(key, "flows") == 0)
			continue;
		if (strcmp(key, "eal_args") == 0) {
			size_t i;
			json_t *a;

			if (!json_is_array(v))
				return fail(err, elen, "eal_args must be a list of strings");
			json_array_foreach(v, i, a) {
				if (!json_is_string(a) || cfg->n_eal_args == PSW_CONFIG_MAX_EAL)
					return fail(err, elen, "eal_args must be a list of strings");
				cfg->eal_args[cfg->n_eal_args++] = strdup(json_string_value(a));
			}
			continue;
		}
		snprintf(name, sizeof(name), "%s", key);
		for (char *p = name; *p; p++)
			if (*p == '_')
				*p = '-';
		for (unsigned i = 0; long_opts[i].name != NULL; i++)
			if (strcmp(long_opts[i].name, name) == 0)
				opt = long_opts[i].val;
		if (opt < 0 || opt == OPT_CONFIG || opt == OPT_VERSION || opt == 'h')
			return fail(err, elen, "unknown key '%s' in config '%s'", key, path);
		if (long_opts[opt_index(opt)].has_arg == no_argument && !json_is_boolean(v))
			return fail(err, elen, "bad value for '%s' in config '%s': true or false", key, path);
		if (json_is_string(v))
			arg = json_string_value(v);
		else if (json_is_integer(v))
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		else if (json_is_boolean(v) && opt == OPT_RXQ_ISOLATE)
			arg = json_is_true(v) ? "yes" : "no";
		else if (json_is_boolean(v) && (opt == OPT_NO_HUGE || opt == OPT_PCI || opt == OPT_NO_RESTORE ||
						opt == OPT_AUTO_LB)) {
			if (!json_is_true(v))
				continue;
		} else
			return fail(err, elen, "bad value for '%s' in config '%s'", key, path);
		if (set_option(cfg, opt, arg, err, elen) < 0)
			return -EINVAL;
	}
	return 0;
}

static bool hugepages_available(unsigned mb)
{
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long free_pages = 0, size_kb = 0;
	char line[256];

	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		sscanf(line, "HugePages_Free: %lu", &free_pages);
		sscanf(line, "Hugepagesize: %lu kB", &size_kb);
	}
	fclose(f);
	return free_pages * size_kb >= (unsigned long)mb * 1024;
}

static void default_cores(struct psw_config *cfg, bool have_pmd, bool have_ctl)
{
	cpu_set_t set;
	int first = -1, last = -1;

	CPU_ZERO(&set);
	sched_getaffinity(0, sizeof(set), &set);
	for (int c = 0; c < CPU_SETSIZE && c < RTE_MAX_LCORE; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		if (first < 0)
			first = c;
		last = c;
	}
	if (!have_pmd) {
		cfg->pmd_cores[0] = (unsigned)(last > 0 ? last : 0);
		cfg->n_pmd_cores = 1;
	}
	if (!have_ctl) {
		cfg->control_core = (unsigned)(first >= 0 ? first : 0);
		for (int c = first; c >= 0 && c <= last; c++) {
			bool pmd = false;

			if (!CPU_ISSET(c, &set))
				continue;
			for (unsigned i = 0; i < cfg->n_pmd_cores; i++)
				pmd |= cfg->pmd_cores[i] == (unsigned)c;
			if (!pmd) {
				cfg->control_core = (unsigned)c;
				break;
			}
		}
	}
}

int config_parse(int argc, char **argv, struct psw_config *cfg, char *err, size_t elen)
{
	bool have_pmd, have_ctl;
	int opt, ret;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s", PSW_CTL_DEFAULT_SOCKET);
	snprintf(cfg->run_dir, sizeof(cfg->run_dir), "%s", PSW_CTL_DEFAULT_RUN_DIR);
	snprintf(cfg->file_prefix, sizeof(cfg->file_prefix), "pswitchd");
	cfg->hugepages = -1;
	cfg->memory_mb = 1024;
	cfg->n_mbufs = 32768;
	cfg->emc_entries = EMC_DEFAULT_ENTRIES;
	cfg->fdb_max = 65536;
	cfg->fdb_age = 300;
	cfg->restore = true;
	cfg->ctl_limits = (struct api_limits)API_LIMITS_DEFAULT;
	cfg->pod_detach_grace_s = 30;
	cfg->kube_watch_timeout_s = 300;
	cfg->control_core = UINT32_MAX;
	cfg->rxq_isolate = true;
	cfg->load_interval_s = 10;
	cfg->lb_load_threshold = 95;
	cfg->lb_improvement_threshold = 25;
	cfg->lb_interval_s = 60;

	// the config file first, so that the command line overrides it
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			ret = load_file(cfg, argv[i + 1], err, elen);
		else if (strncmp(argv[i], "--config=", 9) == 0)
			ret = load_file(cfg, argv[i] + 9, err, elen);
		else
			continue;
		if (ret < 0)
			return ret;
	}
	have_pmd = cfg->n_pmd_cores > 0;
	have_ctl = cfg->control_core != UINT32_MAX;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hv:", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(usage, stdout);
			return 1;
		case OPT_VERSION:
			printf("pswitchd %s\n", PSW_VERSION);
			return 1;
		case OPT_CONFIG:
			break;
		case '?':
			return fail(err, elen, "bad option (see --help)");
		default:
			if (set_option(cfg, opt, optarg, err, elen) < 0)
				return -EINVAL;
			have_pmd |= opt == OPT_PMD_CORES;
			have_ctl |= opt == OPT_CONTROL_CORE;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (cfg->n_eal_args == PSW_CONFIG_MAX_EAL)
			return fail(err, elen, "too many EAL options");
		cfg->eal_args[cfg->n_eal_args++] = argv[i];
	}
	default_cores(cfg, have_pmd, have_ctl);
	if (cfg->node_name[0] == '\0') {
		const char *env = getenv("NODE_NAME");

		if (env != NULL && env[0] != '\0')
			snprintf(cfg->node_name, sizeof(cfg->node_name), "%s", env);
		else if (gethostname(cfg->node_name, sizeof(cfg->node_name)) < 0)
			snprintf(cfg->node_name, sizeof(cfg->node_name), "localhost");
		cfg->node_name[sizeof(cfg->node_name) - 1] = '\0';
	}
	// Both given: the operator chose to share a CPU (a small node, a test),
	// and is warned at start; chosen by default, it is refused.
	for (unsigned i = 0; i < cfg->n_pmd_cores; i++) {
		if (cfg->pmd_cores[i] != cfg->control_core)
			continue;
		if (!have_pmd || !have_ctl)
			return fail(err, elen, "core %u cannot run both a PMD and the control thread "
				"(this machine may have too few cores: give --pmd-cores and --control-core)",
				cfg->control_core);
		cfg->control_shares_pmd = true;
	}
	// the caches come out of --memory, and must leave room for the buffers
	if (emc_memory_size(cfg->emc_entries) * cfg->n_pmd_cores > (size_t)cfg->memory_mb << 19)
		return fail(err, elen, "%u PMD(s) with --emc-entries %u need %zu MB, more than half of "
			"--memory %u: give more --memory or fewer --emc-entries", cfg->n_pmd_cores,
			cfg->emc_entries, (emc_memory_size(cfg->emc_entries) * cfg->n_pmd_cores) >> 20,
			cfg->memory_mb);
	if (cfg->hugepages < 0)
		cfg->no_huge = !hugepages_available(cfg->memory_mb);
	else
		cfg->no_huge = cfg->hugepages == 0;
	return 0;
}

// Adds the flows of 'list' (strings; empty ones are skipped) as one batch;
// errors name the flow as 'unit' N.
static int add_flow_list(const json_t *list, const char *where, const char *unit, char *err,
	size_t elen)
{
	struct flow_spec *specs;
	unsigned n;
	char ferr[512];
	int ret;

	if (!json_is_array(list))
		return fail(err, elen, "\"flows\" must be a list of strings");
	ret = flow_parse_list(list, FLOW_PARSE_ADD, port_resolve, true, unit, &specs, &n, ferr,
		sizeof(ferr));
	if (ret < 0)
		return psw_errorf(err, elen, ret, "%s%s", where, ferr);
	ret = n > 0 ? flow_table_add(specs, n, err, elen) : 0;
	free(specs);
	return ret;
}

int config_apply(const struct psw_config *cfg, char *err, size_t elen)
{
	json_t *ports = cfg->file ? json_object_get(cfg->file, "ports") : NULL;
	json_t *flows = cfg->file ? json_object_get(cfg->file, "flows") : NULL;
	json_t *p;
	size_t i;

	if (ports != NULL && !json_is_array(ports))
		return fail(err, elen, "\"ports\" must be a list");
	json_array_foreach(ports, i, p) {
		const char *name = json_string_value(json_object_get(p, "name"));
		char perr[256];

		if (name != NULL && port_by_name(name) != NULL)
			continue; // restored from the last run
		if (port_add(name, json_string_value(json_object_get(p, "type")),
			    json_object_get(p, "options"), perr, sizeof(perr)) < 0)
			return fail(err, elen, "port %zu: %s", i + 1, perr);
	}
	if (flows != NULL)
		return add_flow_list(flows, "", "flow", err, elen);
	return 0;
}

int config_load_flows(const char *path, char *err, size_t elen)
{
	FILE *f = fopen(path, "r");
	json_t *lines = json_array();
	char *line = NULL, where[PATH_MAX + 16];
	size_t len = 0;
	int ret;

	if (f == NULL) {
		json_decref(lines);
		return fail(err, elen, "cannot open '%s': %s", path, strerror(errno));
	}
	while (getline(&line, &len, f) > 0) {
		char *s = line;

		s[strcspn(s, "\r\n")] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		// blank lines and comments keep their places, so that errors name
		// the flow's line
		json_array_append_new(lines, json_string(*s == '#' ? "" : s));
	}
	fclose(f);
	free(line);
	snprintf(where, sizeof(where), "%s: ", path);
	ret = add_flow_list(lines, where, "line", err, elen);
	json_decref(lines);
	return ret;
}
