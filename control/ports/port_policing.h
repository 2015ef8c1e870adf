// SPDX-License-Identifier: BSD-3-Clause
// Rate limits of a port (dataplane/policer.h) from its options, in Open
// vSwitch's units: ingress_policing_rate / egress_policing_rate in kbit/s
// (0: none), ingress_policing_burst / egress_policing_burst in kbit (0 or
// absent: a tenth of a second at the rate, at least 80 kbit). Ingress is
// what the port sends into the switch (a pod's egress); egress is what the
// switch sends out of the port. Control thread only.
#pragma once

#include "core/publish.h"
#include "port.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

// Whether 'key' is one of the policing options.
bool port_policing_key(const char *key);

// Sets the policing options of 'changes' in 'opts'; a rate of 0 (or null)
// removes the limit, its burst with it.
void port_policing_merge(json_t *opts, const json_t *changes);

// Checks the policing options of 'opts'. Returns 0 or -EINVAL with 'err'.
int port_policing_check(const json_t *opts, char *err, size_t elen);

// Gives 'p' the policers 'opts' asks for, replacing or removing what it had:
// at once for a port no PMD can reach ('t' NULL), else after the grace
// period of 't'. Returns 0 or -errno with 'err'.
int port_policing_apply(struct psw_port *p, const json_t *opts, struct dp_txn *t, char *err,
	size_t elen);

// Frees the port's policers (the port is no longer published).
void port_policing_free(struct psw_port *p);

// {"ingress": {"rate_kbps", "burst_kb"} or null, "egress": ...}
json_t *port_policing_show(const struct psw_port *p);
