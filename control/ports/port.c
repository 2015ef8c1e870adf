// SPDX-License-Identifier: BSD-3-Clause
#include "ports/port_ctl.h"
#include "ports/afpacket_ctl.h"
#include "errorf.h"
#include "l2/fdb_ctl.h"
#include "log.h"
#include "l2/mirror_ctl.h"
#include "pmd.h"
#include "ports/pending_del.h"
#include "pmds/pmd_ctl.h"
#include "pods/pod_port.h"
#include "ports/port_policing.h"
#include "ports/vhost_ctl.h"

#include <psw/commands.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#define RX_DESC 1024
#define TX_DESC 1024

static struct rte_mempool *port_pool;
static char port_run_dir[PATH_MAX];
static bool restoring;


int port_ctl_init(struct rte_mempool *pool, const char *run_dir)
{
	struct port_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	port_pool = pool;
	snprintf(port_run_dir, sizeof(port_run_dir), "%s", run_dir);
	if (afpacket_pool_start() < 0) {
		free(t);
		return -EAGAIN;
	}
	rcu_assign_pointer(psw_active_ports, t);
	return 0;
}

struct psw_port *port_by_ofport(uint16_t ofport)
{
	if (ofport == PSW_PORT_NONE || ofport >= PSW_MAX_PORTS || psw_active_ports == NULL)
		return NULL;
	return psw_active_ports->by_ofport[ofport];
}

struct psw_port *port_by_name(const char *name)
{
	const struct port_table *t = psw_active_ports;

	for (uint32_t i = 0; t != NULL && i < t->n; i++) {
		struct psw_port *p = t->by_ofport[t->ofports[i]];

		if (strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

uint16_t port_resolve(const char *name)
{
	struct psw_port *p = port_by_name(name);

	return p ? p->ofport : PSW_PORT_NONE;
}

const char *port_name_of(uint16_t ofport)
{
	struct psw_port *p = port_by_ofport(ofport);

	return p ? p->name : NULL;
}

static bool valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= PSW_PORT_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			    c == '-' || c == '_' || c == '.'))
			return false;
	}
	// a name that reads as a number would be ambiguous in flows
	return strspn(name, "0123456789") != n;
}

// Publishes a copy of the port table with 'add' added or 'remove' taken out.
static int table_publish(struct psw_port *add, struct psw_port *remove)
{
	struct port_table *old = psw_active_ports, *t = malloc(sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	*t = *old;
	if (add != NULL)
		t->by_ofport[add->ofport] = add;
	if (remove != NULL)
		t->by_ofport[remove->ofport] = NULL;
	t->n = 0;
	for (uint16_t i = 1; i < PSW_MAX_PORTS; i++)
		if (t->by_ofport[i] != NULL)
			t->ofports[t->n++] = i;
	rcu_assign_pointer(psw_active_ports, t);
	synchronize_rcu();
	free(old);
	return 0;
}

static uint16_t free_ofport(void)
{
	for (uint16_t i = 1; i < PSW_MAX_PORTS; i++)
		if (psw_active_ports->by_ofport[i] == NULL)
			return i;
	return PSW_PORT_NONE;
}

// Every option a port takes: a typo is an error, not a setting ignored.
// "cni" is the CNI plugin's record of the pod, kept as given.
static const char *const known_options[] = {PSW_OPT_PATH, PSW_OPT_QUEUES, PSW_OPT_TAG,
	PSW_OPT_OFPORT, PSW_OPT_IFACE, PSW_OPT_FRAMES, PSW_OPT_DEVARGS, PSW_OPT_MAC, PSW_OPT_IPS,
	PSW_OPT_PORT_SECURITY, PSW_OPT_CNI};

static int check_option_names(json_t *opts, char *err, size_t elen)
{
	const char *key;
	json_t *v;

	json_object_foreach(opts, key, v) {
		bool known = port_policing_key(key);

		for (unsigned i = 0; i < RTE_DIM(known_options) && !known; i++)
			known = strcmp(key, known_options[i]) == 0;
		if (!known)
			return psw_errorf(err, elen, -EINVAL, "unknown port option '%s' (path, queues, tag, "
				"ofport, iface, frames, devargs, mac, ips, port_security, "
				"ingress_policing_rate, ingress_policing_burst, egress_policing_rate, "
				"egress_policing_burst)", key);
	}
	return 0;
}

static const char *opt_str(json_t *opts, const char *key)
{
	json_t *v = opts ? json_object_get(opts, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int opt_int(json_t *opts, const char *key, long min, long max, long def, long *out,
	char *err, size_t elen)
{
	json_t *v = opts ? json_object_get(opts, key) : NULL;
	long x;

	if (v == NULL) {
		*out = def;
		return 0;
	}
	if (json_is_integer(v)) {
		x = (long)json_integer_value(v);
	} else if (json_is_string(v)) {
		char *end;
		errno = 0;
		x = strtol(json_string_value(v), &end, 0);
		if (errno || *end != '\0' || end == json_string_value(v))
			return psw_errorf(err, elen, -EINVAL, "option %s must be a number", key);
	} else {
		return psw_errorf(err, elen, -EINVAL, "option %s must be a number", key);
	}
	if (x < min || x > max)
		return psw_errorf(err, elen, -EINVAL, "option %s must be %ld to %ld", key, min, max);
	*out = x;
	return 0;
}

// Turns a port type and its options into DPDK devargs.
static int build_devargs(struct port_ctl *c, uint16_t ofport, json_t *opts, long queues,
	char *err, size_t elen)
{
	const char *path = opt_str(opts, "path"), *iface = opt_str(opts, "iface");
	const char *devargs = opt_str(opts, "devargs");
	int n;

	if (strcmp(c->type, "vhost-user") == 0 || strcmp(c->type, "vhost-user-client") == 0) {
		bool client = strcmp(c->type, "vhost-user-client") == 0;
		char def[PATH_MAX + PSW_PORT_NAME_MAX + 8];
		struct stat st;

		if (path == NULL) {
			if (client)
				return psw_errorf(err, elen, -EINVAL, "a vhost-user-client port needs path=");
			snprintf(def, sizeof(def), "%s/%s.sock", port_run_dir, c->ethdev_name);
			path = def;
		}
		if (strlen(path) >= 108)
			return psw_errorf(err, elen, -ENAMETOOLONG,
				"socket path '%s' is longer than a unix socket allows (107)", path);
		if (strchr(path, ',') != NULL)
			return psw_errorf(err, elen, -EINVAL, "socket path '%s' has a comma", path);
		snprintf(c->path, sizeof(c->path), "%s", path);
		// A server socket left by a previous run would make bind fail.
		if (!client && lstat(path, &st) == 0) {
			if (!S_ISSOCK(st.st_mode))
				return psw_errorf(err, elen, -EEXIST, "'%s' exists and is not a socket", path);
			unlink(path);
		}
		(void)ofport;
		n = snprintf(c->devargs, sizeof(c->devargs), "rte_vhost,path=%s,queues=%ld%s", path,
			queues, client ? ",client" : ",server");
	} else if (strcmp(c->type, "af_packet") == 0 || strcmp(c->type, "tap") == 0) {
		if (iface == NULL)
			return psw_errorf(err, elen, -EINVAL, "a %s port needs iface=", c->type);
		if (strlen(iface) > 15 || strchr(iface, ',') != NULL)
			return psw_errorf(err, elen, -EINVAL, "bad interface name '%s'", iface);
		if (c->type[0] == 'a')
			n = snprintf(c->devargs, sizeof(c->devargs), "af_packet:iface=%s,queues=%ld", iface,
				queues);
		else
			n = snprintf(c->devargs, sizeof(c->devargs), "net_tap_psw%u,iface=%s",
				ofport, iface);
	} else if (strcmp(c->type, "dpdk") == 0) {
		if (devargs == NULL)
			return psw_errorf(err, elen, -EINVAL, "a dpdk port needs devargs=");
		n = snprintf(c->devargs, sizeof(c->devargs), "%s", devargs);
	} else {
		return psw_errorf(err, elen, -EINVAL,
			"unknown port type '%s' (vhost-user, vhost-user-client, af_packet, tap, dpdk)",
			c->type);
	}
	if (n < 0 || (size_t)n >= sizeof(c->devargs))
		return psw_errorf(err, elen, -E2BIG, "device arguments too long");
	return 0;
}

static int find_ethdev(const char *devargs, uint16_t *port_id, char *name, size_t len)
{
	struct rte_devargs da;
	int ret = rte_devargs_parse(&da, devargs);

	if (ret < 0)
		return ret;
	snprintf(name, len, "%s", da.name);
	rte_devargs_reset(&da);
	return rte_eth_dev_get_port_by_name(name, port_id);
}

static int ethdev_setup(struct psw_port *p, uint16_t eth_port, long queues, char *err,
	size_t elen)
{
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = RX_DESC, nb_txd = TX_DESC;
	unsigned n_pmds = psw_n_pmds ? psw_n_pmds : 1;
	int ret, socket = rte_eth_dev_socket_id(eth_port);

	if (socket < 0)
		socket = (int)rte_socket_id();
	ret = rte_eth_dev_info_get(eth_port, &info);
	if (ret < 0)
		return psw_errorf(err, elen, ret, "cannot get device info: %s", rte_strerror(-ret));
	long max_rx = RTE_MIN((long)info.max_rx_queues, (long)PSW_MAX_RXQ);
	unsigned max_tx = RTE_MIN((unsigned)info.max_tx_queues, (unsigned)PSW_MAX_RXQ);

	p->nb_rxq = (uint16_t)RTE_MIN(max_rx, queues);
	p->nb_txq = (uint16_t)RTE_MIN(max_tx, n_pmds);
	if (p->nb_rxq == 0 || p->nb_txq == 0)
		return psw_errorf(err, elen, -ENOTSUP, "device has no queues");
	p->tx_shared = p->nb_txq < n_pmds;
	for (unsigned i = 0; i < PSW_MAX_RXQ; i++)
		rte_spinlock_init(&p->txq_locks[i]);
	ret = rte_eth_dev_configure(eth_port, p->nb_rxq, p->nb_txq, &conf);
	if (ret < 0)
		return psw_errorf(err, elen, ret, "cannot configure device: %s", rte_strerror(-ret));
	rte_eth_dev_adjust_nb_rx_tx_desc(eth_port, &nb_rxd, &nb_txd);
	for (uint16_t q = 0; q < p->nb_rxq; q++) {
		ret = rte_eth_rx_queue_setup(eth_port, q, nb_rxd, (unsigned)socket, NULL, port_pool);
		if (ret < 0)
			return psw_errorf(err, elen, ret, "cannot set up rx queue %u: %s", q, rte_strerror(-ret));
	}
	for (uint16_t q = 0; q < p->nb_txq; q++) {
		ret = rte_eth_tx_queue_setup(eth_port, q, nb_txd, (unsigned)socket, NULL);
		if (ret < 0)
			return psw_errorf(err, elen, ret, "cannot set up tx queue %u: %s", q, rte_strerror(-ret));
	}
	ret = rte_eth_dev_start(eth_port);
	if (ret < 0)
		return psw_errorf(err, elen, ret, "cannot start device: %s", rte_strerror(-ret));
	// A switch port receives every address; devices without the notion refuse.
	rte_eth_promiscuous_enable(eth_port);
	return 0;
}

static bool is_vhost(const struct port_ctl *c)
{
	return strncmp(c->type, "vhost-user", 10) == 0;
}

static int afpacket_setup(struct psw_port *p, json_t *opts, long queues, char *err, size_t elen)
{
	unsigned n_pmds = psw_n_pmds ? psw_n_pmds : 1;
	long frames;
	int ret;

	ret = opt_int(opts, "frames", 16, 8192, 256, &frames, err, elen);
	if (ret < 0)
		return ret;
	ret = afpacket_open(p, opt_str(opts, "iface"), (unsigned)queues, (unsigned)frames, err, elen);
	if (ret < 0)
		return ret;
	p->tx_shared = p->nb_txq < n_pmds;
	for (unsigned i = 0; i < PSW_MAX_RXQ; i++)
		rte_spinlock_init(&p->txq_locks[i]);
	*(uint16_t *)&p->eth_port = UINT16_MAX;
	return 0;
}

static int vhost_setup(struct psw_port *p, struct port_ctl *c, long queues, char *err,
	size_t elen)
{
	unsigned n_pmds = psw_n_pmds ? psw_n_pmds : 1;

	p->kind = PSW_PORT_VHOST;
	p->nb_rxq = (uint16_t)queues;
	p->nb_txq = (uint16_t)RTE_MIN((unsigned)queues, n_pmds);
	p->tx_shared = p->nb_txq < n_pmds;
	for (unsigned i = 0; i < PSW_MAX_RXQ; i++)
		rte_spinlock_init(&p->txq_locks[i]);
	*(uint16_t *)&p->eth_port = UINT16_MAX;
	return vhost_port_start(p, c->path, strcmp(c->type, "vhost-user-client") == 0, err, elen);
}

static void ethdev_remove(uint16_t eth_port)
{
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;

	if (rte_eth_dev_info_get(eth_port, &info) == 0)
		dev = info.device;
	rte_eth_dev_stop(eth_port);
	rte_eth_dev_close(eth_port);
	if (dev != NULL)
		rte_dev_remove(dev);
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

int port_add(const char *name, const char *type, json_t *opts, char *err, size_t elen)
{
	struct psw_port *p;
	struct port_ctl *c;
	long queues, tag, req_ofport;
	uint16_t ofport, eth_port;
	unsigned n_pmds = psw_n_pmds ? psw_n_pmds : 1;
	int ret;

	if (name == NULL || !valid_name(name))
		return psw_errorf(err, elen, -EINVAL,
			"bad port name '%s': use 1 to %d letters, digits, '-', '_' or '.', not all digits",
			name ? name : "", PSW_PORT_NAME_MAX - 1);
	if (type == NULL)
		return psw_errorf(err, elen, -EINVAL, "no port type given");
	if (port_by_name(name) != NULL)
		return psw_errorf(err, elen, -EEXIST, "port '%s' exists", name);
	if (opts != NULL && !json_is_object(opts))
		return psw_errorf(err, elen, -EINVAL, "port options must be an object");
	if (opts != NULL && ((ret = check_option_names(opts, err, elen)) < 0 ||
			     (ret = port_policing_check(opts, err, elen)) < 0))
		return ret;
	if ((ret = opt_int(opts, "queues", 1, PSW_MAX_RXQ, 1, &queues, err, elen)) < 0 ||
	    (ret = opt_int(opts, "tag", 0, 4095, 0, &tag, err, elen)) < 0 ||
	    (ret = opt_int(opts, "ofport", 0, PSW_MAX_PORTS - 1, 0, &req_ofport, err, elen)) < 0)
		return ret;
	if (pod_port_wanted(opts) && (ret = pod_port_check(opts, err, elen)) < 0)
		return ret;
	if (req_ofport != 0) {
		if (port_by_ofport((uint16_t)req_ofport) != NULL)
			return psw_errorf(err, elen, -EEXIST, "port number %ld is taken", req_ofport);
		ofport = (uint16_t)req_ofport;
	} else {
		ofport = free_ofport();
		if (ofport == PSW_PORT_NONE)
			return psw_errorf(err, elen, -ENOSPC, "no free port number (%d ports)", PSW_MAX_PORTS - 1);
	}
	p = rte_zmalloc("psw_port", sizeof(*p), RTE_CACHE_LINE_SIZE);
	c = calloc(1, sizeof(*c));
	if (p == NULL || c == NULL) {
		free(c);
		rte_free(p);
		return psw_errorf(err, elen, -ENOMEM, "out of memory");
	}
	p->ctl = c;
	p->stats = aligned_alloc(RTE_CACHE_LINE_SIZE, n_pmds * sizeof(*p->stats));
	if (p->stats == NULL) {
		ret = psw_errorf(err, elen, -ENOMEM, "out of memory");
		goto out_free;
	}
	memset(p->stats, 0, n_pmds * sizeof(*p->stats));
	*(uint16_t *)&p->ofport = ofport;
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(c->type, sizeof(c->type), "%s", type);
	snprintf(c->ethdev_name, sizeof(c->ethdev_name), "%s", name);
	p->vlan_mode = tag ? PSW_VLAN_ACCESS : PSW_VLAN_TRUNK;
	p->vlan_tag = (uint16_t)tag;
	for (unsigned q = 0; q < PSW_MAX_RXQ; q++) {
		c->rxq_pin[q] = -1;
		c->rxq_pmd[q] = -1;
	}
	c->options = opts ? json_deep_copy(opts) : json_object();
	if (pod_port_wanted(c->options))
		pod_port_normalize(c->options);
	p->vid = -1;
	ret = port_policing_apply(p, opts, false, err, elen);
	if (ret < 0)
		goto out_free;
	ret = build_devargs(c, ofport, opts, queues, err, elen);
	if (ret < 0)
		goto out_free;
	if (is_vhost(c)) {
		ret = vhost_setup(p, c, queues, err, elen);
		if (ret < 0)
			goto out_free;
		goto publish;
	}
	if (strcmp(c->type, "af_packet") == 0) {
		ret = afpacket_setup(p, opts, queues, err, elen);
		if (ret < 0)
			goto out_free;
		goto publish;
	}
	ret = rte_dev_probe(c->devargs);
	if (ret < 0) {
		ret = psw_errorf(err, elen, ret, "cannot create device '%s': %s", c->devargs,
			rte_strerror(-ret));
		goto out_free;
	}
	ret = find_ethdev(c->devargs, &eth_port, c->ethdev_name, sizeof(c->ethdev_name));
	if (ret < 0) {
		ret = psw_errorf(err, elen, -ENODEV, "device '%s' made no ethernet port", c->devargs);
		goto out_free;
	}
	for (uint32_t i = 0; i < psw_active_ports->n; i++) {
		const struct psw_port *other = psw_active_ports->by_ofport[psw_active_ports->ofports[i]];

		if (other->kind == PSW_PORT_ETHDEV && other->eth_port == eth_port) {
			ret = psw_errorf(err, elen, -EBUSY, "device '%s' is already a port", c->ethdev_name);
			goto out_free;
		}
	}
	*(uint16_t *)&p->eth_port = eth_port;
	ret = ethdev_setup(p, eth_port, queues, err, elen);
	if (ret < 0)
		goto out_remove;
publish:
	ret = table_publish(p, NULL);
	if (ret < 0) {
		psw_errorf(err, elen, ret, "out of memory");
		goto out_remove;
	}
	ret = pmd_ctl_assign_rxqs();
	if (ret < 0) {
		psw_errorf(err, elen, ret, "cannot assign rx queues");
		table_publish(NULL, p);
		goto out_remove;
	}
	if (pod_port_wanted(opts)) {
		ret = pod_port_attach(p, opts, err, elen);
		if (ret < 0) {
			table_publish(NULL, p);
			pmd_ctl_assign_rxqs();
			goto out_remove;
		}
	}
	port_poll_links();
	LOG_INFO(0, "port added", KV_STR("port", name), KV_INT("ofport", ofport),
		KV_STR("type", type), KV_STR("devargs", c->devargs), KV_INT("rxqs", p->nb_rxq),
		KV_INT("txqs", p->nb_txq));
	if (!restoring)
		port_save();
	return ofport;

out_remove:
	if (p->kind == PSW_PORT_VHOST)
		vhost_port_stop(p, c->path);
	else if (p->kind == PSW_PORT_AFPACKET)
		afpacket_close(p);
	else
		ethdev_remove(eth_port);
out_free:
	port_free(p);
	return ret;
}

static void port_destroy(struct psw_port *p)
{
	if (pod_port_wanted(((struct port_ctl *)p->ctl)->options))
		pod_port_detach(p);
	// unpublish from the PMDs first: the grace periods in table_publish and
	// pmd_ctl_assign_rxqs guarantee no PMD still polls or sends to it
	mirror_port_removed(p->ofport);
	table_publish(NULL, p);
	pmd_ctl_assign_rxqs();
	fdb_flush_port(p->ofport);
	if (p->kind == PSW_PORT_VHOST)
		vhost_port_stop(p, ((struct port_ctl *)p->ctl)->path);
	else if (p->kind == PSW_PORT_AFPACKET)
		afpacket_close(p);
	else
		ethdev_remove(p->eth_port);
	port_free(p);
}

int port_del(const char *name, char *err, size_t elen)
{
	struct psw_port *p = name ? port_by_name(name) : NULL;
	uint16_t ofport;

	if (p == NULL)
		return psw_errorf(err, elen, -ENOENT, "no port '%s'", name ? name : "");
	ofport = p->ofport;
	port_destroy(p);
	LOG_INFO(0, "port removed", KV_STR("port", name), KV_INT("ofport", ofport));
	port_save();
	return 0;
}

void port_ctl_fini(void)
{
	const struct port_table *t = psw_active_ports;

	while (t != NULL && t->n > 0) {
		port_destroy(t->by_ofport[t->ofports[0]]);
		t = psw_active_ports;
	}
	free(psw_active_ports);
	psw_active_ports = NULL;
	afpacket_pool_stop();
}

void port_poll_links(void)
{
	const struct port_table *t = psw_active_ports;

	for (uint32_t i = 0; t != NULL && i < t->n; i++) {
		struct psw_port *p = t->by_ofport[t->ofports[i]];
		struct port_ctl *c = p->ctl;
		struct rte_eth_link link;
		bool up;

		if (p->kind == PSW_PORT_VHOST) {
			// the vhost events keep link_up and link_resets themselves
			c->link_speed = RTE_ETH_SPEED_NUM_10G;
			continue;
		}
		if (p->kind == PSW_PORT_AFPACKET) {
			up = afpacket_link_up(p);
			c->link_speed = RTE_ETH_SPEED_NUM_10G;
		} else {
			if (rte_eth_link_get_nowait(p->eth_port, &link) < 0)
				continue;
			up = link.link_status == RTE_ETH_LINK_UP;
			c->link_speed = link.link_speed;
		}
		if (up != p->link_up || !c->link_logged) {
			if (c->link_logged || up)
				LOG_INFO(1, "port link changed", KV_STR("port", p->name),
					KV_STR("link", up ? "up" : "down"));
			if (c->link_logged && up != p->link_up)
				c->link_resets++;
			c->link_logged = true;
			p->link_up = up;
		}
	}
}

json_t *port_show(void)
{
	const struct port_table *t = psw_active_ports;
	unsigned n_pmds = psw_n_pmds ? psw_n_pmds : 1;
	json_t *arr = json_array();

	// what is shown is what the PMDs act on from now: not a poll old
	port_poll_links();

	for (uint32_t i = 0; t != NULL && i < t->n; i++) {
		struct psw_port *p = t->by_ofport[t->ofports[i]];
		struct port_ctl *c = p->ctl;
		struct port_pmd_stats sum = {0};
		struct rte_eth_stats es = {0};
		json_t *rxqs = json_array();

		for (unsigned j = 0; j < n_pmds; j++) {
			sum.rx_packets += p->stats[j].rx_packets;
			sum.rx_bytes += p->stats[j].rx_bytes;
			sum.tx_packets += p->stats[j].tx_packets;
			sum.tx_bytes += p->stats[j].tx_bytes;
			sum.tx_dropped += p->stats[j].tx_dropped;
			sum.rx_dropped += p->stats[j].rx_dropped;
		}
		if (p->kind == PSW_PORT_ETHDEV) {
			rte_eth_stats_get(p->eth_port, &es);
		} else if (p->kind == PSW_PORT_AFPACKET) {
			uint64_t kdrops, too_long, no_mbuf;

			afpacket_drops(p, &kdrops, &too_long, &no_mbuf);
			c->afp_kernel_drops += kdrops;
			es.imissed = c->afp_kernel_drops + no_mbuf;
			es.ierrors = too_long;
		}
		for (uint16_t q = 0; q < p->nb_rxq; q++) {
			int pmd = c->rxq_pmd[q];

			json_array_append_new(rxqs, json_pack("{s:i,s:i,s:b}", "queue", q,
				"pmd_core", pmd >= 0 && psw_pmds[pmd] ? (int)psw_pmds[pmd]->core : -1,
				"pinned", c->rxq_pin[q] >= 0));
		}
		json_array_append_new(arr, json_pack(
			"{s:s,s:i,s:s,s:s,s:i,s:s,s:I,s:I,s:i,s:i,s:o,s:s,s:i,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I}}",
			"name", p->name, "ofport", p->ofport, "type", c->type, "devargs", c->devargs,
			"eth_port", p->kind == PSW_PORT_ETHDEV ? p->eth_port : -1, "link", p->link_up ? "up" : "down",
			"link_resets", (json_int_t)__atomic_load_n(&c->link_resets, __ATOMIC_RELAXED),
			"link_speed", (json_int_t)c->link_speed, "rxqs", p->nb_rxq, "txqs", p->nb_txq,
			"rxq_pmds", rxqs, "vlan_mode", p->vlan_mode == PSW_VLAN_ACCESS ? "access" : "trunk",
			"tag", p->vlan_tag, "stats",
			"rx_packets", (json_int_t)sum.rx_packets, "rx_bytes", (json_int_t)sum.rx_bytes,
			"tx_packets", (json_int_t)sum.tx_packets, "tx_bytes", (json_int_t)sum.tx_bytes,
			"tx_dropped", (json_int_t)sum.tx_dropped,
			"rx_missed", (json_int_t)es.imissed, "rx_errors", (json_int_t)es.ierrors));
		json_object_set_new(json_object_get(json_array_get(arr, json_array_size(arr) - 1), "stats"),
			"rx_dropped", json_integer((json_int_t)sum.rx_dropped));
		json_object_set_new(json_array_get(arr, json_array_size(arr) - 1), "policing",
			port_policing_show(p));
		if (c->path[0] != '\0')
			json_object_set_new(json_array_get(arr, json_array_size(arr) - 1), "path",
				json_string(c->path));
		json_object_set(json_array_get(arr, json_array_size(arr) - 1), "options", c->options);
	}
	return arr;
}

int port_set(const char *name, json_t *changes, char *err, size_t elen)
{
	struct psw_port *p = name ? port_by_name(name) : NULL;
	struct port_ctl *c;
	json_t *opts;
	const char *key;
	json_t *v;
	int ret;

	if (p == NULL)
		return psw_errorf(err, elen, -ENOENT, "no port '%s'", name ? name : "");
	if (!json_is_object(changes) || json_object_size(changes) == 0)
		return psw_errorf(err, elen, -EINVAL, "give the options to set, as KEY=VALUE");
	json_object_foreach(changes, key, v) {
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
	if (ret == 0)
		ret = port_policing_apply(p, opts, true, err, elen);
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

static char *ports_file(char *buf, size_t len)
{
	snprintf(buf, len, "%s/ports.json", port_run_dir);
	return buf;
}

void port_save(void)
{
	const struct port_table *t = psw_active_ports;
	char path[PATH_MAX + 16], tmp[PATH_MAX + 32];
	json_t *arr = json_array();

	for (uint32_t i = 0; t != NULL && i < t->n; i++) {
		struct psw_port *p = t->by_ofport[t->ofports[i]];
		struct port_ctl *c = p->ctl;
		json_t *o = json_deep_copy(c->options);

		json_object_set_new(o, "ofport", json_integer(p->ofport));
		json_array_append_new(arr, json_pack("{s:s,s:s,s:o}", "name", p->name, "type", c->type,
			"options", o));
	}
	ports_file(path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_dump_file(arr, tmp, JSON_INDENT(2)) == 0 && rename(tmp, path) == 0)
		LOG_INFO(3, "port set saved", KV_STR("file", path));
	else
		LOG_WARN("cannot save the port set", KV_STR("file", path), KV_ERR(errno));
	json_decref(arr);
}

void port_restore(void)
{
	char path[PATH_MAX + 16], err[256];
	json_error_t jerr;
	json_t *arr, *o;
	size_t i;

	arr = json_load_file(ports_file(path, sizeof(path)), 0, &jerr);
	if (arr == NULL)
		return;
	restoring = true;
	json_array_foreach(arr, i, o) {
		const char *name = json_string_value(json_object_get(o, "name"));
		const char *type = json_string_value(json_object_get(o, "type"));

		if (pending_del_has(name)) {
			LOG_INFO(0, "not restoring port: its deletion is pending", KV_STR("port", name));
			continue;
		}
		if (port_add(name, type, json_object_get(o, "options"), err, sizeof(err)) < 0)
			LOG_WARN("cannot restore port", KV_STR("port", name), KV_STR("err", err));
	}
	restoring = false;
	json_decref(arr);
	port_save();
}
