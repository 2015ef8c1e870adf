// SPDX-License-Identifier: BSD-3-Clause
#include "result.h"

#include <stdio.h>
#include <string.h>

static bool version_before_1(const char *v)
{
	return strncmp(v, "0.", 2) == 0;
}

// An IP entry in the result's version: 0.4.0 says "version", 1.x does not.
static json_t *ip_entry(const char *version, const json_t *in, int iface)
{
	json_t *o = json_deep_copy(in);
	const char *addr = json_string_value(json_object_get(in, "address"));

	json_object_del(o, "version");
	json_object_set_new(o, "interface", json_integer(iface));
	if (version_before_1(version))
		json_object_set_new(o, "version", json_string(addr && strchr(addr, ':') ? "6" : "4"));
	return o;
}

json_t *result_build(const struct cni_conf *conf, const struct pod_iface *pi,
	const json_t *ipam_result)
{
	const json_t *prev = conf->prev_result;
	json_t *res = json_object(), *ifaces = json_array(), *ips = json_array(), *routes = json_array();
	json_t *v, *dns;
	size_t i, base;
	int pod_index;

	json_object_set_new(res, "cniVersion", json_string(conf->version));
	// chained after another plugin: keep what it reported
	json_array_foreach(json_object_get(prev, "interfaces"), i, v)
		json_array_append(ifaces, v);
	json_array_foreach(json_object_get(prev, "ips"), i, v)
		json_array_append_new(ips, ip_entry(conf->version, v,
			json_is_integer(json_object_get(v, "interface")) ?
			(int)json_integer_value(json_object_get(v, "interface")) : -1));
	json_array_foreach(json_object_get(prev, "routes"), i, v)
		json_array_append(routes, v);
	base = json_array_size(ifaces);
	if (pi->host_name != NULL)
		json_array_append_new(ifaces, json_pack("{s:s,s:s}", "name", pi->host_name, "mac",
			pi->host_mac ? pi->host_mac : ""));
	pod_index = (int)base + (pi->host_name != NULL);
	v = json_pack("{s:s,s:s,s:s}", "name", pi->name, "mac", pi->mac, "sandbox", pi->sandbox);
	if (strcmp(conf->version, "1.1.0") == 0)
		json_object_set_new(v, "mtu", json_integer(pi->mtu));
	// socketPath is a field of 1.1.0; older readers ignore it, and a DPDK pod
	// needs it whatever the version
	if (pi->socket_path != NULL)
		json_object_set_new(v, "socketPath", json_string(pi->socket_path));
	json_array_append_new(ifaces, v);
	json_array_foreach(json_object_get(ipam_result, "ips"), i, v)
		json_array_append_new(ips, ip_entry(conf->version, v, pod_index));
	json_array_foreach(json_object_get(ipam_result, "routes"), i, v)
		json_array_append(routes, v);
	json_object_set_new(res, "interfaces", ifaces);
	json_object_set_new(res, "ips", ips);
	if (json_array_size(routes) > 0)
		json_object_set_new(res, "routes", routes);
	else
		json_decref(routes);
	dns = conf->dns ? conf->dns : json_object_get(ipam_result, "dns");
	if (dns == NULL)
		dns = json_object_get(prev, "dns");
	json_object_set_new(res, "dns", dns ? json_deep_copy(dns) : json_object());
	return res;
}

void result_error(const char *version, const struct cni_error *e)
{
	json_t *o = json_pack("{s:s,s:i,s:s}", "cniVersion", version ? version : CNI_SPEC_VERSION,
		"code", e->code, "msg", e->msg);

	if (e->details[0] != '\0')
		json_object_set_new(o, "details", json_string(e->details));
	json_dumpf(o, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	fflush(stdout);
	json_decref(o);
}

int result_find_iface(const json_t *result, const char *ifname, const char *sandbox,
	const char **mac)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(result, "interfaces"), i, v) {
		const char *n = json_string_value(json_object_get(v, "name"));
		const char *s = json_string_value(json_object_get(v, "sandbox"));

		if (n && strcmp(n, ifname) == 0 && s && sandbox && strcmp(s, sandbox) == 0) {
			*mac = json_string_value(json_object_get(v, "mac"));
			return (int)i;
		}
	}
	return -1;
}
