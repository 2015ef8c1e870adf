// SPDX-License-Identifier: BSD-3-Clause
// pswitchctl: the operator's CLI. Sends one request to pswitchd's control
// socket and prints the reply as a table, or as JSON with --json.
#include "ctl_proto.h"

#include <psw/commands.h>
#include <psw/ctl.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool opt_json;

static const char usage[] =
	"usage: pswitchctl [--socket PATH] [--json] COMMAND [ARGS]\n"
	"\n"
	"ports\n"
	"  show                              ports, queues, link and counters\n"
	"  add-port NAME TYPE [KEY=VALUE..]  TYPE: vhost-user (path=), vhost-user-client (path=),\n"
	"                                    af_packet (iface=, frames=), tap (iface=), dpdk (devargs=);\n"
	"                                    queues=N, tag=VLAN (access port), ofport=N;\n"
	"                                    a pod's port: mac=, ips=A[,B], port_security=false;\n"
	"                                    rate limits: ingress_policing_rate=KBPS,\n"
	"                                    ingress_policing_burst=KB, egress_policing_rate=,\n"
	"                                    egress_policing_burst=\n"
	"  set-port NAME KEY=VALUE..         change a port's rate limits (a rate of 0 removes one)\n"
	"  add-mirror NAME output=PORT [select_src=A,B] [select_dst=C,D]\n"
	"                                    copy what ports send in (src) or get (dst) to PORT\n"
	"  del-mirror NAME\n"
	"  del-port NAME\n"
	"flows\n"
	"  add-flow FLOW                     e.g. 'table=0,priority=10,in_port=a,actions=output:b'\n"
	"  add-flows FILE                    one flow a line ('-' for stdin), added at once\n"
	"  replace-flows FILE                every flow replaced by the file's, at once\n"
	"  mod-flows [--strict] FLOW        new actions for the flows FLOW's match selects\n"
	"                                    (counters, cookies and timeouts kept)\n"
	"  del-flows [--strict] [MATCH]\n"
	"  dump-flows [TABLE|MATCH]\n"
	"  trace PACKET                      e.g. 'in_port=a,tcp,nw_dst=10.0.0.2,tp_dst=80'\n"
	"PMDs\n"
	"  pmd-stats [--clear]               per PMD: packets, cycles per packet, cache hits\n"
	"  pmd-stats-clear\n"
	"  pmd-rxq-show                      which PMD polls which rx queue\n"
	"  pmd-rxq-pin PORT QUEUE CORE       pmd-rxq-unpin PORT QUEUE, pmd-rxq-rebalance\n"
	"  drop-stats                        drops by reason\n"
	"cluster\n"
	"  pods [--all]                      this node's pods (namespace/name, port, MAC, IPs,\n"
	"                                    labels, phase); --all: the cluster's\n"
	"  nodes, namespaces, cluster        the nodes; the namespaces and their labels; where\n"
	"                                    the objects come from (the API server's connection,\n"
	"                                    or the manifests), counts\n"
	"MAC table\n"
	"  fdb-show, fdb-add PORT MAC [VLAN], fdb-del MAC [VLAN], fdb-flush [--all]\n"
	"other\n"
	"  version, stop\n"
	"\n"
	"The socket is " PSW_CTL_DEFAULT_SOCKET " unless --socket or PSWITCH_SOCKET says otherwise.\n";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("pswitchctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static const char *s(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

static long long i(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static double d(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

// A pod's port: whose it is, and what it may send as.
static void print_pod(json_t *opts)
{
	json_t *cni = json_object_get(opts, "cni"), *ips = json_object_get(opts, "ips"), *ip;
	json_t *sec = json_object_get(opts, "port_security");
	size_t k;

	if (json_object_get(opts, "mac") == NULL)
		return;
	printf("\n    pod MAC %s", s(opts, "mac"));
	if (json_is_array(ips)) {
		json_array_foreach(ips, k, ip)
			printf("%s%s", k ? ", " : " IP ", json_string_value(ip));
	} else if (json_is_string(ips)) {
		printf(" IP %s", json_string_value(ips));
	}
	printf(", port security %s", json_is_false(sec) || (json_is_string(sec) &&
		strcmp(json_string_value(sec), "false") == 0) ? "off" : "on");
	if (cni != NULL) {
		printf("\n    cni network %s, container %.12s, %s in %s", s(cni, "network"),
			s(cni, "containerID"), s(cni, "ifname"), s(cni, "netns"));
		if (json_object_get(cni, "pod"))
			printf(", pod %s", s(cni, "pod"));
	}
}

static void print_policing(json_t *pol)
{
	const char *dirs[] = {"ingress", "egress"};

	for (unsigned d = 0; d < 2; d++) {
		json_t *l = json_object_get(pol, dirs[d]);

		if (json_is_object(l))
			printf("    %s policing: %lld kbit/s, burst %lld kbit\n", dirs[d],
				i(l, "rate_kbps"), i(l, "burst_kb"));
	}
}

static void print_show(json_t *r)
{
	json_t *ports = json_object_get(r, "ports"), *p, *c;
	size_t n, k;

	printf("pswitchd %s: %zu ports, %lld flows, PMD cores", s(r, "version"),
		json_array_size(ports), i(r, "flows"));
	json_array_foreach(json_object_get(r, "pmd_cores"), k, c)
		printf(" %lld", (long long)json_integer_value(c));
	printf("\n");
	json_array_foreach(ports, n, p) {
		json_t *st = json_object_get(p, "stats"), *q;

		printf("  %lld %s: %s", i(p, "ofport"), s(p, "name"), s(p, "type"));
		if (json_object_get(p, "path"))
			printf(" %s", s(p, "path"));
		printf(" (%s) link %s (%lld resets), %lld rxq %lld txq, %s", s(p, "devargs"),
			s(p, "link"), i(p, "link_resets"), i(p, "rxqs"), i(p, "txqs"), s(p, "vlan_mode"));
		if (strcmp(s(p, "vlan_mode"), "access") == 0)
			printf(" tag %lld", i(p, "tag"));
		print_pod(json_object_get(p, "options"));
		printf("\n    rx packets=%lld bytes=%lld missed=%lld errors=%lld policed=%lld\n",
			i(st, "rx_packets"), i(st, "rx_bytes"), i(st, "rx_missed"), i(st, "rx_errors"),
			i(st, "rx_dropped"));
		printf("    tx packets=%lld bytes=%lld dropped=%lld\n", i(st, "tx_packets"),
			i(st, "tx_bytes"), i(st, "tx_dropped"));
		print_policing(json_object_get(p, "policing"));
		printf("    rx queues:");
		json_array_foreach(json_object_get(p, "rxq_pmds"), k, q)
			printf(" %lld->core %lld%s", i(q, "queue"), i(q, "pmd_core"),
				json_is_true(json_object_get(q, "pinned")) ? " (pinned)" : "");
		printf("\n");
	}
	json_array_foreach(json_object_get(r, "mirrors"), n, p) {
		json_t *q;

		printf("  mirror %s -> %s:", s(p, "name"), s(p, "output"));
		json_array_foreach(json_object_get(p, "select_src"), k, q)
			printf(" from %s", json_string_value(q));
		json_array_foreach(json_object_get(p, "select_dst"), k, q)
			printf(" to %s", json_string_value(q));
		printf("\n");
	}
}

static void print_flows(json_t *r)
{
	json_t *f;
	size_t n;

	json_array_foreach(r, n, f) {
		printf(" cookie=0x%llx, duration=%.3fs, table=%lld, n_packets=%lld, n_bytes=%lld, ",
			i(f, "cookie"), d(f, "duration"), i(f, "table"), i(f, "n_packets"),
			i(f, "n_bytes"));
		if (i(f, "idle_timeout"))
			printf("idle_timeout=%lld, ", i(f, "idle_timeout"));
		if (i(f, "hard_timeout"))
			printf("hard_timeout=%lld, ", i(f, "hard_timeout"));
		printf("idle_age=%.0f, %s actions=%s\n", d(f, "idle_age"), s(f, "match"),
			s(f, "actions"));
	}
}

static void print_pmd_stats(json_t *r)
{
	json_t *p;
	size_t n;

	json_array_foreach(r, n, p) {
		long long pk = i(p, "packets");

		printf("pmd %lld core %lld:%s busy: %.0f %%\n", i(p, "pmd"), i(p, "core"),
			json_is_true(json_object_get(p, "isolated")) ? " isolated," : "",
			100.0 * d(p, "usage"));
		printf("  packets received: %lld\n  packets dropped: %lld\n", pk, i(p, "dropped"));
		printf("  port flow hits (no lookup): %lld\n", i(p, "port_flow_hits"));
		printf("  exact-match cache hits: %lld (%.1f%%) of %lld entries\n", i(p, "emc_hits"),
			100.0 * d(p, "emc_hit_ratio"), i(p, "emc_entries"));
		printf("  classifier hits: %lld\n  classifier misses: %lld\n",
			i(p, "classifier_hits"), i(p, "misses"));
		printf("  subtables searched per classifier lookup (table 0): %.1f\n",
			d(p, "subtables_per_lookup"));
		printf("  busy cycles: %lld (%.1f%%)\n  idle cycles: %lld (%.1f%%)\n",
			i(p, "busy_cycles"), 100.0 * d(p, "busy_ratio"), i(p, "idle_cycles"),
			100.0 * d(p, "idle_ratio"));
		printf("  busy cycles per packet: %.1f\n", d(p, "cycles_per_packet"));
		printf("  packets per busy iteration: %.1f\n", d(p, "packets_per_busy_iteration"));
		if (i(p, "sleep_max_us") > 0)
			printf("  sleep: %.3f s in %lld sleeps (up to %lld us each)\n",
				(double)i(p, "sleep_ns") / 1e9, i(p, "sleeps"), i(p, "sleep_max_us"));
		if (i(p, "icmp_errors") || i(p, "icmp_limited"))
			printf("  ICMP errors sent: %lld, over the rate: %lld\n", i(p, "icmp_errors"),
				i(p, "icmp_limited"));
	}
}

static void print_rxqs(json_t *r)
{
	json_t *p, *q;
	size_t n, k;

	json_array_foreach(r, n, p) {
		printf("pmd %lld core %lld:%s busy: %.0f %%\n", i(p, "pmd"), i(p, "core"),
			json_is_true(json_object_get(p, "isolated")) ? " isolated," : "",
			100.0 * d(p, "usage"));
		json_array_foreach(json_object_get(p, "rxqs"), k, q)
			printf("  port: %-20s queue-id: %2lld %s usage: %3.0f %%  packets: %lld\n",
				s(q, "port"), i(q, "queue"),
				json_is_true(json_object_get(q, "pinned")) ? "(pinned)" : "        ",
				100.0 * d(q, "usage"), i(q, "packets"));
	}
}

static void print_drops(json_t *r)
{
	json_t *total = json_object_get(r, "total"), *v;
	const char *k;

	json_object_foreach(total, k, v)
		printf("%-16s %lld\n", k, (long long)json_integer_value(v));
}

static void print_fdb(json_t *r)
{
	json_t *e;
	size_t n;

	printf(" %-16s VLAN  MAC                Age\n", "port");
	json_array_foreach(json_object_get(r, "entries"), n, e) {
		printf(" %-16s %4lld  %s  ", s(e, "port"), i(e, "vlan"), s(e, "mac"));
		if (json_is_true(json_object_get(e, "static")))
			printf("static\n");
		else
			printf("%lld\n", i(e, "age"));
	}
	printf("%zu entries (max %lld, aging %llds, moves %lld)\n",
		json_array_size(json_object_get(r, "entries")), i(r, "max"), i(r, "aging_time"),
		i(r, "moves"));
}

static void print_trace(json_t *r)
{
	json_t *st, *o;
	size_t n;

	printf("Packet: %s\n\n", s(r, "packet"));
	json_array_foreach(json_object_get(r, "steps"), n, st)
		printf("table %lld: priority=%lld: %s\n    actions=%s\n", i(st, "table"),
			i(st, "priority"), s(st, "match"), s(st, "actions"));
	json_array_foreach(json_object_get(r, "notes"), n, o)
		printf("  %s\n", json_string_value(o));
	printf("\nOutputs:");
	json_array_foreach(json_object_get(r, "outputs"), n, o)
		printf(" %s(%lld)", s(o, "port"), i(o, "ofport"));
	printf("\nVerdict: %s\n", s(r, "verdict"));
}

static void print_labels(json_t *labels)
{
	const char *k;
	json_t *v;
	bool first = true;

	json_object_foreach(labels, k, v) {
		printf("%s%s=%s", first ? "" : ",", k, json_string_value(v));
		first = false;
	}
	if (first)
		printf("-");
}

static void print_pods(json_t *r)
{
	json_t *p, *ip, *ips;
	size_t n, k;

	printf("%-32s %-16s %-18s %-10s %-16s %s\n", "POD", "PORT", "MAC", "PHASE", "NODE", "IPS / LABELS");
	json_array_foreach(r, n, p) {
		char name[320];

		snprintf(name, sizeof(name), "%s/%s", s(p, "namespace"), s(p, "name"));
		printf("%-32s %-16s %-18s %-10s %-16s ", name, json_object_get(p, "port") ? s(p, "port") : "-",
			json_object_get(p, "mac") ? s(p, "mac") : "-",
			json_is_true(json_object_get(p, "known")) ? s(p, "phase") : "(not in the API)",
			json_object_get(p, "node") ? s(p, "node") : "-");
		// the API's IPs, else (status not written yet) the port's
		ips = json_object_get(p, "ips");
		if (json_array_size(ips) == 0 && json_is_array(json_object_get(p, "port_ips")))
			ips = json_object_get(p, "port_ips");
		json_array_foreach(ips, k, ip)
			printf("%s%s", k ? "," : "", json_string_value(ip));
		printf(" ");
		print_labels(json_object_get(p, "labels"));
		if (json_object_get(p, "detach_in_s"))
			printf(" (deleted in the API: detached in %.0f s)", d(p, "detach_in_s"));
		printf("\n");
	}
}

static void print_nodes(json_t *r)
{
	json_t *nd, *v;
	size_t n, k;

	json_array_foreach(r, n, nd) {
		printf("%s%s: pod CIDRs", s(nd, "name"), json_is_true(json_object_get(nd, "self")) ?
			" (this node)" : "");
		json_array_foreach(json_object_get(nd, "podCIDRs"), k, v)
			printf(" %s", json_string_value(v));
		printf(", InternalIP");
		json_array_foreach(json_object_get(nd, "internalIPs"), k, v)
			printf(" %s", json_string_value(v));
		printf("\n");
	}
}

static void print_namespaces(json_t *r)
{
	json_t *ns;
	size_t n;

	json_array_foreach(r, n, ns) {
		printf("%s", s(ns, "name"));
		print_labels(json_object_get(ns, "labels"));
		printf("\n");
	}
}

// The API server's side of pswitchctl cluster: the connection, then each
// resource's list and watch.
static void print_api_source(json_t *src)
{
	json_t *k, *ev, *v;
	const char *res, *t;

	printf(" %s (%s, %s%s), %lld connections, %lld token reloads, %lld auth failures\n",
		s(src, "server"), s(src, "from"), s(src, "auth"),
		json_is_true(json_object_get(src, "insecure")) ? ", TLS NOT VERIFIED" : "",
		i(src, "connects"), i(src, "token_reloads"), i(src, "auth_failures"));
	json_object_foreach(json_object_get(src, "kinds"), res, k) {
		printf("  %-16s %-11s rv %-8s lists %lld relists %lld watches %lld errors %lld bad %lld",
			res, s(k, "state"), s(k, "resourceVersion"), i(k, "lists"), i(k, "relists"),
			i(k, "watches"), i(k, "errors"), i(k, "bad_events") + i(k, "bad_objects"));
		ev = json_object_get(k, "events");
		printf(" events");
		json_object_foreach(ev, t, v)
			printf(" %s %lld", t, (long long)json_integer_value(v));
		printf("\n");
		if (s(k, "last_error")[0])
			printf("    last error: %s\n", s(k, "last_error"));
	}
	k = json_object_get(src, "apply");
	if (json_object_get(k, "samples"))
		printf("  events applied %lld: p50 %.1f us, p99 %.1f us, max %.1f us (the last %lld)\n",
			i(k, "events"), d(k, "p50_us"), d(k, "p99_us"), d(k, "max_us"), i(k, "samples"));
}

static void print_cluster(json_t *r)
{
	json_t *src = json_object_get(r, "source"), *o, *f, *v;
	const char *kind;
	size_t n;

	printf("node %s, pod CIDRs", s(r, "node"));
	json_array_foreach(json_object_get(r, "pod_cidrs"), n, v)
		printf(" %s", json_string_value(v));
	printf("\nsource: %s", s(src, "source"));
	if (strcmp(s(src, "source"), "api") == 0)
		print_api_source(src);
	else if (json_object_get(src, "dir"))
		printf(" %s (%lld reloads, %lld bad objects)", s(src, "dir"), i(src, "reloads"),
			i(src, "bad_objects"));
	if (strcmp(s(src, "source"), "api") != 0)
		printf("\n");
	json_array_foreach(json_object_get(src, "files"), n, f)
		printf("  %s: %lld objects%s%s\n", s(f, "file"), i(f, "objects"),
			json_object_get(f, "error") ? ", error: " : "", json_object_get(f, "error") ? s(f, "error") : "");
	if (s(src, "last_error")[0])
		printf("last error: %s\n", s(src, "last_error"));
	json_object_foreach(json_object_get(r, "objects"), kind, o)
		printf("%-16s %6lld (added %lld, updated %lld, deleted %lld)\n", kind, i(o, "objects"),
			i(o, "added"), i(o, "updated"), i(o, "deleted"));
	printf("ports of deleted pods detached: %lld\n", i(r, "pods_detached"));
}

static json_t *read_flow_file(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	json_t *arr = json_array();
	char *line = NULL;
	size_t len = 0;

	if (f == NULL)
		die("cannot open '%s': %s", path, strerror(errno));
	while (getline(&line, &len, f) > 0) {
		char *p = line;

		p[strcspn(p, "\r\n")] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		json_array_append_new(arr, json_string(p));
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return arr;
}

// "key=value" arguments as an object; numbers stay strings, the daemon reads both.
static json_t *kv_args(int argc, char **argv)
{
	json_t *o = json_object();

	for (int k = 0; k < argc; k++) {
		char *eq = strchr(argv[k], '=');

		if (eq == NULL)
			die("option '%s' is not KEY=VALUE", argv[k]);
		*eq = '\0';
		json_object_set_new(o, argv[k], json_string(eq + 1));
	}
	return o;
}

// output=PORT select_src=A,B select_dst=C
static void mirror_args(json_t *req, int argc, char **argv)
{
	json_t *kv = kv_args(argc, argv);
	const char *key;
	json_t *v;

	json_object_foreach(kv, key, v) {
		if (strcmp(key, "output") == 0) {
			json_object_set(req, "output", v);
		} else if (strcmp(key, PSW_KEY_SELECT_SRC) == 0 || strcmp(key, PSW_KEY_SELECT_DST) == 0) {
			char *list = strdup(json_string_value(v)), *save = NULL;
			json_t *names = json_array();

			for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
				json_array_append_new(names, json_string(t));
			json_object_set_new(req, key, names);
			free(list);
		} else {
			die("add-mirror takes output=, select_src= and select_dst=, not '%s'", key);
		}
	}
	json_decref(kv);
}

static void need(int argc, int min, int max, const char *cmd)
{
	if (argc < min || argc > max)
		die("wrong number of arguments for %s (see --help)", cmd);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *sock = getenv("PSWITCH_SOCKET");
	void (*printer)(json_t *) = NULL;
	struct ctl_reader rd;
	json_t *req, *reply, *result;
	const char *cmd;
	int opt, fd, nargs;
	char **args;

	if (sock == NULL)
		sock = PSW_CTL_DEFAULT_SOCKET;
	while ((opt = getopt_long(argc, argv, "+s:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			sock = optarg;
			break;
		case 'j':
			opt_json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	cmd = argv[optind];
	args = argv + optind + 1;
	nargs = argc - optind - 1;
	if (nargs > 0 && strcmp(args[nargs - 1], "--json") == 0) {
		opt_json = true;
		nargs--;
	}
	req = json_pack("{s:s}", PSW_KEY_COMMAND, cmd);
	if (strcmp(cmd, "show") == 0) {
		need(nargs, 0, 0, cmd);
		printer = print_show;
	} else if (strcmp(cmd, "add-port") == 0) {
		need(nargs, 2, 64, cmd);
		json_object_set_new(req, PSW_KEY_NAME, json_string(args[0]));
		json_object_set_new(req, PSW_KEY_TYPE, json_string(args[1]));
		json_object_set_new(req, PSW_KEY_OPTIONS, kv_args(nargs - 2, args + 2));
	} else if (strcmp(cmd, "set-port") == 0) {
		need(nargs, 2, 64, cmd);
		json_object_set_new(req, PSW_KEY_NAME, json_string(args[0]));
		json_object_set_new(req, PSW_KEY_OPTIONS, kv_args(nargs - 1, args + 1));
	} else if (strcmp(cmd, "add-mirror") == 0) {
		need(nargs, 2, 4, cmd);
		json_object_set_new(req, PSW_KEY_NAME, json_string(args[0]));
		mirror_args(req, nargs - 1, args + 1);
	} else if (strcmp(cmd, "del-mirror") == 0) {
		need(nargs, 1, 1, cmd);
		json_object_set_new(req, PSW_KEY_NAME, json_string(args[0]));
	} else if (strcmp(cmd, "del-port") == 0) {
		need(nargs, 1, 1, cmd);
		json_object_set_new(req, PSW_KEY_NAME, json_string(args[0]));
	} else if (strcmp(cmd, "add-flow") == 0) {
		need(nargs, 1, 1, cmd);
		json_object_set_new(req, PSW_KEY_FLOW, json_string(args[0]));
	} else if (strcmp(cmd, "add-flows") == 0 || strcmp(cmd, "replace-flows") == 0) {
		need(nargs, 1, 1, cmd);
		json_object_set_new(req, PSW_KEY_COMMAND, json_string(PSW_CMD_ADD_FLOWS));
		json_object_set_new(req, PSW_KEY_FLOWS, read_flow_file(args[0]));
		if (cmd[0] == 'r')
			json_object_set_new(req, PSW_KEY_REPLACE, json_true());
	} else if (strcmp(cmd, "del-flows") == 0) {
		need(nargs, 0, 2, cmd);
		for (int k = 0; k < nargs; k++) {
			if (strcmp(args[k], "--strict") == 0)
				json_object_set_new(req, PSW_KEY_STRICT, json_true());
			else
				json_object_set_new(req, PSW_KEY_MATCH, json_string(args[k]));
		}
	} else if (strcmp(cmd, "mod-flows") == 0) {
		int flows = 0;

		need(nargs, 1, 2, cmd);
		for (int k = 0; k < nargs; k++) {
			if (strcmp(args[k], "--strict") == 0) {
				json_object_set_new(req, PSW_KEY_STRICT, json_true());
			} else {
				json_object_set_new(req, PSW_KEY_FLOW, json_string(args[k]));
				flows++;
			}
		}
		if (flows != 1)
			die("mod-flows takes one FLOW (see --help)");
	} else if (strcmp(cmd, "dump-flows") == 0) {
		need(nargs, 0, 1, cmd);
		if (nargs == 1) {
			char buf[64];

			if (strspn(args[0], "0123456789") == strlen(args[0]) && args[0][0]) {
				snprintf(buf, sizeof(buf), "table=%s", args[0]);
				json_object_set_new(req, PSW_KEY_MATCH, json_string(buf));
			} else {
				json_object_set_new(req, PSW_KEY_MATCH, json_string(args[0]));
			}
		}
		printer = print_flows;
	} else if (strcmp(cmd, "trace") == 0) {
		need(nargs, 1, 1, cmd);
		json_object_set_new(req, PSW_KEY_PACKET, json_string(args[0]));
		printer = print_trace;
	} else if (strcmp(cmd, "pmd-stats") == 0 || strcmp(cmd, "pmd-stats-clear") == 0) {
		need(nargs, 0, 1, cmd);
		json_object_set_new(req, PSW_KEY_COMMAND, json_string(PSW_CMD_PMD_STATS));
		if (cmd[9] == '-' || (nargs == 1 && strcmp(args[0], "--clear") == 0))
			json_object_set_new(req, PSW_KEY_CLEAR, json_true());
		else if (nargs == 1)
			die("unknown argument '%s'", args[0]);
		printer = cmd[9] == '-' ? NULL : print_pmd_stats;
	} else if (strcmp(cmd, "pmd-rxq-show") == 0 || strcmp(cmd, "pmd-rxq-rebalance") == 0) {
		need(nargs, 0, 0, cmd);
		printer = print_rxqs;
	} else if (strcmp(cmd, "pmd-rxq-pin") == 0 || strcmp(cmd, "pmd-rxq-unpin") == 0) {
		bool pin = strcmp(cmd, "pmd-rxq-pin") == 0;

		need(nargs, pin ? 3 : 2, pin ? 3 : 2, cmd);
		json_object_set_new(req, PSW_KEY_COMMAND, json_string(PSW_CMD_PMD_RXQ_PIN));
		json_object_set_new(req, PSW_KEY_PORT, json_string(args[0]));
		json_object_set_new(req, PSW_KEY_QUEUE, json_integer(atoi(args[1])));
		json_object_set_new(req, PSW_KEY_CORE, json_integer(pin ? atoi(args[2]) : -1));
		printer = print_rxqs;
	} else if (strcmp(cmd, "drop-stats") == 0) {
		need(nargs, 0, 0, cmd);
		printer = print_drops;
	} else if (strcmp(cmd, "fdb-show") == 0) {
		need(nargs, 0, 0, cmd);
		printer = print_fdb;
	} else if (strcmp(cmd, "fdb-add") == 0) {
		need(nargs, 2, 3, cmd);
		json_object_set_new(req, PSW_KEY_PORT, json_string(args[0]));
		json_object_set_new(req, PSW_KEY_MAC, json_string(args[1]));
		if (nargs == 3)
			json_object_set_new(req, PSW_KEY_VLAN, json_integer(atoi(args[2])));
	} else if (strcmp(cmd, "fdb-del") == 0) {
		need(nargs, 1, 2, cmd);
		json_object_set_new(req, PSW_KEY_MAC, json_string(args[0]));
		if (nargs == 2)
			json_object_set_new(req, PSW_KEY_VLAN, json_integer(atoi(args[1])));
	} else if (strcmp(cmd, "fdb-flush") == 0) {
		need(nargs, 0, 1, cmd);
		if (nargs == 1 && strcmp(args[0], "--all") == 0)
			json_object_set_new(req, PSW_KEY_ALL, json_true());
	} else if (strcmp(cmd, "pods") == 0) {
		need(nargs, 0, 1, cmd);
		if (nargs == 1 && strcmp(args[0], "--all") != 0)
			die("unknown argument '%s'", args[0]);
		if (nargs == 1)
			json_object_set_new(req, PSW_KEY_ALL, json_true());
		printer = print_pods;
	} else if (strcmp(cmd, "nodes") == 0) {
		need(nargs, 0, 0, cmd);
		printer = print_nodes;
	} else if (strcmp(cmd, "namespaces") == 0) {
		need(nargs, 0, 0, cmd);
		printer = print_namespaces;
	} else if (strcmp(cmd, "cluster") == 0) {
		need(nargs, 0, 0, cmd);
		printer = print_cluster;
	} else if (strcmp(cmd, "version") == 0) {
		need(nargs, 0, 0, cmd);
	} else if (strcmp(cmd, "stop") == 0) {
		need(nargs, 0, 0, cmd);
		json_object_set_new(req, PSW_KEY_COMMAND, json_string(PSW_CMD_SHUTDOWN));
	} else {
		die("unknown command '%s' (see --help)", cmd);
	}

	fd = ctl_connect(sock);
	if (fd < 0)
		die("cannot reach pswitchd at %s: %s", sock, strerror(-fd));
	ctl_reader_init(&rd);
	reply = ctl_call(fd, &rd, req);
	if (reply == NULL)
		die("no reply from pswitchd: %s", strerror(errno));
	if (i(reply, "status") != 0)
		die("%s", s(reply, "error"));
	result = json_object_get(reply, "result");
	if (opt_json) {
		json_dumpf(result, stdout, JSON_INDENT(2));
		printf("\n");
	} else if (printer != NULL) {
		printer(result);
	} else if (strcmp(cmd, "version") == 0) {
		printf("pswitchd %s\n", s(result, "version"));
	} else if (json_object_get(result, "ofport")) {
		printf("port %s is number %lld\n", args[0], i(result, "ofport"));
	} else if (json_object_get(result, "deleted")) {
		printf("%lld flows deleted, %lld left\n", i(result, "deleted"), i(result, "flows"));
	} else if (json_object_get(result, "added")) {
		printf("%lld flows installed, %lld in all\n", i(result, "added"), i(result, "flows"));
	}
	json_decref(reply);
	json_decref(req);
	ctl_reader_free(&rd);
	close(fd);
	return 0;
}
