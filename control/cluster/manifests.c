// SPDX-License-Identifier: BSD-3-Clause
// --manifests DIR: the cluster from files, for a node without an API server
// (and the demo). Every *.yaml, *.yml and *.json file of the directory holds
// objects (several YAML documents, a JSON object, or a List of them); the
// directory is watched with inotify, and a file added, changed or removed
// changes the store as an API server's event would. A file that cannot be
// read keeps what it held last and is reported; an object that is not a
// valid Pod, Namespace, Node or NetworkPolicy is reported and left out;
// other kinds are passed over.
#include "cluster/manifests.h"
#include "cluster/store.h"
#include "cluster/yaml_json.h"
#include "core/loop.h"
#include "errorf.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define MANIFEST_MAX_BYTES (64u << 20)
#define RELOAD_DELAY_MS 100

static char dir_path[PATH_MAX];
static int inotify_fd = -1;
static struct loop_fd *watch;
static struct loop_timer *reload;
// Per file: {"objects": [[kind, form], ...], "bad_objects": N, "error":
// text or absent, "stamp": its inode, size and mtime when read}
static json_t *files;
static uint64_t reloads;
static char last_error[512];

static bool manifest_name(const char *name)
{
	size_t n = strlen(name);

	if (name[0] == '.')
		return false;
	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) || (n > 4 && strcmp(name + n - 4, ".yml") == 0) ||
		(n > 5 && strcmp(name + n - 5, ".json") == 0);
}

static void note_error(const char *file, const char *what)
{
	snprintf(last_error, sizeof(last_error), "%s: %s", file, what);
	LOG_ERR("manifest not used", KV_STR("file", file), KV_STR("err", what));
}

// What tells a file's versions apart without reading it.
static json_t *file_stamp(const struct stat *st)
{
	return json_pack("[I,I,I,I]", (json_int_t)st->st_ino, (json_int_t)st->st_size,
		(json_int_t)st->st_mtim.tv_sec, (json_int_t)st->st_mtim.tv_nsec);
}

// The file's bytes, read through a descriptor (no symlink followed, at most
// MANIFEST_MAX_BYTES). Returns a malloc'd buffer, or NULL with 'err'; '*stamp'
// is the file's stamp (NULL when it could not be opened).
static char *read_file(const char *name, size_t *len, json_t **stamp, char *err, size_t elen)
{
	char path[PATH_MAX + NAME_MAX + 2];
	struct stat st;
	char *buf;
	ssize_t n;
	size_t off = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir_path, name);
	*stamp = NULL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0)
		*stamp = file_stamp(&st);
	if (fd < 0 || *stamp == NULL || !S_ISREG(st.st_mode) || st.st_size > MANIFEST_MAX_BYTES) {
		psw_errorf(err, elen, -EINVAL, "cannot read it (a regular file of at most %u MiB)",
			MANIFEST_MAX_BYTES >> 20);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	while (buf != NULL && off < (size_t)st.st_size) {
		n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	if (buf == NULL) {
		psw_errorf(err, elen, -ENOMEM, "out of memory");
		return NULL;
	}
	buf[off] = '\0';
	*len = off;
	return buf;
}

// Appends to 'out' the objects of one document: an object, or a List.
static void add_document(const char *file, const json_t *doc, json_t *out, unsigned *bad)
{
	const char *kind = json_string_value(json_object_get(doc, "kind"));
	char err[256];
	json_t *item;
	size_t i;

	if (!json_is_object(doc)) {
		(*bad)++;
		note_error(file, "a document that is not an object");
		return;
	}
	if (kind != NULL && strlen(kind) >= 4 && strcmp(kind + strlen(kind) - 4, "List") == 0) {
		const json_t *items = json_object_get(doc, "items");

		if (!json_is_array(items)) {
			(*bad)++;
			note_error(file, "a List without items");
			return;
		}
		json_array_foreach(items, i, item) {
			const char *ik = json_string_value(json_object_get(item, "kind"));
			char kbuf[64];

			// a PodList's items have no kind of their own
			if (ik == NULL && strcmp(kind, "List") != 0 && strlen(kind) - 4 < sizeof(kbuf)) {
				snprintf(kbuf, sizeof(kbuf), "%.*s", (int)(strlen(kind) - 4), kind);
				if (kube_kind_of(kbuf) != KUBE_KINDS) {
					json_t *copy = json_deep_copy(item);

					json_object_set_new(copy, "kind", json_string(kbuf));
					add_document(file, copy, out, bad);
					json_decref(copy);
					continue;
				}
			}
			add_document(file, item, out, bad);
		}
		return;
	}
	enum kube_kind k = kube_kind_of(kind);
	json_t *form;

	if (k == KUBE_KINDS)
		return; // other kinds are none of pswitchd's business
	form = kube_object_read(k, doc, err, sizeof(err));
	if (form == NULL) {
		(*bad)++;
		note_error(file, err);
		return;
	}
	json_array_append_new(out, json_pack("[i,o]", (int)k, form));
}

// Reads one file into its entry of 'next'. A file unchanged since it was
// read last keeps its entry as it is (nor is its error told again); one
// that cannot be read keeps the objects it held last.
static void read_manifest(const char *name, json_t *next)
{
	json_t *old = json_object_get(files, name), *docs = NULL, *objs, *doc, *stamp;
	char err[512];
	size_t len, i;
	unsigned bad = 0;
	char *text = read_file(name, &len, &stamp, err, sizeof(err));
	int ret = 0;

	if (stamp != NULL && old != NULL && json_equal(stamp, json_object_get(old, "stamp"))) {
		free(text);
		json_decref(stamp);
		json_object_set(next, name, old);
		return;
	}
	if (text != NULL) {
		size_t n = strlen(name);

		if (n > 5 && strcmp(name + n - 5, ".json") == 0) {
			json_error_t jerr;
			json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);

			if (v == NULL)
				ret = psw_errorf(err, sizeof(err), -EINVAL, "line %d: %s", jerr.line, jerr.text);
			else
				docs = json_pack("[o]", v);
		} else {
			ret = yaml_to_json(text, len, &docs, err, sizeof(err));
		}
		free(text);
	}
	if (text == NULL || ret < 0) {
		note_error(name, err);
		// what it held last stays
		objs = old != NULL ? json_incref(json_object_get(old, "objects")) : json_array();
		json_object_set_new(next, name, json_pack("{s:o,s:I,s:s,s:o*}", "objects", objs,
			"bad_objects", old != NULL ? json_integer_value(json_object_get(old, "bad_objects")) : 0,
			"error", err, "stamp", stamp));
		return;
	}
	objs = json_array();
	json_array_foreach(docs, i, doc)
		add_document(name, doc, objs, &bad);
	json_decref(docs);
	json_object_set_new(next, name, json_pack("{s:o,s:I,s:o}", "objects", objs, "bad_objects",
		(json_int_t)bad, "stamp", stamp));
}

static int name_order(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

// Reads the directory again and gives the store every object of it, kind by
// kind (namespaces and nodes before the pods they hold, policies last).
static void reload_all(void *arg)
{
	static const enum kube_kind order[] = {KUBE_NAMESPACE, KUBE_NODE, KUBE_POD, KUBE_NETPOL};
	json_t *next = json_object(), *fresh[KUBE_KINDS], *f;
	char *names[4096], err[512];
	unsigned n = 0;
	struct dirent *de;
	const char *fname;
	DIR *d;

	(void)arg;
	reloads++;
	d = opendir(dir_path);
	if (d == NULL) {
		note_error(dir_path, strerror(errno));
		json_decref(next);
		return;
	}
	while ((de = readdir(d)) != NULL && n < 4096)
		if (manifest_name(de->d_name))
			names[n++] = strdup(de->d_name);
	closedir(d);
	// the same order each time: a key in two files is the last file's
	qsort(names, n, sizeof(names[0]), name_order);
	for (unsigned i = 0; i < n; i++) {
		if (names[i] != NULL)
			read_manifest(names[i], next);
		free(names[i]);
	}
	for (unsigned k = 0; k < KUBE_KINDS; k++)
		fresh[k] = json_object();
	json_object_foreach(next, fname, f) {
		json_t *o;
		size_t i;

		json_array_foreach(json_object_get(f, "objects"), i, o) {
			enum kube_kind k = (enum kube_kind)json_integer_value(json_array_get(o, 0));
			json_t *form = json_array_get(o, 1);
			char key[KUBE_KEY_MAX];

			kube_object_key(k, form, key, sizeof(key));
			if (json_object_get(fresh[k], key) != NULL)
				LOG_WARN("an object is in two manifests: the later file's is used",
					KV_STR("kind", kube_kind_names[k]), KV_STR("object", key),
					KV_STR("file", fname));
			json_object_set(fresh[k], key, form);
		}
	}
	json_decref(files);
	files = next;
	for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (cluster_replace_all(order[i], fresh[order[i]], err, sizeof(err)) < 0)
			note_error(dir_path, err);
	LOG_INFO(2, "manifests read", KV_STR("dir", dir_path), KV_UINT("files", n));
}

static void on_inotify(int fd, short events, void *arg)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	(void)events;
	(void)arg;
	// what changed matters not: the directory is read again, once, shortly
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	loop_timer_arm(reload, RELOAD_DELAY_MS);
}

int manifests_start(const char *dir, char *err, size_t elen)
{
	struct stat st;

	if (realpath(dir, dir_path) == NULL || stat(dir_path, &st) < 0 || !S_ISDIR(st.st_mode))
		return psw_errorf(err, elen, -ENOENT, "--manifests %s is not a directory", dir);
	files = json_object();
	reload = loop_timer_new(reload_all, NULL);
	inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (files == NULL || reload == NULL || inotify_fd < 0)
		return psw_errorf(err, elen, -ENOMEM, "cannot watch %s", dir_path);
	if (inotify_add_watch(inotify_fd, dir_path, IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
			      IN_DELETE | IN_CREATE | IN_ATTRIB) < 0)
		return psw_errorf(err, elen, -errno, "cannot watch %s: %s", dir_path, strerror(errno));
	watch = loop_fd_add(inotify_fd, LOOP_READ, on_inotify, NULL);
	if (watch == NULL)
		return psw_errorf(err, elen, -ENOMEM, "cannot watch %s", dir_path);
	reload_all(NULL);
	LOG_INFO(0, "cluster from manifests", KV_STR("dir", dir_path));
	return 0;
}

void manifests_stop(void)
{
	loop_fd_free(watch);
	loop_timer_free(reload);
	if (inotify_fd >= 0)
		close(inotify_fd);
	json_decref(files);
	watch = NULL;
	reload = NULL;
	inotify_fd = -1;
	files = NULL;
}

json_t *manifests_status(void)
{
	json_t *fl = json_array(), *f;
	json_int_t bad_objects = 0;
	const char *name;

	json_object_foreach(files, name, f) {
		json_t *e = json_pack("{s:s,s:I,s:O}", "file", name, "objects",
			(json_int_t)json_array_size(json_object_get(f, "objects")), "bad_objects",
			json_object_get(f, "bad_objects"));

		if (json_object_get(f, "error"))
			json_object_set(e, "error", json_object_get(f, "error"));
		bad_objects += json_integer_value(json_object_get(f, "bad_objects"));
		json_array_append_new(fl, e);
	}
	return json_pack("{s:s,s:s,s:o,s:I,s:I,s:s}", "source", "manifests", "dir", dir_path,
		"files", fl, "reloads", (json_int_t)reloads, "bad_objects", bad_objects,
		"last_error", last_error);
}
