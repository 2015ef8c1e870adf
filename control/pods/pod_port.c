// SPDX-License-Identifier: BSD-3-Clause
#include "pods/pod_port.h"
#include "core/events.h"
#include "errorf.h"
#include "l2/fdb_ctl.h"
#include "flows/flow_table.h"
#include "log.h"
#include "netaddr.h"
#include "ports/port_ctl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

// An address and at most 8 of them: a pod has one or two.
#define POD_MAX_IPS 8
// Allowed traffic of a pod outranks the default drop of its port; operators
// override both with flows above 100.
#define POD_PRIO_ND_ALLOW 110
#define POD_PRIO_ND_DROP 105
#define POD_PRIO_ALLOW 100
#define POD_PRIO_DROP 90

// The address part of "10.88.0.5/16"; 'v4' tells which family it is.
static int parse_ip(const char *s, char *addr, size_t len, bool *v4)
{
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned char buf[16];

	if (n == 0 || n >= len)
		return -EINVAL;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, buf) == 1)
		*v4 = true;
	else if (inet_pton(AF_INET6, addr, buf) == 1)
		*v4 = false;
	else
		return -EINVAL;
	return 0;
}

// The addresses as a list: options from pswitchctl are strings
// ("10.0.0.5/24,fd00::5/64"), the CNI plugin gives a list. New reference.
static json_t *pod_ips(const json_t *opts)
{
	json_t *ips = json_object_get(opts, "ips"), *list;
	char buf[512], *save = NULL;

	if (!json_is_string(ips))
		return json_incref(ips);
	list = json_array();
	snprintf(buf, sizeof(buf), "%s", json_string_value(ips));
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		json_array_append_new(list, json_string(t));
	return list;
}

// true, false, or the same as strings (pswitchctl's KEY=VALUE).
static int pod_security(const json_t *opts, bool *on)
{
	const json_t *v = json_object_get(opts, "port_security");

	*on = true;
	if (v == NULL)
		return 0;
	if (json_is_boolean(v)) {
		*on = json_is_true(v);
		return 0;
	}
	if (json_is_string(v) && (strcmp(json_string_value(v), "true") == 0 ||
				  strcmp(json_string_value(v), "false") == 0)) {
		*on = json_string_value(v)[0] == 't';
		return 0;
	}
	return -EINVAL;
}

void pod_port_normalize(json_t *opts)
{
	bool on;

	if (json_is_string(json_object_get(opts, "ips")))
		json_object_set_new(opts, "ips", pod_ips(opts));
	if (json_is_string(json_object_get(opts, "port_security")) && pod_security(opts, &on) == 0)
		json_object_set_new(opts, "port_security", json_boolean(on));
}

bool pod_port_wanted(const json_t *opts)
{
	return opts != NULL && json_object_get(opts, "mac") != NULL;
}

int pod_port_check(const json_t *opts, char *err, size_t elen)
{
	const json_t *mac = json_object_get(opts, "mac"), *ip;
	json_t *ips;
	uint8_t m[6];
	char addr[64];
	bool v4, sec;
	size_t i;
	int ret = 0;

	if (mac == NULL) {
		if (json_object_get(opts, "ips") != NULL || json_object_get(opts, "port_security") != NULL)
			return psw_errorf(err, elen, -EINVAL, "options ips and port_security are a pod's: "
				"they need mac=");
		return 0;
	}
	if (!json_is_string(mac) || psw_parse_mac(json_string_value(mac), m) < 0)
		return psw_errorf(err, elen, -EINVAL, "option mac must be a MAC address like 0a:58:0a:58:00:05");
	if (m[0] & 1)
		return psw_errorf(err, elen, -EINVAL, "option mac %s is a multicast address",
			json_string_value(mac));
	if (pod_security(opts, &sec) < 0)
		return psw_errorf(err, elen, -EINVAL, "option port_security must be true or false");
	ips = pod_ips(opts);
	if (ips == NULL)
		return 0;
	if (!json_is_array(ips) || json_array_size(ips) > POD_MAX_IPS) {
		json_decref(ips);
		return psw_errorf(err, elen, -EINVAL, "option ips must be a list of at most %d addresses",
			POD_MAX_IPS);
	}
	json_array_foreach(ips, i, ip) {
		if (!json_is_string(ip) || parse_ip(json_string_value(ip), addr, sizeof(addr), &v4) < 0) {
			ret = psw_errorf(err, elen, -EINVAL, "option ips: '%s' is not an IP address",
				json_is_string(ip) ? json_string_value(ip) : "(not a string)");
			break;
		}
	}
	json_decref(ips);
	return ret;
}

// Undoes the static MAC entry of an attach its transaction gave up.
struct mac_undo {
	uint8_t mac[6];
	uint16_t vlan;
};

static void mac_undo(void *arg)
{
	struct mac_undo *u = arg;

	fdb_del(u->mac, u->vlan);
	free(u);
}

static int pod_port_attach(struct dp_txn *t, const struct psw_port *p, const json_t *opts,
	char *err, size_t elen)
{
	struct mac_undo *undo = malloc(sizeof(*undo));
	const char *mac = json_string_value(json_object_get(opts, "mac"));
	const json_t *ip;
	json_t *ips;
	struct flow_spec specs[8 * POD_MAX_IPS + 16];
	unsigned n = 0;
	char text[1024], addr[64];
	uint8_t m[6];
	bool v4, security = true;
	uint64_t cookie = POD_COOKIE(p->ofport);
	size_t i;
	int ret;

	if ((ret = pod_port_check(opts, err, elen)) < 0)
		return ret;
	psw_parse_mac(mac, m);
	pod_security(opts, &security);
	ips = pod_ips(opts);

#define ADD_FLOW(...)                                                                      \
	do {                                                                               \
		snprintf(text, sizeof(text), __VA_ARGS__);                                 \
		ret = flow_parse(text, FLOW_PARSE_ADD, port_resolve, &specs[n], err, elen); \
		if (ret < 0)                                                               \
			goto out;                                                          \
		n++;                                                                       \
	} while (0)

	if (!security) {
		ADD_FLOW("cookie=%#llx,priority=%d,in_port=%u,actions=normal",
			(unsigned long long)cookie, POD_PRIO_ALLOW, p->ofport);
	} else {
		// IPv6 sources a pod may use: its own addresses and the link-local
		// address its MAC makes (EUI-64, as Open vSwitch's OVN allows;
		// pswitch-cni sets kernel pods to make it so). Every IPv6 interface
		// has one, and neighbour discovery and router solicitation come from
		// it; any other link-local source could be another pod's.
		char v6[POD_MAX_IPS + 1][64];
		unsigned n_v6 = 0;

		json_array_foreach(ips, i, ip) {
			parse_ip(json_string_value(ip), addr, sizeof(addr), &v4);
			if (!v4) {
				snprintf(v6[n_v6++], sizeof(v6[0]), "%s", addr);
				continue;
			}
			ADD_FLOW("cookie=%#llx,priority=%d,in_port=%u,dl_src=%s,ip,nw_src=%s,actions=normal",
				(unsigned long long)cookie, POD_PRIO_ALLOW, p->ofport, mac, addr);
			ADD_FLOW("cookie=%#llx,priority=%d,in_port=%u,dl_src=%s,arp,arp_spa=%s,arp_sha=%s,"
				"actions=normal", (unsigned long long)cookie, POD_PRIO_ALLOW, p->ofport, mac,
				addr, mac);
		}
		snprintf(v6[n_v6++], sizeof(v6[0]), "fe80::%x:%x:%x:%x",
			(unsigned)((m[0] ^ 2) << 8 | m[1]), (unsigned)(m[2] << 8 | 0xff),
			(unsigned)(0xfe00 | m[3]), (unsigned)(m[4] << 8 | m[5]));
		for (unsigned k = 0; k < n_v6; k++) {
			ADD_FLOW("cookie=%#llx,priority=%d,in_port=%u,dl_src=%s,ipv6,ipv6_src=%s,"
				"actions=normal", (unsigned long long)cookie, POD_PRIO_ALLOW, p->ofport, mac,
				v6[k]);
			// neighbour solicitations from it and advertisements for it,
			// naming the pod's MAC or none; an advertisement comes from
			// the address it advertises or from the link-local one (the
			// last in v6)
			for (int z = 0; z < 2; z++) {
				const char *ll = z ? "00:00:00:00:00:00" : mac;

				ADD_FLOW("cookie=%#llx,priority=%d,in_port=%u,dl_src=%s,icmp6,icmpv6_type=135,"
					"ipv6_src=%s,nd_sll=%s,actions=normal", (unsigned long long)cookie,
					POD_PRIO_ND_ALLOW, p->ofport, mac, v6[k], ll);
				const char *na_src[2] = {v6[k], v6[n_v6 - 1]};

				for (unsigned j = 0; j < (k == n_v6 - 1 ? 1u : 2u); j++)
					ADD_FLOW("cookie=%#llx,priority=%d,in_port=%u,dl_src=%s,icmp6,"
						"icmpv6_type=136,ipv6_src=%s,nd_target=%s,nd_tll=%s,actions=normal",
						(unsigned long long)cookie, POD_PRIO_ND_ALLOW, p->ofport, mac,
						na_src[j], v6[k], ll);
			}
		}
		// Before it has an address, a pod's duplicate address detection (a
		// solicitation with no link-layer option) and the MLD report that
		// goes with it come from ::.
		ADD_FLOW("cookie=%#llx,priority=%d,in_port=%u,dl_src=%s,icmp6,ipv6_src=::,icmpv6_type=143,"
			"actions=normal", (unsigned long long)cookie, POD_PRIO_ALLOW, p->ofport, mac);
		ADD_FLOW("cookie=%#llx,priority=%d,in_port=%u,dl_src=%s,icmp6,icmpv6_type=135,"
			"ipv6_src=::,nd_sll=00:00:00:00:00:00,actions=normal", (unsigned long long)cookie,
			POD_PRIO_ND_ALLOW, p->ofport, mac);
		// Any other neighbour discovery would poison neighbours' caches; a
		// pod is no router (advertisements, redirects).
		for (int type = 134; type <= 137; type++)
			ADD_FLOW("cookie=%#llx,priority=%d,in_port=%u,icmp6,icmpv6_type=%d,actions=drop",
				(unsigned long long)cookie, POD_PRIO_ND_DROP, p->ofport, type);
		ADD_FLOW("cookie=%#llx,priority=%d,in_port=%u,actions=drop",
			(unsigned long long)cookie, POD_PRIO_DROP, p->ofport);
	}
#undef ADD_FLOW
	if (undo == NULL) {
		ret = psw_errorf(err, elen, -ENOMEM, "out of memory");
		goto out;
	}
	// the MAC table is no part of the published state: its entry is there
	// at once, and taken back if the transaction is given up
	memcpy(undo->mac, m, 6);
	undo->vlan = p->vlan_tag;
	ret = fdb_add_static(m, p->vlan_tag, p->ofport, err, elen);
	if (ret < 0)
		goto out;
	if (txn_on_abort(t, mac_undo, undo) < 0) {
		fdb_del(m, p->vlan_tag);
		ret = psw_errorf(err, elen, -ENOMEM, "out of memory");
		goto out;
	}
	// from here the abort takes the entry back and frees 'undo'
	ret = txn_after_commit(t, free, undo);
	undo = NULL;
	if (ret < 0) {
		psw_errorf(err, elen, ret, "out of memory");
		goto out;
	}
	// joins the port's transaction: the port and its flows arrive together
	ret = flow_table_add(specs, n, err, elen);
	if (ret < 0)
		goto out;
	LOG_INFO(1, "pod port attached", KV_STR("port", p->name), KV_STR("mac", mac),
		KV_INT("flows", n), KV_STR("port_security", security ? "on" : "off"));
out:
	free(undo);
	json_decref(ips);
	return ret;
}

static int on_port_added(enum psw_event ev, void *obj, struct dp_txn *t, char *err, size_t elen)
{
	const struct psw_port *p = obj;
	const struct port_ctl *c = p->ctl;

	(void)ev;
	if (!pod_port_wanted(c->options))
		return 0;
	return pod_port_attach(t, p, c->options, err, elen);
}

// The port's flows go with it (its MAC entry goes with the port's entries).
static int on_port_removed(enum psw_event ev, void *obj, struct dp_txn *t, char *err,
	size_t elen)
{
	const struct psw_port *p = obj;
	struct flow_spec filter;
	int ret;

	(void)ev;
	(void)t;
	memset(&filter, 0, sizeof(filter));
	filter.cookie = POD_COOKIE(p->ofport);
	filter.cookie_mask = UINT64_MAX;
	ret = flow_table_del(&filter, false);
	if (ret < 0)
		return psw_errorf(err, elen, ret, "cannot remove the pod's flows: %s", strerror(-ret));
	return 0;
}

EVENT_SUBSCRIBE(PSW_EV_PORT_ADDED, on_port_added)
EVENT_SUBSCRIBE(PSW_EV_PORT_REMOVED, on_port_removed)
