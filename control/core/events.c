// SPDX-License-Identifier: BSD-3-Clause
#include "core/events.h"
#include "log.h"

#include <stdlib.h>

#define MAX_SUBSCRIBERS 16

static event_cb_t subscribers[PSW_EV_COUNT][MAX_SUBSCRIBERS];
static unsigned n_subscribers[PSW_EV_COUNT];

void event_subscribe(enum psw_event ev, event_cb_t cb)
{
	if (n_subscribers[ev] == MAX_SUBSCRIBERS)
		abort(); // a build with more subscribers than room: caught by any test
	subscribers[ev][n_subscribers[ev]++] = cb;
}

int event_publish(enum psw_event ev, void *obj, struct dp_txn *t, char *err, size_t elen)
{
	for (unsigned i = 0; i < n_subscribers[ev]; i++) {
		int ret = subscribers[ev][i](ev, obj, t, err, elen);

		if (ret < 0)
			return ret;
	}
	return 0;
}
