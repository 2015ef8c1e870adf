// SPDX-License-Identifier: BSD-3-Clause
#include "ports/vhost_ctl.h"
#include "log.h"
#include "ports/port_ctl.h"

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

int vhost_port_start(struct psw_port *p, const char *path, bool client, char *err, size_t elen)
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
	if (registry_find(path) != NULL) {
		pthread_mutex_unlock(&registry_lock);
		snprintf(err, elen, "socket '%s' belongs to another port", path);
		return -EEXIST;
	}
	for (slot = 0; slot < MAX_VHOST && registry[slot].port != NULL; slot++)
		;
	if (slot == MAX_VHOST) {
		pthread_mutex_unlock(&registry_lock);
		snprintf(err, elen, "too many vhost-user ports");
		return -ENOSPC;
	}
	snprintf(registry[slot].path, sizeof(registry[slot].path), "%s", path);
	registry[slot].port = p;
	pthread_mutex_unlock(&registry_lock);

	ret = rte_vhost_driver_register(path, client ? RTE_VHOST_USER_CLIENT : 0);
	if (ret < 0) {
		snprintf(err, elen, "cannot create vhost-user socket '%s'", path);
		goto out_unregistry;
	}
	if (rte_vhost_driver_disable_features(path, no_features) < 0 ||
	    rte_vhost_driver_callback_register(path, &vhost_ops) < 0 ||
	    rte_vhost_driver_start(path) < 0) {
		snprintf(err, elen, "cannot start vhost-user socket '%s'", path);
		rte_vhost_driver_unregister(path);
		ret = -EIO;
		goto out_unregistry;
	}
	return 0;

out_unregistry:
	pthread_mutex_lock(&registry_lock);
	registry[slot].port = NULL;
	pthread_mutex_unlock(&registry_lock);
	return ret < 0 ? ret : -EIO;
}

void vhost_port_stop(struct psw_port *p, const char *path)
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
