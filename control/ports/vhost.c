// SPDX-License-Identifier: BSD-3-Clause
#include "errorf.h"
#include "ports/port_kind.h"
#include "ports/socket_path.h"
#include "log.h"
#include "ports/port_ctl.h"

#include <psw/commands.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <rte_vhost.h>
#include <urcu-qsbr.h>

#define MAX_VHOST 1024

// Which port each socket belongs to. Thread-safety: written by the control
// thread, read by the vhost events thread that runs the callbacks; both
// under 'registry_lock', which no PMD ever takes.
static struct {
	char path[PATH_MAX];
	struct psw_port *port;
} registry[MAX_VHOST];
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

static struct psw_port *registry_find(const char *path)
{
	for (unsigned i = 0; i < MAX_VHOST; i++)
		if (registry[i].port != NULL && strcmp(registry[i].path, path) == 0)
			return registry[i].port;
	return NULL;
}

static int new_device(int vid)
{
	char path[PATH_MAX];
	struct psw_port *p;
	uint16_t vrings;

	if (rte_vhost_get_ifname(vid, path, sizeof(path)) < 0)
		return -1;
	vrings = rte_vhost_get_vring_num(vid);
	// PMDs poll: the guest need not kick us
	for (uint16_t v = 0; v < vrings; v++)
		rte_vhost_enable_guest_notification(vid, v, 0);
	pthread_mutex_lock(&registry_lock);
	p = registry_find(path);
	if (p != NULL) {
		struct port_ctl *c = p->ctl;

		p->vhost_qp = vrings / 2;
		p->vid = vid;
		// The link follows the connection at once, not at the next poll:
		// a peer that sends the moment it connects must find the port up.
		p->link_up = true;
		__atomic_fetch_add(&c->link_resets, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&registry_lock);
	if (p == NULL)
		return -1;
	LOG_INFO(1, "vhost-user peer connected", KV_STR("port", p->name), KV_INT("vid", vid),
		KV_INT("queue_pairs", vrings / 2));
	return 0;
}

static void destroy_device(int vid)
{
	char path[PATH_MAX];
	struct psw_port *p = NULL;

	if (rte_vhost_get_ifname(vid, path, sizeof(path)) == 0) {
		pthread_mutex_lock(&registry_lock);
		p = registry_find(path);
		if (p != NULL && p->vid == vid) {
			struct port_ctl *c = p->ctl;

			p->link_up = false;
			p->vid = -1;
			__atomic_fetch_add(&c->link_resets, 1, __ATOMIC_RELAXED);
		} else {
			p = NULL;
		}
		pthread_mutex_unlock(&registry_lock);
	}
	// The library frees the rings when we return: wait until every PMD
	// has passed a quiescent state, and so stopped using this device.
	synchronize_rcu();
	if (p != NULL)
		LOG_INFO(1, "vhost-user peer gone", KV_STR("port", p->name), KV_INT("vid", vid));
}

static const struct rte_vhost_device_ops vhost_ops = {
	.new_device = new_device,
	.destroy_device = destroy_device,
};

static int vhost_port_start(struct psw_port *p, const char *path, bool client, char *err,
	size_t elen)
{
	// no offloads: frames are switched as they are
	const uint64_t no_features = (1ULL << VIRTIO_NET_F_HOST_TSO4) |
		(1ULL << VIRTIO_NET_F_HOST_TSO6) | (1ULL << VIRTIO_NET_F_CSUM) |
		(1ULL << VIRTIO_NET_F_GUEST_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_TSO4) |
		(1ULL << VIRTIO_NET_F_GUEST_TSO6);
	unsigned slot;
	int ret;

	p->vid = -1;
	p->vhost_qp = 0;
	pthread_mutex_lock(&registry_lock);
	for (slot = 0; slot < MAX_VHOST && registry[slot].port != NULL; slot++)
		;
	if (slot == MAX_VHOST) {
		pthread_mutex_unlock(&registry_lock);
		return psw_errorf(err, elen, -ENOSPC, "too many vhost-user ports (%d)", MAX_VHOST);
	}
	snprintf(registry[slot].path, sizeof(registry[slot].path), "%s", path);
	registry[slot].port = p;
	pthread_mutex_unlock(&registry_lock);

	ret = rte_vhost_driver_register(path, client ? RTE_VHOST_USER_CLIENT : 0);
	if (ret < 0) {
		ret = psw_errorf(err, elen, -EIO, "cannot create vhost-user socket '%s'", path);
		goto out_unregistry;
	}
	if (rte_vhost_driver_disable_features(path, no_features) < 0 ||
	    rte_vhost_driver_callback_register(path, &vhost_ops) < 0 ||
	    rte_vhost_driver_start(path) < 0) {
		ret = psw_errorf(err, elen, -EIO, "cannot start vhost-user socket '%s'", path);
		rte_vhost_driver_unregister(path);
		goto out_unregistry;
	}
	return 0;

out_unregistry:
	pthread_mutex_lock(&registry_lock);
	registry[slot].port = NULL;
	pthread_mutex_unlock(&registry_lock);
	return ret < 0 ? ret : -EIO;
}

static void vhost_port_stop(struct psw_port *p, const char *path)
{
	pthread_mutex_lock(&registry_lock);
	for (unsigned i = 0; i < MAX_VHOST; i++)
		if (registry[i].port == p)
			registry[i].port = NULL;
	pthread_mutex_unlock(&registry_lock);
	// calls destroy_device if a peer is connected, which waits out the PMDs
	rte_vhost_driver_unregister(path);
	p->vid = -1;
}

// Whether 'path' is a port's socket now.
static bool vhost_path_taken(const char *path)
{
	bool taken;

	pthread_mutex_lock(&registry_lock);
	taken = registry_find(path) != NULL;
	pthread_mutex_unlock(&registry_lock);
	return taken;
}

// Everything about the socket path is checked before anything is touched:
// a path pswitchd may not use, or one that is another port's or another
// process's, is refused with nothing removed.
static int vhost_start(struct psw_port *p, struct port_ctl *c, const json_t *opts,
	unsigned queues, bool client, char *err, size_t elen)
{
	const char *path = json_string_value(json_object_get(opts, PSW_OPT_PATH));
	char def[PATH_MAX];
	int ret;

	if (path == NULL) {
		if (client)
			return psw_errorf(err, elen, -EINVAL, "a vhost-user-client port needs path=");
		snprintf(def, sizeof(def), "%s/%s.sock", port_ctl_run_dir(), p->name);
		path = def;
	}
	ret = socket_path_check(path, c->path, sizeof(c->path), err, elen);
	if (ret < 0)
		return ret;
	if (vhost_path_taken(c->path))
		return psw_errorf(err, elen, -EEXIST, "socket '%s' belongs to another port", c->path);
	// a server socket left by a run that is gone would make bind fail;
	// one that a live process listens on is that process's
	if (!client && (ret = socket_path_claim(c->path, err, elen)) < 0)
		return ret;
	snprintf(c->devargs, sizeof(c->devargs), "rte_vhost,path=%.107s,queues=%u%s", c->path,
		queues, client ? ",client" : ",server");
	p->kind = PSW_PORT_VHOST;
	p->nb_rxq = (uint16_t)queues;
	port_kind_set_txqs(p, queues);
	*(uint16_t *)&p->eth_port = UINT16_MAX;
	return vhost_port_start(p, c->path, client, err, elen);
}

static int vhost_server_start(struct psw_port *p, struct port_ctl *c, const json_t *opts,
	unsigned queues, char *err, size_t elen)
{
	return vhost_start(p, c, opts, queues, false, err, elen);
}

static int vhost_client_start(struct psw_port *p, struct port_ctl *c, const json_t *opts,
	unsigned queues, char *err, size_t elen)
{
	return vhost_start(p, c, opts, queues, true, err, elen);
}

static void vhost_stop(struct psw_port *p, struct port_ctl *c)
{
	vhost_port_stop(p, c->path);
}

static const char *const vhost_options[] = {PSW_OPT_PATH, NULL};

const struct port_kind port_kind_vhost = {
	.type = PSW_PORT_TYPE_VHOST,
	.options = vhost_options,
	.options_text = "path",
	.start = vhost_server_start,
	.stop = vhost_stop,
};

const struct port_kind port_kind_vhost_client = {
	.type = PSW_PORT_TYPE_VHOST_CLIENT,
	.options = vhost_options,
	.options_text = "path",
	.start = vhost_client_start,
	.stop = vhost_stop,
};
