// SPDX-License-Identifier: BSD-3-Clause
// vhost-user ports: registration with the rte_vhost library and its device
// callbacks. The fast path is in dataplane/vhost.h.
#pragma once

#include "port.h"

#include <stdbool.h>
#include <stddef.h>

// Creates the socket (server) or starts connecting (client, reconnecting by
// itself when the peer comes back). Control thread. Returns 0 or -errno.
int vhost_port_start(struct psw_port *p, const char *path, bool client, char *err, size_t elen);

// Stops and unregisters the socket. Call once no PMD polls or sends to the
// port any more.
void vhost_port_stop(struct psw_port *p, const char *path);
