// SPDX-License-Identifier: BSD-3-Clause
#include "ports/port_policing.h"
#include "errorf.h"
#include "policer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <urcu-qsbr.h>

#define MAX_RATE_KBPS 400000000L // 400 Gbit/s
#define MAX_BURST_KB ((long)(POLICER_MAX_BURST_BYTES * 8 / 1000))
#define MIN_DEFAULT_BURST_KB 80

static const char *const keys[] = {"ingress_policing_rate", "ingress_policing_burst",
	"egress_policing_rate", "egress_policing_burst"};

bool port_policing_key(const char *key)
{
	for (unsigned i = 0; i < RTE_DIM(keys); i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

// A number of 0 .. max, given as a JSON integer or a decimal string.
static int opt_num(const json_t *opts, const char *key, long max, long *out, char *err, size_t elen)
{
	const json_t *v = json_object_get(opts, key);
	char *end;

	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		*out = (long)json_integer_value(v);
	} else if (json_is_string(v) && json_string_value(v)[0] != '\0') {
		errno = 0;
		*out = strtol(json_string_value(v), &end, 10);
		if (errno || *end != '\0')
			goto bad;
	} else {
		goto bad;
	}
	if (*out < 0 || *out > max)
		goto bad;
	return 0;
bad:
	return psw_errorf(err, elen, -EINVAL, "option %s takes a number of 0 to %ld (%s)", key, max,
		strstr(key, "rate") ? "kbit/s" : "kbit");
}

static int read_limits(const json_t *opts, const char *dir, long *rate, long *burst, char *err,
	size_t elen)
{
	char rk[32], bk[32];
	int ret;

	snprintf(rk, sizeof(rk), "%s_policing_rate", dir);
	snprintf(bk, sizeof(bk), "%s_policing_burst", dir);
	if ((ret = opt_num(opts, rk, MAX_RATE_KBPS, rate, err, elen)) < 0 ||
	    (ret = opt_num(opts, bk, MAX_BURST_KB, burst, err, elen)) < 0)
		return ret;
	if (*burst != 0 && *rate == 0)
		return psw_errorf(err, elen, -EINVAL, "%s needs %s", bk, rk);
	if (*rate != 0 && *burst == 0)
		*burst = RTE_MAX(*rate / 10, (long)MIN_DEFAULT_BURST_KB);
	*burst = RTE_MIN(*burst, MAX_BURST_KB);
	return 0;
}

static bool is_zero(const json_t *v)
{
	return json_is_null(v) || (json_is_integer(v) && json_integer_value(v) == 0) ||
		(json_is_string(v) && strcmp(json_string_value(v), "0") == 0);
}

void port_policing_merge(json_t *opts, const json_t *changes)
{
	static const char *const dirs[] = {"ingress", "egress"};

	json_object_update(opts, (json_t *)changes);
	for (unsigned d = 0; d < RTE_DIM(dirs); d++) {
		char rate[32], burst[32];

		snprintf(rate, sizeof(rate), "%s_policing_rate", dirs[d]);
		snprintf(burst, sizeof(burst), "%s_policing_burst", dirs[d]);
		if (json_object_get(changes, rate) != NULL && is_zero(json_object_get(changes, rate))) {
			json_object_del(opts, rate);
			json_object_del(opts, burst);
		}
	}
}

int port_policing_check(const json_t *opts, char *err, size_t elen)
{
	long rate, burst;
	int ret;

	if (opts == NULL)
		return 0;
	if ((ret = read_limits(opts, "ingress", &rate, &burst, err, elen)) < 0)
		return ret;
	return read_limits(opts, "egress", &rate, &burst, err, elen);
}

static struct psw_policer *policer_new(long rate_kbps, long burst_kb)
{
	struct psw_policer *p;

	if (rate_kbps == 0)
		return NULL;
	p = rte_zmalloc("psw_policer", sizeof(*p), RTE_CACHE_LINE_SIZE);
	if (p != NULL)
		policer_init(p, (uint64_t)rate_kbps * 1000 / 8, (uint64_t)burst_kb * 1000 / 8,
			rte_get_tsc_hz(), rte_rdtsc());
	return p;
}

int port_policing_apply(struct psw_port *p, const json_t *opts, struct dp_txn *t, char *err,
	size_t elen)
{
	struct psw_policer *in = NULL, *eg = NULL, *old_in = p->ingress_policer,
		*old_eg = p->egress_policer;
	long in_rate = 0, in_burst = 0, eg_rate = 0, eg_burst = 0;
	int ret;

	if (opts != NULL &&
	    ((ret = read_limits(opts, "ingress", &in_rate, &in_burst, err, elen)) < 0 ||
	     (ret = read_limits(opts, "egress", &eg_rate, &eg_burst, err, elen)) < 0))
		return ret;
	in = policer_new(in_rate, in_burst);
	eg = policer_new(eg_rate, eg_burst);
	if ((in_rate && in == NULL) || (eg_rate && eg == NULL)) {
		rte_free(in);
		rte_free(eg);
		return psw_errorf(err, elen, -ENOMEM, "out of memory");
	}
	rcu_assign_pointer(p->ingress_policer, in);
	rcu_assign_pointer(p->egress_policer, eg);
	if (t == NULL) {
		rte_free(old_in);
		rte_free(old_eg);
	} else if ((old_in != NULL && txn_after_commit(t, rte_free, old_in) < 0) ||
		   (old_eg != NULL && txn_after_commit(t, rte_free, old_eg) < 0)) {
		// no room to defer: wait here, once
		synchronize_rcu();
		rte_free(old_in);
		rte_free(old_eg);
	}
	return 0;
}

void port_policing_free(struct psw_port *p)
{
	rte_free(p->ingress_policer);
	rte_free(p->egress_policer);
	p->ingress_policer = p->egress_policer = NULL;
}

static json_t *limits(const struct psw_policer *pol)
{
	if (pol == NULL)
		return json_null();
	return json_pack("{s:I,s:I}", "rate_kbps", (json_int_t)(pol->rate * 8 / 1000),
		"burst_kb", (json_int_t)(pol->burst * 8 / 1000));
}

json_t *port_policing_show(const struct psw_port *p)
{
	return json_pack("{s:o,s:o}", "ingress", limits(p->ingress_policer), "egress",
		limits(p->egress_policer));
}
