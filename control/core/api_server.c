// SPDX-License-Identifier: BSD-3-Clause
#include "core/api_server.h"
#include "core/api.h"
#include "core/loop.h"
#include "ctl_proto.h"
#include "log.h"

#include <psw/ctl.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

// Output a client has not read yet beyond which its next request waits.
#define OUT_PAUSE (1u << 20)
// What a streamed reply is filled to each time the client has read it down
// to half of that.
#define STREAM_CHUNK (256u << 10)
// A client idle this long may be closed to make room for a new one.
#define EVICT_IDLE_MS 1000
#define SWEEP_MS 250

struct client {
	TAILQ_ENTRY(client) link;
	struct bufferevent *bev;
	unsigned id;
	size_t scanned;       // bytes of input known to hold no newline
	uint64_t last_ms;     // last request finished, or connected
	uint64_t request_ms;  // first byte of the request under way, or 0
	uint64_t reply_ms;    // the reply under way started, or 0
	struct api_stream stream; // next != NULL: a reply being produced
	bool large;           // holds one of the API_LARGE_SLOTS
	bool waiting_large;   // wants one
	bool closing;         // close once the output is written
	bool exit_after;      // stop the daemon once the output is written
	bool eof;             // the client sent all it will send
};

static TAILQ_HEAD(, client) clients = TAILQ_HEAD_INITIALIZER(clients);
static unsigned n_clients, large_used, next_id;
static struct api_limits limits = API_LIMITS_DEFAULT;
static int listen_fd = -1;
static char listen_path[108];
static struct loop_fd *listen_ev;
static struct loop_timer *sweep;

static void client_process(struct client *c);

unsigned api_server_clients(void)
{
	return n_clients;
}

static struct evbuffer *in_of(struct client *c)
{
	return bufferevent_get_input(c->bev);
}

static struct evbuffer *out_of(struct client *c)
{
	return bufferevent_get_output(c->bev);
}

static void release_large(struct client *c)
{
	struct client *w;

	if (!c->large)
		return;
	c->large = false;
	large_used--;
	bufferevent_setwatermark(c->bev, EV_READ, 0, API_SMALL_INPUT);
	TAILQ_FOREACH(w, &clients, link) {
		if (w->waiting_large && large_used < API_LARGE_SLOTS) {
			w->waiting_large = false;
			w->large = true;
			large_used++;
			bufferevent_setwatermark(w->bev, EV_READ, 0, PSW_CTL_MAX_MESSAGE + 1);
		}
	}
}

static void client_free(struct client *c)
{
	TAILQ_REMOVE(&clients, c, link);
	n_clients--;
	if (c->stream.next != NULL)
		c->stream.done(c->stream.arg);
	c->waiting_large = false;
	release_large(c);
	bufferevent_free(c->bev);
	free(c);
}

// Queues 'msg' and its newline. Returns 0 or -ENOMEM.
static int queue_json(struct client *c, const json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	int ret = 0;

	if (text == NULL)
		return -ENOMEM;
	if (evbuffer_add(out_of(c), text, strlen(text)) < 0 || evbuffer_add(out_of(c), "\n", 1) < 0)
		ret = -ENOMEM;
	free(text);
	return ret;
}

static void queue_error(struct client *c, int status, const char *text)
{
	json_t *msg = json_pack("{s:i,s:s}", "status", status, "error", text);

	if (msg != NULL)
		queue_json(c, msg);
	json_decref(msg);
}

// Says why, and closes once that is written; reads nothing more.
static void client_refuse(struct client *c, int status, const char *why)
{
	LOG_INFO(1, "control client refused", KV_UINT("client", c->id), KV_STR("reason", why));
	queue_error(c, status, why);
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	if (evbuffer_get_length(out_of(c)) == 0)
		client_free(c);
}

static void stream_fill(struct client *c)
{
	struct evbuffer *out = out_of(c);

	while (c->stream.next != NULL && evbuffer_get_length(out) < STREAM_CHUNK) {
		if (!c->stream.next(c->stream.arg, out, STREAM_CHUNK)) {
			c->stream.done(c->stream.arg);
			c->stream.next = NULL;
			evbuffer_add(out, "}\n", 2);
		}
	}
}

// Answers one request line of 'len' bytes at the head of the input.
static void answer(struct client *c, size_t len)
{
	struct evbuffer *in = in_of(c);
	const char *line = (const char *)evbuffer_pullup(in, (ssize_t)len);
	struct api_stream stream = {0};
	bool exit_after = false;
	json_error_t jerr;
	json_t *req, *reply;

	req = line ? json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
	evbuffer_drain(in, len + 1);
	c->scanned = 0;
	c->request_ms = evbuffer_get_length(in) > 0 ? loop_now_ms() : 0;
	if (evbuffer_get_length(in) < API_SMALL_INPUT)
		release_large(c);
	if (req == NULL) {
		char err[256];

		snprintf(err, sizeof(err), "bad JSON at column %d: %s", jerr.column, jerr.text);
		reply = json_pack("{s:i,s:s}", "status", -EINVAL, "error", err);
	} else if (!json_is_object(req)) {
		reply = json_pack("{s:i,s:s}", "status", -EINVAL, "error",
			"a message must be a JSON object");
	} else {
		reply = api_dispatch(req, &stream, &exit_after);
	}
	json_decref(req);
	c->reply_ms = loop_now_ms();
	if (reply == NULL) {
		queue_error(c, -ENOMEM, "out of memory");
	} else if (stream.next != NULL) {
		// {"status":0,"result": ... } with the result produced as it is read
		evbuffer_add_printf(out_of(c), "{\"status\":%d,\"result\":",
			(int)json_integer_value(json_object_get(reply, "status")));
		c->stream = stream;
		stream_fill(c);
	} else {
		queue_json(c, reply);
	}
	json_decref(reply);
	c->exit_after |= exit_after;
	c->last_ms = loop_now_ms();
}

// Answers the complete requests buffered, while the client reads what it
// was sent; notes how far a partial one has come.
static void client_process(struct client *c)
{
	struct evbuffer *in = in_of(c);

	while (!c->closing && c->stream.next == NULL && !c->exit_after &&
	       evbuffer_get_length(out_of(c)) < OUT_PAUSE) {
		size_t len = evbuffer_get_length(in);
		struct evbuffer_ptr start, nl;

		if (len == 0)
			break;
		if (c->request_ms == 0)
			c->request_ms = loop_now_ms();
		evbuffer_ptr_set(in, &start, c->scanned, EVBUFFER_PTR_SET);
		nl = evbuffer_search(in, "\n", 1, &start);
		if (nl.pos < 0) {
			c->scanned = len;
			if (len > PSW_CTL_MAX_MESSAGE) {
				client_refuse(c, -EMSGSIZE, "message too long (the limit is "
					PSW_CTL_MAX_MESSAGE_TEXT ")");
				return;
			}
			if (len >= API_SMALL_INPUT && !c->large && !c->waiting_large) {
				if (large_used < API_LARGE_SLOTS) {
					c->large = true;
					large_used++;
					bufferevent_setwatermark(c->bev, EV_READ, 0,
						PSW_CTL_MAX_MESSAGE + 1);
				} else {
					c->waiting_large = true;
				}
			}
			break;
		}
		if ((size_t)nl.pos > PSW_CTL_MAX_MESSAGE) {
			client_refuse(c, -EMSGSIZE, "message too long (the limit is "
				PSW_CTL_MAX_MESSAGE_TEXT ")");
			return;
		}
		answer(c, (size_t)nl.pos);
	}
	if (c->eof && !c->closing && c->stream.next == NULL &&
	    evbuffer_search(in, "\n", 1, NULL).pos < 0) {
		c->closing = true;
		if (evbuffer_get_length(out_of(c)) == 0)
			client_free(c);
	}
}

static void on_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	client_process(arg);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;

	(void)bev;
	stream_fill(c);
	if (evbuffer_get_length(out_of(c)) > 0)
		return;
	c->reply_ms = 0;
	if (c->exit_after) {
		LOG_INFO(0, "stopping on request");
		loop_exit();
		c->exit_after = false;
	}
	if (c->closing) {
		client_free(c);
		return;
	}
	client_process(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct client *c = arg;

	(void)bev;
	if (what & BEV_EVENT_EOF) {
		// requests sent before a half-close are still answered
		c->eof = true;
		client_process(c);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		LOG_INFO(2, "control client gone", KV_UINT("client", c->id),
			KV_ERR(EVUTIL_SOCKET_ERROR()));
		client_free(c);
	}
}

static bool client_idle(const struct client *c)
{
	return c->stream.next == NULL && c->request_ms == 0 && !c->closing &&
		evbuffer_get_length(bufferevent_get_output(c->bev)) == 0 &&
		evbuffer_get_length(bufferevent_get_input(c->bev)) == 0;
}

// Makes room for a new client by closing the one idle longest, if any has
// been idle a while: silent clients never lock active ones out.
static bool evict_idle(uint64_t now)
{
	struct client *c, *oldest = NULL;

	TAILQ_FOREACH(c, &clients, link)
		if (client_idle(c) && now - c->last_ms >= EVICT_IDLE_MS &&
		    (oldest == NULL || c->last_ms < oldest->last_ms))
			oldest = c;
	if (oldest == NULL)
		return false;
	LOG_INFO(2, "idle control client closed to make room", KV_UINT("client", oldest->id));
	client_free(oldest);
	return true;
}

static void refuse_fd(int fd)
{
	char msg[160];
	int n = snprintf(msg, sizeof(msg), "{\"status\":%d,\"error\":\"too many control clients "
		"(%u) are busy: try again\"}\n", -EBUSY, limits.max_clients);

	(void)!send(fd, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
}

static void on_accept(int lfd, short events, void *arg)
{
	uint64_t now = loop_now_ms();
	struct client *c;
	int fd;

	(void)events;
	(void)arg;
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (n_clients >= limits.max_clients && !evict_idle(now)) {
		LOG_WARN("too many busy control clients: refusing one",
			KV_UINT("max_clients", limits.max_clients));
		refuse_fd(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c != NULL)
		c->bev = bufferevent_socket_new(loop_base(), fd, BEV_OPT_CLOSE_ON_FREE);
	if (c == NULL || c->bev == NULL) {
		free(c);
		close(fd);
		return;
	}
	c->id = ++next_id;
	c->last_ms = now;
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, API_SMALL_INPUT);
	bufferevent_setwatermark(c->bev, EV_WRITE, STREAM_CHUNK / 2, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&clients, c, link);
	n_clients++;
}

// Closes clients past their deadlines: a request that does not arrive
// whole, a reply not read in time, a client idle too long.
static void on_sweep(void *arg)
{
	uint64_t now = loop_now_ms();
	struct client *c, *next;

	(void)arg;
	for (c = TAILQ_FIRST(&clients); c != NULL; c = next) {
		next = TAILQ_NEXT(c, link);
		if (c->reply_ms != 0 && now - c->reply_ms >= limits.io_timeout_ms &&
		    (evbuffer_get_length(out_of(c)) > 0 || c->stream.next != NULL)) {
			LOG_INFO(1, "control client did not read its reply in time: closed",
				KV_UINT("client", c->id), KV_UINT("timeout_ms", limits.io_timeout_ms));
			client_free(c);
		} else if (c->request_ms != 0 && !c->closing && c->stream.next == NULL &&
			   evbuffer_get_length(out_of(c)) == 0 &&
			   now - c->request_ms >= limits.io_timeout_ms) {
			client_refuse(c, -ETIMEDOUT, "request not received whole in time");
		} else if (client_idle(c) && now - c->last_ms >= limits.idle_timeout_ms) {
			LOG_INFO(2, "idle control client closed", KV_UINT("client", c->id));
			client_free(c);
		}
	}
}

int api_server_start(const char *path, const struct api_limits *lim)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct stat st;
	mode_t old;

	limits = *lim;
	if (strlen(path) >= sizeof(addr.sun_path))
		return errno_log(ENAMETOOLONG, "control socket path too long");
	strcpy(addr.sun_path, path);
	snprintf(listen_path, sizeof(listen_path), "%s", path);
	if (lstat(path, &st) == 0) {
		int fd;

		if (!S_ISSOCK(st.st_mode)) {
			LOG_ERR("the control socket's path is taken by something else",
				KV_STR("path", path));
			return -EEXIST;
		}
		fd = ctl_connect(path);
		if (fd >= 0) {
			close(fd);
			LOG_ERR("another pswitchd answers on the control socket", KV_STR("path", path));
			return -EADDRINUSE;
		}
		unlink(path);
	}
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (listen_fd < 0)
		return errno_log(errno, "cannot create control socket");
	old = umask(0077); // root only: the socket controls the switch
	if (bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int err = errno;

		umask(old);
		return errno_log(err, "cannot bind control socket");
	}
	umask(old);
	if (chmod(path, 0600) < 0)
		return errno_log(errno, "cannot restrict the control socket to root");
	if (listen(listen_fd, 128) < 0)
		return errno_log(errno, "cannot listen on control socket");
	listen_ev = loop_fd_add(listen_fd, LOOP_READ, on_accept, NULL);
	sweep = loop_every(SWEEP_MS, on_sweep, NULL);
	if (listen_ev == NULL || sweep == NULL)
		return errno_log(ENOMEM, "cannot watch the control socket");
	LOG_INFO(0, "control socket ready", KV_STR("path", path),
		KV_UINT("max_clients", limits.max_clients));
	return 0;
}

void api_server_stop(void)
{
	while (!TAILQ_EMPTY(&clients))
		client_free(TAILQ_FIRST(&clients));
	loop_fd_free(listen_ev);
	loop_timer_free(sweep);
	listen_ev = NULL;
	sweep = NULL;
	if (listen_fd >= 0) {
		close(listen_fd);
		unlink(listen_path);
	}
	listen_fd = -1;
}
