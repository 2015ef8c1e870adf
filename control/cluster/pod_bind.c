// SPDX-License-Identifier: BSD-3-Clause
// Pods bound to their ports: pswitch-cni hands pswitchd a pod's namespace,
// name and UID with its port (the runtime's K8S_POD_* arguments), and the
// port is the Pod's. A Pod deleted in the API while its port is still
// attached (the kubelet crashed before the runtime's DEL) is detached after
// a grace period, unless the DEL comes first or the Pod comes back; a port
// whose Pod the API does not know is kept, and reported.
#include "cluster/pod_bind.h"
#include "cluster/store.h"
#include "core/events.h"
#include "core/loop.h"
#include "log.h"
#include "ports/port_ctl.h"

#include <psw/commands.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DETACHING 1024

// A port waiting to be detached.
struct detaching {
	struct loop_timer *timer;
	char port[PSW_PORT_NAME_MAX];
	uint64_t due_ms;
};

static struct detaching *detaching[MAX_DETACHING];
static uint64_t grace_ms = 30000, detached;

void pod_bind_config(uint64_t grace)
{
	grace_ms = grace;
}

const char *pod_bind_key(const struct psw_port *p, const char **uid)
{
	const struct port_ctl *c = p->ctl;
	const json_t *cni = json_object_get(c->options, PSW_OPT_CNI);

	if (uid != NULL)
		*uid = json_string_value(json_object_get(cni, "podUID"));
	return json_string_value(json_object_get(cni, "pod"));
}

static struct detaching **find(const char *port)
{
	for (unsigned i = 0; i < MAX_DETACHING; i++)
		if (detaching[i] != NULL && strcmp(detaching[i]->port, port) == 0)
			return &detaching[i];
	return NULL;
}

static void cancel(const char *port)
{
	struct detaching **d = find(port);

	if (d == NULL)
		return;
	loop_timer_free((*d)->timer);
	free(*d);
	*d = NULL;
	LOG_INFO(1, "pod back in the API: its port stays", KV_STR("port", port));
}

// The entry leaves the table before port_del: the port's removal event
// (on_port_removed) must not find it and free it under us.
static void detach_now(void *arg)
{
	struct detaching *d = arg;
	struct detaching **slot = find(d->port);
	char port[PSW_PORT_NAME_MAX], err[256];

	if (slot != NULL)
		*slot = NULL;
	snprintf(port, sizeof(port), "%s", d->port);
	loop_timer_free(d->timer);
	free(d);
	if (port_del(port, err, sizeof(err)) == 0) {
		detached++;
		LOG_INFO(0, "pod deleted in the API and no DEL came: its port detached",
			KV_STR("port", port), KV_UINT("grace_s", grace_ms / 1000));
	} else {
		LOG_WARN("cannot detach the port of a deleted pod", KV_STR("port", port),
			KV_STR("err", err));
	}
}

static void schedule(const char *port)
{
	struct detaching *d;
	unsigned i;

	if (find(port) != NULL)
		return;
	for (i = 0; i < MAX_DETACHING && detaching[i] != NULL; i++)
		;
	d = i < MAX_DETACHING ? calloc(1, sizeof(*d)) : NULL;
	if (d != NULL)
		d->timer = loop_timer_new(detach_now, d);
	if (d == NULL || d->timer == NULL) {
		free(d);
		LOG_WARN("cannot schedule the detach of a deleted pod's port", KV_STR("port", port));
		return;
	}
	snprintf(d->port, sizeof(d->port), "%s", port);
	d->due_ms = loop_now_ms() + grace_ms;
	detaching[i] = d;
	loop_timer_arm(d->timer, grace_ms);
	LOG_INFO(0, "pod deleted in the API: its port goes unless a DEL comes first",
		KV_STR("port", port), KV_UINT("grace_s", grace_ms / 1000));
}

// A Pod gone (or replaced by another of the same name) takes its ports after
// the grace period; a Pod there again keeps them.
static int on_kube_object(enum psw_event ev, void *obj, struct dp_txn *t, char *err, size_t elen)
{
	const struct kube_change *c = obj;
	const struct port_table *pt = dp_view()->ports;
	const char *now_uid = json_string_value(json_object_get(c->after, "uid"));

	(void)ev;
	(void)t;
	(void)err;
	(void)elen;
	if (c->kind != KUBE_POD || pt == NULL)
		return 0;
	for (uint32_t i = 0; i < pt->n; i++) {
		const struct psw_port *p = pt->by_ofport[pt->ofports[i]];
		const char *uid, *key = pod_bind_key(p, &uid);

		if (key == NULL || strcmp(key, c->key) != 0)
			continue;
		if (c->after == NULL || (uid != NULL && uid[0] && now_uid && now_uid[0] &&
					 strcmp(uid, now_uid) != 0))
			schedule(p->name);
		else
			cancel(p->name);
	}
	return 0;
}

// A port that goes (its DEL came) is no longer waited for.
static int on_port_removed(enum psw_event ev, void *obj, struct dp_txn *t, char *err,
	size_t elen)
{
	const struct psw_port *p = obj;
	struct detaching **d = find(p->name);

	(void)ev;
	(void)t;
	(void)err;
	(void)elen;
	if (d != NULL) {
		loop_timer_free((*d)->timer);
		free(*d);
		*d = NULL;
	}
	return 0;
}

EVENT_SUBSCRIBE(PSW_EV_KUBE_OBJECT, on_kube_object)
EVENT_SUBSCRIBE(PSW_EV_PORT_REMOVED, on_port_removed)

int64_t pod_bind_detach_in_ms(const char *port)
{
	struct detaching **d = find(port);
	uint64_t now = loop_now_ms();

	if (d == NULL)
		return -1;
	return (*d)->due_ms > now ? (int64_t)((*d)->due_ms - now) : 0;
}

uint64_t pod_bind_detached(void)
{
	return detached;
}

void pod_bind_fini(void)
{
	for (unsigned i = 0; i < MAX_DETACHING; i++) {
		if (detaching[i] == NULL)
			continue;
		loop_timer_free(detaching[i]->timer);
		free(detaching[i]);
		detaching[i] = NULL;
	}
}
