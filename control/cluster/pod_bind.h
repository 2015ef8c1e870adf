// SPDX-License-Identifier: BSD-3-Clause
// Ports bound to their Pods (cluster/pod_bind.c). Control thread only.
#pragma once

#include "port.h"

#include <stdint.h>

// How long a port whose Pod was deleted in the API waits for its DEL.
void pod_bind_config(uint64_t grace_ms);

// The key ("namespace/name") of the Pod 'p' belongs to, or NULL; '*uid'
// (may be NULL) its UID as the runtime gave it, or NULL.
const char *pod_bind_key(const struct psw_port *p, const char **uid);

// Milliseconds until the port of 'port' is detached, or -1 when it is not
// waiting to be.
int64_t pod_bind_detach_in_ms(const char *port);
uint64_t pod_bind_detached(void);

void pod_bind_fini(void);
