// SPDX-License-Identifier: BSD-3-Clause
// The API server's watch stream: newline-delimited JSON events, read as
// they come in chunks of any size. A partial line waits for the rest; a
// line longer than the bound is refused, not buffered.
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum watch_type {
	WATCH_ADDED,
	WATCH_MODIFIED,
	WATCH_DELETED,
	WATCH_BOOKMARK,
	WATCH_ERROR,
	WATCH_TYPES,
};

extern const char *const watch_type_names[WATCH_TYPES];

struct watch_event {
	enum watch_type type;
	json_t *object;              // owned: the event's object
	const char *resource_version; // in 'object', or NULL
	long code;                   // ERROR: the Status' code (410: Gone)
	const char *message;         // ERROR: the Status' message, or ""
};

// Parses one line. Returns 0 with 'ev' filled (free it with
// watch_event_clear), or -EINVAL with a sentence.
int watch_event_parse(const char *line, size_t len, struct watch_event *ev, char *err, size_t elen);
void watch_event_clear(struct watch_event *ev);

// Lines out of a stream of chunks.
struct watch_lines {
	char *buf;
	size_t len, cap, max;
	bool overflow;      // the line now read is longer than 'max': skipped whole
};

typedef int (*watch_line_cb)(void *arg, const char *line, size_t len);

void watch_lines_init(struct watch_lines *w, size_t max);
void watch_lines_reset(struct watch_lines *w);
void watch_lines_fini(struct watch_lines *w);
// Feeds 'n' bytes; 'cb' gets each whole line (without its '\n'), and a
// negative return from it stops the feed and is returned. Returns 0,
// -E2BIG once a line overflowed (the caller drops the stream), -ENOMEM.
int watch_lines_feed(struct watch_lines *w, const char *data, size_t n, watch_line_cb cb, void *arg);
