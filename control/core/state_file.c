// SPDX-License-Identifier: BSD-3-Clause
#include "core/state_file.h"
#include "errorf.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

// Saved state bigger than this is not state pswitchd wrote.
#define STATE_MAX_BYTES (256u << 20)

static int dir_fd = -1;
static char dir_path[PATH_MAX];

static int make_parents(const char *dir)
{
	char tmp[PATH_MAX];

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s", dir) >= sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

int state_dir_open(const char *run_dir, char *err, size_t elen)
{
	struct stat st;
	int ret = make_parents(run_dir);

	if (ret < 0)
		return psw_errorf(err, elen, ret, "cannot create the parents of the run directory "
			"'%s': %s", run_dir, strerror(-ret));
	if (mkdir(run_dir, 0755) < 0 && errno != EEXIST)
		return psw_errorf(err, elen, -errno, "cannot create the run directory '%s': %s",
			run_dir, strerror(errno));
	dir_fd = open(run_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir_fd < 0)
		return psw_errorf(err, elen, -errno, "cannot open the run directory '%s': %s%s",
			run_dir, strerror(errno), errno == ELOOP ? " (it is a symlink)" : "");
	if (fstat(dir_fd, &st) < 0) {
		ret = psw_errorf(err, elen, -errno, "cannot check the run directory '%s': %s", run_dir,
			strerror(errno));
		goto fail;
	}
	if (st.st_uid != geteuid()) {
		ret = psw_errorf(err, elen, -EPERM, "the run directory '%s' belongs to user %u, not "
			"to pswitchd's (%u): another user could plant files in it", run_dir,
			(unsigned)st.st_uid, (unsigned)geteuid());
		goto fail;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		ret = psw_errorf(err, elen, -EPERM, "the run directory '%s' may be written by others "
			"(mode %04o): give it mode 0755 or 0700", run_dir, (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	snprintf(dir_path, sizeof(dir_path), "%s", run_dir);
	return 0;
fail:
	close(dir_fd);
	dir_fd = -1;
	return ret;
}

void state_dir_close(void)
{
	if (dir_fd >= 0)
		close(dir_fd);
	dir_fd = -1;
}

int state_write(const char *name, const json_t *v)
{
	char tmp[NAME_MAX + 1], *text;
	size_t len, off = 0;
	int fd, ret = 0;

	if (dir_fd < 0)
		return -EBADF;
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	text = json_dumps(v, JSON_INDENT(2));
	if (text == NULL)
		return -ENOMEM;
	len = strlen(text);
	// whatever is at the temporary name (a leftover, or something planted)
	// goes: unlinkat removes a symlink, not what it points to
	unlinkat(dir_fd, tmp, 0);
	fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (ret == 0 && (write(fd, "\n", 1) != 1 || fsync(fd) < 0))
		ret = errno ? -errno : -EIO;
	close(fd);
	if (ret == 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
		ret = -errno;
	if (ret < 0)
		unlinkat(dir_fd, tmp, 0);
out:
	free(text);
	if (ret < 0)
		LOG_ERR("cannot save state", KV_STR("dir", dir_path), KV_STR("file", name), KV_ERR(ret));
	return ret;
}

void state_keep_aside(const char *name, const char *why)
{
	char aside[NAME_MAX + 1], stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(aside, sizeof(aside), "%s.corrupt-%s", name, stamp);
	if (renameat(dir_fd, name, dir_fd, aside) < 0) {
		LOG_ERR("saved state cannot be used, nor kept aside", KV_STR("dir", dir_path),
			KV_STR("file", name), KV_STR("reason", why), KV_ERR(errno));
		return;
	}
	LOG_ERR("saved state cannot be used: kept aside, not restored", KV_STR("dir", dir_path),
		KV_STR("file", name), KV_STR("reason", why), KV_STR("kept_as", aside));
}

json_t *state_read(const char *name, bool *absent)
{
	char why[256];
	json_error_t jerr;
	struct stat st;
	json_t *v;
	FILE *f;
	int fd;

	*absent = false;
	if (dir_fd < 0)
		return NULL;
	fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		*absent = true;
		return NULL;
	}
	if (fd < 0) {
		snprintf(why, sizeof(why), "cannot open it: %s", strerror(errno));
		goto aside;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > STATE_MAX_BYTES) {
		close(fd);
		snprintf(why, sizeof(why), "not a regular file of at most %u MiB",
			STATE_MAX_BYTES >> 20);
		goto aside;
	}
	f = fdopen(fd, "r");
	if (f == NULL) {
		close(fd);
		snprintf(why, sizeof(why), "cannot read it: %s", strerror(errno));
		goto aside;
	}
	v = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	fclose(f);
	if (v != NULL)
		return v;
	snprintf(why, sizeof(why), "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
aside:
	state_keep_aside(name, why);
	return NULL;
}
