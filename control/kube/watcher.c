// SPDX-License-Identifier: BSD-3-Clause
#include "kube/watcher.h"
#include "cluster/kube_object.h"
#include "cluster/store.h"
#include "core/loop.h"
#include "errorf.h"
#include "kube/http.h"
#include "kube/watch_event.h"
#include "log.h"

#include <curl/curl.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE_LIMIT 500
#define LIST_BODY_MAX (256u << 20)   // one page of a list, whole
#define EVENT_MAX (16u << 20)        // one watch event (an object is at most ~1.5 MiB)
#define ERROR_BODY_MAX 65536         // a failed request's Status
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000
#define LIST_TIMEOUT_S 120

static const char *const paths[KUBE_KINDS] = {
	[KUBE_POD] = "/api/v1/pods",
	[KUBE_NAMESPACE] = "/api/v1/namespaces",
	[KUBE_NODE] = "/api/v1/nodes",
	[KUBE_NETPOL] = "/apis/networking.k8s.io/v1/networkpolicies",
};

enum state { ST_LISTING, ST_WATCHING, ST_BACKOFF, ST_STATES };
static const char *const state_names[ST_STATES] = {"listing", "watching", "backing off"};

struct watch {
	enum kube_kind kind;
	enum state state;
	struct kube_req *req;
	struct loop_timer *retry;
	char rv[128];           // the last resourceVersion seen
	char *cont;             // the list's continue token, or NULL
	json_t *fresh;          // the list's objects so far, key to form
	char *body;             // a list page or an error's Status
	size_t body_len;
	bool body_overflow;
	struct watch_lines lines;
	bool relist;            // once this request ends: list again
	bool synced;            // listed once at least
	unsigned cont_expired;  // lists restarted in a row on an expired continue
	uint64_t backoff_ms;
	uint64_t events[WATCH_TYPES], bad_events, bad_objects, lists, relists, watches, errors;
	char last_error[512];
	time_t last_error_at;
};

static struct watch watches[KUBE_KINDS];
static struct kube_creds creds;
static unsigned watch_timeout_s;
static uint64_t token_reloads, auth_failures;
static char last_error[600];

static void start_list(struct watch *w);
static void start_watch(struct watch *w);

static void fail(struct watch *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

// Logs what went wrong (with the resource), keeps it for pswitchctl
// cluster, and retries after the backoff.
static void fail(struct watch *w, const char *fmt, ...)
{
	va_list ap;
	uint64_t delay;

	va_start(ap, fmt);
	vsnprintf(w->last_error, sizeof(w->last_error), fmt, ap);
	va_end(ap);
	w->errors++;
	w->last_error_at = time(NULL);
	snprintf(last_error, sizeof(last_error), "%s: %s", kube_resources[w->kind], w->last_error);
	w->backoff_ms = w->backoff_ms == 0 ? BACKOFF_MIN_MS : w->backoff_ms * 2;
	if (w->backoff_ms > BACKOFF_MAX_MS)
		w->backoff_ms = BACKOFF_MAX_MS;
	// full jitter over the upper half: clients that failed together do
	// not come back together
	delay = w->backoff_ms / 2 + (uint64_t)random() % (w->backoff_ms / 2 + 1);
	LOG_ERR("API server request failed", KV_STR("resource", kube_resources[w->kind]),
		KV_STR("err", w->last_error), KV_UINT("retry_ms", delay));
	w->state = ST_BACKOFF;
	loop_timer_arm(w->retry, delay);
}

static void on_retry(void *arg)
{
	struct watch *w = arg;

	if (w->relist || !w->synced)
		start_list(w);
	else
		start_watch(w);
}

static void body_reset(struct watch *w)
{
	free(w->body);
	w->body = NULL;
	w->body_len = 0;
	w->body_overflow = false;
}

static int body_add(struct watch *w, const char *data, size_t n, size_t max)
{
	char *b;

	if (w->body_len + n > max) {
		w->body_overflow = true;
		return -E2BIG;
	}
	b = realloc(w->body, w->body_len + n + 1);
	if (b == NULL)
		return -ENOMEM;
	memcpy(b + w->body_len, data, n);
	w->body = b;
	w->body_len += n;
	w->body[w->body_len] = '\0';
	return 0;
}

// A failed request's reason: its Status' message, else its status.
static void status_reason(const struct watch *w, long status, char *buf, size_t len)
{
	json_t *s = w->body ? json_loadb(w->body, w->body_len, 0, NULL) : NULL;
	const char *msg = json_string_value(json_object_get(s, "message"));
	const char *reason = json_string_value(json_object_get(s, "reason"));

	snprintf(buf, len, "HTTP %ld%s%s%s%.300s", status, reason ? " " : "", reason ? reason : "",
		msg ? ": " : "", msg ? msg : "");
	json_decref(s);
}

// Before each request: a rotated token file is read again.
static void refresh_token(void)
{
	char err[512];
	int ret = kube_creds_reread_token(&creds, err, sizeof(err));

	if (ret > 0) {
		token_reloads++;
		LOG_INFO(0, "API token read again: the token file changed",
			KV_STR("file", creds.token_file));
	} else if (ret < 0) {
		LOG_WARN("cannot read the token file again; the old token stays", KV_STR("err", err));
	}
}

static bool begin(struct watch *w, const char *path, long timeout_s, kube_data_cb data,
	kube_done_cb done)
{
	char err[256];

	refresh_token();
	if (creds.insecure)
		LOG_WARN("API server's certificate NOT verified (insecure-skip-tls-verify)",
			KV_STR("server", creds.server));
	body_reset(w);
	w->req = kube_http_get(&creds, path, timeout_s, data, done, w, err, sizeof(err));
	if (w->req == NULL) {
		fail(w, "%s", err);
		return false;
	}
	return true;
}

// The key of an object whose form cannot be read (a DELETED event for it
// must still delete it).
static bool raw_key(enum kube_kind k, const json_t *obj, char *buf, size_t len)
{
	const json_t *md = json_object_get(obj, "metadata");
	const char *ns = json_string_value(json_object_get(md, "namespace"));
	const char *name = json_string_value(json_object_get(md, "name"));

	if (name == NULL || name[0] == '\0')
		return false;
	if (k == KUBE_POD || k == KUBE_NETPOL) {
		if (ns == NULL || ns[0] == '\0')
			return false;
		snprintf(buf, len, "%s/%s", ns, name);
	} else {
		snprintf(buf, len, "%s", name);
	}
	return true;
}

// ---- list ----------------------------------------------------------

static int on_list_data(void *arg, long status, const char *data, size_t n)
{
	struct watch *w = arg;

	return body_add(w, data, n, status == 200 ? LIST_BODY_MAX : ERROR_BODY_MAX);
}

static void set_rv(struct watch *w, const char *rv)
{
	if (rv != NULL && rv[0] != '\0' && strlen(rv) < sizeof(w->rv))
		snprintf(w->rv, sizeof(w->rv), "%s", rv);
}

// One page read: its objects go to 'fresh'. Returns 0, or -EINVAL with a
// sentence.
static int read_page(struct watch *w, char *err, size_t elen)
{
	json_error_t je;
	json_t *list = json_loadb(w->body, w->body_len, 0, &je), *item;
	const json_t *md = json_object_get(list, "metadata"), *items = json_object_get(list, "items");
	const char *rv = json_string_value(json_object_get(md, "resourceVersion"));
	const char *cont = json_string_value(json_object_get(md, "continue"));
	size_t i;

	if (list == NULL)
		return psw_errorf(err, elen, -EINVAL, "the list is not JSON: %s", je.text);
	if (!json_is_array(items) && !json_is_null(items) && items != NULL) {
		json_decref(list);
		return psw_errorf(err, elen, -EINVAL, "the list's items are not an array");
	}
	if (rv == NULL || rv[0] == '\0' || strlen(rv) >= sizeof(w->rv)) {
		json_decref(list);
		return psw_errorf(err, elen, -EINVAL, "the list has no resourceVersion");
	}
	json_array_foreach(items, i, item) {
		char why[256], key[KUBE_KEY_MAX];
		json_t *form = kube_object_read(w->kind, item, why, sizeof(why));

		if (form == NULL) {
			w->bad_objects++;
			LOG_WARN("an object of the API server's list left out",
				KV_STR("resource", kube_resources[w->kind]), KV_STR("err", why));
			continue;
		}
		kube_object_key(w->kind, form, key, sizeof(key));
		json_object_set_new(w->fresh, key, form);
	}
	set_rv(w, rv);
	free(w->cont);
	w->cont = cont && cont[0] ? strdup(cont) : NULL;
	json_decref(list);
	return 0;
}

static void on_list_done(void *arg, long status, const char *error)
{
	struct watch *w = arg;
	char err[512], why[400];

	w->req = NULL;
	if (error != NULL) {
		fail(w, "list: %s", w->body_overflow ? "a page of the list is too large" : error);
		return;
	}
	if (status == 410 && w->cont != NULL) {
		// the continue token expired: the list starts again, whole (at
		// once the first time, after the backoff when it keeps expiring)
		LOG_INFO(0, "list continuation expired; listing again",
			KV_STR("resource", kube_resources[w->kind]));
		free(w->cont);
		w->cont = NULL;
		if (w->cont_expired++ == 0)
			start_list(w);
		else
			fail(w, "list: the continuation expired again");
		return;
	}
	if (status != 200) {
		status_reason(w, status, why, sizeof(why));
		if (status == 401 || status == 403)
			auth_failures++;
		fail(w, "list: %s", why);
		return;
	}
	if (read_page(w, err, sizeof(err)) < 0) {
		fail(w, "list: %s", err);
		return;
	}
	body_reset(w);
	if (w->cont != NULL) {
		start_list(w);
		return;
	}
	if (cluster_replace_all(w->kind, w->fresh, err, sizeof(err)) < 0) {
		w->fresh = NULL;
		fail(w, "cannot apply the list: %s", err);
		return;
	}
	w->fresh = NULL;
	w->cont_expired = 0;
	w->lists++;
	if (w->synced)
		w->relists++;
	w->synced = true;
	w->relist = false;
	w->backoff_ms = 0;
	LOG_INFO(1, "listed", KV_STR("resource", kube_resources[w->kind]), KV_STR("resourceVersion", w->rv),
		KV_UINT("objects", json_object_size(cluster_all(w->kind))));
	start_watch(w);
}

static void start_list(struct watch *w)
{
	char path[8192];
	char *esc = NULL;

	if (w->cont == NULL) {
		json_decref(w->fresh);
		w->fresh = json_object();
	}
	if (w->cont != NULL)
		esc = curl_easy_escape(NULL, w->cont, 0);
	snprintf(path, sizeof(path), "%s?limit=%d%s%s", paths[w->kind], PAGE_LIMIT,
		esc ? "&continue=" : "", esc ? esc : "");
	curl_free(esc);
	w->state = ST_LISTING;
	begin(w, path, LIST_TIMEOUT_S, on_list_data, on_list_done);
}

// ---- watch ---------------------------------------------------------

static void apply_event(struct watch *w, struct watch_event *ev)
{
	char err[256], key[KUBE_KEY_MAX];
	json_t *form;

	if (ev->type == WATCH_DELETED) {
		if (!raw_key(w->kind, ev->object, key, sizeof(key))) {
			w->bad_events++;
			LOG_WARN("a DELETED event without a name", KV_STR("resource", kube_resources[w->kind]));
			return;
		}
		if (cluster_delete(w->kind, key, err, sizeof(err)) < 0)
			LOG_ERR("cannot apply a deletion", KV_STR("key", key), KV_STR("err", err));
		return;
	}
	form = kube_object_read(w->kind, ev->object, err, sizeof(err));
	if (form == NULL) {
		// what the store held of it stays: an object that cannot be
		// read is never taken half
		w->bad_events++;
		LOG_WARN("an object of a watch event left out", KV_STR("resource", kube_resources[w->kind]),
			KV_STR("type", watch_type_names[ev->type]), KV_STR("err", err));
		return;
	}
	kube_object_key(w->kind, form, key, sizeof(key));
	if (cluster_upsert(w->kind, form, err, sizeof(err)) < 0)
		LOG_ERR("cannot apply an event", KV_STR("key", key), KV_STR("err", err));
}

// pswitchd's own time for an event, from its whole line read to its
// change published: the last APPLY_SAMPLES, for pswitchctl cluster's
// percentiles.
#define APPLY_SAMPLES 4096
static uint32_t apply_ns[APPLY_SAMPLES];
static uint64_t applied;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static json_t *apply_stats(void)
{
	size_t n = applied < APPLY_SAMPLES ? applied : APPLY_SAMPLES;
	uint32_t *v = n ? malloc(n * sizeof(*v)) : NULL;
	json_t *o;

	if (v == NULL)
		return json_pack("{s:I}", "events", (json_int_t)applied);
	memcpy(v, apply_ns, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_u32);
	o = json_pack("{s:I,s:I,s:f,s:f,s:f}", "events", (json_int_t)applied, "samples", (json_int_t)n,
		"p50_us", v[n / 2] / 1000.0, "p99_us", v[n * 99 / 100] / 1000.0, "max_us", v[n - 1] / 1000.0);
	free(v);
	return o;
}

static int on_line(void *arg, const char *line, size_t len)
{
	struct watch *w = arg;
	struct watch_event ev;
	char err[256];
	uint64_t t0 = now_ns();

	if (watch_event_parse(line, len, &ev, err, sizeof(err)) < 0) {
		// an event not understood may be one missed: the stream is
		// dropped and resumed from the last version applied
		w->bad_events++;
		snprintf(w->last_error, sizeof(w->last_error), "watch: %s", err);
		LOG_WARN("bad watch event; resuming the watch", KV_STR("resource", kube_resources[w->kind]),
			KV_STR("err", err));
		return -EINVAL;
	}
	w->events[ev.type]++;
	switch (ev.type) {
	case WATCH_ERROR:
		if (ev.code == 410) {
			LOG_INFO(0, "watch history gone (410); listing again",
				KV_STR("resource", kube_resources[w->kind]), KV_STR("resourceVersion", w->rv));
			w->relist = true;
		} else {
			snprintf(w->last_error, sizeof(w->last_error), "watch: ERROR %ld: %.300s", ev.code,
				ev.message);
			LOG_WARN("watch ERROR event", KV_STR("resource", kube_resources[w->kind]),
				KV_INT("code", ev.code), KV_STR("message", ev.message));
		}
		watch_event_clear(&ev);
		return -EPIPE;
	case WATCH_BOOKMARK:
		break;
	default:
		apply_event(w, &ev);
		{
			uint64_t dt = now_ns() - t0;

			apply_ns[applied++ % APPLY_SAMPLES] = dt > UINT32_MAX ? UINT32_MAX : (uint32_t)dt;
		}
		break;
	}
	set_rv(w, ev.resource_version);
	w->backoff_ms = 0;
	watch_event_clear(&ev);
	return 0;
}

static int on_watch_data(void *arg, long status, const char *data, size_t n)
{
	struct watch *w = arg;
	int ret;

	if (status != 200)
		return body_add(w, data, n, ERROR_BODY_MAX);
	ret = watch_lines_feed(&w->lines, data, n, on_line, w);
	if (ret == -E2BIG) {
		w->bad_events++;
		snprintf(w->last_error, sizeof(w->last_error), "watch: an event larger than %u bytes",
			EVENT_MAX);
	}
	return ret;
}

static void on_watch_done(void *arg, long status, const char *error)
{
	struct watch *w = arg;
	char why[400];

	w->req = NULL;
	if (w->relist || status == 410) {
		if (status == 410)
			LOG_INFO(0, "watch history gone (410); listing again",
				KV_STR("resource", kube_resources[w->kind]), KV_STR("resourceVersion", w->rv));
		w->relist = true;
		start_list(w);
		return;
	}
	if (status != 200 && status != 0) {
		status_reason(w, status, why, sizeof(why));
		if (status == 401 || status == 403)
			auth_failures++;
		fail(w, "watch: %s", why);
		return;
	}
	if (error != NULL) {
		char what[sizeof(w->last_error)];

		// ended by pswitchd: the reason is already in last_error
		snprintf(what, sizeof(what), "%s", strcmp(error, "ended by pswitchd") == 0 ?
			w->last_error : error);
		fail(w, "%s%s", strncmp(what, "watch: ", 7) == 0 ? "" : "watch: ", what);
		return;
	}
	// the server ended it (timeoutSeconds): resume at once
	start_watch(w);
}

static void start_watch(struct watch *w)
{
	unsigned ts = watch_timeout_s + (unsigned)random() % (watch_timeout_s + 1);
	char path[512];

	snprintf(path, sizeof(path),
		"%s?watch=1&allowWatchBookmarks=true&resourceVersion=%s&timeoutSeconds=%u", paths[w->kind],
		w->rv, ts);
	watch_lines_reset(&w->lines);
	w->state = ST_WATCHING;
	w->watches++;
	// a stream still open well after the server should have ended it is
	// a server that stopped answering
	begin(w, path, (long)ts + (long)(watch_timeout_s < 30 ? watch_timeout_s : 30) + 1, on_watch_data,
		on_watch_done);
}

// ---- start, stop, status --------------------------------------------

int watcher_start(struct kube_creds *c, unsigned watch_s, char *err, size_t elen)
{
	int ret = kube_http_init();

	creds = *c;
	memset(c, 0, sizeof(*c));
	watch_timeout_s = watch_s ? watch_s : 300;
	if (ret < 0)
		return psw_errorf(err, elen, ret, "cannot start libcurl");
	srandom((unsigned)time(NULL) ^ (unsigned)loop_now_ms());
	for (unsigned k = 0; k < KUBE_KINDS; k++) {
		struct watch *w = &watches[k];

		memset(w, 0, sizeof(*w));
		w->kind = (enum kube_kind)k;
		watch_lines_init(&w->lines, EVENT_MAX);
		w->retry = loop_timer_new(on_retry, w);
		if (w->retry == NULL)
			return psw_errorf(err, elen, -ENOMEM, "out of memory");
	}
	LOG_INFO(0, "watching the API server", KV_STR("server", creds.server), KV_STR("from", creds.origin),
		KV_STR("auth", creds.cert.len ? "client certificate" : creds.token ? "bearer token" : "none"),
		KV_UINT("watch_timeout_s", watch_timeout_s));
	for (unsigned k = 0; k < KUBE_KINDS; k++)
		start_list(&watches[k]);
	return 0;
}

void watcher_stop(void)
{
	for (unsigned k = 0; k < KUBE_KINDS; k++) {
		struct watch *w = &watches[k];

		kube_http_cancel(w->req);
		w->req = NULL;
		loop_timer_free(w->retry);
		w->retry = NULL;
		json_decref(w->fresh);
		w->fresh = NULL;
		free(w->cont);
		w->cont = NULL;
		body_reset(w);
		watch_lines_fini(&w->lines);
	}
	kube_http_fini();
	kube_creds_free(&creds);
}

json_t *watcher_status(void)
{
	json_t *kinds = json_object();

	for (unsigned k = 0; k < KUBE_KINDS; k++) {
		const struct watch *w = &watches[k];
		json_t *ev = json_object();

		for (unsigned t = 0; t < WATCH_TYPES; t++)
			json_object_set_new(ev, watch_type_names[t], json_integer((json_int_t)w->events[t]));
		json_object_set_new(kinds, kube_resources[k], json_pack(
			"{s:s,s:b,s:s,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:I}",
			"state", state_names[w->state], "synced", w->synced, "resourceVersion", w->rv,
			"events", ev, "bad_events", (json_int_t)w->bad_events,
			"bad_objects", (json_int_t)w->bad_objects, "lists", (json_int_t)w->lists,
			"relists", (json_int_t)w->relists, "watches", (json_int_t)w->watches,
			"errors", (json_int_t)w->errors, "last_error", w->last_error,
			"last_error_at", (json_int_t)w->last_error_at));
	}
	return json_pack("{s:s,s:s,s:s,s:s,s:b,s:I,s:I,s:I,s:s,s:o,s:o}", "source", "api", "server",
		creds.server, "from", creds.origin,
		"auth", creds.cert.len ? "client certificate" : creds.token ? "bearer token" : "none",
		"insecure", creds.insecure, "connects", (json_int_t)kube_http_connects(),
		"token_reloads", (json_int_t)token_reloads, "auth_failures", (json_int_t)auth_failures,
		"last_error", last_error, "kinds", kinds, "apply", apply_stats());
}
