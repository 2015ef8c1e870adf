// SPDX-License-Identifier: BSD-3-Clause
// pswitchd as the plugin sees it: requests over the control socket, and the
// pending-deletion files for when it is down.
#pragma once

#include "cni.h"
#include "ctl_proto.h"

struct sw_conn {
	int fd;
	struct ctl_reader reader;
};

// Connects. Returns 0, or -1 with 'e' set: "try again later" (11) when
// pswitchd is not running, an I/O error otherwise.
int sw_connect(struct sw_conn *c, const struct cni_conf *conf, struct cni_error *e);
void sw_close(struct sw_conn *c);

// Sends {"command": cmd, ...'args'} (steals 'args'). Returns the result
// object (caller frees), or NULL with 'e' set and '*status' the daemon's
// -errno (0 when the connection failed).
json_t *sw_request(struct sw_conn *c, const char *cmd, json_t *args, int *status,
	struct cni_error *e);

// Removes port 'name' now, or leaves its deletion for pswitchd to finish when
// it is down. Returns 0 or -1 with 'e' set.
int sw_remove_port(const struct cni_conf *conf, const char *name, struct cni_error *e);

// The options of port 'name' as pswitchd shows them, or NULL when it has no
// such port (caller frees).
json_t *sw_port_options(struct sw_conn *c, const char *name, struct cni_error *e, bool *found);
