// SPDX-License-Identifier: BSD-3-Clause
#include "ctl_proto.h"

#include <psw/ctl.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

void ctl_reader_init(struct ctl_reader *r)
{
	memset(r, 0, sizeof(*r));
}

void ctl_reader_free(struct ctl_reader *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

ssize_t ctl_reader_fill(struct ctl_reader *r, int fd)
{
	ssize_t n;

	if (r->cap - r->len < 65536) {
		size_t cap = r->cap ? r->cap * 2 : 131072;
		char *buf;

		if (r->len > PSW_CTL_MAX_REPLY)
			return -EMSGSIZE;
		buf = realloc(r->buf, cap);
		if (buf == NULL)
			return -ENOMEM;
		r->buf = buf;
		r->cap = cap;
	}
	do {
		n = read(fd, r->buf + r->len, r->cap - r->len - 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	r->len += (size_t)n;
	return n;
}

int ctl_reader_next(struct ctl_reader *r, json_t **msg, char *err, size_t err_len)
{
	json_error_t jerr;
	char *nl;
	size_t line_len;

	*msg = NULL;
	if (r->len == 0)
		return 0;
	nl = memchr(r->buf, '\n', r->len);
	if (nl == NULL)
		return 0;
	line_len = (size_t)(nl - r->buf);
	*msg = json_loadb(r->buf, line_len, JSON_REJECT_DUPLICATES, &jerr);
	if (*msg == NULL)
		snprintf(err, err_len, "bad JSON at column %d: %s", jerr.column, jerr.text);
	else if (!json_is_object(*msg)) {
		json_decref(*msg);
		*msg = NULL;
		snprintf(err, err_len, "a message must be a JSON object");
	}
	memmove(r->buf, nl + 1, r->len - line_len - 1);
	r->len -= line_len + 1;
	return 1;
}

int ctl_send(int fd, const json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	size_t len, off = 0;
	ssize_t n;
	int ret = 0;

	if (text == NULL)
		return -ENOMEM;
	len = strlen(text);
	text[len++] = '\n'; // replaces the terminating NUL, which is not sent
	while (off < len) {
		n = send(fd, text + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		off += (size_t)n;
	}
	free(text);
	return ret;
}

int ctl_connect(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

json_t *ctl_call(int fd, struct ctl_reader *r, const json_t *req)
{
	char err[160];
	json_t *reply;
	ssize_t n;
	int ret;

	ret = ctl_send(fd, req);
	if (ret < 0) {
		errno = -ret;
		return NULL;
	}
	for (;;) {
		if (ctl_reader_next(r, &reply, err, sizeof(err)) == 1) {
			if (reply == NULL)
				errno = EPROTO;
			return reply;
		}
		n = ctl_reader_fill(r, fd);
		if (n == 0) {
			errno = ECONNRESET;
			return NULL;
		}
		if (n < 0) {
			errno = (int)-n;
			return NULL;
		}
	}
}
