// SPDX-License-Identifier: BSD-3-Clause
// Where vhost-user sockets may be: in the run directory or below it, or in
// a directory the operator allowed (--vhost-socket-dir) or below it; never
// the control socket. pswitchd creates and removes server sockets there, so
// a path anywhere else could remove another service's socket. Control
// thread only.
#pragma once

#include <stddef.h>

#define SOCKET_DIRS_MAX 16

// Remembers the allowed directories ('dirs' may be empty) and the control
// socket. Returns 0 or -errno (a directory that does not exist).
int socket_path_init(const char *run_dir, const char *control_socket, const char *const *dirs,
	unsigned n_dirs, char *err, size_t elen);

// Checks that 'path' may be a port's socket and writes its canonical form
// (the real path of its directory, then its name) to 'out'. Returns 0, or
// -errno with a sentence naming the path.
int socket_path_check(const char *path, char *out, size_t len, char *err, size_t elen);

// Makes a server socket's (canonical) path free: nothing there, or a socket
// nobody listens on, which is removed. A live socket or anything else is
// refused. Returns 0 or -errno.
int socket_path_claim(const char *path, char *err, size_t elen);
