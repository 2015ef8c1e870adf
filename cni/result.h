// SPDX-License-Identifier: BSD-3-Clause
// Results and errors in the specification's shapes, for the version the
// configuration asks for.
#pragma once

#include "cni.h"

struct pod_iface {
	const char *host_name;    // kernel pods: the host end, NULL for DPDK pods
	const char *host_mac;
	const char *name;         // CNI_IFNAME
	const char *mac;
	const char *sandbox;      // CNI_NETNS
	const char *socket_path;  // DPDK pods
	unsigned mtu;
};

// The ADD result: prevResult's content (when chained) with this plugin's
// interfaces appended and IPAM's addresses pointing at the pod's interface.
json_t *result_build(const struct cni_conf *conf, const struct pod_iface *pi,
	const json_t *ipam_result);

// Writes the error object of 'e' to stdout.
void result_error(const char *version, const struct cni_error *e);

// Finds this plugin's interface ('ifname' in 'sandbox') in a result; returns
// its index and MAC, or -1.
int result_find_iface(const json_t *result, const char *ifname, const char *sandbox,
	const char **mac);
