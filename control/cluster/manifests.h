// SPDX-License-Identifier: BSD-3-Clause
// --manifests DIR: the cluster's objects from files, watched. Control thread
// only.
#pragma once

#include <jansson.h>
#include <stddef.h>

// Reads the directory into the store and watches it. Returns 0 or -errno
// with a sentence.
int manifests_start(const char *dir, char *err, size_t elen);
void manifests_stop(void);

// For pswitchctl cluster: the directory, its files with their objects and
// errors, reloads, bad objects, the last error.
json_t *manifests_status(void);
