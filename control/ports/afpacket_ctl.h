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
