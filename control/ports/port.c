// SPDX-License-Identifier: BSD-3-Clause
// A port's life: checked, brought up, published with what comes with it in
// one transaction, taken out the same way, then brought down.
#include "core/events.h"
#include "errorf.h"
#include "log.h"
#include "ports/afpacket_ctl.h"
#include "ports/port_ctl.h"
#include "ports/port_kind.h"
#include "ports/port_policing.h"
#include "ports/socket_path.h"

#include <psw/commands.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>

static struct rte_mempool *pool;
static char run_dir[PATH_MAX];
static unsigned n_pmds = 1;
static unsigned pmd_cores[PSW_MAX_PMDS];

static const struct port_kind *const kinds[] = {
	&port_kind_vhost, &port_kind_vhost_client, &port_kind_afpacket, &port_kind_tap,
	&port_kind_dpdk,
};

const struct port_kind *port_kind_find(const char *type)
{
	for (unsigned i = 0; type != NULL && i < RTE_DIM(kinds); i++)
		if (strcmp(kinds[i]->type, type) == 0)
			return kinds[i];
	return NULL;
}

void port_kind_set_txqs(struct psw_port *p, unsigned nb_txq)
{
	p->nb_txq = (uint16_t)RTE_MIN(nb_txq, n_pmds);
	p->tx_shared = p->nb_txq < n_pmds;
	for (unsigned i = 0; i < PSW_MAX_RXQ; i++)
		rte_spinlock_init(&p->txq_locks[i]);
}

struct rte_mempool *port_ctl_pool(void)
{
	return pool;
}

const char *port_ctl_run_dir(void)
{
	return run_dir;
}

unsigned port_ctl_n_pmds(void)
{
	return n_pmds;
}

int port_ctl_pmd_core(int pmd)
{
	return pmd >= 0 && (unsigned)pmd < n_pmds ? (int)pmd_cores[pmd] : -1;
}

int port_ctl_init(const struct port_ctl_config *cfg, char *err, size_t elen)
{
	struct port_table *t = calloc(1, sizeof(*t));
	struct dp_txn *txn;
	int ret;

	if (t == NULL)
		return psw_errorf(err, elen, -ENOMEM, "out of memory");
	pool = cfg->pool;
	snprintf(run_dir, sizeof(run_dir), "%s", cfg->run_dir);
	n_pmds = cfg->n_pmds ? cfg->n_pmds : 1;
	for (unsigned i = 0; i < cfg->n_pmds && i < PSW_MAX_PMDS; i++)
		pmd_cores[i] = cfg->pmd_cores[i];
	ret = socket_path_init(cfg->run_dir, cfg->control_socket, cfg->socket_dirs,
		cfg->n_socket_dirs, err, elen);
	if (ret == 0 && afpacket_pool_start() < 0)
		ret = psw_errorf(err, elen, -EAGAIN, "cannot start the af_packet helper threads");
	if (ret < 0) {
		free(t);
		return ret;
	}
	txn = txn_begin();
	txn_set_ports(txn, t);
	return txn_commit(txn);
}

int port_opt_int(const json_t *opts, const char *key, long min, long max, long def, long *out,
	char *err, size_t elen)
{
	const json_t *v = opts ? json_object_get(opts, key) : NULL;
	long x;

	if (v == NULL) {
		*out = def;
		return 0;
	}
	if (json_is_integer(v)) {
		if (json_integer_value(v) < min || json_integer_value(v) > max)
			goto range;
		x = (long)json_integer_value(v);
	} else if (json_is_string(v)) {
		char *end;

		errno = 0;
		x = strtol(json_string_value(v), &end, 0);
		if (errno || *end != '\0' || end == json_string_value(v))
			return psw_errorf(err, elen, -EINVAL, "option %s must be a number, not '%s'", key,
				json_string_value(v));
	} else {
		return psw_errorf(err, elen, -EINVAL, "option %s must be a number", key);
	}
	if (x < min || x > max)
		goto range;
	*out = x;
	return 0;
range:
	return psw_errorf(err, elen, -EINVAL, "option %s must be %ld to %ld", key, min, max);
}

// The options every type takes; each type adds its own (port_kind.options).
static const char *const common_options[] = {PSW_OPT_QUEUES, PSW_OPT_TAG, PSW_OPT_OFPORT,
	PSW_OPT_MAC, PSW_OPT_IPS, PSW_OPT_PORT_SECURITY, PSW_OPT_CNI, NULL};

static bool listed(const char *const *list, const char *key)
{
	for (unsigned i = 0; list != NULL && list[i] != NULL; i++)
		if (strcmp(list[i], key) == 0)
			return true;
	return false;
}

// Every option is one this type takes: a typo, or an option of another
// type, is an error rather than a setting ignored.
static int check_option_names(const struct port_kind *k, const json_t *opts, char *err,
	size_t elen)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)opts, key, v) {
		if (listed(common_options, key) || listed(k->options, key) || port_policing_key(key))
			continue;
		return psw_errorf(err, elen, -EINVAL, "unknown port option '%s' for a %s port (its own: %s; "
			"any port's: queues, tag, ofport, mac, ips, port_security, ingress_policing_rate, "
			"ingress_policing_burst, egress_policing_rate, egress_policing_burst)", key,
			k->type, k->options_text);
	}
	return 0;
}

static void port_free(struct psw_port *p)
{
	struct port_ctl *c;

	if (p == NULL)
		return;
	c = p->ctl;
	if (c != NULL)
		json_decref(c->options);
	port_policing_free(p);
	free(c);
	free(p->stats);
	rte_free(p);
}

static struct psw_port *port_new(const char *name, uint16_t ofport, const struct port_kind *k)
{
	struct psw_port *p = rte_zmalloc("psw_port", sizeof(*p), RTE_CACHE_LINE_SIZE);
	struct port_ctl *c = calloc(1, sizeof(*c));

	if (p == NULL || c == NULL)
		goto fail;
	p->ctl = c;
	p->stats = aligned_alloc(RTE_CACHE_LINE_SIZE, n_pmds * sizeof(*p->stats));
	if (p->stats == NULL)
		goto fail;
	memset(p->stats, 0, n_pmds * sizeof(*p->stats));
	*(uint16_t *)&p->ofport = ofport;
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(c->ethdev_name, sizeof(c->ethdev_name), "%s", name);
	c->kind = k;
	p->vid = -1;
	for (unsigned q = 0; q < PSW_MAX_RXQ; q++) {
		c->rxq_pin[q] = -1;
		c->rxq_pmd[q] = -1;
	}
	return p;
fail:
	free(c);
	if (p != NULL)
		p->ctl = NULL;
	port_free(p);
	return NULL;
}

// Everything about the options is checked before anything is created.
static int check_options(const struct port_kind *k, const json_t *opts, long *queues, long *tag,
	long *ofport, char *err, size_t elen)
{
	int ret;

	if ((ret = check_option_names(k, opts, err, elen)) < 0 ||
	    (ret = port_policing_check(opts, err, elen)) < 0)
		return ret;
	if ((ret = port_opt_int(opts, PSW_OPT_QUEUES, 1, PSW_MAX_RXQ, 1, queues, err, elen)) < 0 ||
	    (ret = port_opt_int(opts, PSW_OPT_TAG, 0, 4095, 0, tag, err, elen)) < 0 ||
	    (ret = port_opt_int(opts, PSW_OPT_OFPORT, 0, PSW_MAX_PORTS - 1, 0, ofport, err, elen)) < 0)
		return ret;
	return 0;
}

static int add(const char *name, const char *type, const json_t *opts, char *err, size_t elen)
{
	const struct port_kind *k = port_kind_find(type);
	long queues, tag, req_ofport;
	struct psw_port *p;
	struct port_ctl *c;
	struct dp_txn *t;
	uint16_t ofport;
	int ret;

	if ((ret = port_name_check(name, err, elen)) < 0)
		return ret;
	if (k == NULL)
		return psw_errorf(err, elen, -EINVAL, "unknown port type '%s' (vhost-user, "
			"vhost-user-client, af_packet, tap, dpdk)", type ? type : "");
	if (port_by_name(name) != NULL)
		return psw_errorf(err, elen, -EEXIST, "port '%s' exists", name);
	if (!json_is_object(opts))
		return psw_errorf(err, elen, -EINVAL, "port options must be an object");
	if ((ret = check_options(k, opts, &queues, &tag, &req_ofport, err, elen)) < 0)
		return ret;
	if (req_ofport != 0 && port_by_ofport((uint16_t)req_ofport) != NULL)
		return psw_errorf(err, elen, -EEXIST, "port number %ld is taken", req_ofport);
	ofport = req_ofport ? (uint16_t)req_ofport : port_table_free_ofport();
	if (ofport == PSW_PORT_NONE)
		return psw_errorf(err, elen, -ENOSPC, "no free port number (%d ports)",
			PSW_MAX_PORTS - 1);
	p = port_new(name, ofport, k);
	if (p == NULL)
		return psw_errorf(err, elen, -ENOMEM, "out of memory");
	c = p->ctl;
	c->options = json_deep_copy(opts);
	if (c->options == NULL) {
		port_free(p);
		return psw_errorf(err, elen, -ENOMEM, "out of memory");
	}
	// the options others own (a pod's) are theirs to check and normalize
	ret = event_publish(PSW_EV_PORT_OPTIONS, c->options, NULL, err, elen);
	if (ret < 0) {
		port_free(p);
		return ret;
	}
	p->vlan_mode = tag ? PSW_VLAN_ACCESS : PSW_VLAN_TRUNK;
	p->vlan_tag = (uint16_t)tag;
	ret = port_policing_apply(p, opts, NULL, err, elen);
	if (ret == 0)
		ret = k->start(p, c, opts, (unsigned)queues, err, elen);
	if (ret < 0) {
		port_free(p);
		return ret;
	}
	// the port, its queues on the PMDs and what its subscribers add (a
	// pod's port security) reach the PMDs together
	t = txn_begin();
	ret = port_table_stage_add(t, p);
	if (ret < 0)
		psw_errorf(err, elen, ret, "out of memory");
	else
		ret = event_publish(PSW_EV_PORT_ADDED, p, t, err, elen);
	if (ret < 0) {
		txn_abort(t);
		k->stop(p, c);
		port_free(p);
		return ret;
	}
	txn_commit(t);
	port_poll_links();
	LOG_INFO(0, "port added", KV_STR("port", name), KV_INT("ofport", ofport),
		KV_STR("type", type), KV_STR("devargs", c->devargs), KV_INT("rxqs", p->nb_rxq),
		KV_INT("txqs", p->nb_txq));
	port_save();
	return ofport;
}

int port_add(const char *name, const char *type, const json_t *opts, char *err, size_t elen)
{
	json_t *empty = opts == NULL ? json_object() : NULL;
	int ret;

	if (opts == NULL && empty == NULL)
		return psw_errorf(err, elen, -ENOMEM, "out of memory");
	ret = add(name, type, opts ? opts : empty, err, elen);
	json_decref(empty);
	return ret;
}

// After the grace period of the removal: no PMD polls or sends to it.
static void port_destroy(void *arg)
{
	struct psw_port *p = arg;
	struct port_ctl *c = p->ctl;

	c->kind->stop(p, c);
	port_free(p);
}

// Takes 'p' out in one transaction with what its subscribers take out with
// it, then brings it down.
static int port_remove(struct psw_port *p, char *err, size_t elen)
{
	struct dp_txn *t = txn_begin();
	int ret;

	ret = port_table_stage_remove(t, p->ofport);
	if (ret == 0)
		ret = event_publish(PSW_EV_PORT_REMOVED, p, t, err, elen);
	if (ret == 0)
		ret = txn_after_commit(t, port_destroy, p);
	if (ret < 0) {
		txn_abort(t);
		return psw_errorf(err, elen, ret, "cannot remove port '%s': %s", p->name,
			strerror(-ret));
	}
	return txn_commit(t);
}

int port_del(const char *name, char *err, size_t elen)
{
	struct psw_port *p = name ? port_by_name(name) : NULL;
	uint16_t ofport;
	int ret;

	if (p == NULL)
		return psw_errorf(err, elen, -ENOENT, "no port '%s'", name ? name : "");
	ofport = p->ofport;
	ret = port_remove(p, err, elen);
	if (ret < 0)
		return ret;
	LOG_INFO(0, "port removed", KV_STR("port", name), KV_INT("ofport", ofport));
	port_save();
	return 0;
}

void port_ctl_fini(void)
{
	const struct port_table *t = dp_view()->ports;
	char err[256];

	while (t != NULL && t->n > 0) {
		if (port_remove(t->by_ofport[t->ofports[0]], err, sizeof(err)) < 0) {
			LOG_ERR("cannot remove a port at exit", KV_STR("err", err));
			break;
		}
		t = dp_view()->ports;
	}
	afpacket_pool_stop();
}

int port_set(const char *name, const json_t *changes, char *err, size_t elen)
{
	struct psw_port *p = name ? port_by_name(name) : NULL;
	struct port_ctl *c;
	struct dp_txn *t;
	const char *key;
	json_t *opts, *v;
	int ret;

	if (p == NULL)
		return psw_errorf(err, elen, -ENOENT, "no port '%s'", name ? name : "");
	if (!json_is_object(changes) || json_object_size(changes) == 0)
		return psw_errorf(err, elen, -EINVAL, "give the options to set, as KEY=VALUE");
	json_object_foreach((json_t *)changes, key, v) {
		if (!port_policing_key(key))
			return psw_errorf(err, elen, -EINVAL, "set-port changes ingress_policing_rate, "
				"ingress_policing_burst, egress_policing_rate and egress_policing_burst, "
				"not '%s'", key);
	}
	c = p->ctl;
	opts = json_deep_copy(c->options);
	if (opts == NULL)
		return psw_errorf(err, elen, -ENOMEM, "out of memory");
	port_policing_merge(opts, changes);
	ret = port_policing_check(opts, err, elen);
	if (ret == 0) {
		t = txn_begin();
		ret = port_policing_apply(p, opts, t, err, elen);
		txn_commit(t);
	}
	if (ret < 0) {
		json_decref(opts);
		return ret;
	}
	json_decref(c->options);
	c->options = opts;
	LOG_INFO(0, "port changed", KV_STR("port", p->name));
	port_save();
	return 0;
}
