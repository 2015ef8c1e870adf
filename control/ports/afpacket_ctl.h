// SPDX-License-Identifier: BSD-3-Clause
// Setting up and tearing down the AF_PACKET rings of a kernel port
// (dataplane/afpacket.h). Control thread only.
#pragma once

#include "afpacket.h"

#include <jansson.h>

// The helper thread that prepares sockets ahead and closes them behind.
int afpacket_pool_start(void);
// Closes every socket queued for closing; call after the ports are gone.
void afpacket_pool_stop(void);

// Opens 'queues' sockets on 'iface' with rings of 'frames' frames each way.
// Returns 0 or -errno with a sentence in 'err'.
int afpacket_open(struct psw_port *p, const char *iface, unsigned queues, unsigned frames,
	char *err, size_t elen);
void afpacket_close(struct psw_port *p);

// The interface is up and running (carrier).
bool afpacket_link_up(const struct psw_port *p);

// Drops the kernel counted (ring full) plus ours, since the last call added.
void afpacket_drops(const struct psw_port *p, uint64_t *kernel_drops, uint64_t *too_long,
	uint64_t *no_mbuf);
