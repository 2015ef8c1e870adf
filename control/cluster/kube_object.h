// SPDX-License-Identifier: BSD-3-Clause
// Kubernetes objects as pswitchd keeps them: Pods, Namespaces, Nodes and
// NetworkPolicies read from the API server's JSON (or a manifest's) into a
// small, checked form with only what the pod network and NetworkPolicy use.
// Anything of the wrong type or shape is refused with a sentence; nothing
// of an object refused is kept.
//
// The forms (JSON objects, so that pswitchctl shows them as they are):
//   Pod:           {namespace, name, uid, resourceVersion, node, phase,
//                   hostNetwork, labels{}, ips[], ports[{name, port, protocol}]}
//   Namespace:     {name, uid, resourceVersion, labels{}}
//   Node:          {name, uid, resourceVersion, podCIDRs[], internalIPs[]}
//   NetworkPolicy: {namespace, name, uid, resourceVersion, spec}
#pragma once

#include <jansson.h>
#include <stddef.h>

enum kube_kind {
	KUBE_POD,
	KUBE_NAMESPACE,
	KUBE_NODE,
	KUBE_NETPOL,
	KUBE_KINDS,
};

// "Pod", "Namespace", ... and the API's plural resource names.
extern const char *const kube_kind_names[KUBE_KINDS];
extern const char *const kube_resources[KUBE_KINDS];

// The kind an object's "kind" names, or KUBE_KINDS.
enum kube_kind kube_kind_of(const char *kind);

// The checked form of 'obj', an API object of kind 'k' ("kind" may be
// absent, as in a list's items). Returns a new reference, or NULL with a
// sentence in 'err'.
json_t *kube_object_read(enum kube_kind k, const json_t *obj, char *err, size_t elen);

// The key an object is known by: "namespace/name", or "name" for Nodes and
// Namespaces. Writes it into 'buf'.
void kube_object_key(enum kube_kind k, const json_t *form, char *buf, size_t len);

// The longest key (a namespace of 63, a name of 253).
#define KUBE_KEY_MAX 320
