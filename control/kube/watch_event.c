// SPDX-License-Identifier: BSD-3-Clause
#include "kube/watch_event.h"
#include "errorf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const watch_type_names[WATCH_TYPES] = {
	[WATCH_ADDED] = "ADDED",
	[WATCH_MODIFIED] = "MODIFIED",
	[WATCH_DELETED] = "DELETED",
	[WATCH_BOOKMARK] = "BOOKMARK",
	[WATCH_ERROR] = "ERROR",
};

int watch_event_parse(const char *line, size_t len, struct watch_event *ev, char *err, size_t elen)
{
	json_error_t je;
	json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je), *obj;
	const char *type;
	unsigned t;

	memset(ev, 0, sizeof(*ev));
	if (root == NULL)
		return psw_errorf(err, elen, -EINVAL, "a watch event is not JSON: %s (column %d)", je.text,
			je.column);
	type = json_string_value(json_object_get(root, "type"));
	obj = json_object_get(root, "object");
	for (t = 0; type != NULL && t < WATCH_TYPES; t++)
		if (strcmp(type, watch_type_names[t]) == 0)
			break;
	if (type == NULL || t == WATCH_TYPES) {
		json_decref(root);
		return psw_errorf(err, elen, -EINVAL, "a watch event of no known type");
	}
	if (!json_is_object(obj)) {
		// the sentence first: 'type' lives in 'root'
		int ret = psw_errorf(err, elen, -EINVAL, "a %s watch event without an object", type);

		json_decref(root);
		return ret;
	}
	ev->type = (enum watch_type)t;
	ev->object = json_incref(obj);
	json_decref(root);
	ev->resource_version = json_string_value(
		json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
	if (ev->type == WATCH_ERROR) {
		const json_t *code = json_object_get(obj, "code");

		ev->code = json_is_integer(code) ? (long)json_integer_value(code) : 0;
		ev->message = json_string_value(json_object_get(obj, "message"));
		if (ev->message == NULL)
			ev->message = "";
	} else if (ev->type == WATCH_BOOKMARK && ev->resource_version == NULL) {
		watch_event_clear(ev);
		return psw_errorf(err, elen, -EINVAL, "a BOOKMARK without a resourceVersion");
	}
	return 0;
}

void watch_event_clear(struct watch_event *ev)
{
	json_decref(ev->object);
	memset(ev, 0, sizeof(*ev));
}

void watch_lines_init(struct watch_lines *w, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->max = max;
}

void watch_lines_reset(struct watch_lines *w)
{
	w->len = 0;
	w->overflow = false;
}

void watch_lines_fini(struct watch_lines *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

static int append(struct watch_lines *w, const char *data, size_t n)
{
	if (n == 0)
		return 0; // nothing to keep (and no buffer yet, perhaps)
	if (w->len + n > w->max) {
		w->overflow = true;
		w->len = 0;
		return -E2BIG;
	}
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		char *b;

		while (cap < w->len + n)
			cap *= 2;
		if (cap > w->max)
			cap = w->max;
		b = realloc(w->buf, cap);
		if (b == NULL)
			return -ENOMEM;
		w->buf = b;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, data, n);
	w->len += n;
	return 0;
}

int watch_lines_feed(struct watch_lines *w, const char *data, size_t n, watch_line_cb cb, void *arg)
{
	while (n > 0) {
		const char *nl = memchr(data, '\n', n);
		size_t part = nl ? (size_t)(nl - data) : n;
		int ret;

		if (w->overflow)
			return -E2BIG;
		ret = append(w, data, part);
		if (ret < 0)
			return ret;
		if (nl == NULL)
			return 0;
		data += part + 1;
		n -= part + 1;
		if (w->len > 0) {
			size_t len = w->len;

			w->len = 0;
			ret = cb(arg, w->buf, len);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}
