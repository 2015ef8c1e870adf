// SPDX-License-Identifier: BSD-3-Clause
#include "conf.h"
#include "psw/ctl.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const versions[] = {"0.4.0", "1.0.0", "1.1.0"};

bool cni_version_supported(const char *v)
{
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (strcmp(v, versions[i]) == 0)
			return true;
	return false;
}

json_t *cni_supported_versions(void)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		json_array_append_new(a, json_string(versions[i]));
	return a;
}

// ^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$, as the specification gives for both.
static bool valid_id(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

bool cni_valid_container_id(const char *id)
{
	return valid_id(id, 128);
}

bool cni_valid_network_name(const char *name)
{
	return valid_id(name, 100);
}

bool cni_valid_ifname(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 15 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (name[i] == '/' || name[i] == ':' || isspace((unsigned char)name[i]) ||
		    !isprint((unsigned char)name[i]))
			return false;
	return true;
}

static const struct {
	const char *name;
	enum cni_cmd cmd;
} commands[] = {
	{"ADD", CMD_ADD}, {"DEL", CMD_DEL}, {"CHECK", CMD_CHECK},
	{"STATUS", CMD_STATUS}, {"GC", CMD_GC}, {"VERSION", CMD_VERSION},
};

// CNI_ARGS: "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;MAC=..".
static int parse_args(struct cni_env *env, struct cni_error *e)
{
	char buf[4096], *save = NULL, *tok;
	bool ignore_unknown = false;
	char unknown[128] = "";

	if (env->args == NULL || env->args[0] == '\0')
		return 0;
	if (strlen(env->args) >= sizeof(buf))
		return cni_fail(e, CNI_ERR_INVALID_ENV, "CNI_ARGS is longer than %zu bytes", sizeof(buf) - 1);
	snprintf(buf, sizeof(buf), "%s", env->args);
	for (tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(tok, '=');
		const char *val;

		if (eq == NULL)
			return cni_fail(e, CNI_ERR_INVALID_ENV, "CNI_ARGS: '%.64s' is not KEY=VALUE", tok);
		*eq = '\0';
		val = eq + 1;
		if (strcmp(tok, "IgnoreUnknown") == 0)
			ignore_unknown = strcmp(val, "1") == 0 || strcasecmp(val, "true") == 0;
		else if (strcmp(tok, "K8S_POD_NAMESPACE") == 0)
			snprintf(env->k8s_namespace, sizeof(env->k8s_namespace), "%s", val);
		else if (strcmp(tok, "K8S_POD_NAME") == 0)
			snprintf(env->k8s_pod, sizeof(env->k8s_pod), "%s", val);
		else if (strcmp(tok, "MAC") == 0)
			snprintf(env->mac_arg, sizeof(env->mac_arg), "%s", val);
		else if (strcmp(tok, "K8S_POD_UID") == 0)
			snprintf(env->k8s_pod_uid, sizeof(env->k8s_pod_uid), "%s", val);
		else if (strcmp(tok, "K8S_POD_INFRA_CONTAINER_ID") == 0 || strcmp(tok, "IP") == 0)
			; // IP is host-local's; the others identify the pod
		else if (unknown[0] == '\0')
			snprintf(unknown, sizeof(unknown), "%s", tok);
	}
	if (unknown[0] != '\0' && !ignore_unknown)
		return cni_fail(e, CNI_ERR_INVALID_ENV,
			"CNI_ARGS: unknown argument '%s' (IgnoreUnknown=1 lets it pass)", unknown);
	return 0;
}

static int require(const char *name, const char *val, struct cni_error *e)
{
	if (val == NULL || val[0] == '\0')
		return cni_fail(e, CNI_ERR_INVALID_ENV, "%s is not set", name);
	return 0;
}

int cni_env_read(struct cni_env *env, struct cni_error *e)
{
	size_t i;

	memset(env, 0, sizeof(*env));
	env->command = getenv("CNI_COMMAND");
	env->container_id = getenv("CNI_CONTAINERID");
	env->netns = getenv("CNI_NETNS");
	env->ifname = getenv("CNI_IFNAME");
	env->args = getenv("CNI_ARGS");
	env->path = getenv("CNI_PATH");
	if (require("CNI_COMMAND", env->command, e) < 0)
		return -1;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(env->command, commands[i].name) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0]))
		return cni_fail(e, CNI_ERR_INVALID_ENV,
			"CNI_COMMAND '%.32s' is not ADD, DEL, CHECK, STATUS, GC or VERSION", env->command);
	env->cmd = commands[i].cmd;
	if (env->cmd == CMD_VERSION)
		return 0;
	if (env->cmd == CMD_ADD || env->cmd == CMD_DEL || env->cmd == CMD_CHECK) {
		if (require("CNI_CONTAINERID", env->container_id, e) < 0 ||
		    require("CNI_IFNAME", env->ifname, e) < 0)
			return -1;
		if (env->cmd != CMD_DEL && require("CNI_NETNS", env->netns, e) < 0)
			return -1;
		if (!cni_valid_container_id(env->container_id))
			return cni_fail(e, CNI_ERR_INVALID_ENV,
				"CNI_CONTAINERID '%.80s' is not a container ID (letters, digits, '_', '.', '-')",
				env->container_id);
		if (!cni_valid_ifname(env->ifname))
			return cni_fail(e, CNI_ERR_INVALID_ENV,
				"CNI_IFNAME '%.80s' is not an interface name (1 to 15 characters, no '/', ':' or spaces)",
				env->ifname);
		if (env->netns != NULL && env->netns[0] != '\0' && env->netns[0] != '/')
			return cni_fail(e, CNI_ERR_INVALID_ENV, "CNI_NETNS '%.80s' is not an absolute path",
				env->netns);
	}
	if (env->cmd != CMD_STATUS && require("CNI_PATH", env->path, e) < 0)
		return -1;
	return parse_args(env, e);
}

static int get_str(json_t *o, const char *key, bool required, char *out, size_t len,
	struct cni_error *e)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL) {
		if (required)
			return cni_fail(e, CNI_ERR_INVALID_CONFIG, "the network configuration has no \"%s\"", key);
		return 0;
	}
	if (!json_is_string(v))
		return cni_fail(e, CNI_ERR_INVALID_CONFIG, "\"%s\" must be a string", key);
	if (strlen(json_string_value(v)) >= len)
		return cni_fail(e, CNI_ERR_INVALID_CONFIG, "\"%s\" is longer than %zu characters", key, len - 1);
	snprintf(out, len, "%s", json_string_value(v));
	return 0;
}

static int get_uint(json_t *o, const char *key, unsigned min, unsigned max, unsigned *out,
	struct cni_error *e)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return cni_fail(e, CNI_ERR_INVALID_CONFIG, "\"%s\" must be a number from %u to %u", key, min, max);
	*out = (unsigned)json_integer_value(v);
	return 0;
}

static int get_bool(json_t *o, const char *key, bool *out, struct cni_error *e)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return cni_fail(e, CNI_ERR_INVALID_CONFIG, "\"%s\" must be true or false", key);
	*out = json_is_true(v);
	return 0;
}

// The limits pswitchd can police: up to 400 Gbit/s, bursts up to 512 MB.
#define MAX_RATE_BPS 400000000000ULL
#define MAX_BURST_BITS (8ULL << 29)

static int get_bits(json_t *o, const char *key, uint64_t max, uint64_t *out, struct cni_error *e)
{
	json_t *v = json_object_get(o, key);

	*out = 0;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
		return cni_fail(e, CNI_ERR_INVALID_CONFIG,
			"runtimeConfig.bandwidth \"%s\" must be a number from 0 to %llu", key,
			(unsigned long long)max);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

// runtimeConfig.bandwidth, as the bandwidth plugin takes it: rates in bits
// per second, bursts in bits; a burst needs its rate.
static int get_bandwidth(json_t *bw, struct cni_bandwidth *out, struct cni_error *e)
{
	memset(out, 0, sizeof(*out));
	if (bw == NULL)
		return 0;
	if (!json_is_object(bw))
		return cni_fail(e, CNI_ERR_INVALID_CONFIG, "runtimeConfig.bandwidth must be an object");
	if (get_bits(bw, "ingressRate", MAX_RATE_BPS, &out->ingress_rate, e) < 0 ||
	    get_bits(bw, "ingressBurst", MAX_BURST_BITS, &out->ingress_burst, e) < 0 ||
	    get_bits(bw, "egressRate", MAX_RATE_BPS, &out->egress_rate, e) < 0 ||
	    get_bits(bw, "egressBurst", MAX_BURST_BITS, &out->egress_burst, e) < 0)
		return -1;
	if ((out->ingress_burst && !out->ingress_rate) || (out->egress_burst && !out->egress_rate))
		return cni_fail(e, CNI_ERR_INVALID_CONFIG,
			"runtimeConfig.bandwidth: a burst needs its rate");
	return 0;
}

// An absolute path without "." or ".." components: nothing the config names
// may point outside where it says.
static bool clean_abs_path(const char *p)
{
	if (p[0] != '/')
		return false;
	for (const char *s = p; *s; ) {
		const char *c = s + 1, *end = strchr(c, '/');
		size_t n = end ? (size_t)(end - c) : strlen(c);

		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (end == NULL)
			break;
		s = end;
	}
	return true;
}

// "0660" or 432.
static int get_mode(json_t *o, const char *key, mode_t *out, struct cni_error *e)
{
	json_t *v = json_object_get(o, key);
	unsigned long m;
	char *end;

	if (v == NULL)
		return 0;
	if (json_is_integer(v)) {
		m = (unsigned long)json_integer_value(v);
	} else if (json_is_string(v)) {
		errno = 0;
		m = strtoul(json_string_value(v), &end, 8);
		if (errno || *end != '\0' || end == json_string_value(v))
			m = ~0ul;
	} else {
		m = ~0ul;
	}
	if (m > 07777)
		return cni_fail(e, CNI_ERR_INVALID_CONFIG, "vhost \"%s\" must be an octal mode like \"0660\"", key);
	*out = (mode_t)m;
	return 0;
}

// A user or group given by name or number.
static int get_id(json_t *o, const char *key, bool group, unsigned *out, bool *has,
	struct cni_error *e)
{
	json_t *v = json_object_get(o, key);
	const char *s;
	char *end;

	if (v == NULL)
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) < UINT32_MAX) {
		*out = (unsigned)json_integer_value(v);
		*has = true;
		return 0;
	}
	if (!json_is_string(v))
		return cni_fail(e, CNI_ERR_INVALID_CONFIG, "vhost \"%s\" must be a name or a number", key);
	s = json_string_value(v);
	errno = 0;
	*out = (unsigned)strtoul(s, &end, 10);
	if (*s != '\0' && *end == '\0' && errno == 0) {
		*has = true;
		return 0;
	}
	if (group) {
		struct group *g = getgrnam(s);
		if (g == NULL)
			return cni_fail(e, CNI_ERR_INVALID_CONFIG, "vhost group '%.64s' does not exist", s);
		*out = g->gr_gid;
	} else {
		struct passwd *pw = getpwnam(s);
		if (pw == NULL)
			return cni_fail(e, CNI_ERR_INVALID_CONFIG, "vhost owner '%.64s' does not exist", s);
		*out = pw->pw_uid;
	}
	*has = true;
	return 0;
}

static int parse_vhost(json_t *v, struct vhost_conf *vc, struct cni_error *e)
{
	char mode[16] = "client";
	unsigned id;

	snprintf(vc->socket_dir, sizeof(vc->socket_dir), "/run/pswitch/vhu");
	vc->socket_mode = 0660;
	vc->dir_mode = 0750;
	vc->queues = 1;
	if (v == NULL)
		return 0;
	if (!json_is_object(v))
		return cni_fail(e, CNI_ERR_INVALID_CONFIG, "\"vhost\" must be an object");
	// the socket's path is socketDir/<12>/<ifname>.sock: 60 leaves it well
	// under the 107 characters of a unix socket
	if (get_str(v, "socketDir", false, vc->socket_dir, 61, e) < 0 ||
	    get_str(v, "mode", false, mode, sizeof(mode), e) < 0 ||
	    get_mode(v, "socketMode", &vc->socket_mode, e) < 0 ||
	    get_mode(v, "dirMode", &vc->dir_mode, e) < 0 ||
	    get_uint(v, "queues", 1, 16, &vc->queues, e) < 0)
		return -1;
	if (!clean_abs_path(vc->socket_dir) || strcmp(vc->socket_dir, "/") == 0)
		return cni_fail(e, CNI_ERR_INVALID_CONFIG,
			"vhost \"socketDir\" '%s' must be an absolute path without '.' or '..'", vc->socket_dir);
	if (strcmp(mode, "client") == 0)
		vc->pswitchd_server = false;
	else if (strcmp(mode, "server") == 0)
		vc->pswitchd_server = true;
	else
		return cni_fail(e, CNI_ERR_INVALID_CONFIG,
			"vhost \"mode\" must be \"client\" (pswitchd connects to the pod) or \"server\", not '%s'", mode);
	if (get_id(v, "owner", false, &id, &vc->has_owner, e) < 0)
		return -1;
	vc->owner = id;
	if (get_id(v, "group", true, &id, &vc->has_group, e) < 0)
		return -1;
	vc->group = id;
	return 0;
}

int cni_conf_parse(const char *text, enum cni_cmd cmd, struct cni_conf *c, struct cni_error *e)
{
	json_error_t jerr;
	char kind[16] = "kernel";
	json_t *rc;

	memset(c, 0, sizeof(*c));
	c->mtu = 1500;
	c->port_security = true;
	snprintf(c->socket, sizeof(c->socket), "%s", PSW_CTL_DEFAULT_SOCKET);
	snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/cni/pswitch");
	c->root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (c->root == NULL)
		return cni_fail(e, CNI_ERR_DECODE, "the network configuration is not JSON: %s (line %d)",
			jerr.text, jerr.line);
	if (!json_is_object(c->root))
		return cni_fail(e, CNI_ERR_DECODE, "the network configuration is not a JSON object");
	if (get_str(c->root, "cniVersion", true, c->version, sizeof(c->version), e) < 0)
		return -1;
	if (!cni_version_supported(c->version))
		return cni_fail(e, CNI_ERR_INCOMPATIBLE_VERSION,
			"cniVersion %s is not supported (0.4.0, 1.0.0, 1.1.0)", c->version);
	if ((cmd == CMD_STATUS || cmd == CMD_GC) && strcmp(c->version, "1.1.0") != 0)
		return cni_fail(e, CNI_ERR_INCOMPATIBLE_VERSION,
			"%s needs cniVersion 1.1.0; this configuration says %s",
			cmd == CMD_GC ? "GC" : "STATUS", c->version);
	if (get_str(c->root, "name", true, c->name, sizeof(c->name), e) < 0)
		return -1;
	if (!cni_valid_network_name(c->name))
		return cni_fail(e, CNI_ERR_INVALID_CONFIG,
			"network name '%s' must start with a letter or digit and hold only letters, digits, '_', '.', '-'",
			c->name);
	if (get_str(c->root, "kind", false, kind, sizeof(kind), e) < 0 ||
	    get_str(c->root, "socket", false, c->socket, sizeof(c->socket), e) < 0 ||
	    get_str(c->root, "stateDir", false, c->state_dir, sizeof(c->state_dir), e) < 0 ||
	    get_str(c->root, "logFile", false, c->log_file, sizeof(c->log_file), e) < 0 ||
	    get_uint(c->root, "mtu", 68, 9000, &c->mtu, e) < 0 ||
	    get_uint(c->root, "vlan", 0, 4094, &c->vlan, e) < 0 ||
	    get_bool(c->root, "portSecurity", &c->port_security, e) < 0)
		return -1;
	if (json_object_get(c->root, "logVerbosity") != NULL) {
		unsigned v = 0;
		if (get_uint(c->root, "logVerbosity", 0, 10, &v, e) < 0)
			return -1;
		c->log_verbosity = (int)v;
	}
	if (strcmp(kind, "kernel") == 0)
		c->kind = POD_KERNEL;
	else if (strcmp(kind, "dpdk") == 0)
		c->kind = POD_DPDK;
	else
		return cni_fail(e, CNI_ERR_INVALID_CONFIG,
			"\"kind\" must be \"kernel\" (a veth) or \"dpdk\" (a vhost-user socket), not '%s'", kind);
	if (c->socket[0] != '/' || !clean_abs_path(c->state_dir))
		return cni_fail(e, CNI_ERR_INVALID_CONFIG,
			"\"socket\" and \"stateDir\" must be absolute paths without '.' or '..'");
	if (parse_vhost(json_object_get(c->root, "vhost"), &c->vhost, e) < 0)
		return -1;
	c->ipam = json_object_get(c->root, "ipam");
	if (c->ipam != NULL) {
		if (!json_is_object(c->ipam))
			return cni_fail(e, CNI_ERR_INVALID_CONFIG, "\"ipam\" must be an object");
		if (get_str(c->ipam, "type", true, c->ipam_type, sizeof(c->ipam_type), e) < 0)
			return cni_fail(e, CNI_ERR_INVALID_CONFIG, "\"ipam\" names no plugin \"type\"");
		if (strchr(c->ipam_type, '/') != NULL || c->ipam_type[0] == '.' || c->ipam_type[0] == '\0')
			return cni_fail(e, CNI_ERR_INVALID_CONFIG,
				"ipam type '%s' must be a plugin name, not a path", c->ipam_type);
	} else if (cmd == CMD_ADD) {
		return cni_fail(e, CNI_ERR_INVALID_CONFIG,
			"the network configuration has no \"ipam\": pods need addresses");
	}
	c->dns = json_object_get(c->root, "dns");
	if (c->dns != NULL && !json_is_object(c->dns))
		return cni_fail(e, CNI_ERR_INVALID_CONFIG, "\"dns\" must be an object");
	c->prev_result = json_object_get(c->root, "prevResult");
	if (c->prev_result != NULL && !json_is_object(c->prev_result))
		return cni_fail(e, CNI_ERR_DECODE, "\"prevResult\" must be an object");
	if (cmd == CMD_CHECK && c->prev_result == NULL)
		return cni_fail(e, CNI_ERR_INVALID_CONFIG, "CHECK needs the \"prevResult\" of ADD");
	rc = json_object_get(c->root, "runtimeConfig");
	if (rc != NULL) {
		if (!json_is_object(rc))
			return cni_fail(e, CNI_ERR_INVALID_CONFIG, "\"runtimeConfig\" must be an object");
		if (get_str(rc, "mac", false, c->runtime_mac, sizeof(c->runtime_mac), e) < 0 ||
		    get_bandwidth(json_object_get(rc, "bandwidth"), &c->bandwidth, e) < 0)
			return -1;
	}
	if (cmd == CMD_GC) {
		c->valid_attachments = json_object_get(c->root, "cni.dev/valid-attachments");
		if (c->valid_attachments != NULL && !json_is_array(c->valid_attachments))
			return cni_fail(e, CNI_ERR_INVALID_CONFIG, "\"cni.dev/valid-attachments\" must be a list");
	}
	return 0;
}

void cni_conf_free(struct cni_conf *c)
{
	json_decref(c->root);
	c->root = NULL;
}
