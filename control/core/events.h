// SPDX-License-Identifier: BSD-3-Clause
// Lifecycle events between control objects: the object that changes says
// so, and those that care subscribe, so that the port registry knows
// nothing of the MAC table, mirrors, PMD placement, pods or, later, policy.
// A subscriber does its part inside the transaction of the change
// (control/core/publish.h), so that all of it is published at once; one
// that fails makes the change fail. Control thread only.
#pragma once

#include "core/publish.h"

#include <stddef.h>

enum psw_event {
	// A port's options before anything is made: 'obj' is the json_t object
	// of its options (a copy, which subscribers may normalize), 't' NULL.
	// A subscriber that refuses them says why.
	PSW_EV_PORT_OPTIONS,
	// A port is being added: 'obj' is its struct psw_port, staged in the
	// port table of the transaction.
	PSW_EV_PORT_ADDED,
	// A port is being removed: taken out of the transaction's port table,
	// still valid until after the commit.
	PSW_EV_PORT_REMOVED,
	// A Kubernetes object added, changed or gone: 'obj' is a struct
	// kube_change (control/cluster/store.h).
	PSW_EV_KUBE_OBJECT,
	PSW_EV_COUNT,
};

typedef int (*event_cb_t)(enum psw_event ev, void *obj, struct dp_txn *t, char *err,
	size_t elen);

// Adds a subscriber (at load time, through EVENT_SUBSCRIBE); subscribers of
// an event run in the order they subscribed.
void event_subscribe(enum psw_event ev, event_cb_t cb);

#define EVENT_SUBSCRIBE(ev, cb) \
	__attribute__((constructor)) static void event_subscribe_##ev##_##cb(void) \
	{ \
		event_subscribe((ev), (cb)); \
	}

// Runs the subscribers of 'ev' in 't'. Returns 0, or the first failure's
// -errno with its sentence in 'err' (the others do not run).
int event_publish(enum psw_event ev, void *obj, struct dp_txn *t, char *err, size_t elen);
