// SPDX-License-Identifier: BSD-3-Clause
// The files pswitchd keeps in its run directory (the port set, flows, MAC
// entries), written so that nobody can make it write elsewhere, and read so
// that a file it cannot read is kept for an operator to see rather than
// silently replaced.
//
// The run directory is pswitchd's own: created by it, or refused when
// another user owns it or anyone else may write in it. Files are written
// through a descriptor of the directory held open (openat), to a temporary
// name created afresh (O_CREAT | O_EXCL | O_NOFOLLOW: a planted symlink is
// never followed) and renamed over the old file. Control thread only.
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

// Creates the run directory (and its parents) or checks the one there.
// Returns 0 or -errno with a sentence in 'err'.
int state_dir_open(const char *run_dir, char *err, size_t elen);
void state_dir_close(void);

// Writes 'v' as the file 'name' of the run directory, whole or not at all.
// Returns 0 or -errno (logged).
int state_write(const char *name, const json_t *v);

// Reads the file 'name'. Returns its JSON, or NULL: when there is none
// ('*absent' true), or when it cannot be read or parsed, in which case it
// is renamed aside (name.corrupt-YYYYmmdd-HHMMSS) and the error, naming the
// file, the reason and where it went, is logged.
json_t *state_read(const char *name, bool *absent);

// Renames 'name' aside as state_read does with a file it cannot read, and
// logs 'why'. For a file that parses but holds what cannot be used.
void state_keep_aside(const char *name, const char *why);
