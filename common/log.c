// SPDX-License-Identifier: BSD-3-Clause
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static enum psw_log_format log_format = PSW_LOG_TEXT;
static int log_verbosity;

void psw_log_setup(enum psw_log_format format, int verbosity, const char *program)
{
	(void)program;
	log_format = format;
	log_verbosity = verbosity;
}

int psw_log_verbosity(void)
{
	return log_verbosity;
}

bool psw_log_enabled(int v)
{
	return v <= log_verbosity;
}

struct log_buf {
	char data[4096];
	size_t len;
};

static void buf_add(struct log_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void buf_add(struct log_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len >= sizeof(b->data) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, sizeof(b->data) - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n;
	if (b->len > sizeof(b->data) - 1)
		b->len = sizeof(b->data) - 1;
}

// Quotes 's' the way both klog and JSON accept: backslash escapes, \n, \t and
// \u00XX for other control characters.
static void buf_add_quoted(struct log_buf *b, const char *s)
{
	buf_add(b, "\"");
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			buf_add(b, "\\%c", c);
		else if (c == '\n')
			buf_add(b, "\\n");
		else if (c == '\t')
			buf_add(b, "\\t");
		else if (c < 0x20 || c == 0x7f)
			buf_add(b, "\\u%04x", c);
		else
			buf_add(b, "%c", c);
	}
	buf_add(b, "\"");
}

static const char severity_char[] = {
	[PSW_SEV_INFO] = 'I',
	[PSW_SEV_WARNING] = 'W',
	[PSW_SEV_ERROR] = 'E',
	[PSW_SEV_FATAL] = 'F',
};

static void add_header(struct log_buf *b, enum psw_log_severity sev, int v,
	const char *file, int line, const char *msg)
{
	struct timeval tv;
	struct tm tm;
	const char *base = file ? strrchr(file, '/') : NULL;

	base = base ? base + 1 : (file ? file : "?");
	gettimeofday(&tv, NULL);
	if (log_format == PSW_LOG_JSON) {
		buf_add(b, "{\"ts\":%ld.%06ld,\"caller\":\"%s:%d\",\"v\":%d,",
			(long)tv.tv_sec, (long)tv.tv_usec, base, line, v);
		if (sev != PSW_SEV_INFO)
			buf_add(b, "\"level\":\"%s\",", sev == PSW_SEV_WARNING ? "warning" : "error");
		buf_add(b, "\"msg\":");
		buf_add_quoted(b, msg);
		return;
	}
	localtime_r(&tv.tv_sec, &tm);
	buf_add(b, "%c%02d%02d %02d:%02d:%02d.%06ld %7ld %s:%d] ",
		severity_char[sev], tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		tm.tm_sec, (long)tv.tv_usec, (long)syscall(SYS_gettid), base, line);
	buf_add_quoted(b, msg);
}

static void add_kv(struct log_buf *b, const struct psw_kv *kv)
{
	char num[32];
	const char *str = NULL;

	switch (kv->type) {
	case PSW_KV_STR:
		str = kv->s ? kv->s : "";
		break;
	case PSW_KV_ERR:
		str = strerror((int)(kv->i < 0 ? -kv->i : kv->i));
		break;
	case PSW_KV_INT:
		snprintf(num, sizeof(num), "%lld", (long long)kv->i);
		break;
	case PSW_KV_UINT:
		snprintf(num, sizeof(num), "%llu", (unsigned long long)kv->u);
		break;
	case PSW_KV_NONE:
		return;
	}
	if (log_format == PSW_LOG_JSON) {
		buf_add(b, ",");
		buf_add_quoted(b, kv->key);
		buf_add(b, ":");
	} else {
		buf_add(b, " %s=", kv->key);
	}
	if (str != NULL)
		buf_add_quoted(b, str);
	else
		buf_add(b, "%s", num);
}

static void emit(struct log_buf *b)
{
	ssize_t ret;
	size_t off = 0;

	if (log_format == PSW_LOG_JSON)
		buf_add(b, "}");
	if (b->len >= sizeof(b->data) - 1)
		b->len = sizeof(b->data) - 2;
	b->data[b->len++] = '\n';
	while (off < b->len) {
		ret = write(STDERR_FILENO, b->data + off, b->len - off);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			break;
		off += (size_t)ret;
	}
}

void psw_log_write(enum psw_log_severity sev, int v, const char *file, int line,
	const char *msg, const struct psw_kv *kvs, unsigned n_kvs)
{
	struct log_buf b = {.len = 0};
	int saved = errno;

	add_header(&b, sev, v, file, line, msg);
	for (unsigned i = 0; i < n_kvs; i++)
		add_kv(&b, &kvs[i]);
	emit(&b);
	errno = saved;
}

void psw_log_raw(enum psw_log_severity sev, const char *component, const char *text)
{
	struct log_buf b = {.len = 0};
	struct psw_kv kv = KV_STR("component", component);
	char msg[1024];
	size_t n;

	snprintf(msg, sizeof(msg), "%s", text);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	if (n == 0)
		return;
	add_header(&b, sev, 0, component, 0, msg);
	add_kv(&b, &kv);
	emit(&b);
}

int psw_errno_log(int err, const char *file, int line, const char *msg)
{
	struct psw_kv kv = KV_ERR(err);

	if (err < 0)
		err = -err;
	psw_log_write(PSW_SEV_ERROR, 0, file, line, msg, &kv, 1);
	return -err;
}
