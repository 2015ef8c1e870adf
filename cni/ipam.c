// SPDX-License-Identifier: BSD-3-Clause
#include "ipam.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int ipam_find(const struct cni_conf *conf, const char *cni_path, char *out, size_t len,
	struct cni_error *e)
{
	char dirs[4096], *save = NULL;

	if (cni_path == NULL || strlen(cni_path) >= sizeof(dirs))
		return cni_fail(e, CNI_ERR_INVALID_ENV, "CNI_PATH is not set or too long");
	snprintf(dirs, sizeof(dirs), "%s", cni_path);
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if (d[0] == '\0')
			continue;
		snprintf(out, len, "%s/%s", d, conf->ipam_type);
		if (access(out, X_OK) == 0)
			return 0;
	}
	return cni_fail(e, CNI_ERR_INVALID_CONFIG, "IPAM plugin '%s' is not in CNI_PATH (%s)",
		conf->ipam_type, cni_path);
}

// The environment of the delegated call: ours, with the command and the
// attachment replaced. The last 'owned' entries are allocated here.
struct child_env {
	char **env;
	char *owned[3];
};

static int child_env_build(struct child_env *ce, const char *command, const char *cid,
	const char *ifname)
{
	size_t n = 0, k = 0;

	memset(ce, 0, sizeof(*ce));
	while (environ[n])
		n++;
	ce->env = calloc(n + 4, sizeof(*ce->env));
	if (ce->env == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(environ[i], "CNI_COMMAND=", 12) == 0 ||
		    (cid && strncmp(environ[i], "CNI_CONTAINERID=", 16) == 0) ||
		    (ifname && strncmp(environ[i], "CNI_IFNAME=", 11) == 0))
			continue;
		ce->env[k++] = environ[i];
	}
	if (asprintf(&ce->owned[0], "CNI_COMMAND=%s", command) < 0 ||
	    (cid && asprintf(&ce->owned[1], "CNI_CONTAINERID=%s", cid) < 0) ||
	    (ifname && asprintf(&ce->owned[2], "CNI_IFNAME=%s", ifname) < 0))
		return -1;
	for (int i = 0; i < 3; i++)
		if (ce->owned[i])
			ce->env[k++] = ce->owned[i];
	return 0;
}

static void child_env_free(struct child_env *ce)
{
	for (int i = 0; i < 3; i++)
		free(ce->owned[i]);
	free(ce->env);
}

// Writes 'in' to the child's stdin and reads its stdout, both at once, so
// that neither side blocks on a full pipe.
static int exchange(int wfd, int rfd, const char *in, size_t in_len, char **out, size_t *out_len)
{
	size_t off = 0, cap = 4096, len = 0;
	char *buf = malloc(cap);
	bool rdone = false;

	if (buf == NULL)
		return -ENOMEM;
	if (in_len == 0) {
		close(wfd);
		wfd = -1;
	}
	while (!rdone) {
		struct pollfd p[2] = {{.fd = rfd, .events = POLLIN}, {.fd = wfd, .events = POLLOUT}};
		int r = poll(p, wfd >= 0 ? 2 : 1, 30000);

		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			free(buf);
			if (wfd >= 0)
				close(wfd);
			return r == 0 ? -ETIMEDOUT : -errno;
		}
		if (wfd >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(wfd, in + off, in_len - off);
			if (w > 0)
				off += (size_t)w;
			if (w < 0 || off == in_len) {
				close(wfd);
				wfd = -1;
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t rd;
			if (len + 1 >= cap) {
				char *nb = cap > (16u << 20) ? NULL : realloc(buf, cap * 2);
				if (nb == NULL) {
					free(buf);
					if (wfd >= 0)
						close(wfd);
					return -E2BIG;
				}
				buf = nb;
				cap *= 2;
			}
			rd = read(rfd, buf + len, cap - len - 1);
			if (rd > 0)
				len += (size_t)rd;
			else if (rd == 0 || errno != EINTR)
				rdone = true;
		}
	}
	if (wfd >= 0)
		close(wfd);
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
}

// Runs the plugin once with 'conf' as stdin, its cniVersion replaced by
// 'version' when that is not NULL.
static int run_ipam(const struct cni_conf *conf, const struct cni_env *env, const char *command,
	const char *cid, const char *ifname, const char *version, json_t **result, struct cni_error *e)
{
	char bin[PATH_MAX], *in = NULL, *out = NULL;
	struct child_env cenv;
	int inp[2] = {-1, -1}, outp[2] = {-1, -1}, status = 0, ret = -1;
	size_t out_len = 0;
	json_t *res;
	json_error_t jerr;
	pid_t pid;

	if (result)
		*result = NULL;
	memset(&cenv, 0, sizeof(cenv));
	if (ipam_find(conf, env->path, bin, sizeof(bin), e) < 0)
		return -1;
	if (version != NULL) {
		json_t *copy = json_deep_copy(conf->root);

		json_object_set_new(copy, "cniVersion", json_string(version));
		// a prevResult of our version would confuse an older IPAM plugin
		json_object_del(copy, "prevResult");
		in = json_dumps(copy, JSON_COMPACT);
		json_decref(copy);
	} else {
		in = json_dumps(conf->root, JSON_COMPACT);
	}
	if (child_env_build(&cenv, command, cid, ifname) < 0 || in == NULL || pipe2(inp, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0) {
		cni_fail(e, CNI_ERR_IO, "cannot run IPAM plugin %s: %s", conf->ipam_type, strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		cni_fail(e, CNI_ERR_IO, "cannot run IPAM plugin %s: %s", conf->ipam_type, strerror(errno));
		goto out;
	}
	if (pid == 0) {
		char *argv[] = {bin, NULL};
		dup2(inp[0], 0);
		dup2(outp[1], 1);
		execve(bin, argv, cenv.env);
		_exit(127);
	}
	close(inp[0]);
	close(outp[1]);
	inp[0] = outp[1] = -1;
	ret = exchange(inp[1], outp[0], in, strlen(in), &out, &out_len);
	inp[1] = -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (ret < 0) {
		ret = cni_fail(e, CNI_ERR_IO, "IPAM plugin %s: %s", conf->ipam_type, strerror(-ret));
		goto out;
	}
	ret = -1;
	res = out_len ? json_loadb(out, out_len, 0, &jerr) : NULL;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		json_t *code = json_object_get(res, "code"), *msg = json_object_get(res, "msg");

		cni_fail(e, json_is_integer(code) ? (unsigned)json_integer_value(code) : CNI_ERR_IO,
			"IPAM plugin %s failed on %s: %s", conf->ipam_type, command,
			json_is_string(msg) ? json_string_value(msg) :
			WIFEXITED(status) ? "no error object" : "killed by a signal");
		if (json_is_string(json_object_get(res, "details")))
			cni_detail(e, "%s", json_string_value(json_object_get(res, "details")));
		json_decref(res);
		goto out;
	}
	if (result != NULL) {
		if (!json_is_object(res)) {
			json_decref(res);
			cni_fail(e, CNI_ERR_DECODE, "IPAM plugin %s gave no JSON result on %s", conf->ipam_type,
				command);
			goto out;
		}
		*result = res;
	} else {
		json_decref(res);
	}
	ret = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (inp[i] >= 0)
			close(inp[i]);
		if (outp[i] >= 0)
			close(outp[i]);
	}
	free(in);
	free(out);
	child_env_free(&cenv);
	return ret;
}

// The newest version both this plugin and the IPAM plugin speak, from the
// IPAM plugin's answer to VERSION. Returns NULL when there is none.
static const char *common_version(const struct cni_conf *conf, const struct cni_env *env,
	struct cni_error *e)
{
	static const char *const ours[] = {"1.1.0", "1.0.0", "0.4.0"};
	static char chosen[16];
	json_t *res = NULL, *v;
	size_t i;

	if (run_ipam(conf, env, "VERSION", NULL, NULL, NULL, &res, e) < 0)
		return NULL;
	for (unsigned k = 0; k < sizeof(ours) / sizeof(ours[0]); k++) {
		json_array_foreach(json_object_get(res, "supportedVersions"), i, v) {
			if (json_is_string(v) && strcmp(json_string_value(v), ours[k]) == 0) {
				snprintf(chosen, sizeof(chosen), "%s", ours[k]);
				json_decref(res);
				return chosen;
			}
		}
	}
	json_decref(res);
	cni_fail(e, CNI_ERR_INCOMPATIBLE_VERSION, "IPAM plugin %s speaks none of 0.4.0, 1.0.0, 1.1.0",
		conf->ipam_type);
	return NULL;
}

int ipam_exec(const struct cni_conf *conf, const struct cni_env *env, const char *command,
	const char *cid, const char *ifname, json_t **result, struct cni_error *e)
{
	const char *version;

	if (run_ipam(conf, env, command, cid, ifname, NULL, result, e) == 0)
		return 0;
	if (e->code != CNI_ERR_INCOMPATIBLE_VERSION)
		return -1;
	// An IPAM plugin older than the configuration (host-local of Debian 12
	// stops at 1.0.0) gets the newest version it speaks; its result is read
	// in either shape and written out in the configuration's.
	memset(e, 0, sizeof(*e));
	version = common_version(conf, env, e);
	if (version == NULL)
		return -1;
	return run_ipam(conf, env, command, cid, ifname, version, result, e);
}

static bool is_v4(const char *addr)
{
	return strchr(addr, ':') == NULL;
}

static bool valid_prefix(const char *s, bool need_len)
{
	char a[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned char buf[16];
	char *end;
	long len;

	if (n == 0 || n >= sizeof(a))
		return false;
	memcpy(a, s, n);
	a[n] = '\0';
	if (inet_pton(is_v4(a) ? AF_INET : AF_INET6, a, buf) != 1)
		return false;
	if (slash == NULL)
		return !need_len;
	len = strtol(slash + 1, &end, 10);
	return *end == '\0' && end != slash + 1 && len >= 0 && len <= (is_v4(a) ? 32 : 128);
}

int cni_result_addrs(const json_t *result, struct cni_addrs *a, struct cni_error *e)
{
	json_t *ips = json_object_get(result, "ips"), *routes = json_object_get(result, "routes"), *v;
	size_t i;

	memset(a, 0, sizeof(*a));
	if (ips != NULL && !json_is_array(ips))
		return cni_fail(e, CNI_ERR_DECODE, "result \"ips\" is not a list");
	json_array_foreach(ips, i, v) {
		const char *addr = json_string_value(json_object_get(v, "address"));
		const char *gw = json_string_value(json_object_get(v, "gateway"));
		json_t *itf = json_object_get(v, "interface");
		struct cni_ip *ip;

		if (a->n_ips == CNI_MAX_ADDRS)
			return cni_fail(e, CNI_ERR_DECODE, "result has more than %d addresses", CNI_MAX_ADDRS);
		if (addr == NULL || strlen(addr) >= sizeof(ip->address) || !valid_prefix(addr, true))
			return cni_fail(e, CNI_ERR_DECODE, "result address '%s' is not an address with a prefix",
				addr ? addr : "(none)");
		if (gw != NULL && (strlen(gw) >= sizeof(ip->gateway) || !valid_prefix(gw, false) ||
				   strchr(gw, '/') != NULL))
			return cni_fail(e, CNI_ERR_DECODE, "result gateway '%s' is not an address", gw);
		ip = &a->ips[a->n_ips++];
		snprintf(ip->address, sizeof(ip->address), "%s", addr);
		snprintf(ip->gateway, sizeof(ip->gateway), "%s", gw ? gw : "");
		ip->v4 = is_v4(addr);
		ip->interface = json_is_integer(itf) ? (int)json_integer_value(itf) : -1;
	}
	if (routes != NULL && !json_is_array(routes))
		return cni_fail(e, CNI_ERR_DECODE, "result \"routes\" is not a list");
	json_array_foreach(routes, i, v) {
		const char *dst = json_string_value(json_object_get(v, "dst"));
		const char *gw = json_string_value(json_object_get(v, "gw"));
		struct cni_route *r;

		if (a->n_routes == CNI_MAX_ROUTES)
			return cni_fail(e, CNI_ERR_DECODE, "result has more than %d routes", CNI_MAX_ROUTES);
		if (dst == NULL || strlen(dst) >= sizeof(r->dst) || !valid_prefix(dst, true))
			return cni_fail(e, CNI_ERR_DECODE, "route destination '%s' is not a prefix",
				dst ? dst : "(none)");
		if (gw != NULL && (strlen(gw) >= sizeof(r->gw) || !valid_prefix(gw, false) ||
				   strchr(gw, '/') != NULL || is_v4(gw) != is_v4(dst)))
			return cni_fail(e, CNI_ERR_DECODE, "route gateway '%s' is not an address of the route's family", gw);
		r = &a->routes[a->n_routes++];
		snprintf(r->dst, sizeof(r->dst), "%s", dst);
		snprintf(r->gw, sizeof(r->gw), "%s", gw ? gw : "");
		r->v4 = is_v4(dst);
	}
	a->dns = json_object_get(result, "dns");
	return 0;
}
