// SPDX-License-Identifier: BSD-3-Clause
// The flow commands of the control API: add, replace, modify, delete, dump
// (streamed as the client reads it) and trace.
#include "core/api.h"
#include "core/publish.h"
#include "flows/flow_parse.h"
#include "flows/flow_table.h"
#include "flows/trace.h"
#include "log.h"
#include "pmd.h"
#include "ports/port_ctl.h"

#include <psw/commands.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

static json_t *h_add_flows(json_t *req, struct api_reply *rep)
{
	json_t *one = json_object_get(req, PSW_KEY_FLOW), *many = json_object_get(req, PSW_KEY_FLOWS);
	bool replace = api_bool(req, PSW_KEY_REPLACE);
	struct flow_spec *specs;
	unsigned n = 0;
	json_t *list;
	int ret;

	if ((one == NULL) == (many == NULL))
		return api_fail(rep, -EINVAL, "give either \"flow\" or \"flows\"");
	list = one ? json_pack("[O]", one) : json_incref(many);
	if (list == NULL)
		return api_fail(rep, -ENOMEM, "out of memory");
	ret = flow_parse_list(list, FLOW_PARSE_ADD, port_resolve, false, "flow", &specs, &n,
		rep->err, sizeof(rep->err));
	json_decref(list);
	if (ret < 0)
		return api_status(rep, ret);
	if (replace)
		ret = flow_table_replace(specs, n, rep->err, sizeof(rep->err));
	else
		ret = flow_table_add(specs, n, rep->err, sizeof(rep->err));
	free(specs);
	if (ret < 0)
		return api_status(rep, ret);
	LOG_INFO(2, replace ? "flows replaced" : "flows added", KV_INT("count", n),
		KV_INT("pipeline_version", dp_published()->pipeline->version));
	return json_pack("{s:i,s:i}", "added", n, "flows", flow_table_count());
}

static const struct api_param add_flow_params[] = {
	{PSW_KEY_FLOW, API_STRING},
	{PSW_KEY_FLOWS, API_STRINGS},
	{PSW_KEY_REPLACE, API_BOOL},
	{NULL},
};
static struct api_command add_flow_cmd = {PSW_CMD_ADD_FLOW, h_add_flows, add_flow_params};
static struct api_command add_flows_cmd = {PSW_CMD_ADD_FLOWS, h_add_flows, add_flow_params};
API_REGISTER(add_flow_cmd)
API_REGISTER(add_flows_cmd)

// A filter from "match" (absent: every flow).
static int parse_filter(const json_t *req, struct flow_spec *filter, struct api_reply *rep)
{
	const char *m = api_str(req, PSW_KEY_MATCH);
	int ret;

	memset(filter, 0, sizeof(*filter));
	if (m == NULL)
		return 0;
	ret = flow_parse(m, FLOW_PARSE_FILTER, port_resolve, filter, rep->err, sizeof(rep->err));
	if (ret < 0)
		rep->status = ret;
	return ret;
}

static json_t *h_del_flows(json_t *req, struct api_reply *rep)
{
	struct flow_spec filter;
	int ret;

	if (parse_filter(req, &filter, rep) < 0)
		return NULL;
	ret = flow_table_del(&filter, api_bool(req, PSW_KEY_STRICT));
	if (ret < 0)
		return api_fail(rep, ret, "cannot delete flows: %s", strerror(-ret));
	return json_pack("{s:i,s:i}", "deleted", ret, "flows", flow_table_count());
}

static const struct api_param del_flows_params[] = {
	{PSW_KEY_MATCH, API_STRING},
	{PSW_KEY_STRICT, API_BOOL},
	{NULL},
};
static struct api_command del_flows_cmd = {PSW_CMD_DEL_FLOWS, h_del_flows, del_flows_params};
API_REGISTER(del_flows_cmd)

static json_t *h_mod_flows(json_t *req, struct api_reply *rep)
{
	struct flow_spec spec;
	int ret;

	ret = flow_parse(api_str(req, PSW_KEY_FLOW), FLOW_PARSE_ADD, port_resolve, &spec, rep->err,
		sizeof(rep->err));
	if (ret < 0)
		return api_status(rep, ret);
	ret = flow_table_mod(&spec, api_bool(req, PSW_KEY_STRICT), rep->err, sizeof(rep->err));
	if (ret < 0)
		return api_status(rep, ret);
	LOG_INFO(2, "flows modified", KV_INT("count", ret),
		KV_INT("pipeline_version", dp_published()->pipeline->version));
	return json_pack("{s:i,s:i}", "modified", ret, "flows", flow_table_count());
}

static const struct api_param mod_flows_params[] = {
	{PSW_KEY_FLOW, API_STRING, .required = true},
	{PSW_KEY_STRICT, API_BOOL},
	{NULL},
};
static struct api_command mod_flows_cmd = {PSW_CMD_MOD_FLOWS, h_mod_flows, mod_flows_params};
API_REGISTER(mod_flows_cmd)

// dump-flows, streamed: "[", the flows comma-separated, "]".
struct dump_stream {
	struct flow_dump *dump;
	bool started;
	uint64_t written;
};

static bool dump_next(void *arg, struct evbuffer *out, size_t want)
{
	struct dump_stream *ds = arg;
	const struct psw_flow *f;

	if (!ds->started) {
		evbuffer_add(out, "[", 1);
		ds->started = true;
	}
	while (evbuffer_get_length(out) < want) {
		json_t *item;
		char *text;

		f = flow_dump_next(ds->dump);
		if (f == NULL) {
			evbuffer_add(out, "]", 1);
			return false;
		}
		item = flow_dump_item(f);
		text = item ? json_dumps(item, JSON_COMPACT) : NULL;
		json_decref(item);
		if (text == NULL)
			continue; // out of memory: this flow is left out rather than the reply cut
		if (ds->written++ > 0)
			evbuffer_add(out, ",", 1);
		evbuffer_add(out, text, strlen(text));
		free(text);
	}
	return true;
}

static void dump_done(void *arg)
{
	struct dump_stream *ds = arg;

	flow_dump_end(ds->dump);
	free(ds);
}

static json_t *h_dump_flows(json_t *req, struct api_reply *rep)
{
	struct flow_spec filter;
	struct dump_stream *ds;

	if (parse_filter(req, &filter, rep) < 0)
		return NULL;
	ds = calloc(1, sizeof(*ds));
	if (ds != NULL)
		ds->dump = flow_dump_start(api_str(req, PSW_KEY_MATCH) ? &filter : NULL);
	if (ds == NULL || ds->dump == NULL) {
		free(ds);
		return api_fail(rep, -ENOMEM, "out of memory");
	}
	rep->stream = (struct api_stream){.next = dump_next, .done = dump_done, .arg = ds};
	return NULL;
}

static const struct api_param dump_flows_params[] = {
	{PSW_KEY_MATCH, API_STRING},
	{NULL},
};
static struct api_command dump_flows_cmd = {PSW_CMD_DUMP_FLOWS, h_dump_flows, dump_flows_params};
API_REGISTER(dump_flows_cmd)

static json_t *h_trace(json_t *req, struct api_reply *rep)
{
	struct flow_spec sp;
	json_t *r;
	int ret;

	ret = flow_parse(api_str(req, PSW_KEY_PACKET), FLOW_PARSE_PACKET, port_resolve, &sp,
		rep->err, sizeof(rep->err));
	if (ret < 0)
		return api_status(rep, ret);
	if (sp.match.in_port == 0)
		return api_fail(rep, -EINVAL, "a traced packet needs in_port=");
	r = trace_packet(&sp.match, &sp.mask, rep->err, sizeof(rep->err));
	if (r == NULL)
		rep->status = -EINVAL;
	return r;
}

static const struct api_param trace_params[] = {
	{PSW_KEY_PACKET, API_STRING, .required = true},
	{NULL},
};
static struct api_command trace_cmd = {PSW_CMD_TRACE, h_trace, trace_params};
API_REGISTER(trace_cmd)
