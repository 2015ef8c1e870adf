// SPDX-License-Identifier: BSD-3-Clause
#include "ports/socket_path.h"
#include "errorf.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define UNIX_PATH_MAX 108

static char allowed[SOCKET_DIRS_MAX + 1][PATH_MAX];
static unsigned n_allowed;
static char control_path[PATH_MAX];

// The real path of the directory of 'path', then '/' and its last name.
static int canonical(const char *path, char *out, size_t len)
{
	char dir[PATH_MAX], real[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (slash == NULL || slash[1] == '\0')
		return -EINVAL;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (realpath(dir[0] ? dir : "/", real) == NULL)
		return -errno;
	if ((size_t)snprintf(out, len, "%s/%s", strcmp(real, "/") ? real : "", slash + 1) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int socket_path_init(const char *run_dir, const char *control_socket, const char *const *dirs,
	unsigned n_dirs, char *err, size_t elen)
{
	n_allowed = 0;
	if (realpath(run_dir, allowed[n_allowed]) == NULL)
		return psw_errorf(err, elen, -errno, "run directory '%s': %s", run_dir, strerror(errno));
	n_allowed++;
	for (unsigned i = 0; i < n_dirs && i < SOCKET_DIRS_MAX; i++) {
		if (realpath(dirs[i], allowed[n_allowed]) == NULL)
			return psw_errorf(err, elen, -errno, "vhost socket directory '%s': %s", dirs[i],
				strerror(errno));
		n_allowed++;
	}
	if (canonical(control_socket, control_path, sizeof(control_path)) < 0)
		snprintf(control_path, sizeof(control_path), "%s", control_socket);
	return 0;
}

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

int socket_path_check(const char *path, char *out, size_t len, char *err, size_t elen)
{
	const char *name = strrchr(path, '/');
	int ret;

	if (path[0] != '/')
		return psw_errorf(err, elen, -EINVAL, "socket path '%s' is not absolute", path);
	if (strlen(path) >= UNIX_PATH_MAX)
		return psw_errorf(err, elen, -ENAMETOOLONG,
			"socket path '%s' is longer than a unix socket allows (%d)", path,
			UNIX_PATH_MAX - 1);
	if (strchr(path, ',') != NULL)
		return psw_errorf(err, elen, -EINVAL, "socket path '%s' has a comma", path);
	if (strcmp(name, "/.") == 0 || strcmp(name, "/..") == 0 || name[1] == '\0')
		return psw_errorf(err, elen, -EINVAL, "socket path '%s' names no file", path);
	ret = canonical(path, out, len);
	if (ret < 0)
		return psw_errorf(err, elen, ret, "socket path '%s': its directory: %s", path,
			strerror(-ret));
	if (strlen(out) >= UNIX_PATH_MAX)
		return psw_errorf(err, elen, -ENAMETOOLONG,
			"socket path '%s' is '%s', longer than a unix socket allows", path, out);
	if (strcmp(out, control_path) == 0)
		return psw_errorf(err, elen, -EINVAL, "'%s' is pswitchd's control socket", path);
	for (unsigned i = 0; i < n_allowed; i++)
		if (under(out, allowed[i]))
			return 0;
	return psw_errorf(err, elen, -EACCES, "socket path '%s' is outside the run directory %s "
		"and every --vhost-socket-dir", path, allowed[0]);
}

int socket_path_claim(const char *path, char *err, size_t elen)
{
	struct sockaddr_un addr;
	struct stat st;
	int fd, ret;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : psw_errorf(err, elen, -errno, "'%s': %s", path,
			strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return psw_errorf(err, elen, -EEXIST, "'%s' exists and is not a socket", path);
	// without blocking: a listener that never accepts still counts as one
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return psw_errorf(err, elen, -errno, "cannot check '%s': %s", path, strerror(errno));
	addr.sun_family = AF_UNIX;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	ret = connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 ? 0 : errno;
	close(fd);
	if (ret != ECONNREFUSED)
		return psw_errorf(err, elen, -EADDRINUSE, "'%s' is a socket in use (%s)", path,
			ret == 0 || ret == EAGAIN || ret == EINPROGRESS ? "another process listens on it" :
			strerror(ret));
	if (unlink(path) < 0 && errno != ENOENT)
		return psw_errorf(err, elen, -errno, "cannot remove the stale socket '%s': %s", path,
			strerror(errno));
	return 0;
}
