// SPDX-License-Identifier: BSD-3-Clause
#include "l2/mirror_ctl.h"
#include "errorf.h"
#include "log.h"
#include "core/api.h"
#include "core/events.h"
#include "mirror.h"
#include "ports/port_ctl.h"

#include <psw/commands.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MIRRORS 16
#define MIRROR_NAME_MAX 64

struct mirror {
	char name[MIRROR_NAME_MAX];
	uint16_t output;
	bool src[PSW_MAX_PORTS];
	bool dst[PSW_MAX_PORTS];
};

static struct mirror *mirrors[MAX_MIRRORS];

static struct mirror *find(const char *name)
{
	for (unsigned i = 0; i < MAX_MIRRORS; i++)
		if (mirrors[i] != NULL && strcmp(mirrors[i]->name, name) == 0)
			return mirrors[i];
	return NULL;
}

static bool is_output(uint16_t ofport)
{
	for (unsigned i = 0; i < MAX_MIRRORS; i++)
		if (mirrors[i] != NULL && mirrors[i]->output == ofport)
			return true;
	return false;
}

// The mirrors as they were before the open transaction changed them, to
// put back if it is aborted; NULL when it has changed none.
static struct mirror **before;

static void before_drop(void *arg)
{
	(void)arg;
	for (unsigned i = 0; before != NULL && i < MAX_MIRRORS; i++)
		free(before[i]);
	free(before);
	before = NULL;
}

static void before_restore(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < MAX_MIRRORS; i++) {
		free(mirrors[i]);
		mirrors[i] = before[i];
	}
	free(before);
	before = NULL;
}

// Keeps a copy of the mirrors the first time 't' changes them. Returns 0 or
// -ENOMEM.
static int keep_before(struct dp_txn *t)
{
	if (before != NULL)
		return 0;
	before = calloc(MAX_MIRRORS, sizeof(*before));
	if (before == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < MAX_MIRRORS; i++) {
		if (mirrors[i] == NULL)
			continue;
		before[i] = malloc(sizeof(**before));
		if (before[i] == NULL)
			goto fail;
		*before[i] = *mirrors[i];
	}
	if (txn_after_commit(t, before_drop, NULL) < 0 || txn_on_abort(t, before_restore, NULL) < 0)
		goto fail;
	return 0;
fail:
	before_drop(NULL);
	return -ENOMEM;
}

// Stages, in 't', the map the PMDs read built from the mirrors, and marks
// the outputs.
static int publish(struct dp_txn *t)
{
	struct psw_mirror_map *map = NULL;
	const struct port_table *pt = dp_view()->ports;
	bool any = false;

	for (unsigned i = 0; i < MAX_MIRRORS; i++)
		any |= mirrors[i] != NULL;
	if (any) {
		map = calloc(1, sizeof(*map));
		if (map == NULL)
			return -ENOMEM;
		for (unsigned i = 0; i < MAX_MIRRORS; i++) {
			const struct mirror *m = mirrors[i];

			for (unsigned p = 0; m != NULL && p < PSW_MAX_PORTS; p++) {
				if (m->src[p])
					map->rx_out[p] = m->output;
				if (m->dst[p])
					map->tx_out[p] = m->output;
			}
		}
	}
	for (uint32_t i = 0; pt != NULL && i < pt->n; i++) {
		struct psw_port *p = pt->by_ofport[pt->ofports[i]];

		p->mirror_output = is_output(p->ofport);
	}
	txn_set_mirrors(t, map);
	return 0;
}

// One change of the mirrors, published alone.
static int publish_alone(void)
{
	struct dp_txn *t = txn_begin();
	int ret = publish(t);

	if (ret < 0) {
		txn_abort(t);
		return ret;
	}
	return txn_commit(t);
}

void mirror_map_free(struct psw_mirror_map *map)
{
	free(map);
}

// Marks the ports of 'list' in 'sel'. Returns 0 or -errno with 'err'.
static int select_ports(json_t *list, const char *what, bool *sel, uint16_t output, char *err,
	size_t elen)
{
	size_t i;
	json_t *v;

	if (list == NULL)
		return 0;
	if (!json_is_array(list))
		return psw_errorf(err, elen, -EINVAL, "%s must be a list of port names", what);
	json_array_foreach(list, i, v) {
		const char *name = json_string_value(v);
		struct psw_port *p = name ? port_by_name(name) : NULL;

		if (p == NULL)
			return psw_errorf(err, elen, -ENOENT, "%s: no port '%s'", what,
				name ? name : "(not a name)");
		if (p->ofport == output)
			return psw_errorf(err, elen, -EINVAL,
				"port '%s' is the mirror's output: it cannot be mirrored too", name);
		if (is_output(p->ofport))
			return psw_errorf(err, elen, -EINVAL,
				"port '%s' is another mirror's output: it cannot be mirrored", name);
		sel[p->ofport] = true;
	}
	return 0;
}

int mirror_add(const char *name, json_t *src, json_t *dst, const char *output, char *err,
	size_t elen)
{
	struct psw_port *out = output ? port_by_name(output) : NULL;
	struct mirror *m;
	unsigned slot, n_sel = 0;
	int ret;

	if (name == NULL || name[0] == '\0' || strlen(name) >= MIRROR_NAME_MAX)
		return psw_errorf(err, elen, -EINVAL, "a mirror needs a name of 1 to %d characters",
			MIRROR_NAME_MAX - 1);
	if (find(name) != NULL)
		return psw_errorf(err, elen, -EEXIST, "mirror '%s' exists", name);
	if (out == NULL)
		return psw_errorf(err, elen, -ENOENT, "the mirror's output: no port '%s'",
			output ? output : "");
	for (slot = 0; slot < MAX_MIRRORS && mirrors[slot] != NULL; slot++)
		;
	if (slot == MAX_MIRRORS)
		return psw_errorf(err, elen, -ENOSPC, "too many mirrors (%d)", MAX_MIRRORS);
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return psw_errorf(err, elen, -ENOMEM, "out of memory");
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->output = out->ofport;
	if ((ret = select_ports(src, "select_src", m->src, m->output, err, elen)) < 0 ||
	    (ret = select_ports(dst, "select_dst", m->dst, m->output, err, elen)) < 0)
		goto fail;
	for (unsigned p = 0; p < PSW_MAX_PORTS; p++) {
		for (unsigned i = 0; i < MAX_MIRRORS; i++) {
			const struct mirror *o = mirrors[i];

			if (o == NULL)
				continue;
			if ((m->src[p] && o->src[p]) || (m->dst[p] && o->dst[p])) {
				ret = psw_errorf(err, elen, -EEXIST, "port '%s' is mirrored by '%s' already",
					port_name_of((uint16_t)p), o->name);
				goto fail;
			}
			if ((o->src[p] || o->dst[p]) && p == m->output) {
				ret = psw_errorf(err, elen, -EINVAL, "port '%s' is mirrored by '%s': "
					"it cannot be an output", output, o->name);
				goto fail;
			}
		}
		n_sel += m->src[p] + m->dst[p];
	}
	if (n_sel == 0) {
		ret = psw_errorf(err, elen, -EINVAL, "a mirror needs select_src or select_dst ports");
		goto fail;
	}
	mirrors[slot] = m;
	ret = publish_alone();
	if (ret < 0) {
		mirrors[slot] = NULL;
		psw_errorf(err, elen, ret, "out of memory");
		goto fail;
	}
	LOG_INFO(0, "mirror added", KV_STR("mirror", name), KV_STR("output", output));
	return 0;
fail:
	free(m);
	return ret;
}

int mirror_del(const char *name, char *err, size_t elen)
{
	struct mirror *m = name ? find(name) : NULL;

	if (m == NULL)
		return psw_errorf(err, elen, -ENOENT, "no mirror '%s'", name ? name : "");
	for (unsigned i = 0; i < MAX_MIRRORS; i++)
		if (mirrors[i] == m)
			mirrors[i] = NULL;
	if (publish_alone() < 0)
		LOG_ERR("mirror removed, but its copies go on: out of memory", KV_STR("mirror", m->name));
	LOG_INFO(0, "mirror removed", KV_STR("mirror", m->name));
	free(m);
	return 0;
}

// A port that goes stops being mirrored; a mirror whose output it is goes
// with it, in the port's transaction.
static int on_port_removed(enum psw_event ev, void *obj, struct dp_txn *t, char *err,
	size_t elen)
{
	const struct psw_port *port = obj;
	uint16_t ofport = port->ofport;
	bool changed = false;

	(void)ev;
	for (unsigned i = 0; i < MAX_MIRRORS; i++)
		changed |= mirrors[i] != NULL && (mirrors[i]->output == ofport ||
			mirrors[i]->src[ofport] || mirrors[i]->dst[ofport]);
	if (!changed)
		return 0;
	if (keep_before(t) < 0)
		return psw_errorf(err, elen, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < MAX_MIRRORS; i++) {
		struct mirror *m = mirrors[i];

		if (m == NULL)
			continue;
		if (m->output == ofport) {
			LOG_INFO(0, "mirror removed with its output port", KV_STR("mirror", m->name));
			mirrors[i] = NULL;
			free(m);
			continue;
		}
		m->src[ofport] = m->dst[ofport] = false;
	}
	if (publish(t) < 0)
		return psw_errorf(err, elen, -ENOMEM, "out of memory");
	return 0;
}

EVENT_SUBSCRIBE(PSW_EV_PORT_REMOVED, on_port_removed)

static json_t *names(const bool *sel)
{
	json_t *a = json_array();

	for (unsigned p = 0; p < PSW_MAX_PORTS; p++)
		if (sel[p] && port_name_of((uint16_t)p) != NULL)
			json_array_append_new(a, json_string(port_name_of((uint16_t)p)));
	return a;
}

json_t *mirror_show(void)
{
	json_t *arr = json_array();

	for (unsigned i = 0; i < MAX_MIRRORS; i++) {
		const struct mirror *m = mirrors[i];

		if (m != NULL)
			json_array_append_new(arr, json_pack("{s:s,s:o,s:o,s:s}", "name", m->name,
				"select_src", names(m->src), "select_dst", names(m->dst), "output",
				port_name_of(m->output) ? port_name_of(m->output) : ""));
	}
	return arr;
}

void mirror_fini(void)
{
	for (unsigned i = 0; i < MAX_MIRRORS; i++) {
		free(mirrors[i]);
		mirrors[i] = NULL;
	}
}

static json_t *h_add_mirror(json_t *req, struct api_reply *rep)
{
	return api_status(rep, mirror_add(api_str(req, PSW_KEY_NAME),
		json_object_get(req, PSW_KEY_SELECT_SRC), json_object_get(req, PSW_KEY_SELECT_DST),
		api_str(req, PSW_KEY_OUTPUT), rep->err, sizeof(rep->err)));
}

static const struct api_param add_mirror_params[] = {
	{PSW_KEY_NAME, API_STRING, .required = true},
	{PSW_KEY_OUTPUT, API_STRING, .required = true},
	{PSW_KEY_SELECT_SRC, API_STRINGS},
	{PSW_KEY_SELECT_DST, API_STRINGS},
	{NULL},
};
static struct api_command add_mirror_cmd = {PSW_CMD_ADD_MIRROR, h_add_mirror, add_mirror_params};
API_REGISTER(add_mirror_cmd)

static json_t *h_del_mirror(json_t *req, struct api_reply *rep)
{
	return api_status(rep, mirror_del(api_str(req, PSW_KEY_NAME), rep->err, sizeof(rep->err)));
}

static const struct api_param del_mirror_params[] = {
	{PSW_KEY_NAME, API_STRING, .required = true},
	{NULL},
};
static struct api_command del_mirror_cmd = {PSW_CMD_DEL_MIRROR, h_del_mirror, del_mirror_params};
API_REGISTER(del_mirror_cmd)
