// SPDX-License-Identifier: BSD-3-Clause
// GET requests to the API server on the control thread's loop: libcurl's
// multi interface driven by the loop's fds and timers, so that a slow or
// silent server never blocks anything else. Connections are kept alive
// and reused; TLS is verified against the cluster CA alone.
#pragma once

#include "kube/kubeconfig.h"

#include <stddef.h>

struct kube_req;

// The body as it comes: 'status' is the HTTP status (known before the
// first byte). A negative return ends the request (its done gets 'aborted').
typedef int (*kube_data_cb)(void *arg, long status, const char *data, size_t n);
// The end: the HTTP status (0 when none came), and a sentence when the
// transfer failed (NULL when it ended as HTTP meant it to).
typedef void (*kube_done_cb)(void *arg, long status, const char *error);

int kube_http_init(void);
void kube_http_fini(void);

// Starts GET 'path' (with its query) on 'c''s server. 'timeout_s' bounds
// the whole request. Returns the request, or NULL with a sentence.
struct kube_req *kube_http_get(const struct kube_creds *c, const char *path, long timeout_s,
	kube_data_cb on_data, kube_done_cb on_done, void *arg, char *err, size_t elen);
// Ends a request; its callbacks are not called.
void kube_http_cancel(struct kube_req *r);

// Connections made, for pswitchctl cluster.
unsigned long kube_http_connects(void);
