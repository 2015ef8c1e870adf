// SPDX-License-Identifier: BSD-3-Clause
// The API server as the cluster store's source: for each of Pods,
// Namespaces, Nodes and NetworkPolicies, a paginated list, then a watch
// from the list's resourceVersion, resumed from the last version seen when
// the stream drops, and a fresh list (objects gone meanwhile deleted) on
// 410 Gone. Errors back off exponentially, with jitter. Control thread
// only.
#pragma once

#include "kube/kubeconfig.h"

#include <jansson.h>
#include <stddef.h>

// Starts watching with 'c' (taken: freed by watcher_stop). 'watch_s': each
// watch asks the server to end after watch_s to 2*watch_s seconds.
// Returns 0 or -errno with a sentence.
int watcher_start(struct kube_creds *c, unsigned watch_s, char *err, size_t elen);
void watcher_stop(void);

// For pswitchctl cluster.
json_t *watcher_status(void);
