// SPDX-License-Identifier: BSD-3-Clause
#include "l2/mirror_ctl.h"
#include "core/api.h"
#include "netaddr.h"
#include "ctl_proto.h"
#include "l2/fdb_ctl.h"
#include "flows/flow_table.h"
#include "log.h"
#include "pmd.h"
#include "pmds/pmd_ctl.h"
#include "ports/port_ctl.h"
#include "flows/trace.h"

#include <psw/ctl.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_CLIENTS 64

volatile int psw_exit_requested;

struct client {
	int fd;
	struct ctl_reader r;
};

static int listen_fd = -1;
static char listen_path[108];
static struct client clients[MAX_CLIENTS];
static unsigned n_clients;

struct reply {
	int status;
	char err[512];
};

typedef json_t *(*api_handler_fn_t)(json_t *req, struct reply *rep);

// Sets the reply's error and returns NULL, for handlers and their helpers.
static void *fail(struct reply *rep, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void *fail(struct reply *rep, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rep->err, sizeof(rep->err), fmt, ap);
	va_end(ap);
	rep->status = status < 0 ? status : -status;
	return NULL;
}

static const char *req_str(json_t *req, const char *key)
{
	json_t *v = json_object_get(req, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *h_version(json_t *req, struct reply *rep)
{
	(void)req;
	(void)rep;
	return json_pack("{s:s}", "version", PSW_VERSION);
}

static json_t *h_show(json_t *req, struct reply *rep)
{
	json_t *cores = json_array();

	(void)req;
	(void)rep;
	for (unsigned i = 0; i < psw_n_pmds; i++)
		json_array_append_new(cores, json_integer(psw_pmds[i]->core));
	return json_pack("{s:s,s:o,s:o,s:o,s:i,s:i}", "version", PSW_VERSION, "ports", port_show(),
		"mirrors", mirror_show(), "pmd_cores", cores, "flows", flow_table_count(),
		"pipeline_version", psw_active_pipeline ? psw_active_pipeline->version : 0);
}

static json_t *h_add_port(json_t *req, struct reply *rep)
{
	int ret = port_add(req_str(req, "name"), req_str(req, "type"),
		json_object_get(req, "options"), rep->err, sizeof(rep->err));

	if (ret < 0) {
		rep->status = ret;
		return NULL;
	}
	return json_pack("{s:i}", "ofport", ret);
}

static json_t *h_set_port(json_t *req, struct reply *rep)
{
	int ret = port_set(req_str(req, "name"), json_object_get(req, "options"), rep->err,
		sizeof(rep->err));

	rep->status = ret;
	return ret < 0 ? NULL : json_object();
}

static json_t *h_add_mirror(json_t *req, struct reply *rep)
{
	int ret = mirror_add(req_str(req, "name"), json_object_get(req, "select_src"),
		json_object_get(req, "select_dst"), req_str(req, "output"), rep->err, sizeof(rep->err));

	rep->status = ret;
	return ret < 0 ? NULL : json_object();
}

static json_t *h_del_mirror(json_t *req, struct reply *rep)
{
	int ret = mirror_del(req_str(req, "name"), rep->err, sizeof(rep->err));

	rep->status = ret;
	return ret < 0 ? NULL : json_object();
}

static json_t *h_del_port(json_t *req, struct reply *rep)
{
	int ret = port_del(req_str(req, "name"), rep->err, sizeof(rep->err));

	rep->status = ret;
	return ret < 0 ? NULL : json_object();
}

// Parses the flows of "flows" (array of strings) or "flow" (one string).
static struct flow_spec *parse_flows(json_t *req, unsigned *n, struct reply *rep)
{
	json_t *arr = json_object_get(req, "flows"), *one = json_object_get(req, "flow");
	struct flow_spec *specs;
	char err[256];
	size_t count, i;

	if (one != NULL) {
		if (!json_is_string(one))
			return fail(rep, EINVAL, "flow must be a string");
		count = 1;
	} else if (json_is_array(arr)) {
		count = json_array_size(arr);
	} else {
		return fail(rep, EINVAL, "no flow given");
	}
	specs = malloc((count ? count : 1) * sizeof(*specs));
	if (specs == NULL)
		return fail(rep, ENOMEM, "out of memory");
	for (i = 0; i < count; i++) {
		json_t *v = one ? one : json_array_get(arr, i);

		if (!json_is_string(v)) {
			free(specs);
			return fail(rep, EINVAL, "flow %zu is not a string", i + 1);
		}
		if (flow_parse(json_string_value(v), FLOW_PARSE_ADD, port_resolve, &specs[i], err,
			    sizeof(err)) < 0) {
			free(specs);
			if (one)
				return fail(rep, EINVAL, "%s", err);
			return fail(rep, EINVAL, "flow %zu: %s", i + 1, err);
		}
	}
	*n = (unsigned)count;
	return specs;
}

static json_t *h_add_flows(json_t *req, struct reply *rep)
{
	unsigned n = 0;
	struct flow_spec *specs = parse_flows(req, &n, rep);
	bool replace = json_is_true(json_object_get(req, "replace"));
	int ret;

	if (specs == NULL)
		return NULL;
	if (replace)
		ret = flow_table_replace(specs, n, rep->err, sizeof(rep->err));
	else
		ret = flow_table_add(specs, n, rep->err, sizeof(rep->err));
	free(specs);
	if (ret < 0) {
		rep->status = ret;
		return NULL;
	}
	LOG_INFO(2, replace ? "flows replaced" : "flows added", KV_INT("count", n),
		KV_INT("pipeline_version", psw_active_pipeline->version));
	return json_pack("{s:i,s:i}", "added", n, "flows", flow_table_count());
}

// A filter from "match" (may be absent: everything).
static int parse_filter(json_t *req, struct flow_spec *filter, struct reply *rep)
{
	const char *m = req_str(req, "match");

	if (m == NULL) {
		memset(filter, 0, sizeof(*filter));
		return 0;
	}
	if (flow_parse(m, FLOW_PARSE_FILTER, port_resolve, filter, rep->err, sizeof(rep->err)) < 0) {
		rep->status = -EINVAL;
		return -EINVAL;
	}
	return 0;
}

static json_t *h_del_flows(json_t *req, struct reply *rep)
{
	struct flow_spec filter;
	int ret;

	if (parse_filter(req, &filter, rep) < 0)
		return NULL;
	ret = flow_table_del(&filter, json_is_true(json_object_get(req, "strict")));
	if (ret < 0)
		return fail(rep, ret, "cannot delete flows: %s", strerror(-ret));
	return json_pack("{s:i,s:i}", "deleted", ret, "flows", flow_table_count());
}

static json_t *h_mod_flows(json_t *req, struct reply *rep)
{
	struct flow_spec spec;
	int ret;

	if (req_str(req, "flow") == NULL)
		return fail(rep, EINVAL, "no flow given");
	if (flow_parse(req_str(req, "flow"), FLOW_PARSE_ADD, port_resolve, &spec, rep->err,
		    sizeof(rep->err)) < 0) {
		rep->status = -EINVAL;
		return NULL;
	}
	ret = flow_table_mod(&spec, json_is_true(json_object_get(req, "strict")), rep->err,
		sizeof(rep->err));
	if (ret < 0) {
		rep->status = ret;
		return NULL;
	}
	LOG_INFO(2, "flows modified", KV_INT("count", ret),
		KV_INT("pipeline_version", psw_active_pipeline->version));
	return json_pack("{s:i,s:i}", "modified", ret, "flows", flow_table_count());
}

static json_t *h_dump_flows(json_t *req, struct reply *rep)
{
	struct flow_spec filter;

	if (parse_filter(req, &filter, rep) < 0)
		return NULL;
	return flow_table_dump(req_str(req, "match") ? &filter : NULL);
}

static json_t *h_trace(json_t *req, struct reply *rep)
{
	struct flow_spec sp;

	if (req_str(req, "packet") == NULL)
		return fail(rep, EINVAL, "no packet given");
	if (flow_parse(req_str(req, "packet"), FLOW_PARSE_PACKET, port_resolve, &sp, rep->err,
		    sizeof(rep->err)) < 0) {
		rep->status = -EINVAL;
		return NULL;
	}
	if (sp.match.in_port == 0)
		return fail(rep, EINVAL, "a traced packet needs in_port=");
	return trace_packet(&sp.match, &sp.mask);
}

static json_t *h_pmd_stats(json_t *req, struct reply *rep)
{
	json_t *r;

	(void)rep;
	r = pmd_ctl_stats();
	if (json_is_true(json_object_get(req, "clear")))
		pmd_ctl_stats_clear();
	return r;
}

static json_t *h_pmd_rxq_show(json_t *req, struct reply *rep)
{
	(void)req;
	(void)rep;
	return pmd_ctl_rxq_show();
}

static json_t *h_pmd_rxq_pin(json_t *req, struct reply *rep)
{
	json_t *q = json_object_get(req, "queue"), *c = json_object_get(req, "core");
	const char *port = req_str(req, "port");
	int ret;

	if (port == NULL || !json_is_integer(q) || !json_is_integer(c))
		return fail(rep, EINVAL, "pmd-rxq-pin needs port, queue and core");
	ret = pmd_ctl_pin(port, (int)json_integer_value(q), (int)json_integer_value(c), rep->err,
		sizeof(rep->err));
	rep->status = ret;
	return ret < 0 ? NULL : pmd_ctl_rxq_show();
}

static json_t *h_pmd_rxq_rebalance(json_t *req, struct reply *rep)
{
	(void)req;
	if (pmd_ctl_rebalance() < 0)
		return fail(rep, ENOMEM, "cannot rebalance");
	return pmd_ctl_rxq_show();
}

static json_t *h_drop_stats(json_t *req, struct reply *rep)
{
	(void)req;
	(void)rep;
	return pmd_ctl_drop_stats();
}

static json_t *h_fdb_show(json_t *req, struct reply *rep)
{
	(void)req;
	(void)rep;
	return fdb_show();
}

static json_t *h_fdb_add(json_t *req, struct reply *rep)
{
	json_t *vlan = json_object_get(req, "vlan");
	const char *port = req_str(req, "port");
	uint16_t ofport = port ? port_resolve(port) : 0;
	uint8_t mac[6];
	int ret;

	if (psw_parse_mac(req_str(req, "mac"), mac) < 0)
		return fail(rep, EINVAL, "bad MAC address");
	if (ofport == PSW_PORT_NONE)
		return fail(rep, ENOENT, "no port '%s'", port ? port : "");
	if (vlan != NULL && (!json_is_integer(vlan) || json_integer_value(vlan) < 0 ||
		    json_integer_value(vlan) > 4095))
		return fail(rep, EINVAL, "VLAN must be 0 to 4095");
	ret = fdb_add_static(mac, vlan ? (uint16_t)json_integer_value(vlan) : 0, ofport, rep->err,
		sizeof(rep->err));
	rep->status = ret;
	return ret < 0 ? NULL : json_object();
}

static json_t *h_fdb_del(json_t *req, struct reply *rep)
{
	json_t *vlan = json_object_get(req, "vlan");
	uint8_t mac[6];

	if (psw_parse_mac(req_str(req, "mac"), mac) < 0)
		return fail(rep, EINVAL, "bad MAC address");
	if (fdb_del(mac, vlan ? (uint16_t)json_integer_value(vlan) : 0) < 0)
		return fail(rep, ENOENT, "no such MAC table entry");
	return json_object();
}

static json_t *h_fdb_flush(json_t *req, struct reply *rep)
{
	(void)rep;
	fdb_flush(json_is_true(json_object_get(req, "all")));
	return json_object();
}

static json_t *h_shutdown(json_t *req, struct reply *rep)
{
	(void)req;
	(void)rep;
	psw_exit_requested = 1;
	return json_object();
}

static const struct {
	const char *name;
	api_handler_fn_t fn;
} handlers[] = {
	{"version", h_version},
	{"show", h_show},
	{"add-port", h_add_port},
	{"del-port", h_del_port},
	{"set-port", h_set_port},
	{"add-mirror", h_add_mirror},
	{"del-mirror", h_del_mirror},
	{"add-flow", h_add_flows},
	{"add-flows", h_add_flows},
	{"del-flows", h_del_flows},
	{"mod-flows", h_mod_flows},
	{"dump-flows", h_dump_flows},
	{"trace", h_trace},
	{"pmd-stats", h_pmd_stats},
	{"pmd-rxq-show", h_pmd_rxq_show},
	{"pmd-rxq-pin", h_pmd_rxq_pin},
	{"pmd-rxq-rebalance", h_pmd_rxq_rebalance},
	{"drop-stats", h_drop_stats},
	{"fdb-show", h_fdb_show},
	{"fdb-add", h_fdb_add},
	{"fdb-del", h_fdb_del},
	{"fdb-flush", h_fdb_flush},
	{"shutdown", h_shutdown},
};

static json_t *dispatch(json_t *req)
{
	const char *cmd = req_str(req, "command");
	struct reply rep = {.status = 0, .err = ""};
	json_t *result = NULL;
	unsigned i;

	if (cmd == NULL) {
		fail(&rep, EINVAL, "a request needs a \"command\"");
		goto out;
	}
	for (i = 0; i < RTE_DIM(handlers); i++)
		if (strcmp(handlers[i].name, cmd) == 0)
			break;
	if (i == RTE_DIM(handlers)) {
		fail(&rep, EOPNOTSUPP, "unknown command '%.64s'", cmd);
		goto out;
	}
	result = handlers[i].fn(req, &rep);
	if (rep.status < 0) {
		json_decref(result);
		result = NULL;
		LOG_INFO(1, "request failed", KV_STR("command", cmd), KV_STR("err", rep.err));
	} else if (result == NULL) {
		fail(&rep, ENOMEM, "out of memory");
	} else {
		LOG_INFO(4, "request done", KV_STR("command", cmd));
	}
out:
	if (rep.status < 0)
		return json_pack("{s:i,s:s}", "status", rep.status, "error", rep.err);
	return json_pack("{s:i,s:o}", "status", 0, "result", result);
}

int api_init(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct stat st;
	mode_t old;

	if (strlen(path) >= sizeof(addr.sun_path))
		return errno_log(ENAMETOOLONG, "control socket path too long");
	strcpy(addr.sun_path, path);
	snprintf(listen_path, sizeof(listen_path), "%s", path);
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		int fd = ctl_connect(path);

		if (fd >= 0) {
			close(fd);
			LOG_ERR("another pswitchd answers on the control socket", KV_STR("path", path));
			return -EADDRINUSE;
		}
		unlink(path);
	}
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (listen_fd < 0)
		return errno_log(errno, "cannot create control socket");
	old = umask(0077); // root only: the socket controls the switch
	if (bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int err = errno;
		umask(old);
		return errno_log(err, "cannot bind control socket");
	}
	umask(old);
	if (chmod(path, 0600) < 0)
		return errno_log(errno, "cannot restrict the control socket to root");
	if (listen(listen_fd, 16) < 0)
		return errno_log(errno, "cannot listen on control socket");
	LOG_INFO(0, "control socket ready", KV_STR("path", path));
	return 0;
}

static void client_close(unsigned i)
{
	close(clients[i].fd);
	ctl_reader_free(&clients[i].r);
	clients[i] = clients[--n_clients];
}

static void client_accept(void)
{
	struct timeval tv = {.tv_sec = 5};
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (n_clients == MAX_CLIENTS) {
		LOG_WARN("too many control clients: refusing one");
		close(fd);
		return;
	}
	// a client that stops reading must not stall the control thread forever
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	clients[n_clients].fd = fd;
	ctl_reader_init(&clients[n_clients].r);
	n_clients++;
}

// Answers what client 'i' sent. Returns false when the client is to be closed.
static bool client_serve(unsigned i)
{
	ssize_t n = ctl_reader_fill(&clients[i].r, clients[i].fd);
	char err[160];
	json_t *req, *reply;

	if (n == -EMSGSIZE) {
		reply = json_pack("{s:i,s:s}", "status", -EMSGSIZE, "error", "message too long");
		ctl_send(clients[i].fd, reply);
		json_decref(reply);
		return false;
	}
	if (n <= 0)
		return false;
	while (ctl_reader_next(&clients[i].r, &req, err, sizeof(err)) == 1) {
		if (req == NULL)
			reply = json_pack("{s:i,s:s}", "status", -EINVAL, "error", err);
		else
			reply = dispatch(req);
		json_decref(req);
		if (reply == NULL || ctl_send(clients[i].fd, reply) < 0) {
			json_decref(reply);
			return false;
		}
		json_decref(reply);
	}
	return true;
}

void api_poll(int timeout_ms)
{
	struct pollfd pfd[MAX_CLIENTS + 1];
	int fds[MAX_CLIENTS];
	unsigned n = n_clients;

	pfd[0] = (struct pollfd){.fd = listen_fd, .events = POLLIN};
	for (unsigned i = 0; i < n; i++) {
		pfd[i + 1] = (struct pollfd){.fd = clients[i].fd, .events = POLLIN};
		fds[i] = clients[i].fd;
	}
	if (poll(pfd, n + 1, timeout_ms) <= 0)
		return;
	// serve in reverse so that closing (which moves the last client into the
	// freed slot) never skips one
	for (unsigned i = n; i-- > 0;) {
		if (pfd[i + 1].revents == 0 || clients[i].fd != fds[i])
			continue;
		if (!client_serve(i))
			client_close(i);
	}
	if (pfd[0].revents & POLLIN)
		client_accept();
}

void api_fini(void)
{
	while (n_clients > 0)
		client_close(0);
	if (listen_fd >= 0) {
		close(listen_fd);
		unlink(listen_path);
	}
	listen_fd = -1;
}
