// SPDX-License-Identifier: BSD-3-Clause
#include "kube/http.h"
#include "core/loop.h"
#include "errorf.h"
#include "log.h"

#include <curl/curl.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kube_req {
	CURL *easy;
	struct curl_slist *headers;
	kube_data_cb on_data;
	kube_done_cb on_done;
	void *arg;
	long status;
	bool aborted;
	char errbuf[CURL_ERROR_SIZE];
};

static CURLM *multi;
static struct loop_timer *timer;
static unsigned long connects;

static void check_done(void)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(multi, &left)) != NULL) {
		struct kube_req *r = NULL;
		char why[CURL_ERROR_SIZE + 64];
		const char *error = NULL;
		long status = 0;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
		if (r->aborted) {
			error = "ended by pswitchd";
		} else if (m->data.result != CURLE_OK) {
			snprintf(why, sizeof(why), "%s%s%s", curl_easy_strerror(m->data.result),
				r->errbuf[0] ? ": " : "", r->errbuf);
			error = why;
		}
		curl_multi_remove_handle(multi, r->easy);
		{
			kube_done_cb done = r->on_done;
			void *arg = r->arg;

			curl_easy_cleanup(r->easy);
			curl_slist_free_all(r->headers);
			free(r);
			done(arg, status, error);
		}
	}
}

static void on_fd(int fd, short events, void *arg)
{
	int running, mask = 0;

	(void)arg;
	if (events & LOOP_READ)
		mask |= CURL_CSELECT_IN;
	if (events & LOOP_WRITE)
		mask |= CURL_CSELECT_OUT;
	curl_multi_socket_action(multi, fd, mask, &running);
	check_done();
}

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct loop_fd *f = socketp;
	short ev = (what & CURL_POLL_IN ? LOOP_READ : 0) | (what & CURL_POLL_OUT ? LOOP_WRITE : 0);

	(void)easy;
	(void)userp;
	if (what == CURL_POLL_REMOVE) {
		loop_fd_free(f);
		curl_multi_assign(multi, s, NULL);
		return 0;
	}
	if (f == NULL) {
		f = loop_fd_add(s, ev, on_fd, NULL);
		if (f == NULL)
			return -1;
		curl_multi_assign(multi, s, f);
		return 0;
	}
	return loop_fd_watch(f, ev) < 0 ? -1 : 0;
}

static void on_timer(void *arg)
{
	int running;

	(void)arg;
	curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done();
}

static int on_timeout(CURLM *m, long ms, void *userp)
{
	(void)m;
	(void)userp;
	if (ms < 0)
		loop_timer_cancel(timer);
	else
		loop_timer_arm(timer, (uint64_t)ms);
	return 0;
}

int kube_http_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -ENOMEM;
	multi = curl_multi_init();
	timer = loop_timer_new(on_timer, NULL);
	if (multi == NULL || timer == NULL) {
		kube_http_fini();
		return -ENOMEM;
	}
	curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, on_timeout);
	return 0;
}

void kube_http_fini(void)
{
	if (multi != NULL)
		curl_multi_cleanup(multi);
	multi = NULL;
	loop_timer_free(timer);
	timer = NULL;
	curl_global_cleanup();
}

static size_t on_write(char *data, size_t size, size_t n, void *arg)
{
	struct kube_req *r = arg;

	if (r->status == 0)
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->on_data(r->arg, r->status, data, size * n) < 0) {
		r->aborted = true;
		return CURL_WRITEFUNC_ERROR;
	}
	return size * n;
}

static int on_sockopt(void *arg, curl_socket_t fd, curlsocktype purpose)
{
	(void)arg;
	(void)fd;
	if (purpose == CURLSOCKTYPE_IPCXN)
		connects++;
	return CURL_SOCKOPT_OK;
}

static void blob(CURL *e, CURLoption opt, const struct kube_blob *b)
{
	struct curl_blob cb = {.data = b->data, .len = b->len, .flags = CURL_BLOB_COPY};

	curl_easy_setopt(e, opt, &cb);
}

struct kube_req *kube_http_get(const struct kube_creds *c, const char *path, long timeout_s,
	kube_data_cb on_data, kube_done_cb on_done, void *arg, char *err, size_t elen)
{
	struct kube_req *r = calloc(1, sizeof(*r));
	char url[8192], *auth = NULL;

	if (r == NULL || (r->easy = curl_easy_init()) == NULL) {
		free(r);
		psw_errorf(err, elen, -ENOMEM, "out of memory");
		return NULL;
	}
	r->on_data = on_data;
	r->on_done = on_done;
	r->arg = arg;
	snprintf(url, sizeof(url), "%s%s", c->server, path);
	r->headers = curl_slist_append(NULL, "Accept: application/json");
	if (c->token != NULL && asprintf(&auth, "Authorization: Bearer %s", c->token) > 0) {
		r->headers = curl_slist_append(r->headers, auth);
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	curl_easy_setopt(r->easy, CURLOPT_URL, url);
	curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(r->easy, CURLOPT_USERAGENT, "pswitchd/" PSW_VERSION " (linux) pswitch");
	curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
	curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_SOCKOPTFUNCTION, on_sockopt);
	curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPIDLE, 30L);
	curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPINTVL, 10L);
	curl_easy_setopt(r->easy, CURLOPT_ACCEPT_ENCODING, "");
	// the cluster CA alone: not the host's bundle
	curl_easy_setopt(r->easy, CURLOPT_CAINFO, NULL);
	curl_easy_setopt(r->easy, CURLOPT_CAPATH, NULL);
	if (c->ca.len > 0)
		blob(r->easy, CURLOPT_CAINFO_BLOB, &c->ca);
	if (c->cert.len > 0) {
		blob(r->easy, CURLOPT_SSLCERT_BLOB, &c->cert);
		curl_easy_setopt(r->easy, CURLOPT_SSLCERTTYPE, "PEM");
		blob(r->easy, CURLOPT_SSLKEY_BLOB, &c->key);
		curl_easy_setopt(r->easy, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (c->insecure) {
		curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (curl_multi_add_handle(multi, r->easy) != CURLM_OK) {
		curl_easy_cleanup(r->easy);
		curl_slist_free_all(r->headers);
		free(r);
		psw_errorf(err, elen, -ENOMEM, "cannot start a request");
		return NULL;
	}
	return r;
}

void kube_http_cancel(struct kube_req *r)
{
	if (r == NULL)
		return;
	curl_multi_remove_handle(multi, r->easy);
	curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	free(r);
}

unsigned long kube_http_connects(void)
{
	return connects;
}
