// SPDX-License-Identifier: BSD-3-Clause
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

// FNV-1a: stable across versions, so names found on a node stay valid.
static uint64_t fnv1a(const char *a, const char *b)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const char *p = a; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	h = (h ^ '/') * 0x100000001b3ULL;
	for (const char *p = b; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	return h;
}

int attachment_names(const struct cni_conf *conf, const char *cid, const char *ifname,
	enum pod_kind kind, struct attachment *at, struct cni_error *e)
{
	uint64_t h = fnv1a(cid, ifname) & 0xffffffffffffULL;
	int n;

	memset(at, 0, sizeof(*at));
	at->hash = h;
	// 15 characters: an interface name, and a pswitchd port name
	snprintf(at->port, sizeof(at->port), "%s%012llx", kind == POD_DPDK ? "vhu" : "psw",
		(unsigned long long)h);
	// The pod's directory: its container ID when that is short, else the
	// short ID runtimes show and a hash of the whole, so that two IDs that
	// share a prefix never share a directory. 25 characters at most keep the
	// socket's path under 108 (socketDir is at most 60).
	if (strlen(cid) <= 25)
		snprintf(at->sock_dir, sizeof(at->sock_dir), "%s/%s", conf->vhost.socket_dir, cid);
	else
		snprintf(at->sock_dir, sizeof(at->sock_dir), "%s/%.12s-%012llx", conf->vhost.socket_dir, cid,
			(unsigned long long)(fnv1a(cid, "") & 0xffffffffffffULL));
	snprintf(at->sock_path, sizeof(at->sock_path), "%s/%s.sock", at->sock_dir, ifname);
	snprintf(at->info_path, sizeof(at->info_path), "%s/%s.json", at->sock_dir, ifname);
	if (strlen(at->sock_path) > 107)
		return cni_fail(e, CNI_ERR_INVALID_CONFIG, "socket path %s is longer than 107 characters",
			at->sock_path);
	n = snprintf(at->record, sizeof(at->record), "%s/%s/%s-%s.json", conf->state_dir, conf->name,
		cid, ifname);
	if (n < 0 || (size_t)n >= sizeof(at->record))
		return cni_fail(e, CNI_ERR_INVALID_CONFIG, "state file name too long");
	return 0;
}

int make_dirs(const char *path, mode_t mode, struct cni_error *e)
{
	char tmp[PATH_MAX];
	struct stat st;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1;; p++) {
		bool last = *p == '\0';

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(tmp, last ? mode : 0755) < 0 && errno != EEXIST)
			return cni_fail(e, CNI_ERR_IO, "cannot create directory %s: %s", tmp, strerror(errno));
		if (lstat(tmp, &st) < 0 || !S_ISDIR(st.st_mode))
			return cni_fail(e, CNI_ERR_IO, "%s is not a directory (a symlink is refused)", tmp);
		if (last)
			break;
		*p = '/';
	}
	return 0;
}

int state_lock(const struct cni_conf *conf, bool exclusive, struct cni_error *e)
{
	char dir[PATH_MAX], path[PATH_MAX + 8];
	int fd;

	snprintf(dir, sizeof(dir), "%s/%s", conf->state_dir, conf->name);
	if (make_dirs(dir, 0700, e) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/.lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0)
		return cni_fail(e, CNI_ERR_IO, "cannot lock %s: %s", path, strerror(errno));
	return 0; // released when the process exits
}

// Written to a temporary name created afresh (a symlink planted there is
// removed, never followed), then renamed over the record.
int state_write(const struct attachment *at, json_t *record, struct cni_error *e)
{
	char tmp[sizeof(at->record) + 8];
	int fd, ret;

	snprintf(tmp, sizeof(tmp), "%s.tmp", at->record);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return cni_fail(e, CNI_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
	ret = json_dumpfd(record, fd, JSON_INDENT(2));
	if (close(fd) < 0 || ret < 0 || rename(tmp, at->record) < 0) {
		unlink(tmp);
		return cni_fail(e, CNI_ERR_IO, "cannot write %s: %s", at->record, strerror(errno));
	}
	return 0;
}

json_t *state_read(const struct attachment *at)
{
	json_t *r = json_load_file(at->record, 0, NULL);

	if (r != NULL && !json_is_object(r)) {
		json_decref(r);
		r = NULL;
	}
	return r;
}

void state_remove(const struct attachment *at)
{
	unlink(at->record);
}

void state_foreach(const struct cni_conf *conf, void (*fn)(json_t *record, void *arg), void *arg)
{
	char dir[PATH_MAX], path[PATH_MAX + 300];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", conf->state_dir, conf->name);
	d = opendir(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		json_t *r;

		if (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		r = json_load_file(path, 0, NULL);
		if (json_is_object(r))
			fn(r, arg);
		json_decref(r);
	}
	closedir(d);
}
