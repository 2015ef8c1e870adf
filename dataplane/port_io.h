// SPDX-License-Identifier: BSD-3-Clause
// A port's receive and send, the one place the fast path tells port kinds
// apart.
#pragma once

#include "afpacket.h"
#include "port.h"
#include "vhost.h"

#include <rte_ethdev.h>

static inline uint16_t port_rx(struct psw_port *p, uint16_t q, struct rte_mempool *pool,
	struct rte_mbuf **pkts, uint16_t n)
{
	switch (p->kind) {
	case PSW_PORT_VHOST:
		return vhost_rx(p, q, pool, pkts, n);
	case PSW_PORT_AFPACKET:
		return afp_rx(p, q, pool, pkts, n);
	default:
		return rte_eth_rx_burst(p->eth_port, q, pkts, n);
	}
}

// Sends what the port takes of 'pkts'; returns how many.
static inline uint16_t port_tx(const struct psw_port *p, uint16_t q, struct rte_mbuf **pkts,
	uint16_t n)
{
	switch (p->kind) {
	case PSW_PORT_VHOST:
		return vhost_tx(p, q, pkts, n);
	case PSW_PORT_AFPACKET:
		return afp_tx(p, q, pkts, n);
	default:
		return rte_eth_tx_burst(p->eth_port, q, pkts, n);
	}
}

// vhost-user and af_packet copy what they send: every buffer stays the
// sender's to free, sent or not. An ethdev takes the buffers it sent.
static inline bool port_tx_copies(const struct psw_port *p)
{
	return p->kind != PSW_PORT_ETHDEV;
}
