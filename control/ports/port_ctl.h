// SPDX-License-Identifier: BSD-3-Clause
// Ports: created from a type and options, published to the PMDs in one
// transaction with everything that comes with them (control/core/events.h),
// removed the same way without disturbing the others. The registry
// (port_registry.c) names them, port.c brings them up and down,
// port_status.c reports, port_save.c keeps them across restarts. Control
// thread only.
#pragma once

#include "core/publish.h"
#include "core/load_window.h"
#include "port.h"

#include <jansson.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>

struct port_kind;

// The control thread's own record of a port (psw_port.ctl).
struct port_ctl {
	const struct port_kind *kind;
	char devargs[512];
	char ethdev_name[RTE_ETH_NAME_MAX_LEN];
	char path[PATH_MAX];       // vhost-user socket, canonical
	json_t *options;           // as given (normalized), for persistence
	int16_t rxq_pin[PSW_MAX_RXQ]; // PMD index the queue is pinned to, or -1
	int16_t rxq_pmd[PSW_MAX_RXQ]; // PMD index polling it as published, or -1
	// control/pmds/pmd_load.c: each queue's busy cycles over the load window
	struct load_window rxq_load[PSW_MAX_RXQ];
	uint64_t link_speed;
	uint64_t afp_kernel_drops;     // af_packet: the kernel's counter resets when read
	// Link state changes seen, as Open vSwitch's link_resets. vhost-user
	// ports count connects and disconnects in the vhost events thread.
	uint64_t link_resets;
	bool link_logged;
};

// Where ports keep what they need: the buffer pool their devices receive
// into, the run directory (default socket paths, saved state).
struct port_ctl_config {
	struct rte_mempool *pool;
	const char *run_dir;
	const char *control_socket;
	const char *const *socket_dirs; // --vhost-socket-dir
	unsigned n_socket_dirs;
	unsigned n_pmds;                // ports have a counter slot and a tx queue each
	const unsigned *pmd_cores;      // the CPU of each, for show
};

int port_ctl_init(const struct port_ctl_config *cfg, char *err, size_t elen);
// Removes every port. Call after the PMDs stopped.
void port_ctl_fini(void);
struct rte_mempool *port_ctl_pool(void);
const char *port_ctl_run_dir(void);
unsigned port_ctl_n_pmds(void);
// The CPU of PMD 'pmd', or -1.
int port_ctl_pmd_core(int pmd);

// Adds a port. 'options' (may be NULL) holds the type's settings and the
// common ones (queues, tag, ofport, a pod's mac and ips, policing). Returns
// the new port number or -errno with a sentence in 'err'.
int port_add(const char *name, const char *type, const json_t *options, char *err, size_t elen);
int port_del(const char *name, char *err, size_t elen);

// Changes options of a running port: its policing (control/ports/port_policing.h).
// Returns 0 or -errno with a sentence in 'err'.
int port_set(const char *name, const json_t *changes, char *err, size_t elen);

// An integer option, given as a number or as a string (pswitchctl's
// KEY=VALUE), 'def' when absent. Returns 0 or -EINVAL naming the option.
int port_opt_int(const json_t *opts, const char *key, long min, long max, long def, long *out,
	char *err, size_t elen);

// The registry: ports by name and number, as the control thread sees them
// (inside a transaction, with the ports it stages).
struct psw_port *port_by_name(const char *name);
struct psw_port *port_by_ofport(uint16_t ofport);
uint16_t port_resolve(const char *name);
const char *port_name_of(uint16_t ofport);

// Whether 'name' may name a port, the same for every way a port comes
// (command, config file, restore). Returns 0, or -EINVAL with a sentence.
int port_name_check(const char *name, char *err, size_t elen);

// Stages the port table with 'p' added, or with the port of 'ofport' taken
// out. Returns 0 or -ENOMEM.
int port_table_stage_add(struct dp_txn *t, struct psw_port *p);
int port_table_stage_remove(struct dp_txn *t, uint16_t ofport);
// A free port number, or PSW_PORT_NONE.
uint16_t port_table_free_ofport(void);
// The port table part's freeing function (control/core/publish.h).
void port_table_free(struct port_table *t);

// Refreshes each port's link state. Called periodically, and before the
// state is shown.
void port_poll_links(void);
json_t *port_show(void);

// Writes the port set to the run directory, and adds the ports saved there.
void port_save(void);
void port_restore(void);
