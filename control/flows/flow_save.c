// SPDX-License-Identifier: BSD-3-Clause
// The operator's flows across restarts (as Open vSwitch's ovs-save and
// flow-restore-wait): RUN_DIR/flows.json, rewritten within a second of a
// change, read back at start before any port is polled. Flows that objects
// own (a pod's port security, which comes back with its port) are not
// saved.
#include "core/loop.h"
#include "core/state_file.h"
#include "flows/flow_save.h"
#include "flows/flow_table.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define FLOWS_FILE "flows.json"
#define SAVE_DELAY_MS 200
#define MAX_EXCLUDED 8

static struct loop_timer *timer;
static bool dirty, restoring;
static struct {
	uint64_t cookie, mask;
} excluded[MAX_EXCLUDED];
static unsigned n_excluded;

void flow_save_exclude(uint64_t cookie, uint64_t mask)
{
	if (n_excluded < MAX_EXCLUDED)
		excluded[n_excluded++] = (typeof(excluded[0])){cookie & mask, mask};
}

static bool saved(const struct psw_flow *f)
{
	for (unsigned i = 0; i < n_excluded; i++)
		if ((f->cookie & excluded[i].mask) == excluded[i].cookie)
			return false;
	return true;
}

// A flow as text that parses back to it, ports by number (they come back
// with their numbers).
static json_t *flow_text(const struct psw_flow *f)
{
	char match[1024], acts[2048];

	flow_format_match(&f->match, &f->mask, f->priority, NULL, match, sizeof(match));
	flow_format_actions(f->actions, f->n_actions, NULL, acts, sizeof(acts));
	return json_sprintf("table=%u,cookie=%#llx,idle_timeout=%u,hard_timeout=%u,%s,actions=%s",
		f->table_id, (unsigned long long)f->cookie, f->idle_timeout, f->hard_timeout, match,
		acts);
}

static void save_now(void *arg)
{
	struct flow_dump *d = flow_dump_start(NULL);
	const struct psw_flow *f;
	json_t *arr = json_array();

	(void)arg;
	if (d == NULL || arr == NULL) {
		flow_dump_end(d);
		json_decref(arr);
		LOG_ERR("cannot save the flows: out of memory; trying again", KV_STR("file", FLOWS_FILE));
		loop_timer_arm(timer, 1000);
		return;
	}
	while ((f = flow_dump_next(d)) != NULL)
		if (saved(f))
			json_array_append_new(arr, flow_text(f));
	flow_dump_end(d);
	if (state_write(FLOWS_FILE, arr) == 0) {
		dirty = false;
		LOG_INFO(3, "flows saved", KV_STR("file", FLOWS_FILE),
			KV_UINT("flows", json_array_size(arr)));
	} else {
		loop_timer_arm(timer, 1000);
	}
	json_decref(arr);
}

int flow_save_init(void)
{
	timer = loop_timer_new(save_now, NULL);
	return timer != NULL ? 0 : -ENOMEM;
}

void flow_save_fini(void)
{
	if (timer != NULL && dirty)
		save_now(NULL);
	loop_timer_free(timer);
	timer = NULL;
}

void flow_save_changed(void)
{
	if (timer == NULL || restoring || dirty)
		return;
	dirty = true;
	loop_timer_arm(timer, SAVE_DELAY_MS);
}

int flow_restore(void)
{
	struct flow_spec *specs;
	char err[512];
	bool absent;
	unsigned n;
	json_t *arr = state_read(FLOWS_FILE, &absent);
	int ret;

	if (arr == NULL)
		return 0;
	ret = flow_parse_list(arr, FLOW_PARSE_ADD, NULL, true, "flow", &specs, &n, err, sizeof(err));
	if (ret < 0) {
		state_keep_aside(FLOWS_FILE, err);
		json_decref(arr);
		return 0;
	}
	restoring = true;
	ret = n > 0 ? flow_table_add(specs, n, err, sizeof(err)) : 0;
	restoring = false;
	free(specs);
	json_decref(arr);
	if (ret < 0) {
		LOG_ERR("cannot restore the saved flows", KV_STR("file", FLOWS_FILE), KV_STR("err", err));
		return ret;
	}
	LOG_INFO(0, "flows restored", KV_STR("file", FLOWS_FILE), KV_UINT("flows", n));
	return 0;
}
