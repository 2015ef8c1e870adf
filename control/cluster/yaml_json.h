// SPDX-License-Identifier: BSD-3-Clause
// YAML (Kubernetes manifests: one or more documents) read as JSON values.
#pragma once

#include <jansson.h>
#include <stddef.h>

// Parses the 'len' bytes of 'text' as a stream of YAML documents. On success
// '*docs' is a new JSON array with one value per non-empty document.
// Returns 0, or -EINVAL with a sentence naming the line and column.
int yaml_to_json(const char *text, size_t len, json_t **docs, char *err, size_t elen);
