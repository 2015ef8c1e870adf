// SPDX-License-Identifier: BSD-3-Clause
// The CNI verbs. Each returns 0 (with '*out' the JSON to print, or NULL for
// nothing) or -1 with 'e' set; a failed ADD leaves nothing behind.
#pragma once

#include "cni.h"

int cmd_add(const struct cni_env *env, const struct cni_conf *conf, json_t **out, struct cni_error *e);
int cmd_del(const struct cni_env *env, const struct cni_conf *conf, struct cni_error *e);
int cmd_check(const struct cni_env *env, const struct cni_conf *conf, struct cni_error *e);
int cmd_gc(const struct cni_env *env, const struct cni_conf *conf, struct cni_error *e);
int cmd_status(const struct cni_env *env, const struct cni_conf *conf, struct cni_error *e);
