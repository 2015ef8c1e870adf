// SPDX-License-Identifier: BSD-3-Clause
// What the plugin remembers of each attachment, so that DEL and GC can undo
// it whatever else is gone: one JSON file per attachment under
// <stateDir>/<network>/, written atomically.
#pragma once

#include "cni.h"

// Derives the port, socket and record names of (container_id, ifname).
// Returns 0 or -1 with 'e' set.
int attachment_names(const struct cni_conf *conf, const char *container_id, const char *ifname,
	enum pod_kind kind, struct attachment *at, struct cni_error *e);

// Takes the network's lock (held until exit): shared for ADD and DEL, which
// touch one attachment each and run in parallel, exclusive for GC, which
// must not see an attachment half made. Returns 0 or -1 with 'e' set.
int state_lock(const struct cni_conf *conf, bool exclusive, struct cni_error *e);

int state_write(const struct attachment *at, json_t *record, struct cni_error *e);
json_t *state_read(const struct attachment *at);
void state_remove(const struct attachment *at);

// Calls 'fn' for each record of the network.
void state_foreach(const struct cni_conf *conf, void (*fn)(json_t *record, void *arg), void *arg);

// mkdir -p with 'mode' for the last component; refuses symlinks on the way.
int make_dirs(const char *path, mode_t mode, struct cni_error *e);
