// SPDX-License-Identifier: BSD-3-Clause
// The port set across restarts: RUN_DIR/ports.json, written after every
// change, read at start.
#include "core/state_file.h"
#include "log.h"
#include "ports/pending_del.h"
#include "ports/port_ctl.h"
#include "ports/port_kind.h"

#include <psw/commands.h>

#include <stdio.h>
#include <string.h>

#define PORTS_FILE "ports.json"

// While ports come back from the file, the file is not written again.
static bool restoring;

void port_save(void)
{
	const struct port_table *t = dp_view()->ports;
	json_t *arr = json_array();

	if (restoring || arr == NULL) {
		json_decref(arr);
		return;
	}
	for (uint32_t i = 0; t != NULL && i < t->n; i++) {
		struct psw_port *p = t->by_ofport[t->ofports[i]];
		struct port_ctl *c = p->ctl;
		json_t *o = json_deep_copy(c->options);

		json_object_set_new(o, PSW_OPT_OFPORT, json_integer(p->ofport));
		json_array_append_new(arr, json_pack("{s:s,s:s,s:o}", PSW_KEY_NAME, p->name,
			PSW_KEY_TYPE, c->kind->type, PSW_KEY_OPTIONS, o));
	}
	if (state_write(PORTS_FILE, arr) == 0)
		LOG_INFO(3, "port set saved", KV_STR("file", PORTS_FILE));
	json_decref(arr);
}

// Why entry 'o' of the file cannot be a port, or NULL.
static const char *entry_problem(const json_t *o, char *buf, size_t len)
{
	const json_t *opts = json_object_get(o, PSW_KEY_OPTIONS);
	const char *name = json_string_value(json_object_get(o, PSW_KEY_NAME));

	if (!json_is_object(o))
		return "an entry is not an object";
	if (name == NULL || !json_is_string(json_object_get(o, PSW_KEY_TYPE)))
		return "an entry has no name or type";
	if (opts != NULL && !json_is_object(opts))
		return "an entry's options are not an object";
	if (port_name_check(name, buf, len) < 0)
		return buf;
	return NULL;
}

void port_restore(void)
{
	char err[256], why[300];
	bool absent, bad = false;
	json_t *arr, *o;
	size_t i;

	arr = state_read(PORTS_FILE, &absent);
	if (arr == NULL)
		return;
	if (!json_is_array(arr)) {
		state_keep_aside(PORTS_FILE, "it holds no list of ports");
		json_decref(arr);
		return;
	}
	restoring = true;
	json_array_foreach(arr, i, o) {
		const char *name = json_string_value(json_object_get(o, PSW_KEY_NAME));
		const char *problem = entry_problem(o, err, sizeof(err));

		if (problem != NULL) {
			LOG_ERR("saved port cannot be restored", KV_STR("file", PORTS_FILE),
				KV_INT("entry", i + 1), KV_STR("err", problem));
			if (!bad)
				snprintf(why, sizeof(why), "entry %zu: %s", i + 1, problem);
			bad = true;
			continue;
		}
		if (pending_del_has(name)) {
			LOG_INFO(0, "not restoring port: its deletion is pending", KV_STR("port", name));
			continue;
		}
		if (port_add(name, json_string_value(json_object_get(o, PSW_KEY_TYPE)),
			    json_object_get(o, PSW_KEY_OPTIONS), err, sizeof(err)) < 0)
			LOG_ERR("cannot restore port", KV_STR("port", name), KV_STR("err", err));
	}
	restoring = false;
	// what could not be read stays for an operator to see
	if (bad)
		state_keep_aside(PORTS_FILE, why);
	json_decref(arr);
	port_save();
}
