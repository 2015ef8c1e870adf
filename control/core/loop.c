// SPDX-License-Identifier: BSD-3-Clause
#include "core/loop.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include <event2/event.h>
#include <event2/thread.h>

struct loop_timer {
	struct event *ev;
	loop_cb_t cb;
	void *arg;
};

struct loop_fd {
	struct event *ev;
	int fd;
	loop_fd_cb_t cb;
	void *arg;
};

// Work posted from other threads, in order. Guarded by 'post_lock'.
struct posted {
	loop_cb_t cb;
	void *arg;
	struct posted *next;
};

static struct event_base *base;

// Work deferred to the next turn, not run yet (freed by loop_fini).
struct deferred;
static struct deferred *pending;
static void deferred_free(struct deferred *d);
static struct event *post_ev, *sig_ev[2];
static pthread_mutex_t post_lock = PTHREAD_MUTEX_INITIALIZER;
static struct posted *post_head, **post_tail = &post_head;
static bool exiting;

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void run_posted(evutil_socket_t fd, short what, void *arg)
{
	struct posted *list;

	(void)fd;
	(void)what;
	(void)arg;
	pthread_mutex_lock(&post_lock);
	list = post_head;
	post_head = NULL;
	post_tail = &post_head;
	pthread_mutex_unlock(&post_lock);
	while (list != NULL) {
		struct posted *p = list;

		list = p->next;
		p->cb(p->arg);
		free(p);
	}
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	LOG_INFO(0, "signal received: stopping", KV_INT("signal", sig));
	loop_exit();
}

int loop_init(void)
{
	static const int sigs[2] = {SIGINT, SIGTERM};

	if (evthread_use_pthreads() < 0)
		return errno_log(ENOSYS, "cannot set up the event loop's locking");
	base = event_base_new();
	if (base == NULL)
		return errno_log(ENOMEM, "cannot create the event loop");
	post_ev = event_new(base, -1, 0, run_posted, NULL);
	if (post_ev == NULL)
		return errno_log(ENOMEM, "cannot create the event loop's queue");
	for (unsigned i = 0; i < 2; i++) {
		sig_ev[i] = evsignal_new(base, sigs[i], on_signal, NULL);
		if (sig_ev[i] == NULL || event_add(sig_ev[i], NULL) < 0)
			return errno_log(ENOMEM, "cannot watch signals");
	}
	signal(SIGPIPE, SIG_IGN);
	exiting = false;
	return 0;
}

void loop_fini(void)
{
	if (base == NULL)
		return;
	run_posted(-1, 0, NULL);
	while (pending != NULL)
		deferred_free(pending);
	for (unsigned i = 0; i < 2; i++)
		if (sig_ev[i] != NULL)
			event_free(sig_ev[i]);
	if (post_ev != NULL)
		event_free(post_ev);
	event_base_free(base);
	base = NULL;
	post_ev = sig_ev[0] = sig_ev[1] = NULL;
}

int loop_run(void)
{
	if (event_base_dispatch(base) < 0)
		return -EIO;
	return 0;
}

void loop_exit(void)
{
	exiting = true;
	event_base_loopbreak(base);
}

bool loop_exiting(void)
{
	return exiting;
}

struct event_base *loop_base(void)
{
	return base;
}

static void timer_fired(evutil_socket_t fd, short what, void *arg)
{
	struct loop_timer *t = arg;

	(void)fd;
	(void)what;
	t->cb(t->arg);
}

static struct loop_timer *timer_make(loop_cb_t cb, void *arg, short flags)
{
	struct loop_timer *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->cb = cb;
	t->arg = arg;
	t->ev = event_new(base, -1, flags, timer_fired, t);
	if (t->ev == NULL) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

static struct timeval ms_tv(uint64_t ms)
{
	return (struct timeval){.tv_sec = (time_t)(ms / 1000), .tv_usec = (long)(ms % 1000) * 1000};
}

struct loop_timer *loop_timer_new(loop_cb_t cb, void *arg)
{
	return timer_make(cb, arg, 0);
}

void loop_timer_arm(struct loop_timer *t, uint64_t ms)
{
	struct timeval tv = ms_tv(ms);

	event_add(t->ev, &tv);
}

void loop_timer_cancel(struct loop_timer *t)
{
	event_del(t->ev);
}

struct loop_timer *loop_every(uint64_t ms, loop_cb_t cb, void *arg)
{
	struct loop_timer *t = timer_make(cb, arg, EV_PERSIST);

	if (t != NULL)
		loop_timer_arm(t, ms);
	return t;
}

void loop_timer_free(struct loop_timer *t)
{
	if (t == NULL)
		return;
	event_free(t->ev);
	free(t);
}

static void fd_ready(evutil_socket_t fd, short what, void *arg)
{
	struct loop_fd *f = arg;

	f->cb((int)fd, what & (LOOP_READ | LOOP_WRITE), f->arg);
}

_Static_assert(LOOP_READ == EV_READ && LOOP_WRITE == EV_WRITE, "libevent's event bits");

struct loop_fd *loop_fd_add(int fd, short events, loop_fd_cb_t cb, void *arg)
{
	struct loop_fd *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->fd = fd;
	f->cb = cb;
	f->arg = arg;
	if (loop_fd_watch(f, events) < 0) {
		free(f);
		errno = ENOMEM;
		return NULL;
	}
	return f;
}

int loop_fd_watch(struct loop_fd *f, short events)
{
	if (f->ev != NULL)
		event_free(f->ev);
	f->ev = NULL;
	if (events == 0)
		return 0;
	f->ev = event_new(base, f->fd, (short)(events | EV_PERSIST), fd_ready, f);
	if (f->ev == NULL || event_add(f->ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}

void loop_fd_free(struct loop_fd *f)
{
	if (f == NULL)
		return;
	if (f->ev != NULL)
		event_free(f->ev);
	free(f);
}

struct deferred {
	struct event *ev;
	loop_cb_t cb;
	void *arg;
	struct deferred *next, **pprev; // in 'pending', until it runs
};

static void deferred_free(struct deferred *d)
{
	*d->pprev = d->next;
	if (d->next != NULL)
		d->next->pprev = d->pprev;
	event_free(d->ev);
	free(d);
}

static void run_deferred(evutil_socket_t fd, short what, void *arg)
{
	struct deferred *d = arg;

	(void)fd;
	(void)what;
	d->cb(d->arg);
	deferred_free(d);
}

int loop_defer(loop_cb_t cb, void *arg)
{
	struct deferred *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return -ENOMEM;
	d->cb = cb;
	d->arg = arg;
	d->ev = event_new(base, -1, 0, run_deferred, d);
	if (d->ev == NULL) {
		free(d);
		return -ENOMEM;
	}
	d->next = pending;
	d->pprev = &pending;
	if (pending != NULL)
		pending->pprev = &d->next;
	pending = d;
	event_active(d->ev, 0, 0);
	return 0;
}

int loop_post(loop_cb_t cb, void *arg)
{
	struct posted *p = malloc(sizeof(*p));

	if (p == NULL)
		return -ENOMEM;
	p->cb = cb;
	p->arg = arg;
	p->next = NULL;
	pthread_mutex_lock(&post_lock);
	*post_tail = p;
	post_tail = &p->next;
	pthread_mutex_unlock(&post_lock);
	// thread-safe with evthread_use_pthreads
	event_active(post_ev, 0, 0);
	return 0;
}
