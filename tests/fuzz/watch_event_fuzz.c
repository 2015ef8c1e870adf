// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target: a watch stream as the API server sends it, cut into
// chunks where the input's first bytes say: lines are rebuilt across the
// chunks, bounded, and each is read as an event and its object as every
// kind. The same lines fed whole must give the same events.
#include "cluster/kube_object.h"
#include "kube/watch_event.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	unsigned lines;
	size_t bytes;
};

static int on_line(void *arg, const char *line, size_t len)
{
	struct seen *s = arg;
	struct watch_event ev;
	char err[256] = "";

	if (len == 0 || memchr(line, '\n', len) != NULL)
		abort(); // a line is whole, without its newline
	s->lines++;
	s->bytes += len;
	if (watch_event_parse(line, len, &ev, err, sizeof(err)) < 0) {
		if (err[0] == '\0' || ev.object != NULL)
			abort();
		return 0;
	}
	if (ev.type >= WATCH_TYPES || !json_is_object(ev.object))
		abort();
	for (unsigned k = 0; k < KUBE_KINDS; k++) {
		json_t *form = kube_object_read((enum kube_kind)k, ev.object, err, sizeof(err));

		json_decref(form);
	}
	watch_event_clear(&ev);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct watch_lines chunked, whole;
	struct seen a = {0}, b = {0};
	size_t off = 0, step;
	int ra = 0, rb;

	if (size < 1)
		return 0;
	step = (size_t)data[0] % 17 + 1;
	data++;
	size--;
	watch_lines_init(&chunked, 4096);
	watch_lines_init(&whole, 4096);
	while (off < size && ra == 0) {
		size_t n = size - off < step ? size - off : step;

		ra = watch_lines_feed(&chunked, (const char *)data + off, n, on_line, &a);
		off += n;
	}
	rb = watch_lines_feed(&whole, (const char *)data, size, on_line, &b);
	if ((ra == 0) != (rb == 0) || (ra == 0 && (a.lines != b.lines || a.bytes != b.bytes)))
		abort();
	watch_lines_fini(&chunked);
	watch_lines_fini(&whole);
	return 0;
}
