// SPDX-License-Identifier: BSD-3-Clause
// Ports: created from a type and options, published to the PMDs, removed
// without disturbing the others. Control thread only.
#pragma once

#include "pmds/pmd_load.h"
#include "port.h"

#include <jansson.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>

// The control thread's own record of a port (psw_port.ctl).
struct port_ctl {
	char type[32];
	char devargs[512];
	char ethdev_name[RTE_ETH_NAME_MAX_LEN];
	char path[256];            // vhost-user socket
	json_t *options;           // as given, for persistence
	int16_t rxq_pin[PSW_MAX_RXQ]; // PMD index the queue is pinned to, or -1
	int16_t rxq_pmd[PSW_MAX_RXQ]; // PMD index polling it now, or -1
	// control/pmd_load.c: each queue's busy cycles over the load window
	struct load_window rxq_load[PSW_MAX_RXQ];
	uint64_t link_speed;
	uint64_t afp_kernel_drops;     // af_packet: the kernel's counter resets when read
	// Link state changes seen, as Open vSwitch's link_resets. vhost-user
	// ports count connects and disconnects in the vhost events thread.
	uint64_t link_resets;
	bool link_logged;
};

int port_ctl_init(struct rte_mempool *pool, const char *run_dir);
// Removes every port. Call after the PMDs stopped.
void port_ctl_fini(void);

// Adds a port. 'options' (may be NULL) holds type-specific settings:
// path, queues, devargs, iface, tag, ofport. Returns the new port number or
// -errno with a sentence in 'err'.
int port_add(const char *name, const char *type, json_t *options, char *err, size_t elen);
int port_del(const char *name, char *err, size_t elen);

// Changes options of a running port: its policing (control/port_policing.h).
// Returns 0 or -errno with a sentence in 'err'.
int port_set(const char *name, json_t *changes, char *err, size_t elen);

struct psw_port *port_by_name(const char *name);
struct psw_port *port_by_ofport(uint16_t ofport);
uint16_t port_resolve(const char *name);
const char *port_name_of(uint16_t ofport);

// Refreshes each port's link state. Called periodically, and before the
// state is shown.
void port_poll_links(void);

json_t *port_show(void);

// Writes the port set to the run directory, and adds the ports saved there.
void port_save(void);
void port_restore(void);
