// SPDX-License-Identifier: BSD-3-Clause
#include "switch.h"
#include "psw/commands.h"
#include "psw/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sw_connect(struct sw_conn *c, const struct cni_conf *conf, struct cni_error *e)
{
	int fd = ctl_connect(conf->socket);

	ctl_reader_init(&c->reader);
	c->fd = fd;
	if (fd >= 0)
		return 0;
	if (fd == -ENOENT || fd == -ECONNREFUSED)
		return cni_fail(e, CNI_ERR_TRY_AGAIN,
			"pswitchd is not running (no one listens on %s): try again later", conf->socket);
	return cni_fail(e, CNI_ERR_IO, "cannot reach pswitchd at %s: %s", conf->socket, strerror(-fd));
}

void sw_close(struct sw_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	ctl_reader_free(&c->reader);
}

json_t *sw_request(struct sw_conn *c, const char *cmd, json_t *args, int *status,
	struct cni_error *e)
{
	json_t *req = args ? args : json_object(), *rep, *res;
	json_t *st;

	*status = 0;
	json_object_set_new(req, PSW_KEY_COMMAND, json_string(cmd));
	rep = ctl_call(c->fd, &c->reader, req);
	json_decref(req);
	if (rep == NULL) {
		cni_fail(e, errno == ECONNRESET ? CNI_ERR_TRY_AGAIN : CNI_ERR_IO,
			"pswitchd did not answer %s: %s", cmd, strerror(errno));
		return NULL;
	}
	st = json_object_get(rep, "status");
	if (!json_is_integer(st) || json_integer_value(st) != 0) {
		*status = json_is_integer(st) ? (int)json_integer_value(st) : -EPROTO;
		cni_fail(e, CNI_ERR_SWITCH, "pswitchd refused %s: %s", cmd,
			json_is_string(json_object_get(rep, "error")) ?
			json_string_value(json_object_get(rep, "error")) : "no reason given");
		json_decref(rep);
		return NULL;
	}
	res = json_incref(json_object_get(rep, "result"));
	json_decref(rep);
	if (res == NULL) {
		cni_fail(e, CNI_ERR_IO, "pswitchd answered %s without a result", cmd);
		*status = -EPROTO;
	}
	return res;
}

// "<dir of the socket>/pending-del/<port>": the path pswitchd watches
// (include/psw/ctl.h).
static int pending_file(const struct cni_conf *conf, const char *name, struct cni_error *e)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	const char *slash = strrchr(conf->socket, '/');
	int fd;

	snprintf(dir, sizeof(dir), "%.*s/%s", (int)(slash - conf->socket), conf->socket,
		PSW_CTL_PENDING_DEL_DIR);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return cni_fail(e, CNI_ERR_IO, "cannot create %s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return cni_fail(e, CNI_ERR_IO, "cannot record the pending deletion of %s: %s", name,
			strerror(errno));
	close(fd);
	return 0;
}

int sw_remove_port(const struct cni_conf *conf, const char *name, struct cni_error *e)
{
	struct sw_conn c;
	struct cni_error ce = {0};
	json_t *res;
	int status;

	if (sw_connect(&c, conf, &ce) < 0) {
		sw_close(&c);
		if (ce.code != CNI_ERR_TRY_AGAIN) {
			*e = ce;
			return -1;
		}
		return pending_file(conf, name, e);
	}
	res = sw_request(&c, PSW_CMD_DEL_PORT, json_pack("{s:s}", PSW_KEY_NAME, name), &status,
		&ce);
	sw_close(&c);
	if (res == NULL && status != -ENOENT) {
		if (status == 0 && ce.code == CNI_ERR_TRY_AGAIN)
			return pending_file(conf, name, e); // it went away meanwhile
		*e = ce;
		return -1;
	}
	json_decref(res);
	return 0;
}

json_t *sw_port_options(struct sw_conn *c, const char *name, struct cni_error *e, bool *found)
{
	json_t *res, *ports, *p, *opts = NULL;
	int status;
	size_t i;

	*found = false;
	res = sw_request(c, PSW_CMD_SHOW, NULL, &status, e);
	if (res == NULL)
		return NULL;
	ports = json_object_get(res, "ports");
	json_array_foreach(ports, i, p) {
		if (strcmp(json_string_value(json_object_get(p, "name")) ?: "", name) == 0) {
			*found = true;
			opts = json_incref(json_object_get(p, "options"));
			if (opts == NULL)
				opts = json_object();
			break;
		}
	}
	json_decref(res);
	return opts;
}
