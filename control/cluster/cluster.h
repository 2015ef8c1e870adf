// SPDX-License-Identifier: BSD-3-Clause
// The cluster side of pswitchd: the object store's source (--manifests
// now; the API server's watches come next), this node's name and pod
// CIDRs, and the pods, nodes and cluster commands. Control thread only.
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct cluster_config {
	const char *manifests;      // --manifests DIR, or NULL
	const char *kubeconfig;     // --kubeconfig FILE, or NULL: in-cluster when there
	unsigned watch_timeout_s;   // --kube-watch-timeout
	const char *node_name;      // --node-name, NODE_NAME, or the host name
	const char *const *pod_cidrs; // --pod-cidr, when the Node has none
	unsigned n_pod_cidrs;
	uint64_t detach_grace_ms;   // --pod-detach-grace
};

// Starts the store and its source. Returns 0 or -errno with a sentence.
int cluster_start(const struct cluster_config *cfg, char *err, size_t elen);
void cluster_stop(void);

const char *cluster_node_name(void);
// This node's pod CIDRs (a new reference): its Node's, else --pod-cidr.
json_t *cluster_own_pod_cidrs(void);
