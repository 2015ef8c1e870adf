// SPDX-License-Identifier: BSD-3-Clause
// The daemon's own commands: version, show (everything at a glance) and
// shutdown. Above the subjects: it reads them all.
#include "core/api.h"
#include "flows/flow_table.h"
#include "l2/mirror_ctl.h"
#include "pmd.h"
#include "pmds/pmd_ctl.h"
#include "ports/port_ctl.h"

#include <psw/commands.h>

static json_t *h_version(json_t *req, struct api_reply *rep)
{
	(void)req;
	(void)rep;
	return json_pack("{s:s}", "version", PSW_VERSION);
}

static struct api_command version_cmd = {PSW_CMD_VERSION, h_version, NULL};
API_REGISTER(version_cmd)

static json_t *h_show(json_t *req, struct api_reply *rep)
{
	json_t *cores = json_array();

	(void)req;
	(void)rep;
	for (unsigned i = 0; i < pmd_ctl_count(); i++)
		json_array_append_new(cores, json_integer(pmd_ctl_get(i)->core));
	return json_pack("{s:s,s:o,s:o,s:o,s:i,s:i,s:I}", "version", PSW_VERSION, "ports", port_show(),
		"mirrors", mirror_show(), "pmd_cores", cores, "flows", flow_table_count(),
		"pipeline_version", dp_published()->pipeline->version,
		"generation", (json_int_t)dp_generation());
}

static struct api_command show_cmd = {PSW_CMD_SHOW, h_show, NULL};
API_REGISTER(show_cmd)

static json_t *h_shutdown(json_t *req, struct api_reply *rep)
{
	(void)req;
	rep->exit_after = true;
	return json_object();
}

static struct api_command shutdown_cmd = {PSW_CMD_SHUTDOWN, h_shutdown, NULL};
API_REGISTER(shutdown_cmd)
