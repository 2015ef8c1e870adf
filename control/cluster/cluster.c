// SPDX-License-Identifier: BSD-3-Clause
// The cluster side of pswitchd: where the objects come from, this node's
// identity, and the commands that show them (pods, nodes, cluster).
#include "cluster/cluster.h"
#include "cluster/manifests.h"
#include "cluster/pod_bind.h"
#include "cluster/store.h"
#include "core/api.h"
#include "errorf.h"
#include "kube/kubeconfig.h"
#include "kube/watcher.h"
#include "log.h"
#include "ports/port_ctl.h"

#include <psw/commands.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

static char node_name[256];
static json_t *pod_cidrs;  // --pod-cidr, when the cluster assigns none
static enum { SRC_NONE, SRC_MANIFESTS, SRC_API } source;
static const char *const source_names[] = {"none", "manifests", "api"};

// The API server: --kubeconfig, else in-cluster when pswitchd runs in a
// pod (KUBERNETES_SERVICE_HOST), else none (the switch alone).
static int start_api(const struct cluster_config *cfg, char *err, size_t elen)
{
	struct kube_creds c;
	int ret;

	if (cfg->kubeconfig != NULL && cfg->kubeconfig[0] != '\0')
		ret = kube_creds_from_kubeconfig(cfg->kubeconfig, &c, err, elen);
	else
		ret = kube_creds_in_cluster(KUBE_SA_DIR, &c, err, elen);
	if (ret == -ENOENT && (cfg->kubeconfig == NULL || cfg->kubeconfig[0] == '\0'))
		return 0;
	if (ret < 0)
		return ret;
	ret = watcher_start(&c, cfg->watch_timeout_s, err, elen);
	if (ret < 0) {
		watcher_stop();
		return ret;
	}
	source = SRC_API;
	return 0;
}

int cluster_start(const struct cluster_config *cfg, char *err, size_t elen)
{
	int ret = cluster_store_init();

	if (ret < 0)
		return psw_errorf(err, elen, ret, "out of memory");
	snprintf(node_name, sizeof(node_name), "%s", cfg->node_name);
	pod_cidrs = json_array();
	for (unsigned i = 0; i < cfg->n_pod_cidrs; i++)
		json_array_append_new(pod_cidrs, json_string(cfg->pod_cidrs[i]));
	pod_bind_config(cfg->detach_grace_ms);
	if (cfg->manifests != NULL && cfg->manifests[0] != '\0' && cfg->kubeconfig != NULL &&
	    cfg->kubeconfig[0] != '\0')
		return psw_errorf(err, elen, -EINVAL, "--manifests and --kubeconfig are two sources of "
			"the cluster's objects: give one");
	if (cfg->manifests != NULL && cfg->manifests[0] != '\0') {
		ret = manifests_start(cfg->manifests, err, elen);
		if (ret < 0)
			return ret;
		source = SRC_MANIFESTS;
	} else {
		ret = start_api(cfg, err, elen);
		if (ret < 0)
			return ret;
	}
	LOG_INFO(0, "cluster side ready", KV_STR("node", node_name),
		KV_STR("source", source_names[source]));
	return 0;
}

void cluster_stop(void)
{
	if (source == SRC_MANIFESTS)
		manifests_stop();
	else if (source == SRC_API)
		watcher_stop();
	source = SRC_NONE;
	pod_bind_fini();
	cluster_store_fini();
	json_decref(pod_cidrs);
	pod_cidrs = NULL;
}

const char *cluster_node_name(void)
{
	return node_name;
}

// A pod as pods shows it: its form, and its port here if it has one.
static json_t *pod_entry(const json_t *form, const struct psw_port *p)
{
	json_t *e = form ? json_deep_copy(form) : json_object();

	if (p != NULL) {
		const struct port_ctl *c = p->ctl;
		const char *uid, *key = pod_bind_key(p, &uid);
		int64_t detach = pod_bind_detach_in_ms(p->name);
		const char *slash = strchr(key, '/');

		if (form == NULL) {
			// a port whose Pod the API does not know: kept, said so
			json_object_set_new(e, "namespace", json_stringn(key, slash ? (size_t)(slash - key) : 0));
			json_object_set_new(e, "name", json_string(slash ? slash + 1 : key));
			json_object_set_new(e, "uid", json_string(uid ? uid : ""));
		}
		json_object_set_new(e, "port", json_string(p->name));
		json_object_set(e, "mac", json_object_get(c->options, PSW_OPT_MAC));
		json_object_set(e, "port_ips", json_object_get(c->options, PSW_OPT_IPS));
		if (detach >= 0)
			json_object_set_new(e, "detach_in_s", json_real((double)detach / 1000));
	}
	json_object_set_new(e, "known", json_boolean(form != NULL));
	json_object_set_new(e, "local", json_boolean(p != NULL ||
		(form && strcmp(json_string_value(json_object_get(form, "node")), node_name) == 0)));
	return e;
}

static json_t *h_pods(json_t *req, struct api_reply *rep)
{
	const struct port_table *pt = dp_published()->ports;
	json_t *out = json_array(), *seen = json_object(), *form;
	bool all = api_bool(req, PSW_KEY_ALL);
	const char *key;

	(void)rep;
	for (uint32_t i = 0; pt != NULL && i < pt->n; i++) {
		const struct psw_port *p = pt->by_ofport[pt->ofports[i]];
		const char *k = pod_bind_key(p, NULL);

		if (k == NULL)
			continue;
		json_array_append_new(out, pod_entry(cluster_get(KUBE_POD, k), p));
		json_object_set_new(seen, k, json_true());
	}
	json_object_foreach((json_t *)cluster_all(KUBE_POD), key, form) {
		bool here = strcmp(json_string_value(json_object_get(form, "node")), node_name) == 0;

		if (json_object_get(seen, key) || (!all && !here))
			continue;
		json_array_append_new(out, pod_entry(form, NULL));
	}
	json_decref(seen);
	return out;
}

static const struct api_param pods_params[] = {
	{PSW_KEY_ALL, API_BOOL},
	{NULL},
};
static struct api_command pods_cmd = {PSW_CMD_PODS, h_pods, pods_params};
API_REGISTER(pods_cmd)

static json_t *h_nodes(json_t *req, struct api_reply *rep)
{
	json_t *out = json_array(), *form;
	const char *key;

	(void)req;
	(void)rep;
	json_object_foreach((json_t *)cluster_all(KUBE_NODE), key, form) {
		json_t *e = json_deep_copy(form);

		json_object_set_new(e, "self", json_boolean(strcmp(key, node_name) == 0));
		json_array_append_new(out, e);
	}
	return out;
}

static struct api_command nodes_cmd = {PSW_CMD_NODES, h_nodes, NULL};
API_REGISTER(nodes_cmd)

static json_t *h_namespaces(json_t *req, struct api_reply *rep)
{
	json_t *out = json_array(), *form;
	const char *key;

	(void)req;
	(void)rep;
	json_object_foreach((json_t *)cluster_all(KUBE_NAMESPACE), key, form)
		json_array_append(out, form);
	return out;
}

static struct api_command namespaces_cmd = {PSW_CMD_NAMESPACES, h_namespaces, NULL};
API_REGISTER(namespaces_cmd)

// This node's pod CIDRs: its Node's, or --pod-cidr when the cluster gives
// none.
json_t *cluster_own_pod_cidrs(void)
{
	const json_t *self = cluster_get(KUBE_NODE, node_name);
	const json_t *c = json_object_get(self, "podCIDRs");

	return json_array_size(c) > 0 ? json_incref((json_t *)c) : json_incref(pod_cidrs);
}

static json_t *h_cluster(json_t *req, struct api_reply *rep)
{
	json_t *cidrs = cluster_own_pod_cidrs();

	(void)req;
	(void)rep;
	return json_pack("{s:s,s:o,s:o,s:o,s:I}", "node", node_name, "pod_cidrs", cidrs,
		"source", source == SRC_MANIFESTS ? manifests_status() : source == SRC_API ?
		watcher_status() : json_pack("{s:s}", "source", "none"),
		"objects", cluster_counts(), "pods_detached", (json_int_t)pod_bind_detached());
}

static struct api_command cluster_cmd = {PSW_CMD_CLUSTER, h_cluster, NULL};
API_REGISTER(cluster_cmd)
