// SPDX-License-Identifier: BSD-3-Clause
// Framing of the control protocol (include/psw/ctl.h): one JSON object a line.
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

struct ctl_reader {
	char *buf;
	size_t len;
	size_t cap;
};

void ctl_reader_init(struct ctl_reader *r);
void ctl_reader_free(struct ctl_reader *r);

// Reads what 'fd' has (once). Returns bytes read, 0 at end of stream, or -errno
// (-EMSGSIZE when a message exceeds PSW_CTL_MAX_REPLY). Clients use it; the
// server frames on its event loop (control/core/api_server.c).
ssize_t ctl_reader_fill(struct ctl_reader *r, int fd);

// Takes the next complete message out of the buffer. Returns 1 and sets '*msg'
// (NULL when the line was not a JSON object; 'err' then says why), or 0 when no
// complete line is buffered.
int ctl_reader_next(struct ctl_reader *r, json_t **msg, char *err, size_t err_len);

// Writes 'msg' and its newline, retrying short writes. Returns 0 or -errno.
int ctl_send(int fd, const json_t *msg);

// Connects to the control socket at 'path'. Returns the fd or -errno.
int ctl_connect(const char *path);

// Sends 'req' and waits for its reply. Returns the reply or NULL with errno set
// (ECONNRESET when the daemon closed the connection, EPROTO for a bad reply).
json_t *ctl_call(int fd, struct ctl_reader *r, const json_t *req);
