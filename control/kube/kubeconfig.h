// SPDX-License-Identifier: BSD-3-Clause
// Where the API server is and how pswitchd proves who it is, as Kubernetes
// agents find out: a kubeconfig's current context, or in-cluster (the
// service account's token and CA). Control thread only.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

// PEM bytes (malloc'd) and their length.
struct kube_blob {
	char *data;
	size_t len;
};

struct kube_creds {
	char server[512];         // https://host:port, no trailing '/'
	struct kube_blob ca;      // the cluster CA: TLS is verified against it alone
	struct kube_blob cert;    // a client certificate and key, or empty
	struct kube_blob key;
	char *token;              // a bearer token (never logged), or NULL
	char token_file[4096];    // read again when it changes, or empty
	bool insecure;            // insecure-skip-tls-verify: warned at every connect
	char origin[4200];        // where these came from, for the logs
};

// Reads 'path' (YAML or JSON). Returns 0 or -errno with a sentence.
int kube_creds_from_kubeconfig(const char *path, struct kube_creds *c, char *err, size_t elen);
// In-cluster: KUBERNETES_SERVICE_HOST/_PORT and the service account's
// files in 'sa_dir'. Returns 0, -ENOENT when not in a cluster, or -errno
// with a sentence.
int kube_creds_in_cluster(const char *sa_dir, struct kube_creds *c, char *err, size_t elen);
void kube_creds_free(struct kube_creds *c);

// The token file's content when it changed since the last call (a bound
// service-account token rotates): 1 when 'c->token' was replaced, 0 when
// unchanged, -errno with a sentence when it cannot be read (the old token
// stays).
int kube_creds_reread_token(struct kube_creds *c, char *err, size_t elen);
