// SPDX-License-Identifier: BSD-3-Clause
// The cluster as pswitchd knows it: every Pod, Namespace, Node and
// NetworkPolicy of the cluster in its checked form (cluster/kube_object.h),
// by key, fed by one source (the API server's watches, or --manifests).
// Each change is one transaction (control/core/publish.h) with what its
// subscribers make of it (PSW_EV_KUBE_OBJECT), so that a packet sees the
// state before an event or after it, never a mix. Control thread only.
#pragma once

#include "cluster/kube_object.h"
#include "core/publish.h"

#include <stdint.h>

// What changed, for the subscribers of PSW_EV_KUBE_OBJECT: 'before' NULL
// for an object new, 'after' NULL for one gone.
struct kube_change {
	enum kube_kind kind;
	const char *key;
	const json_t *before;
	const json_t *after;
};

int cluster_store_init(void);
void cluster_store_fini(void);

// The object of 'key', or NULL (a borrowed reference).
const json_t *cluster_get(enum kube_kind k, const char *key);
// Every object of a kind: a JSON object, key to form (borrowed).
const json_t *cluster_all(enum kube_kind k);

// Adds or replaces an object ('form' is stolen). An object that did not
// change (same resourceVersion and content) changes nothing. Returns 0 or
// -errno with a sentence.
int cluster_upsert(enum kube_kind k, json_t *form, char *err, size_t elen);
// Removes the object of 'key'; absent is no error.
int cluster_delete(enum kube_kind k, const char *key, char *err, size_t elen);

// The whole set of a kind as a source has it now (a relist, or manifests
// read again): 'fresh' (key to form, stolen) replaces what the store has,
// objects not in it are deleted, all in one transaction. Returns 0 or
// -errno.
int cluster_replace_all(enum kube_kind k, json_t *fresh, char *err, size_t elen);

// Counts, for pswitchctl cluster: objects, adds, updates, deletes by kind.
json_t *cluster_counts(void);
