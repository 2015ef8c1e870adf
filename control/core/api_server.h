// SPDX-License-Identifier: BSD-3-Clause
// The control socket (include/psw/ctl.h) on the event loop. No client can
// delay another: requests are read and replies written without blocking,
// through bounded buffers, and large results are produced as the client
// reads them. What all clients together can make pswitchd hold is bounded:
// each client buffers at most API_SMALL_INPUT bytes of a request, and at
// most API_LARGE_SLOTS clients at a time up to PSW_CTL_MAX_MESSAGE (the
// others wait their turn); a client's next request is not read while its
// reply waits to be read. Control thread only.
#pragma once

#include <stdint.h>

#define API_SMALL_INPUT (256u << 10)
#define API_LARGE_SLOTS 2u

struct api_limits {
	unsigned max_clients;     // connections at once; an idle one makes room
	uint64_t idle_timeout_ms; // a client with nothing under way is closed after this
	uint64_t io_timeout_ms;   // a request must arrive whole, and a reply be read
	                          // whole, within this
};

#define API_LIMITS_DEFAULT {.max_clients = 128, .idle_timeout_ms = 60000, \
	.io_timeout_ms = 30000}

// Listens on 'path' (mode 0600). Refuses a path where another pswitchd
// answers. Returns 0 or -errno.
int api_server_start(const char *path, const struct api_limits *limits);
// Closes every client and the socket, and removes it.
void api_server_stop(void);

// Clients connected now (for tests and show).
unsigned api_server_clients(void);
