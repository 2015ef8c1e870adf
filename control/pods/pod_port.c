// SPDX-License-Identifier: BSD-3-Clause
#include "pods/pod_port.h"
#include "core/events.h"
#include "errorf.h"
#include "l2/fdb_ctl.h"
#include "flows/flow_build.h"
#include "flows/flow_save.h"
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

// The flows of one pod's port, built as data.
struct pod_flows {
	struct flow_spec specs[8 * POD_MAX_IPS + 16];
	unsigned n;
	uint64_t cookie;
	uint16_t port;
	uint8_t mac[6];
	int err;
};

// A new flow of the pod's port: its cookie, its in_port and, with
// 'from_mac', its source MAC.
static struct flow_spec *pod_flow(struct pod_flows *pf, int32_t prio, bool from_mac)
{
	struct flow_spec *sp = &pf->specs[pf->n++];
	int ret;

	flow_spec_init(sp, 0, prio, pf->cookie);
	ret = flow_match_u64(sp, MF_IN_PORT, pf->port, 0);
	if (ret == 0 && from_mac)
		ret = flow_match_mac(sp, MF_DL_SRC, pf->mac);
	if (ret < 0)
		pf->err = ret;
	return sp;
}

static void pod_check(struct pod_flows *pf, int ret)
{
	if (ret < 0)
		pf->err = ret;
}

static void allow(struct pod_flows *pf, struct flow_spec *sp)
{
	pod_check(pf, flow_action_normal(sp));
}

// Neighbour discovery from 'src': a solicitation (135) naming 'll' as its
// source link-layer address, or an advertisement (136) for 'target' naming
// 'll' as its target link-layer address.
static void nd_allow(struct pod_flows *pf, uint8_t type, const uint8_t *src,
	const uint8_t *target, const uint8_t *ll)
{
	struct flow_spec *sp = pod_flow(pf, POD_PRIO_ND_ALLOW, true);

	pod_check(pf, flow_match_proto(sp, 0x86dd, 58));
	pod_check(pf, flow_match_u64(sp, MF_ICMPV6_TYPE, type, 0));
	pod_check(pf, flow_match_ipv6(sp, MF_IPV6_SRC, src, 128));
	if (target != NULL)
		pod_check(pf, flow_match_ipv6(sp, MF_ND_TARGET, target, 128));
	pod_check(pf, flow_match_mac(sp, type == 135 ? MF_ND_SLL : MF_ND_TLL, ll));
	allow(pf, sp);
}

// The link-local address a MAC makes (EUI-64).
static void eui64_link_local(const uint8_t *m, uint8_t *a)
{
	static const uint8_t prefix[8] = {0xfe, 0x80};

	memcpy(a, prefix, 8);
	a[8] = m[0] ^ 2;
	a[9] = m[1];
	a[10] = m[2];
	a[11] = 0xff;
	a[12] = 0xfe;
	a[13] = m[3];
	a[14] = m[4];
	a[15] = m[5];
}

static void security_flows(struct pod_flows *pf, const json_t *ips)
{
	static const uint8_t none[6], any6[16];
	// IPv6 sources a pod may use: its own addresses and the link-local
	// address its MAC makes (EUI-64, as Open vSwitch's OVN allows;
	// pswitch-cni sets kernel pods to make it so). Every IPv6 interface
	// has one, and neighbour discovery and router solicitation come from
	// it; any other link-local source could be another pod's. The
	// link-local one is the last.
	uint8_t v6[POD_MAX_IPS + 1][16];
	unsigned n_v6 = 0;
	const json_t *ip;
	struct flow_spec *sp;
	char addr[64];
	size_t i;
	bool v4;

	json_array_foreach(ips, i, ip) {
		struct in_addr a4;

		parse_ip(json_string_value(ip), addr, sizeof(addr), &v4);
		if (!v4) {
			inet_pton(AF_INET6, addr, v6[n_v6++]);
			continue;
		}
		inet_pton(AF_INET, addr, &a4);
		sp = pod_flow(pf, POD_PRIO_ALLOW, true);
		pod_check(pf, flow_match_proto(sp, 0x0800, -1));
		pod_check(pf, flow_match_ipv4(sp, MF_NW_SRC, a4.s_addr, 32));
		allow(pf, sp);
		// ARP from its address naming its MAC
		sp = pod_flow(pf, POD_PRIO_ALLOW, true);
		pod_check(pf, flow_match_proto(sp, 0x0806, -1));
		pod_check(pf, flow_match_ipv4(sp, MF_ARP_SPA, a4.s_addr, 32));
		pod_check(pf, flow_match_mac(sp, MF_ARP_SHA, pf->mac));
		allow(pf, sp);
	}
	eui64_link_local(pf->mac, v6[n_v6++]);
	for (unsigned k = 0; k < n_v6; k++) {
		sp = pod_flow(pf, POD_PRIO_ALLOW, true);
		pod_check(pf, flow_match_proto(sp, 0x86dd, -1));
		pod_check(pf, flow_match_ipv6(sp, MF_IPV6_SRC, v6[k], 128));
		allow(pf, sp);
		// solicitations from it and advertisements for it, naming the
		// pod's MAC or none; an advertisement comes from the address it
		// advertises or from the link-local one
		for (int z = 0; z < 2; z++) {
			const uint8_t *ll = z ? none : pf->mac;

			nd_allow(pf, 135, v6[k], NULL, ll);
			nd_allow(pf, 136, v6[k], v6[k], ll);
			if (k != n_v6 - 1)
				nd_allow(pf, 136, v6[n_v6 - 1], v6[k], ll);
		}
	}
	// Before it has an address, a pod's duplicate address detection (a
	// solicitation with no link-layer option) and the MLD report that goes
	// with it come from ::.
	sp = pod_flow(pf, POD_PRIO_ALLOW, true);
	pod_check(pf, flow_match_proto(sp, 0x86dd, 58));
	pod_check(pf, flow_match_ipv6(sp, MF_IPV6_SRC, any6, 128));
	pod_check(pf, flow_match_u64(sp, MF_ICMPV6_TYPE, 143, 0));
	allow(pf, sp);
	nd_allow(pf, 135, any6, NULL, none);
	// Any other neighbour discovery would poison neighbours' caches; a pod
	// is no router (advertisements, redirects).
	for (unsigned type = 134; type <= 137; type++) {
		sp = pod_flow(pf, POD_PRIO_ND_DROP, false);
		pod_check(pf, flow_match_proto(sp, 0x86dd, 58));
		pod_check(pf, flow_match_u64(sp, MF_ICMPV6_TYPE, type, 0));
	}
	pod_flow(pf, POD_PRIO_DROP, false);
}

static int pod_port_attach(struct dp_txn *t, const struct psw_port *p, const json_t *opts,
	char *err, size_t elen)
{
	struct mac_undo *undo = malloc(sizeof(*undo));
	const char *mac = json_string_value(json_object_get(opts, "mac"));
	struct pod_flows *pf = calloc(1, sizeof(*pf));
	bool security = true;
	json_t *ips = NULL;
	unsigned n = 0;
	uint8_t m[6];
	int ret;

	if (pf == NULL || undo == NULL) {
		ret = psw_errorf(err, elen, -ENOMEM, "out of memory");
		goto out;
	}
	if ((ret = pod_port_check(opts, err, elen)) < 0)
		goto out;
	psw_parse_mac(mac, m);
	pod_security(opts, &security);
	ips = pod_ips(opts);
	pf->cookie = POD_COOKIE(p->ofport);
	pf->port = p->ofport;
	memcpy(pf->mac, m, 6);
	if (!security)
		allow(pf, pod_flow(pf, POD_PRIO_ALLOW, false));
	else
		security_flows(pf, ips);
	for (unsigned i = 0; pf->err == 0 && i < pf->n; i++)
		pf->err = flow_spec_check(&pf->specs[i], err, elen);
	if (pf->err < 0) {
		// the pod's options were checked: a flow that does not build is ours
		ret = psw_errorf(err, elen, pf->err, "cannot build the pod's flows: %s",
			strerror(-pf->err));
		goto out;
	}
	n = pf->n;
	if (undo == NULL) {
		ret = psw_errorf(err, elen, -ENOMEM, "out of memory");
		goto out;
	}
	// the MAC table is no part of the published state: its entry is there
	// at once, and taken back if the transaction is given up
	memcpy(undo->mac, m, 6);
	undo->vlan = p->vlan_tag;
	ret = fdb_add_static(m, p->vlan_tag, p->ofport, true, err, elen);
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
	ret = flow_table_add(pf->specs, n, err, elen);
	if (ret < 0)
		goto out;
	LOG_INFO(1, "pod port attached", KV_STR("port", p->name), KV_STR("mac", mac),
		KV_INT("flows", n), KV_STR("port_security", security ? "on" : "off"));
out:
	free(undo);
	free(pf);
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

// A pod's options (mac, ips, port_security) are checked before the port is
// made, and kept as lists and booleans.
static int on_port_options(enum psw_event ev, void *obj, struct dp_txn *t, char *err,
	size_t elen)
{
	json_t *opts = obj;
	int ret;

	(void)ev;
	(void)t;
	ret = pod_port_check(opts, err, elen);
	if (ret == 0)
		pod_port_normalize(opts);
	return ret;
}

EVENT_SUBSCRIBE(PSW_EV_PORT_OPTIONS, on_port_options)
EVENT_SUBSCRIBE(PSW_EV_PORT_ADDED, on_port_added)

// A pod's flows come back with its port: they are not saved.
__attribute__((constructor)) static void pod_flows_not_saved(void)
{
	flow_save_exclude(POD_COOKIE_BASE, 0xffffff0000000000ULL);
}
EVENT_SUBSCRIBE(PSW_EV_PORT_REMOVED, on_port_removed)
