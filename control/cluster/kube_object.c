// SPDX-License-Identifier: BSD-3-Clause
#include "cluster/kube_object.h"
#include "errorf.h"
#include "netaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IPS 8
#define MAX_PORTS 256
#define MAX_CIDRS 8
#define MAX_LABELS 256

const char *const kube_kind_names[KUBE_KINDS] = {
	[KUBE_POD] = "Pod",
	[KUBE_NAMESPACE] = "Namespace",
	[KUBE_NODE] = "Node",
	[KUBE_NETPOL] = "NetworkPolicy",
};

const char *const kube_resources[KUBE_KINDS] = {
	[KUBE_POD] = "pods",
	[KUBE_NAMESPACE] = "namespaces",
	[KUBE_NODE] = "nodes",
	[KUBE_NETPOL] = "networkpolicies",
};

enum kube_kind kube_kind_of(const char *kind)
{
	for (unsigned k = 0; kind != NULL && k < KUBE_KINDS; k++)
		if (strcmp(kind, kube_kind_names[k]) == 0)
			return (enum kube_kind)k;
	return KUBE_KINDS;
}

// Writes the sentence and evaluates to NULL, for the readers below.
static void *fail(char *err, size_t elen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void *fail(char *err, size_t elen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, elen, fmt, ap);
	va_end(ap);
	return NULL;
}

// A DNS subdomain (RFC 1123, as Kubernetes names are): lowercase letters,
// digits, '-' and '.', starting and ending with a letter or digit.
static bool dns_name(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && ((c != '-' && c != '.') || i == 0 || i == n - 1))
			return false;
	}
	return true;
}

// A string field, or NULL when absent; a present field of another type is
// an error ('*bad' set).
static const char *str_field(const json_t *o, const char *key, bool *bad)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*bad = true;
		return NULL;
	}
	return json_string_value(v);
}

static const json_t *obj_field(const json_t *o, const char *key, bool *bad)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_object(v)) {
		*bad = true;
		return NULL;
	}
	return v;
}

static const json_t *arr_field(const json_t *o, const char *key, bool *bad)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_array(v)) {
		*bad = true;
		return NULL;
	}
	return v;
}

// name, namespace (when 'namespaced'), uid and resourceVersion into 'out'.
static json_t *read_meta(const json_t *obj, bool namespaced, char *err, size_t elen)
{
	bool bad = false;
	const json_t *meta = obj_field(obj, "metadata", &bad);
	const char *name, *ns, *uid, *rv;

	if (meta == NULL)
		return fail(err, elen, "an object without metadata");
	name = str_field(meta, "name", &bad);
	ns = str_field(meta, "namespace", &bad);
	uid = str_field(meta, "uid", &bad);
	rv = str_field(meta, "resourceVersion", &bad);
	if (bad)
		return fail(err, elen, "metadata of the wrong type");
	if (!dns_name(name, 253))
		return fail(err, elen, "an object without a valid name ('%.64s')", name ? name : "");
	if (namespaced && !dns_name(ns, 63))
		return fail(err, elen, "%.64s: no valid namespace", name);
	if ((uid && strlen(uid) > 128) || (rv && strlen(rv) > 64))
		return fail(err, elen, "%.64s: uid or resourceVersion too long", name);
	if (namespaced)
		return json_pack("{s:s,s:s,s:s,s:s}", "namespace", ns, "name", name, "uid", uid ? uid : "",
			"resourceVersion", rv ? rv : "");
	return json_pack("{s:s,s:s,s:s}", "name", name, "uid", uid ? uid : "", "resourceVersion",
		rv ? rv : "");
}

// metadata.labels: an object of strings, keys up to 317 characters (a
// 253-character prefix, '/', a 63-character name), values up to 63.
static json_t *read_labels(const json_t *obj, char *err, size_t elen)
{
	bool bad = false;
	const json_t *labels = obj_field(json_object_get(obj, "metadata"), "labels", &bad), *v;
	json_t *out = json_object();
	const char *key;

	if (bad) {
		psw_errorf(err, elen, -EINVAL, "labels that are not an object");
		goto fail;
	}
	if (labels != NULL && json_object_size(labels) > MAX_LABELS) {
		psw_errorf(err, elen, -EINVAL, "more than %d labels", MAX_LABELS);
		goto fail;
	}
	json_object_foreach((json_t *)labels, key, v) {
		if (!json_is_string(v) || strlen(key) == 0 || strlen(key) > 317 ||
		    json_string_length(v) > 63) {
			psw_errorf(err, elen, -EINVAL, "label '%.64s' is not a valid label", key);
			goto fail;
		}
		json_object_set(out, key, (json_t *)v);
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}

static bool valid_ip(const char *s)
{
	unsigned char buf[16];

	return s != NULL && (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1);
}

static bool valid_cidr(const char *s)
{
	struct psw_prefix p;

	return psw_parse_prefix(s, &p) == 0;
}

static json_t *read_pod(json_t *out, const json_t *obj, char *err, size_t elen)
{
	bool bad = false;
	const json_t *spec = obj_field(obj, "spec", &bad), *status = obj_field(obj, "status", &bad);
	const json_t *cs = arr_field(spec, "containers", &bad), *podips = arr_field(status, "podIPs", &bad);
	const char *node = str_field(spec, "nodeName", &bad), *phase = str_field(status, "phase", &bad);
	const char *podip = str_field(status, "podIP", &bad);
	const json_t *hn = spec ? json_object_get(spec, "hostNetwork") : NULL, *c, *ip;
	json_t *ips = json_array(), *ports = json_array();
	size_t i, j;

	if (bad || (hn != NULL && !json_is_boolean(hn)))
		goto bad;
	json_array_foreach(podips, i, ip) {
		const char *s = str_field(ip, "ip", &bad);

		if (!json_is_object(ip) || bad || !valid_ip(s) || i >= MAX_IPS)
			goto bad;
		json_array_append_new(ips, json_string(s));
	}
	if (json_array_size(ips) == 0 && podip != NULL) {
		if (!valid_ip(podip))
			goto bad;
		json_array_append_new(ips, json_string(podip));
	}
	json_array_foreach(cs, i, c) {
		const json_t *cports = json_is_object(c) ? arr_field(c, "ports", &bad) : NULL, *p;

		if (!json_is_object(c) || bad)
			goto bad;
		json_array_foreach(cports, j, p) {
			const json_t *num = json_object_get(p, "containerPort");
			const char *pname = json_is_object(p) ? str_field(p, "name", &bad) : NULL;
			const char *proto = json_is_object(p) ? str_field(p, "protocol", &bad) : NULL;

			if (!json_is_object(p) || bad || !json_is_integer(num) ||
			    json_integer_value(num) < 1 || json_integer_value(num) > 65535 ||
			    (pname && strlen(pname) > 15) ||
			    (proto && strcmp(proto, "TCP") && strcmp(proto, "UDP") && strcmp(proto, "SCTP")) ||
			    json_array_size(ports) >= MAX_PORTS)
				goto bad;
			json_array_append_new(ports, json_pack("{s:s,s:I,s:s}", "name", pname ? pname : "",
				"port", (json_int_t)json_integer_value(num), "protocol", proto ? proto : "TCP"));
		}
	}
	json_object_set_new(out, "node", json_string(node ? node : ""));
	json_object_set_new(out, "phase", json_string(phase ? phase : ""));
	json_object_set_new(out, "hostNetwork", json_boolean(json_is_true(hn)));
	json_object_set_new(out, "ips", ips);
	json_object_set_new(out, "ports", ports);
	return out;
bad:
	json_decref(ips);
	json_decref(ports);
	psw_errorf(err, elen, -EINVAL, "pod %s/%s: a field of the wrong type or value",
		json_string_value(json_object_get(out, "namespace")),
		json_string_value(json_object_get(out, "name")));
	json_decref(out);
	return NULL;
}

static json_t *read_node(json_t *out, const json_t *obj, char *err, size_t elen)
{
	bool bad = false;
	const json_t *spec = obj_field(obj, "spec", &bad), *status = obj_field(obj, "status", &bad);
	const json_t *cidrs = arr_field(spec, "podCIDRs", &bad), *addrs = arr_field(status, "addresses", &bad);
	const char *cidr = str_field(spec, "podCIDR", &bad);
	json_t *c_out = json_array(), *ip_out = json_array(), *v;
	size_t i;

	if (bad)
		goto bad;
	json_array_foreach(cidrs, i, v) {
		if (!json_is_string(v) || !valid_cidr(json_string_value(v)) || i >= MAX_CIDRS)
			goto bad;
		json_array_append(c_out, v);
	}
	if (json_array_size(c_out) == 0 && cidr != NULL) {
		if (!valid_cidr(cidr))
			goto bad;
		json_array_append_new(c_out, json_string(cidr));
	}
	json_array_foreach(addrs, i, v) {
		const char *type = json_is_object(v) ? str_field(v, "type", &bad) : NULL;
		const char *addr = json_is_object(v) ? str_field(v, "address", &bad) : NULL;

		if (!json_is_object(v) || bad || type == NULL || addr == NULL)
			goto bad;
		if (strcmp(type, "InternalIP") != 0)
			continue;
		if (!valid_ip(addr) || json_array_size(ip_out) >= MAX_IPS)
			goto bad;
		json_array_append_new(ip_out, json_string(addr));
	}
	json_object_set_new(out, "podCIDRs", c_out);
	json_object_set_new(out, "internalIPs", ip_out);
	return out;
bad:
	json_decref(c_out);
	json_decref(ip_out);
	psw_errorf(err, elen, -EINVAL, "node %s: a field of the wrong type or value",
		json_string_value(json_object_get(out, "name")));
	json_decref(out);
	return NULL;
}

json_t *kube_object_read(enum kube_kind k, const json_t *obj, char *err, size_t elen)
{
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	json_t *out, *labels;

	if (!json_is_object(obj))
		return fail(err, elen, "an object that is not a JSON object");
	if (kind != NULL && kube_kind_of(kind) != k)
		return fail(err, elen, "a %.32s where a %s was expected", kind, kube_kind_names[k]);
	out = read_meta(obj, k == KUBE_POD || k == KUBE_NETPOL, err, elen);
	if (out == NULL)
		return NULL;
	if (k == KUBE_POD || k == KUBE_NAMESPACE) {
		labels = read_labels(obj, err, elen);
		if (labels == NULL) {
			json_decref(out);
			return NULL;
		}
		json_object_set_new(out, "labels", labels);
	}
	switch (k) {
	case KUBE_POD:
		return read_pod(out, obj, err, elen);
	case KUBE_NODE:
		return read_node(out, obj, err, elen);
	case KUBE_NETPOL: {
		const json_t *spec = json_object_get(obj, "spec");

		if (!json_is_object(spec)) {
			json_decref(out);
			return fail(err, elen, "a NetworkPolicy without a spec object");
		}
		json_object_set_new(out, "spec", json_deep_copy(spec));
		return out;
	}
	case KUBE_NAMESPACE:
	case KUBE_KINDS:
		break;
	}
	return out;
}

void kube_object_key(enum kube_kind k, const json_t *form, char *buf, size_t len)
{
	if (k == KUBE_POD || k == KUBE_NETPOL)
		snprintf(buf, len, "%s/%s", json_string_value(json_object_get(form, "namespace")),
			json_string_value(json_object_get(form, "name")));
	else
		snprintf(buf, len, "%s", json_string_value(json_object_get(form, "name")));
}
