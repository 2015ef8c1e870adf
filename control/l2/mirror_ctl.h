// SPDX-License-Identifier: BSD-3-Clause
// Mirrors (dataplane/mirror.h): named, each with the ports whose received
// frames it copies (select_src), the ports whose sent frames it copies
// (select_dst) and one output port, which then carries no flooded or NORMAL
// traffic. A port direction is copied by one mirror at most; an output is
// selected by none. Not saved across restarts: mirrors are for looking at
// traffic. Control thread only.
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

// Adds a mirror. 'src' and 'dst' are lists of port names (either may be
// empty, not both). Returns 0 or -errno with a sentence in 'err'.
int mirror_add(const char *name, json_t *src, json_t *dst, const char *output, char *err,
	size_t elen);
int mirror_del(const char *name, char *err, size_t elen);

// A port that goes (its event) stops being mirrored, and a mirror whose
// output it is goes too.

// The mirror map part's freeing function (control/core/publish.h).
struct psw_mirror_map;
void mirror_map_free(struct psw_mirror_map *map);

json_t *mirror_show(void);
void mirror_fini(void);
