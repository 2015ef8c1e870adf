// SPDX-License-Identifier: BSD-3-Clause
// The control thread's event loop: file descriptors, timers, deferred work
// and a queue that other threads post to. Every control subsystem registers
// here; nothing else on the control thread polls or sleeps.
//
// Built on libevent (libevent_core and libevent_pthreads, Debian's
// libevent-dev), as grout's control thread is: a small, proven loop whose
// bufferevents give the control socket non-blocking, bounded buffers, and
// whose sockets-and-timers model is what libcurl's multi interface expects
// for the API-server watcher.
//
// Thread-safety: the control thread only, except loop_post.
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct event_base;

typedef void (*loop_cb_t)(void *arg);

// Sets the loop up (and libevent's locking, for loop_post). Returns 0 or
// -errno.
int loop_init(void);
// Frees the loop; timers and fds still registered are dropped.
void loop_fini(void);

// Runs callbacks until loop_exit. Returns 0 or -errno.
int loop_run(void);
// Makes loop_run return once the callback running now returns.
void loop_exit(void);
bool loop_exiting(void);

// The libevent base, for users that drive libevent objects themselves
// (bufferevents).
struct event_base *loop_base(void);

// Milliseconds on the monotonic clock, as the loop's timers count them.
uint64_t loop_now_ms(void);

// A timer: once (loop_timer_arm) or periodic (loop_every).
struct loop_timer;
struct loop_timer *loop_timer_new(loop_cb_t cb, void *arg);
// Fires 'ms' from now (0: at the next turn); arming again moves it.
void loop_timer_arm(struct loop_timer *t, uint64_t ms);
void loop_timer_cancel(struct loop_timer *t);
// A timer that fires every 'ms'. Returns NULL with errno set on failure.
struct loop_timer *loop_every(uint64_t ms, loop_cb_t cb, void *arg);
// Cancels and frees; NULL is a no-op.
void loop_timer_free(struct loop_timer *t);

// A file descriptor watched for reading or writing (LOOP_READ, LOOP_WRITE),
// until loop_fd_free. The callback gets the events that fired.
#define LOOP_READ 0x02
#define LOOP_WRITE 0x04
typedef void (*loop_fd_cb_t)(int fd, short events, void *arg);
struct loop_fd;
struct loop_fd *loop_fd_add(int fd, short events, loop_fd_cb_t cb, void *arg);
// Changes the events watched (0: none, for now).
int loop_fd_watch(struct loop_fd *f, short events);
void loop_fd_free(struct loop_fd *f);

// Runs 'cb' once, after the callback running now returns. Returns 0 or
// -ENOMEM.
int loop_defer(loop_cb_t cb, void *arg);

// Any thread: runs 'cb' on the control thread, soon, in the order posted.
// Returns 0 or -ENOMEM.
int loop_post(loop_cb_t cb, void *arg);
