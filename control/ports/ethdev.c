// SPDX-License-Identifier: BSD-3-Clause
// Ports on DPDK ethdevs: any device (dpdk, devargs=) and the tap pswitchd
// creates (tap, iface=).
#include "errorf.h"
#include "ports/port_ctl.h"
#include "ports/port_kind.h"

#include <psw/commands.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

#define RX_DESC 1024
#define TX_DESC 1024

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

static int ethdev_configure(struct psw_port *p, uint16_t eth_port, unsigned queues, char *err,
	size_t elen)
{
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = RX_DESC, nb_txd = TX_DESC;
	int ret, socket = rte_eth_dev_socket_id(eth_port);

	if (socket < 0)
		socket = (int)rte_socket_id();
	ret = rte_eth_dev_info_get(eth_port, &info);
	if (ret < 0)
		return psw_errorf(err, elen, ret, "cannot get device info: %s", rte_strerror(-ret));
	unsigned max_rx = RTE_MIN((unsigned)info.max_rx_queues, (unsigned)PSW_MAX_RXQ);

	p->nb_rxq = (uint16_t)RTE_MIN(max_rx, queues);
	port_kind_set_txqs(p, RTE_MIN((unsigned)info.max_tx_queues, (unsigned)PSW_MAX_RXQ));
	if (p->nb_rxq == 0 || p->nb_txq == 0)
		return psw_errorf(err, elen, -ENOTSUP, "device has no queues");
	ret = rte_eth_dev_configure(eth_port, p->nb_rxq, p->nb_txq, &conf);
	if (ret < 0)
		return psw_errorf(err, elen, ret, "cannot configure device: %s", rte_strerror(-ret));
	rte_eth_dev_adjust_nb_rx_tx_desc(eth_port, &nb_rxd, &nb_txd);
	for (uint16_t q = 0; q < p->nb_rxq; q++) {
		ret = rte_eth_rx_queue_setup(eth_port, q, nb_rxd, (unsigned)socket, NULL, port_ctl_pool());
		if (ret < 0)
			return psw_errorf(err, elen, ret, "cannot set up rx queue %u: %s", q,
				rte_strerror(-ret));
	}
	for (uint16_t q = 0; q < p->nb_txq; q++) {
		ret = rte_eth_tx_queue_setup(eth_port, q, nb_txd, (unsigned)socket, NULL);
		if (ret < 0)
			return psw_errorf(err, elen, ret, "cannot set up tx queue %u: %s", q,
				rte_strerror(-ret));
	}
	ret = rte_eth_dev_start(eth_port);
	if (ret < 0)
		return psw_errorf(err, elen, ret, "cannot start device: %s", rte_strerror(-ret));
	// A switch port receives every address; devices without the notion refuse.
	rte_eth_promiscuous_enable(eth_port);
	return 0;
}

// Whether an ethdev port of the switch already drives 'eth_port'.
static bool ethdev_taken(uint16_t eth_port)
{
	const struct port_table *t = dp_view()->ports;

	for (uint32_t i = 0; i < t->n; i++) {
		const struct psw_port *o = t->by_ofport[t->ofports[i]];

		if (o->kind == PSW_PORT_ETHDEV && o->eth_port == eth_port)
			return true;
	}
	return false;
}

static int ethdev_start(struct psw_port *p, struct port_ctl *c, unsigned queues, char *err,
	size_t elen)
{
	uint16_t eth_port;
	int ret;

	ret = rte_dev_probe(c->devargs);
	if (ret < 0) {
		// the EAL says little more than an errno: say what it means here
		if (ret == -EFAULT || ret == -EINVAL || ret == -ENOENT || ret == -ENODEV)
			return psw_errorf(err, elen, -ENODEV, "cannot create device '%s': no DPDK bus or "
				"driver knows it, or its arguments are wrong (see the log)", c->devargs);
		return psw_errorf(err, elen, ret, "cannot create device '%s': %s", c->devargs,
			rte_strerror(-ret));
	}
	ret = find_ethdev(c->devargs, &eth_port, c->ethdev_name, sizeof(c->ethdev_name));
	if (ret < 0)
		return psw_errorf(err, elen, -ENODEV, "device '%s' made no ethernet port", c->devargs);
	if (ethdev_taken(eth_port))
		return psw_errorf(err, elen, -EBUSY, "device '%s' is already a port", c->ethdev_name);
	p->kind = PSW_PORT_ETHDEV;
	*(uint16_t *)&p->eth_port = eth_port;
	ret = ethdev_configure(p, eth_port, queues, err, elen);
	if (ret < 0)
		ethdev_remove(eth_port);
	return ret;
}

static int dpdk_start(struct psw_port *p, struct port_ctl *c, const json_t *opts,
	unsigned queues, char *err, size_t elen)
{
	const char *devargs = json_string_value(json_object_get(opts, PSW_OPT_DEVARGS));

	if (devargs == NULL)
		return psw_errorf(err, elen, -EINVAL, "a dpdk port needs devargs=");
	if ((size_t)snprintf(c->devargs, sizeof(c->devargs), "%s", devargs) >= sizeof(c->devargs))
		return psw_errorf(err, elen, -E2BIG, "devargs are too long");
	return ethdev_start(p, c, queues, err, elen);
}

static int tap_start(struct psw_port *p, struct port_ctl *c, const json_t *opts, unsigned queues,
	char *err, size_t elen)
{
	const char *iface = json_string_value(json_object_get(opts, PSW_OPT_IFACE));

	if (iface == NULL)
		return psw_errorf(err, elen, -EINVAL, "a tap port needs iface=");
	if (strlen(iface) > 15 || strlen(iface) == 0 || strpbrk(iface, ",/ ") != NULL)
		return psw_errorf(err, elen, -EINVAL, "bad interface name '%s'", iface);
	snprintf(c->devargs, sizeof(c->devargs), "net_tap_psw%u,iface=%s", p->ofport, iface);
	return ethdev_start(p, c, queues, err, elen);
}

static void ethdev_stop(struct psw_port *p, struct port_ctl *c)
{
	(void)c;
	ethdev_remove(p->eth_port);
}

static bool ethdev_link(struct psw_port *p, uint64_t *speed)
{
	struct rte_eth_link link;

	if (rte_eth_link_get_nowait(p->eth_port, &link) < 0)
		return p->link_up;
	*speed = link.link_speed;
	return link.link_status == RTE_ETH_LINK_UP;
}

static void ethdev_rx_errors(struct psw_port *p, struct port_ctl *c, uint64_t *missed,
	uint64_t *errors)
{
	struct rte_eth_stats es = {0};

	(void)c;
	rte_eth_stats_get(p->eth_port, &es);
	*missed = es.imissed;
	*errors = es.ierrors;
}

static const char *const dpdk_options[] = {PSW_OPT_DEVARGS, NULL};
static const char *const tap_options[] = {PSW_OPT_IFACE, NULL};

const struct port_kind port_kind_dpdk = {
	.type = PSW_PORT_TYPE_DPDK,
	.options = dpdk_options,
	.options_text = "devargs",
	.start = dpdk_start,
	.stop = ethdev_stop,
	.link = ethdev_link,
	.rx_errors = ethdev_rx_errors,
};

const struct port_kind port_kind_tap = {
	.type = PSW_PORT_TYPE_TAP,
	.options = tap_options,
	.options_text = "iface",
	.start = tap_start,
	.stop = ethdev_stop,
	.link = ethdev_link,
	.rx_errors = ethdev_rx_errors,
};
