// SPDX-License-Identifier: BSD-3-Clause
// Logging in Kubernetes' formats: klog text by default, JSON on request.
//
//   LOG_INFO(0, "port added", KV_STR("port", name), KV_INT("ofport", n));
//   -> I1129 00:15:15.525108   1234 port.c:79] "port added" port="pod1" ofport=3
//
// Thread-safety: any thread may log; each record is written with one write(2).
// The datapath never logs per packet.
#pragma once

#include <stdbool.h>
#include <stdint.h>

enum psw_log_format {
	PSW_LOG_TEXT,
	PSW_LOG_JSON,
};

enum psw_log_severity {
	PSW_SEV_INFO,
	PSW_SEV_WARNING,
	PSW_SEV_ERROR,
	PSW_SEV_FATAL,
};

enum psw_kv_type {
	PSW_KV_NONE,
	PSW_KV_STR,
	PSW_KV_INT,
	PSW_KV_UINT,
	PSW_KV_ERR,
};

struct psw_kv {
	const char *key;
	enum psw_kv_type type;
	const char *s;
	int64_t i;
	uint64_t u;
};

#define KV_STR(k, v) ((struct psw_kv){.key = (k), .type = PSW_KV_STR, .s = (v)})
#define KV_INT(k, v) ((struct psw_kv){.key = (k), .type = PSW_KV_INT, .i = (int64_t)(v)})
#define KV_UINT(k, v) ((struct psw_kv){.key = (k), .type = PSW_KV_UINT, .u = (uint64_t)(v)})
// 'e' is a positive or negative errno value.
#define KV_ERR(e) ((struct psw_kv){.key = "err", .type = PSW_KV_ERR, .i = (int64_t)(e)})

// Sets the output format and the verbosity: info messages of level 'v' are
// written only when 'v' <= the verbosity. Call before threads start.
void psw_log_setup(enum psw_log_format format, int verbosity, const char *program);
int psw_log_verbosity(void);
bool psw_log_enabled(int v);

void psw_log_write(enum psw_log_severity sev, int v, const char *file, int line,
	const char *msg, const struct psw_kv *kvs, unsigned n_kvs);

// Writes one already formatted message (EAL and driver messages) as a record.
void psw_log_raw(enum psw_log_severity sev, const char *component, const char *text);

#define PSW_LOG_(sev, v, msg, ...) do { \
	if ((sev) != PSW_SEV_INFO || psw_log_enabled(v)) { \
		const struct psw_kv kvs_[] = { {NULL, PSW_KV_NONE, NULL, 0, 0}, ##__VA_ARGS__ }; \
		psw_log_write((sev), (v), __FILE__, __LINE__, (msg), kvs_ + 1, \
			sizeof(kvs_) / sizeof(kvs_[0]) - 1); \
	} \
} while (0)

#define LOG_INFO(v, msg, ...) PSW_LOG_(PSW_SEV_INFO, (v), msg, ##__VA_ARGS__)
#define LOG_WARN(msg, ...) PSW_LOG_(PSW_SEV_WARNING, 0, msg, ##__VA_ARGS__)
#define LOG_ERR(msg, ...) PSW_LOG_(PSW_SEV_ERROR, 0, msg, ##__VA_ARGS__)

// Logs 'msg' with 'err' and evaluates to -|err|: `return errno_log(ret, "x");`
int psw_errno_log(int err, const char *file, int line, const char *msg);
#define errno_log(err, msg) psw_errno_log((err), __FILE__, __LINE__, (msg))
