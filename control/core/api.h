// SPDX-License-Identifier: BSD-3-Clause
// The control API (include/psw/ctl.h): a registry of commands, each with the
// fields it takes and their types, and the dispatch that checks a request
// against them before its handler sees it. Subsystems register their own
// commands (API_REGISTER, at load time); the server (api_server.c) frames
// requests and replies on the control socket. Control thread only.
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// The types a request field may have. API_STRINGS: an array of strings.
enum api_type {
	API_STRING,
	API_INT,
	API_BOOL,
	API_OBJECT,
	API_ARRAY,
	API_STRINGS,
};

struct api_param {
	const char *key;
	enum api_type type;
	bool required;
	int64_t min, max; // API_INT's range (both 0: any)
};

// A reply produced piece by piece as the client reads it: 'next' appends the
// result's next items to 'out' (text, commas included) until 'out' holds
// about 'want' bytes, and returns true while more is to come. 'done' frees
// what the stream holds, finished or not.
struct evbuffer;
struct api_stream {
	bool (*next)(void *arg, struct evbuffer *out, size_t want);
	void (*done)(void *arg);
	void *arg;
};

// What a handler answers besides its result: a status (0 or -errno) with a
// sentence, a stream in place of a result, or a wish to stop the daemon once
// the reply is sent.
struct api_reply {
	int status;
	char err[512];
	struct api_stream stream; // next != NULL: the result is streamed
	bool exit_after;
};

typedef json_t *(*api_handler_fn_t)(json_t *req, struct api_reply *rep);

struct api_command {
	const char *name;
	api_handler_fn_t fn;
	const struct api_param *params; // ends with a NULL key; NULL: none
	// Reads nothing of the request besides its fields: fine to run while a
	// flow dump of the same client streams (none do today)
	struct api_command *next;
};

// Adds 'cmd' to the registry. Called at load time, through API_REGISTER.
void api_register(struct api_command *cmd);

#define API_REGISTER(cmd) \
	__attribute__((constructor)) static void api_register_##cmd(void) \
	{ \
		api_register(&(cmd)); \
	}

// Sets the reply's error and returns NULL: `return api_fail(rep, -EINVAL, ...)`.
void *api_fail(struct api_reply *rep, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
// For handlers whose helpers return -errno with 'rep->err' filled: NULL on
// failure, an empty object on success.
json_t *api_status(struct api_reply *rep, int ret);

// The fields of a checked request: present and of the declared type, or
// absent (NULL, 'def').
const char *api_str(const json_t *req, const char *key);
int64_t api_int(const json_t *req, const char *key, int64_t def);
bool api_bool(const json_t *req, const char *key);

// Checks 'req' against its command's fields and runs the handler. Returns
// the reply object ({"status": 0, "result": ...} or {"status": -E, "error":
// ...}); with a stream, the reply's "result" is absent and '*stream' set.
// '*exit_after' says the daemon stops once this reply is sent.
json_t *api_dispatch(json_t *req, struct api_stream *stream, bool *exit_after);

// Checks 'req' as api_dispatch does, without running any handler: 0 when
// one would run, else -errno with the sentence in 'err'.
int api_check(const json_t *req, char *err, size_t elen);

// The registered commands' names, in registration order (for tests).
const struct api_command *api_commands(void);
