// SPDX-License-Identifier: BSD-3-Clause
// What each type of port does to come up, go down and report: the one place
// the control side tells port types apart (the fast path's is
// dataplane/port_io.h). Control thread only.
#pragma once

#include "port.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct port_ctl;

struct port_kind {
	const char *type;             // as add-port names it
	const char *const *options;   // the options of this type only; NULL-terminated
	const char *options_text;     // the same, for error messages
	// Creates the device or socket for 'p' with 'queues' rx queues, from the
	// checked options: sets p->kind, the queue counts and 'c''s devargs and
	// path. Returns 0 or -errno with 'err' set; leaves nothing behind on
	// failure.
	int (*start)(struct psw_port *p, struct port_ctl *c, const json_t *opts, unsigned queues,
		char *err, size_t elen);
	// Undoes start, once no PMD can reach the port.
	void (*stop)(struct psw_port *p, struct port_ctl *c);
	// The link as the device says (NULL: the type keeps p->link_up itself).
	bool (*link)(struct psw_port *p, uint64_t *speed_mbps);
	// Frames the device could not take in, and malformed ones (may be NULL).
	void (*rx_errors)(struct psw_port *p, struct port_ctl *c, uint64_t *missed,
		uint64_t *errors);
};

extern const struct port_kind port_kind_vhost;
extern const struct port_kind port_kind_vhost_client;
extern const struct port_kind port_kind_afpacket;
extern const struct port_kind port_kind_tap;
extern const struct port_kind port_kind_dpdk;

// The kind of port type 'type', or NULL.
const struct port_kind *port_kind_find(const char *type);

// Every kind's transmit queues: one per PMD, or fewer that PMDs share.
void port_kind_set_txqs(struct psw_port *p, unsigned nb_txq);
