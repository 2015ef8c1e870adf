// SPDX-License-Identifier: BSD-3-Clause
#include "kube/kubeconfig.h"
#include "cluster/yaml_json.h"
#include "errorf.h"

#include <openssl/evp.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// A kubeconfig, a CA or a token larger than this is not one.
#define FILE_MAX (4 << 20)

static int read_file(const char *path, struct kube_blob *b, char *err, size_t elen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return psw_errorf(err, elen, -errno, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > FILE_MAX) {
		close(fd);
		return psw_errorf(err, elen, -EINVAL, "%s is not a regular file of at most %d bytes",
			path, FILE_MAX);
	}
	b->data = malloc((size_t)st.st_size + 1);
	if (b->data == NULL) {
		close(fd);
		return psw_errorf(err, elen, -ENOMEM, "out of memory");
	}
	n = read(fd, b->data, (size_t)st.st_size);
	close(fd);
	if (n < 0) {
		free(b->data);
		b->data = NULL;
		return psw_errorf(err, elen, -EIO, "cannot read %s", path);
	}
	b->data[n] = '\0';
	b->len = (size_t)n;
	return 0;
}

// base64 (the kubeconfig's *-data fields), by OpenSSL.
static int decode_b64(const char *s, struct kube_blob *b, const char *what, char *err, size_t elen)
{
	size_t n = strlen(s), pad = 0;
	int got;

	if (n == 0 || n % 4 != 0 || n > FILE_MAX)
		return psw_errorf(err, elen, -EINVAL, "%s is not base64", what);
	b->data = malloc(n / 4 * 3 + 1);
	if (b->data == NULL)
		return psw_errorf(err, elen, -ENOMEM, "out of memory");
	got = EVP_DecodeBlock((unsigned char *)b->data, (const unsigned char *)s, (int)n);
	if (got < 0) {
		free(b->data);
		b->data = NULL;
		return psw_errorf(err, elen, -EINVAL, "%s is not base64", what);
	}
	// EVP_DecodeBlock counts the padding's bytes too
	pad = (s[n - 1] == '=') + (s[n - 2] == '=');
	b->len = (size_t)got - pad;
	b->data[b->len] = '\0';
	return 0;
}

// A path in a kubeconfig is relative to the kubeconfig's folder.
static void resolve(const char *kubeconfig, const char *path, char *out, size_t len)
{
	char dir[4096];

	if (path[0] == '/') {
		snprintf(out, len, "%s", path);
		return;
	}
	snprintf(dir, sizeof(dir), "%s", kubeconfig);
	snprintf(out, len, "%s/%s", dirname(dir), path);
}

// The blob of 'file_key' (a path) or 'data_key' (base64) of 'o'; neither
// leaves it empty.
static int blob_field(const char *kubeconfig, const json_t *o, const char *file_key,
	const char *data_key, struct kube_blob *b, char *err, size_t elen)
{
	const char *data = json_string_value(json_object_get(o, data_key));
	const char *file = json_string_value(json_object_get(o, file_key));
	char path[4096];

	if (data != NULL)
		return decode_b64(data, b, data_key, err, elen);
	if (file != NULL) {
		resolve(kubeconfig, file, path, sizeof(path));
		return read_file(path, b, err, elen);
	}
	return 0;
}

// The entry named 'name' of a kubeconfig's list ("clusters", "users",
// "contexts"): its inner object ("cluster", "user", "context").
static const json_t *named(const json_t *cfg, const char *list, const char *inner, const char *name)
{
	size_t i;
	const json_t *e;

	json_array_foreach(json_object_get(cfg, list), i, e)
		if (name && json_is_string(json_object_get(e, "name")) &&
		    strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
			return json_object_get(e, inner);
	return NULL;
}

static int check_server(struct kube_creds *c, const char *server, char *err, size_t elen)
{
	size_t n;

	if (server == NULL || strncmp(server, "https://", 8) != 0)
		return psw_errorf(err, elen, -EINVAL, "the API server must be an https:// address, not '%s'",
			server ? server : "");
	n = strlen(server);
	if (n >= sizeof(c->server) || strpbrk(server, " \t\r\n") != NULL)
		return psw_errorf(err, elen, -EINVAL, "bad API server address");
	snprintf(c->server, sizeof(c->server), "%s", server);
	while (n > 8 && c->server[n - 1] == '/')
		c->server[--n] = '\0';
	return 0;
}

int kube_creds_from_kubeconfig(const char *path, struct kube_creds *c, char *err, size_t elen)
{
	struct kube_blob text = {0};
	json_t *docs = NULL;
	const json_t *cfg, *ctx, *cluster, *user;
	const char *cur, *tok, *tokfile;
	char why[256];
	int ret;

	memset(c, 0, sizeof(*c));
	snprintf(c->origin, sizeof(c->origin), "kubeconfig %s", path);
	ret = read_file(path, &text, err, elen);
	if (ret < 0)
		return ret;
	ret = yaml_to_json(text.data, text.len, &docs, why, sizeof(why));
	free(text.data);
	if (ret < 0)
		return psw_errorf(err, elen, ret, "kubeconfig %s: %s", path, why);
	cfg = json_array_get(docs, 0);
	cur = json_string_value(json_object_get(cfg, "current-context"));
	ctx = named(cfg, "contexts", "context", cur);
	if (ctx == NULL) {
		ret = psw_errorf(err, elen, -EINVAL, "kubeconfig %s: no current context", path);
		goto out;
	}
	cluster = named(cfg, "clusters", "cluster", json_string_value(json_object_get(ctx, "cluster")));
	user = named(cfg, "users", "user", json_string_value(json_object_get(ctx, "user")));
	if (cluster == NULL) {
		ret = psw_errorf(err, elen, -EINVAL, "kubeconfig %s: the context's cluster is not there", path);
		goto out;
	}
	ret = check_server(c, json_string_value(json_object_get(cluster, "server")), err, elen);
	if (ret < 0)
		goto out;
	c->insecure = json_is_true(json_object_get(cluster, "insecure-skip-tls-verify"));
	ret = blob_field(path, cluster, "certificate-authority", "certificate-authority-data", &c->ca,
		err, elen);
	if (ret == 0)
		ret = blob_field(path, user, "client-certificate", "client-certificate-data", &c->cert,
			err, elen);
	if (ret == 0)
		ret = blob_field(path, user, "client-key", "client-key-data", &c->key, err, elen);
	if (ret < 0)
		goto out;
	if ((c->cert.len > 0) != (c->key.len > 0)) {
		ret = psw_errorf(err, elen, -EINVAL, "kubeconfig %s: a client certificate needs its key",
			path);
		goto out;
	}
	if (c->ca.len == 0 && !c->insecure) {
		ret = psw_errorf(err, elen, -EINVAL, "kubeconfig %s: no certificate-authority for the "
			"cluster (TLS is always verified against the cluster CA)", path);
		goto out;
	}
	tok = json_string_value(json_object_get(user, "token"));
	tokfile = json_string_value(json_object_get(user, "tokenFile"));
	if (tok != NULL && (c->token = strdup(tok)) == NULL)
		ret = psw_errorf(err, elen, -ENOMEM, "out of memory");
	if (ret == 0 && tok == NULL && tokfile != NULL) {
		resolve(path, tokfile, c->token_file, sizeof(c->token_file));
		ret = kube_creds_reread_token(c, err, elen);
		ret = ret < 0 ? ret : 0;
	}
out:
	json_decref(docs);
	if (ret < 0)
		kube_creds_free(c);
	return ret;
}

int kube_creds_in_cluster(const char *sa_dir, struct kube_creds *c, char *err, size_t elen)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
	char server[512], path[4096];
	int ret;

	memset(c, 0, sizeof(*c));
	if (host == NULL || host[0] == '\0')
		return -ENOENT;
	snprintf(c->origin, sizeof(c->origin), "in-cluster service account %s", sa_dir);
	snprintf(server, sizeof(server), strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host,
		port && port[0] ? port : "443");
	ret = check_server(c, server, err, elen);
	snprintf(path, sizeof(path), "%s/ca.crt", sa_dir);
	if (ret == 0)
		ret = read_file(path, &c->ca, err, elen);
	snprintf(c->token_file, sizeof(c->token_file), "%s/token", sa_dir);
	if (ret == 0)
		ret = kube_creds_reread_token(c, err, elen);
	if (ret < 0) {
		kube_creds_free(c);
		return ret;
	}
	return 0;
}

int kube_creds_reread_token(struct kube_creds *c, char *err, size_t elen)
{
	struct kube_blob b = {0};
	int ret;

	if (c->token_file[0] == '\0')
		return 0;
	ret = read_file(c->token_file, &b, err, elen);
	if (ret < 0)
		return ret;
	while (b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r' ||
			     b.data[b.len - 1] == ' '))
		b.data[--b.len] = '\0';
	if (b.len == 0 || strpbrk(b.data, "\r\n") != NULL) {
		free(b.data);
		return psw_errorf(err, elen, -EINVAL, "token file %s holds no token", c->token_file);
	}
	if (c->token != NULL && strcmp(c->token, b.data) == 0) {
		free(b.data);
		return 0;
	}
	free(c->token);
	c->token = b.data;
	return 1;
}

void kube_creds_free(struct kube_creds *c)
{
	free(c->ca.data);
	free(c->cert.data);
	free(c->key.data);
	if (c->token != NULL)
		explicit_bzero(c->token, strlen(c->token));
	free(c->token);
	c->ca.data = c->cert.data = c->key.data = c->token = NULL;
}
