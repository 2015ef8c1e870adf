// SPDX-License-Identifier: BSD-3-Clause
// A switch port as the PMDs see it, and the table of ports they read.
#pragma once

#include "flow.h"

#include <rte_spinlock.h>
#include <stdbool.h>
#include <stdint.h>

#define PSW_PORT_NAME_MAX 64
#define PSW_MAX_RXQ 32

// Thread-safety: slot i written only by PMD i.
struct port_pmd_stats {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t tx_dropped;
	uint64_t rx_dropped; // policed on the way in
} __rte_cache_aligned;

// Thread-safety: written only by the PMD that polls the queue.
struct rxq_stats {
	uint64_t packets;
	uint64_t busy_cycles;
} __rte_cache_aligned;

enum psw_vlan_mode {
	PSW_VLAN_TRUNK,  // frames keep their tags; untagged frames are VLAN 0
	PSW_VLAN_ACCESS, // untagged frames belong to 'tag'; tagged frames are dropped
};

// Thread-safety: created by the control thread; the fields the PMDs read are
// constant while the port is published, except 'link_up' (written by the
// control thread, or for vhost-user by the vhost events thread as the peer
// comes and goes; read racily: a stale value costs one burst). Freed with
// call_rcu after it is taken out of the port table and every rxq set.
enum psw_port_kind {
	PSW_PORT_ETHDEV, // any DPDK ethdev: rte_eth_rx_burst / tx_burst
	PSW_PORT_VHOST,  // vhost-user through rte_vhost (dataplane/vhost.h)
	PSW_PORT_AFPACKET, // a kernel interface through AF_PACKET rings (dataplane/afpacket.h)
};

struct psw_afp;
struct psw_policer;

struct psw_port {
	const uint16_t ofport;
	const uint16_t eth_port;
	uint8_t kind;
	volatile int vid;               // vhost: the connected device, or -1
	volatile uint16_t vhost_qp;     // vhost: queue pairs the guest has
	uint16_t nb_rxq;
	uint16_t nb_txq;
	bool tx_shared;                 // fewer tx queues than PMDs: take txq_locks
	volatile bool link_up;
	volatile bool mirror_output;    // a mirror's output: no flooded or NORMAL traffic
	uint8_t vlan_mode;
	uint16_t vlan_tag;              // access ports
	rte_spinlock_t txq_locks[PSW_MAX_RXQ];
	struct psw_afp *afp;            // af_packet: the rings
	// rate limits (dataplane/policer.h), or NULL; replaced under RCU
	struct psw_policer *ingress_policer;
	struct psw_policer *egress_policer;
	struct port_pmd_stats *stats;   // n_pmds slots
	struct rxq_stats rxq_stats[PSW_MAX_RXQ];
	char name[PSW_PORT_NAME_MAX];
	struct rcu_head rcu;
	// The control thread's own fields follow: see control/port.c.
	void *ctl;
};

// Thread-safety: published with rcu_assign_pointer by the control thread,
// replaced whole when a port comes or goes.
struct port_table {
	uint32_t n;
	uint16_t ofports[PSW_MAX_PORTS];          // the n ports in ofport order
	struct psw_port *by_ofport[PSW_MAX_PORTS];
	struct rcu_head rcu;
};
