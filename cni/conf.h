// SPDX-License-Identifier: BSD-3-Clause
// Reading a call: the CNI_* environment and the network configuration, with
// every field checked before anything is done.
#pragma once

#include "cni.h"

// Reads and checks the environment. Returns 0 or -1 with 'e' set.
int cni_env_read(struct cni_env *env, struct cni_error *e);

// Parses and checks the configuration 'text' for 'cmd'. Returns 0 or -1 with
// 'e' set; conf->root is set even on some failures (free with cni_conf_free).
int cni_conf_parse(const char *text, enum cni_cmd cmd, struct cni_conf *conf, struct cni_error *e);
void cni_conf_free(struct cni_conf *conf);

// True for a version this plugin reads and writes results in.
bool cni_version_supported(const char *v);
// The versions, as a JSON array.
json_t *cni_supported_versions(void);

// Names are checked against the specification's rules, so that none can
// climb out of a directory or overflow an interface name.
bool cni_valid_container_id(const char *id);
bool cni_valid_ifname(const char *name);
bool cni_valid_network_name(const char *name);
