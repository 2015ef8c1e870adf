// SPDX-License-Identifier: BSD-3-Clause
#include "core/api.h"
#include "errorf.h"
#include "log.h"

#include <psw/commands.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static struct api_command *commands, **commands_tail = &commands;

void api_register(struct api_command *cmd)
{
	cmd->next = NULL;
	*commands_tail = cmd;
	commands_tail = &cmd->next;
}

const struct api_command *api_commands(void)
{
	return commands;
}

void *api_fail(struct api_reply *rep, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rep->err, sizeof(rep->err), fmt, ap);
	va_end(ap);
	rep->status = status < 0 ? status : -status;
	return NULL;
}

json_t *api_status(struct api_reply *rep, int ret)
{
	if (ret < 0) {
		rep->status = ret;
		return NULL;
	}
	return json_object();
}

const char *api_str(const json_t *req, const char *key)
{
	return json_string_value(json_object_get(req, key));
}

int64_t api_int(const json_t *req, const char *key, int64_t def)
{
	const json_t *v = json_object_get(req, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

bool api_bool(const json_t *req, const char *key)
{
	return json_is_true(json_object_get(req, key));
}

static const char *const type_names[] = {
	[API_STRING] = "a string",
	[API_INT] = "an integer",
	[API_BOOL] = "true or false",
	[API_OBJECT] = "an object",
	[API_ARRAY] = "an array",
	[API_STRINGS] = "an array of strings",
};

static bool has_type(const json_t *v, enum api_type t)
{
	size_t i;
	json_t *e;

	switch (t) {
	case API_STRING:
		return json_is_string(v);
	case API_INT:
		return json_is_integer(v);
	case API_BOOL:
		return json_is_boolean(v);
	case API_OBJECT:
		return json_is_object(v);
	case API_ARRAY:
		return json_is_array(v);
	case API_STRINGS:
		if (!json_is_array(v))
			return false;
		json_array_foreach(v, i, e)
			if (!json_is_string(e))
				return false;
		return true;
	}
	return false;
}

// Every field of the request is one the command takes, of its type and
// range; every required one is there. A wrong type is an error, never a
// default.
static int check_fields(const struct api_command *cmd, const json_t *req, struct api_reply *rep)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)req, key, v) {
		const struct api_param *p = cmd->params;

		if (strcmp(key, PSW_KEY_COMMAND) == 0)
			continue;
		while (p != NULL && p->key != NULL && strcmp(p->key, key) != 0)
			p++;
		if (p == NULL || p->key == NULL) {
			api_fail(rep, -EINVAL, "'%s' takes no field '%.64s'", cmd->name, key);
			return rep->status;
		}
		if (!has_type(v, p->type)) {
			api_fail(rep, -EINVAL, "'%s': field '%s' must be %s", cmd->name, key,
				type_names[p->type]);
			return rep->status;
		}
		if (p->type == API_INT && (p->min != 0 || p->max != 0) &&
		    (json_integer_value(v) < p->min || json_integer_value(v) > p->max)) {
			api_fail(rep, -EINVAL, "'%s': field '%s' must be %lld to %lld, not %lld",
				cmd->name, key, (long long)p->min, (long long)p->max,
				(long long)json_integer_value(v));
			return rep->status;
		}
	}
	for (const struct api_param *p = cmd->params; p != NULL && p->key != NULL; p++) {
		if (p->required && json_object_get(req, p->key) == NULL) {
			api_fail(rep, -EINVAL, "'%s' needs field '%s'", cmd->name, p->key);
			return rep->status;
		}
	}
	return 0;
}

int api_check(const json_t *req, char *err, size_t elen)
{
	const char *name = api_str(req, PSW_KEY_COMMAND);
	struct api_reply rep = {.status = 0, .err = ""};
	const struct api_command *cmd = commands;

	while (name != NULL && cmd != NULL && strcmp(cmd->name, name) != 0)
		cmd = cmd->next;
	if (name == NULL || cmd == NULL)
		return psw_errorf(err, elen, -EINVAL, "no such command");
	if (check_fields(cmd, req, &rep) < 0) {
		snprintf(err, elen, "%s", rep.err);
		return rep.status;
	}
	return 0;
}

json_t *api_dispatch(json_t *req, struct api_stream *stream, bool *exit_after)
{
	const char *name = api_str(req, PSW_KEY_COMMAND);
	struct api_reply rep = {.status = 0, .err = ""};
	const struct api_command *cmd = commands;
	json_t *result = NULL;

	*exit_after = false;
	stream->next = NULL;
	if (name == NULL) {
		api_fail(&rep, -EINVAL, "a request needs a \"command\" string");
		goto out;
	}
	while (cmd != NULL && strcmp(cmd->name, name) != 0)
		cmd = cmd->next;
	if (cmd == NULL) {
		api_fail(&rep, -EOPNOTSUPP, "unknown command '%.64s'", name);
		goto out;
	}
	if (check_fields(cmd, req, &rep) < 0)
		goto out;
	result = cmd->fn(req, &rep);
	if (rep.status < 0) {
		json_decref(result);
		result = NULL;
		if (rep.stream.next != NULL)
			rep.stream.done(rep.stream.arg);
		LOG_INFO(1, "request failed", KV_STR("command", name), KV_STR("err", rep.err));
	} else if (rep.stream.next != NULL) {
		json_decref(result);
		*stream = rep.stream;
		*exit_after = rep.exit_after;
		LOG_INFO(4, "request streamed", KV_STR("command", name));
		return json_pack("{s:i}", "status", 0);
	} else if (result == NULL) {
		api_fail(&rep, -ENOMEM, "out of memory");
	} else {
		*exit_after = rep.exit_after;
		LOG_INFO(4, "request done", KV_STR("command", name));
	}
out:
	if (rep.status < 0)
		return json_pack("{s:i,s:s}", "status", rep.status, "error", rep.err);
	return json_pack("{s:i,s:o}", "status", 0, "result", result);
}
