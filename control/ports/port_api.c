// SPDX-License-Identifier: BSD-3-Clause
// The port commands of the control API.
#include "core/api.h"
#include "ports/port_ctl.h"

#include <psw/commands.h>

static json_t *h_add_port(json_t *req, struct api_reply *rep)
{
	int ret = port_add(api_str(req, PSW_KEY_NAME), api_str(req, PSW_KEY_TYPE),
		json_object_get(req, PSW_KEY_OPTIONS), rep->err, sizeof(rep->err));

	if (ret < 0)
		return api_status(rep, ret);
	return json_pack("{s:i}", "ofport", ret);
}

static const struct api_param add_port_params[] = {
	{PSW_KEY_NAME, API_STRING, .required = true},
	{PSW_KEY_TYPE, API_STRING, .required = true},
	{PSW_KEY_OPTIONS, API_OBJECT},
	{NULL},
};
static struct api_command add_port_cmd = {PSW_CMD_ADD_PORT, h_add_port, add_port_params};
API_REGISTER(add_port_cmd)

static json_t *h_del_port(json_t *req, struct api_reply *rep)
{
	return api_status(rep, port_del(api_str(req, PSW_KEY_NAME), rep->err, sizeof(rep->err)));
}

static const struct api_param del_port_params[] = {
	{PSW_KEY_NAME, API_STRING, .required = true},
	{NULL},
};
static struct api_command del_port_cmd = {PSW_CMD_DEL_PORT, h_del_port, del_port_params};
API_REGISTER(del_port_cmd)

static json_t *h_set_port(json_t *req, struct api_reply *rep)
{
	return api_status(rep, port_set(api_str(req, PSW_KEY_NAME),
		json_object_get(req, PSW_KEY_OPTIONS), rep->err, sizeof(rep->err)));
}

static const struct api_param set_port_params[] = {
	{PSW_KEY_NAME, API_STRING, .required = true},
	{PSW_KEY_OPTIONS, API_OBJECT, .required = true},
	{NULL},
};
static struct api_command set_port_cmd = {PSW_CMD_SET_PORT, h_set_port, set_port_params};
API_REGISTER(set_port_cmd)
