// SPDX-License-Identifier: BSD-3-Clause
#include "verbs.h"
#include "conf.h"
#include "ipam.h"
#include "log.h"
#include "netaddr.h"
#include "netlink.h"
#include "result.h"
#include "state.h"
#include "switch.h"

#include <psw/commands.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int open_netns(const char *path, struct cni_error *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), type;

	if (fd < 0)
		return cni_fail(e, errno == ENOENT ? CNI_ERR_UNKNOWN_CONTAINER : CNI_ERR_IO,
			"cannot open the pod's network namespace %s: %s", path, strerror(errno));
	// Anything but a network namespace (a file, a directory, another kind
	// of namespace) is refused before anything is done: the kernel says
	// what a namespace file is (NS_GET_NSTYPE; ENOTTY for other files).
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type != CLONE_NEWNET) {
		int err = errno;

		close(fd);
		return cni_fail(e, CNI_ERR_INVALID_ENV, "CNI_NETNS %s is not a network namespace%s%s",
			path, type >= 0 ? " (a namespace of another kind)" : err == ENOTTY ? "" : ": ",
			type < 0 && err != ENOTTY ? strerror(err) : "");
	}
	return fd;
}

// The pod's MAC: the runtime's (runtimeConfig.mac, CNI_ARGS MAC), or one
// derived from its first IPv4 address (0a:58:a.b.c.d, as in Kubernetes
// networks), or from the attachment's name.
static int pod_mac(const struct cni_env *env, const struct cni_conf *conf,
	const struct cni_addrs *a, const struct attachment *at, uint8_t mac[6], struct cni_error *e)
{
	const char *want = conf->runtime_mac[0] ? conf->runtime_mac : env->mac_arg[0] ? env->mac_arg : NULL;

	if (want != NULL) {
		if (psw_parse_mac(want, mac) < 0 || (mac[0] & 1))
			return cni_fail(e, CNI_ERR_INVALID_CONFIG, "'%s' is not a unicast MAC address", want);
		return 0;
	}
	mac[0] = 0x0a;
	mac[1] = 0x58;
	for (unsigned i = 0; i < a->n_ips; i++) {
		char addr[64];
		struct in_addr in;

		if (!a->ips[i].v4)
			continue;
		snprintf(addr, sizeof(addr), "%s", a->ips[i].address);
		*strchr(addr, '/') = '\0';
		if (inet_pton(AF_INET, addr, &in) == 1) {
			memcpy(mac + 2, &in, 4);
			return 0;
		}
	}
	for (int i = 0; i < 4; i++)
		mac[2 + i] = (uint8_t)(at->hash >> (8 * (5 - i)));
	return 0;
}

static json_t *ips_json(const struct cni_addrs *a)
{
	json_t *ips = json_array();

	for (unsigned i = 0; i < a->n_ips; i++)
		json_array_append_new(ips, json_string(a->ips[i].address));
	return ips;
}

static const char *gateway_of(const struct cni_addrs *a)
{
	for (unsigned i = 0; i < a->n_ips; i++)
		if (a->ips[i].gateway[0])
			return a->ips[i].gateway;
	return NULL;
}

// A limit in bits (per second) as pswitchd's kbit (per second), rounded up
// so that a small limit is not none.
static void policing(json_t *opts, const char *dir, uint64_t rate_bps, uint64_t burst_bits)
{
	char key[32];

	if (rate_bps == 0)
		return;
	snprintf(key, sizeof(key), "%s_policing_rate", dir);
	json_object_set_new(opts, key, json_integer((json_int_t)((rate_bps + 999) / 1000)));
	if (burst_bits != 0) {
		snprintf(key, sizeof(key), "%s_policing_burst", dir);
		json_object_set_new(opts, key, json_integer((json_int_t)((burst_bits + 999) / 1000)));
	}
}

// What pswitchd keeps with the port: the pod's identity, so that operators
// see whose port it is and GC finds the ports of vanished pods.
static json_t *port_options(const struct cni_env *env, const struct cni_conf *conf,
	const char *mac, const struct cni_addrs *a)
{
	json_t *cni = json_pack("{s:s,s:s,s:s,s:s}", "network", conf->name, "containerID",
		env->container_id, "ifname", env->ifname, "netns", env->netns);

	// the Pod object the port belongs to (pswitchd binds them)
	if (env->k8s_pod[0])
		json_object_set_new(cni, "pod", json_sprintf("%s/%s", env->k8s_namespace, env->k8s_pod));
	if (env->k8s_pod_uid[0])
		json_object_set_new(cni, "podUID", json_string(env->k8s_pod_uid));
	json_t *opts = json_pack("{s:s,s:o,s:b,s:i,s:o}", PSW_OPT_MAC, mac, PSW_OPT_IPS, ips_json(a),
		PSW_OPT_PORT_SECURITY, conf->port_security, PSW_OPT_TAG, conf->vlan, PSW_OPT_CNI, cni);

	// what reaches the pod leaves the switch through its port (egress
	// policing), what the pod sends enters the switch (ingress)
	policing(opts, "egress", conf->bandwidth.ingress_rate, conf->bandwidth.ingress_burst);
	policing(opts, "ingress", conf->bandwidth.egress_rate, conf->bandwidth.egress_burst);
	return opts;
}

static int add_port(const char *name, const char *type, json_t *opts, struct cni_error *e,
	const struct cni_conf *conf)
{
	struct sw_conn c;
	json_t *res;
	int status;

	if (sw_connect(&c, conf, e) < 0) {
		json_decref(opts);
		sw_close(&c);
		return -1;
	}
	res = sw_request(&c, PSW_CMD_ADD_PORT, json_pack("{s:s,s:s,s:o}", PSW_KEY_NAME, name,
		PSW_KEY_TYPE, type, PSW_KEY_OPTIONS, opts), &status, e);
	sw_close(&c);
	json_decref(res);
	return res ? 0 : -1;
}

// The pod's directory and the file its DPDK application reads.
static int dpdk_dir_setup(const struct cni_conf *conf, const struct cni_env *env,
	const struct attachment *at, const char *mac, const struct cni_addrs *a, struct cni_error *e)
{
	const struct vhost_conf *vc = &conf->vhost;
	char tmp[sizeof(at->info_path) + 8];
	const char *gw = gateway_of(a);
	json_t *info;
	struct stat st;

	if (make_dirs(vc->socket_dir, 0755, e) < 0 || make_dirs(at->sock_dir, vc->dir_mode, e) < 0)
		return -1;
	if (chmod(at->sock_dir, vc->dir_mode) < 0 ||
	    ((vc->has_owner || vc->has_group) &&
	     chown(at->sock_dir, vc->has_owner ? vc->owner : (uid_t)-1,
		     vc->has_group ? vc->group : (gid_t)-1) < 0))
		return cni_fail(e, CNI_ERR_IO, "cannot set the owner or mode of %s: %s", at->sock_dir,
			strerror(errno));
	if (lstat(at->sock_path, &st) == 0)
		return cni_fail(e, CNI_ERR_IO, "%s exists already: is %s attached twice?", at->sock_path,
			env->ifname);
	info = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:i,s:i,s:s}", "containerID", env->container_id,
		"interface", env->ifname, "socket", at->sock_path,
		// what the pod's virtio-user must be: the opposite of pswitchd
		"socketMode", vc->pswitchd_server ? "client" : "server", "mac", mac, "ips", ips_json(a),
		"mtu", conf->mtu, "queues", vc->queues, "network", conf->name);
	if (gw)
		json_object_set_new(info, "gateway", json_string(gw));
	snprintf(tmp, sizeof(tmp), "%s.tmp", at->info_path);
	if (json_dump_file(info, tmp, JSON_INDENT(2)) < 0 || chmod(tmp, 0644) < 0 ||
	    rename(tmp, at->info_path) < 0) {
		unlink(tmp);
		json_decref(info);
		return cni_fail(e, CNI_ERR_IO, "cannot write %s: %s", at->info_path, strerror(errno));
	}
	json_decref(info);
	return 0;
}

// Removes the pod's socket and file, and the directory once nothing of
// ours is left in it. Only names derived here are touched.
static void dpdk_dir_cleanup(const struct attachment *at)
{
	struct stat st;

	if (lstat(at->sock_dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	unlink(at->info_path);
	if (lstat(at->sock_path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(at->sock_path);
	rmdir(at->sock_dir); // fails while other interfaces of the pod remain
}

static int dpdk_socket_perms(const struct vhost_conf *vc, const char *path, struct cni_error *e)
{
	if (chmod(path, vc->socket_mode) < 0 ||
	    ((vc->has_owner || vc->has_group) &&
	     chown(path, vc->has_owner ? vc->owner : (uid_t)-1, vc->has_group ? vc->group : (gid_t)-1) < 0))
		return cni_fail(e, CNI_ERR_IO, "cannot set the owner or mode of %s: %s", path, strerror(errno));
	return 0;
}

static void record_time(json_t *rec)
{
	char buf[32];
	time_t t = time(NULL);
	struct tm tm;

	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	json_object_set_new(rec, "created", json_string(buf));
}

int cmd_add(const struct cni_env *env, const struct cni_conf *conf, json_t **out, struct cni_error *e)
{
	struct attachment at;
	struct cni_addrs addrs;
	struct sw_conn probe;
	json_t *ipam_res = NULL, *rec;
	char mac_s[24], host_mac[24] = "";
	uint8_t mac[6];
	bool ipam_done = false, veth_done = false, dir_done = false, port_done = false;
	int nsfd = -1;
	struct cni_error ce = {0};

	if (attachment_names(conf, env->container_id, env->ifname, conf->kind, &at, e) < 0)
		return -1;
	nsfd = open_netns(env->netns, e);
	if (nsfd < 0)
		return -1;
	// pswitchd first: when it is down nothing is created at all
	if (sw_connect(&probe, conf, e) < 0) {
		sw_close(&probe);
		close(nsfd);
		return -1;
	}
	sw_close(&probe);
	if (state_lock(conf, false, e) < 0)
		goto fail;
	if (ipam_exec(conf, env, "ADD", NULL, NULL, &ipam_res, e) < 0)
		goto fail;
	ipam_done = true;
	if (cni_result_addrs(ipam_res, &addrs, e) < 0)
		goto fail;
	if (addrs.n_ips == 0) {
		cni_fail(e, CNI_ERR_INVALID_CONFIG, "IPAM plugin %s gave no address", conf->ipam_type);
		goto fail;
	}
	if (pod_mac(env, conf, &addrs, &at, mac, e) < 0)
		goto fail;
	psw_format_mac(mac, mac_s, sizeof(mac_s));
	if (conf->kind == POD_KERNEL) {
		if (veth_create(nsfd, at.port, env->ifname, mac, conf->mtu, e) < 0)
			goto fail;
		veth_done = true;
		link_mac(at.port, host_mac, sizeof(host_mac));
		if (netns_configure(nsfd, env->ifname, &addrs, e) < 0)
			goto fail;
		json_t *opts = port_options(env, conf, mac_s, &addrs);
		json_object_set_new(opts, PSW_OPT_IFACE, json_string(at.port));
		if (add_port(at.port, PSW_PORT_TYPE_AFPACKET, opts, e, conf) < 0)
			goto fail;
		port_done = true;
	} else {
		if (dpdk_dir_setup(conf, env, &at, mac_s, &addrs, e) < 0)
			goto fail;
		dir_done = true;
		json_t *opts = port_options(env, conf, mac_s, &addrs);
		json_object_set_new(opts, PSW_OPT_PATH, json_string(at.sock_path));
		json_object_set_new(opts, PSW_OPT_QUEUES, json_integer(conf->vhost.queues));
		if (add_port(at.port, conf->vhost.pswitchd_server ? PSW_PORT_TYPE_VHOST :
			    PSW_PORT_TYPE_VHOST_CLIENT,
			    opts, e, conf) < 0)
			goto fail;
		port_done = true;
		if (conf->vhost.pswitchd_server && dpdk_socket_perms(&conf->vhost, at.sock_path, e) < 0)
			goto fail;
	}
	rec = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "network", conf->name, "containerID",
		env->container_id, "ifname", env->ifname, "netns", env->netns, "kind",
		conf->kind == POD_DPDK ? "dpdk" : "kernel", "port", at.port, "ips", ips_json(&addrs));
	json_object_set_new(rec, "mac", json_string(mac_s));
	record_time(rec);
	if (state_write(&at, rec, e) < 0) {
		json_decref(rec);
		goto fail;
	}
	json_decref(rec);
	struct pod_iface pi = {
		.host_name = conf->kind == POD_KERNEL ? at.port : NULL, .host_mac = host_mac,
		.name = env->ifname, .mac = mac_s, .sandbox = env->netns,
		.socket_path = conf->kind == POD_DPDK ? at.sock_path : NULL, .mtu = conf->mtu,
	};
	*out = result_build(conf, &pi, ipam_res);
	LOG_INFO(0, "pod attached", KV_STR("network", conf->name), KV_STR("containerID", env->container_id),
		KV_STR("ifname", env->ifname), KV_STR("port", at.port), KV_STR("mac", mac_s),
		KV_STR("ip", addrs.ips[0].address));
	json_decref(ipam_res);
	close(nsfd);
	return 0;

fail:
	// undo in reverse; what fails here is said in the details, the cause stays the message
	if (port_done && sw_remove_port(conf, at.port, &ce) < 0)
		cni_detail(e, "removing port %s failed too: %s", at.port, ce.msg);
	if (dir_done)
		dpdk_dir_cleanup(&at);
	if (veth_done && link_delete(at.port) < 0)
		cni_detail(e, "removing veth %s failed too", at.port);
	if (ipam_done && ipam_exec(conf, env, "DEL", NULL, NULL, NULL, &ce) < 0)
		cni_detail(e, "releasing the address failed too: %s", ce.msg);
	json_decref(ipam_res);
	close(nsfd);
	LOG_INFO(0, "pod attach failed", KV_STR("containerID", env->container_id),
		KV_STR("ifname", env->ifname), KV_STR("err", e->msg));
	return -1;
}

// Undoes one attachment, whatever is left of it. DEL and GC share it.
static int detach(const struct cni_env *env, const struct cni_conf *conf, const char *cid,
	const char *ifname, enum pod_kind kind, struct cni_error *e)
{
	struct attachment at;

	if (attachment_names(conf, cid, ifname, kind, &at, e) < 0)
		return -1;
	if (sw_remove_port(conf, at.port, e) < 0)
		return -1;
	if (kind == POD_KERNEL) {
		int ret = link_delete(at.port);
		if (ret < 0 && ret != -ENODEV)
			return cni_fail(e, CNI_ERR_NETLINK, "cannot delete veth %s: %s", at.port, strerror(-ret));
	} else {
		dpdk_dir_cleanup(&at);
	}
	if (conf->ipam != NULL && ipam_exec(conf, env, "DEL", cid, ifname, NULL, e) < 0)
		return -1;
	state_remove(&at);
	LOG_INFO(0, "pod detached", KV_STR("network", conf->name), KV_STR("containerID", cid),
		KV_STR("ifname", ifname), KV_STR("port", at.port));
	return 0;
}

static enum pod_kind record_kind(const json_t *rec, enum pod_kind def)
{
	const char *k = json_string_value(json_object_get(rec, "kind"));

	return k == NULL ? def : strcmp(k, "dpdk") == 0 ? POD_DPDK : POD_KERNEL;
}

int cmd_del(const struct cni_env *env, const struct cni_conf *conf, struct cni_error *e)
{
	struct attachment at;
	enum pod_kind kind = conf->kind;
	json_t *rec;

	if (attachment_names(conf, env->container_id, env->ifname, kind, &at, e) < 0 ||
	    state_lock(conf, false, e) < 0)
		return -1;
	// the record knows the kind the pod was added with, if the config changed
	rec = state_read(&at);
	kind = record_kind(rec, kind);
	json_decref(rec);
	return detach(env, conf, env->container_id, env->ifname, kind, e);
}

int cmd_check(const struct cni_env *env, const struct cni_conf *conf, struct cni_error *e)
{
	struct attachment at;
	struct cni_addrs addrs;
	struct sw_conn c;
	const char *mac_s = NULL, *port_mac;
	json_t *opts;
	uint8_t mac[6];
	bool found;
	int idx, nsfd, ret;
	struct stat st;

	if (attachment_names(conf, env->container_id, env->ifname, conf->kind, &at, e) < 0)
		return -1;
	idx = result_find_iface(conf->prev_result, env->ifname, env->netns, &mac_s);
	if (idx < 0 || psw_parse_mac(mac_s, mac) < 0)
		return cni_fail(e, CNI_ERR_CHECK, "prevResult has no interface %s in %s with a MAC",
			env->ifname, env->netns);
	if (cni_result_addrs(conf->prev_result, &addrs, e) < 0)
		return -1;
	// only the addresses of our interface
	unsigned k = 0;
	for (unsigned i = 0; i < addrs.n_ips; i++)
		if (addrs.ips[i].interface == idx)
			addrs.ips[k++] = addrs.ips[i];
	addrs.n_ips = k;
	if (sw_connect(&c, conf, e) < 0) {
		sw_close(&c);
		return -1;
	}
	opts = sw_port_options(&c, at.port, e, &found);
	sw_close(&c);
	if (!found)
		return e->code ? -1 : cni_fail(e, CNI_ERR_CHECK, "pswitchd has no port %s", at.port);
	port_mac = json_string_value(json_object_get(opts, "mac"));
	if (port_mac == NULL || strcasecmp(port_mac, mac_s) != 0) {
		cni_fail(e, CNI_ERR_CHECK, "pswitchd's port %s is for MAC %s, not %s", at.port,
			port_mac ? port_mac : "(none)", mac_s);
		json_decref(opts);
		return -1;
	}
	json_decref(opts);
	if (conf->kind == POD_KERNEL) {
		if (!link_exists(at.port))
			return cni_fail(e, CNI_ERR_CHECK, "host interface %s is gone", at.port);
		nsfd = open_netns(env->netns, e);
		if (nsfd < 0)
			return -1;
		ret = netns_check(nsfd, env->ifname, mac, conf->mtu, &addrs, e);
		close(nsfd);
		if (ret < 0)
			return -1;
	} else {
		if (lstat(at.sock_dir, &st) < 0 || !S_ISDIR(st.st_mode))
			return cni_fail(e, CNI_ERR_CHECK, "the pod's directory %s is gone", at.sock_dir);
		if (lstat(at.info_path, &st) < 0)
			return cni_fail(e, CNI_ERR_CHECK, "%s is gone", at.info_path);
		if (conf->vhost.pswitchd_server && (lstat(at.sock_path, &st) < 0 || !S_ISSOCK(st.st_mode)))
			return cni_fail(e, CNI_ERR_CHECK, "the vhost-user socket %s is gone", at.sock_path);
	}
	if (ipam_exec(conf, env, "CHECK", NULL, NULL, NULL, e) < 0)
		return -1;
	return 0;
}

struct gc_ctx {
	const struct cni_env *env;
	const struct cni_conf *conf;
	unsigned removed, failed;
	struct cni_error err;
};

static bool attachment_valid(const struct cni_conf *conf, const char *cid, const char *ifname)
{
	json_t *v;
	size_t i;

	json_array_foreach(conf->valid_attachments, i, v) {
		const char *c = json_string_value(json_object_get(v, "containerID"));
		const char *n = json_string_value(json_object_get(v, "ifname"));

		if (c && n && strcmp(c, cid) == 0 && strcmp(n, ifname) == 0)
			return true;
	}
	return false;
}

static void gc_one(struct gc_ctx *g, const char *cid, const char *ifname, enum pod_kind kind)
{
	struct cni_error e = {0};

	if (cid == NULL || ifname == NULL || !cni_valid_container_id(cid) || !cni_valid_ifname(ifname))
		return;
	if (attachment_valid(g->conf, cid, ifname))
		return;
	if (detach(g->env, g->conf, cid, ifname, kind, &e) < 0) {
		g->failed++;
		if (g->err.code == 0)
			g->err = e;
		return;
	}
	g->removed++;
}

static void gc_record(json_t *rec, void *arg)
{
	struct gc_ctx *g = arg;

	gc_one(g, json_string_value(json_object_get(rec, "containerID")),
		json_string_value(json_object_get(rec, "ifname")), record_kind(rec, g->conf->kind));
}

int cmd_gc(const struct cni_env *env, const struct cni_conf *conf, struct cni_error *e)
{
	struct gc_ctx g = {.env = env, .conf = conf};
	struct sw_conn c;
	json_t *res, *p;
	int status;
	size_t i;

	if (state_lock(conf, true, e) < 0)
		return -1;
	state_foreach(conf, gc_record, &g);
	// ports of this network whose record is lost
	if (sw_connect(&c, conf, e) == 0) {
		res = sw_request(&c, PSW_CMD_SHOW, NULL, &status, e);
		sw_close(&c);
		json_array_foreach(json_object_get(res, "ports"), i, p) {
			json_t *cni = json_object_get(json_object_get(p, "options"), "cni");
			const char *net = json_string_value(json_object_get(cni, "network"));
			const char *type = json_string_value(json_object_get(p, "type"));

			if (net == NULL || strcmp(net, conf->name) != 0)
				continue;
			gc_one(&g, json_string_value(json_object_get(cni, "containerID")),
				json_string_value(json_object_get(cni, "ifname")),
				type && strncmp(type, "vhost", 5) == 0 ? POD_DPDK : POD_KERNEL);
		}
		json_decref(res);
	} else {
		sw_close(&c);
		if (e->code != CNI_ERR_TRY_AGAIN)
			return -1;
		memset(e, 0, sizeof(*e)); // the records were enough: ports go when pswitchd is back
	}
	LOG_INFO(0, "garbage collected", KV_STR("network", conf->name), KV_INT("removed", g.removed),
		KV_INT("failed", g.failed));
	if (g.failed > 0) {
		*e = g.err;
		cni_detail(e, "%u stale attachments could not be removed, %u were", g.failed, g.removed);
		return -1;
	}
	return 0;
}

int cmd_status(const struct cni_env *env, const struct cni_conf *conf, struct cni_error *e)
{
	struct sw_conn c;
	struct cni_error ce = {0};
	char bin[PATH_MAX];
	json_t *res;
	int status;

	if (sw_connect(&c, conf, &ce) < 0) {
		sw_close(&c);
		return cni_fail(e, CNI_ERR_NOT_AVAILABLE, "pswitchd is not available: %s", ce.msg);
	}
	res = sw_request(&c, PSW_CMD_VERSION, NULL, &status, &ce);
	sw_close(&c);
	if (res == NULL)
		return cni_fail(e, CNI_ERR_NOT_AVAILABLE, "pswitchd is not available: %s", ce.msg);
	json_decref(res);
	if (conf->ipam != NULL && env->path != NULL &&
	    ipam_find(conf, env->path, bin, sizeof(bin), &ce) < 0)
		return cni_fail(e, CNI_ERR_NOT_AVAILABLE, "%s", ce.msg);
	return 0;
}
