// SPDX-License-Identifier: BSD-3-Clause
// vhost-user ports driven through the rte_vhost API directly, as Open vSwitch
// does, rather than through the net_vhost ethdev: no per-packet statistics
// we do not read, and copies freed in bulk.
//
// Thread-safety: 'vid' and 'vhost_qp' are written by the vhost events
// thread (control/vhost.c) and read by PMDs once per burst. A device going
// away is unpublished (vid = -1) and the callback waits a grace period
// before the vhost library frees its rings, so no PMD touches them after.
#pragma once

#include "port.h"

#include <rte_vhost.h>

// Guest virtqueues: queue pair q is vring 2q (guest rx, our tx) and 2q+1
// (guest tx, our rx).
static inline uint16_t vhost_rx(struct psw_port *p, uint16_t q, struct rte_mempool *pool,
	struct rte_mbuf **pkts, uint16_t n)
{
	int vid = p->vid;

	if (vid < 0 || q >= p->vhost_qp)
		return 0;
	return rte_vhost_dequeue_burst(vid, (uint16_t)(2 * q + 1), pool, pkts, n);
}

// Copies what the guest has room for; the caller frees every mbuf.
static inline uint16_t vhost_tx(const struct psw_port *p, uint16_t q, struct rte_mbuf **pkts,
	uint16_t n)
{
	int vid = p->vid;

	if (vid < 0 || p->vhost_qp == 0)
		return 0;
	return rte_vhost_enqueue_burst(vid, (uint16_t)(2 * (q % p->vhost_qp)), pkts, n);
}
