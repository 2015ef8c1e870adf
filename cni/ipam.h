// SPDX-License-Identifier: BSD-3-Clause
// IPAM delegation through the CNI exec protocol: the plugin the config's
// "ipam.type" names is found in CNI_PATH and run with the same environment
// and configuration, as a runtime would run it.
#pragma once

#include "cni.h"

// Runs the IPAM plugin for 'command' ("ADD", "DEL", "CHECK") on the
// attachment (container_id, ifname). For ADD, '*result' is the plugin's
// result (the caller frees it). Returns 0 or -1 with 'e' set from the
// plugin's own error object when it gave one.
int ipam_exec(const struct cni_conf *conf, const struct cni_env *env, const char *command,
	const char *container_id, const char *ifname, json_t **result, struct cni_error *e);

// Finds the IPAM plugin's binary. Returns 0 or -1 with 'e' set.
int ipam_find(const struct cni_conf *conf, const char *cni_path, char *out, size_t len,
	struct cni_error *e);

// Reads the addresses, routes and DNS of a result (IPAM's or a prevResult) of
// any supported version. Returns 0 or -1 with 'e' set.
int cni_result_addrs(const json_t *result, struct cni_addrs *a, struct cni_error *e);
