// SPDX-License-Identifier: BSD-3-Clause
#include "ports/pending_del.h"
#include "log.h"
#include "ports/port_ctl.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char pending_dir[PATH_MAX];

void pending_del_init(const char *control_socket)
{
	const char *slash = strrchr(control_socket, '/');
	int n = slash ? (int)(slash - control_socket) : 1;

	snprintf(pending_dir, sizeof(pending_dir), "%.*s/%s", n, slash ? control_socket : ".",
		PSW_CTL_PENDING_DEL_DIR);
}

bool pending_del_has(const char *name)
{
	char path[PATH_MAX + PSW_PORT_NAME_MAX + 2];

	if (pending_dir[0] == '\0' || name == NULL || strchr(name, '/') != NULL)
		return false;
	snprintf(path, sizeof(path), "%s/%s", pending_dir, name);
	return access(path, F_OK) == 0;
}

unsigned pending_del_run(void)
{
	char path[PATH_MAX + 300], err[256];
	struct dirent *de;
	unsigned n = 0;
	DIR *d;

	if (pending_dir[0] == '\0' || (d = opendir(pending_dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		// the file is removed first: a port of that name added again later
		// (a new pod) must not be taken by an old request
		snprintf(path, sizeof(path), "%s/%s", pending_dir, de->d_name);
		if (unlink(path) < 0)
			continue;
		n++;
		if (port_by_name(de->d_name) == NULL) {
			LOG_INFO(2, "pending port deletion: already gone", KV_STR("port", de->d_name));
			continue;
		}
		if (port_del(de->d_name, err, sizeof(err)) < 0)
			LOG_WARN("pending port deletion failed", KV_STR("port", de->d_name),
				KV_STR("err", err));
		else
			LOG_INFO(0, "pending port deletion done", KV_STR("port", de->d_name));
	}
	closedir(d);
	return n;
}
