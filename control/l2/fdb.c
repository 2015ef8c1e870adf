// SPDX-License-Identifier: BSD-3-Clause
#include "fdb.h"
#include "l2/fdb_ctl.h"
#include "core/api.h"
#include "errorf.h"
#include "core/events.h"
#include "core/state_file.h"
#include "log.h"
#include "netaddr.h"
#include "ports/port_ctl.h"

#include <psw/commands.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>


static void save_after(void *arg);

// The table the PMDs read (dataplane/fdb.h); this file is its only writer.
static struct psw_mac_table macs = {.version = 1};

static void fdb_changed(void)
{
	macs.version = macs.version + 1 ? macs.version + 1 : 1;
}

struct psw_mac_table *fdb_table(void)
{
	return &macs;
}

static unsigned fdb_age_seconds = FDB_DEFAULT_AGE;
static unsigned fdb_max;
static uint64_t fdb_moves, fdb_full;

static uint32_t now_sec(void)
{
	return (uint32_t)(rte_rdtsc() / rte_get_tsc_hz());
}

int fdb_init(unsigned max_entries, unsigned age_seconds)
{
	struct rte_hash_parameters hp = {
		.name = "psw_fdb",
		.entries = max_entries,
		.key_len = sizeof(struct fdb_key),
		.hash_func = rte_hash_crc,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			RTE_HASH_EXTRA_FLAGS_NO_FREE_ON_DEL,
	};

	fdb_max = max_entries;
	fdb_age_seconds = age_seconds;
	macs.hash = rte_hash_create(&hp);
	if (macs.hash == NULL)
		return errno_log(rte_errno, "cannot create the MAC table");
	macs.learn = rte_ring_create_elem("psw_fdb_learn", sizeof(struct fdb_learn_msg), 4096,
		(int)rte_socket_id(), RING_F_SC_DEQ);
	if (macs.learn == NULL)
		return errno_log(rte_errno, "cannot create the learning ring");
	return 0;
}

// Deleted entries wait for a grace period before their memory and key slot
// are reused, since a PMD may have just looked them up.
struct doomed {
	struct fdb_entry **e;
	unsigned n;
};

static void doomed_release(void *arg)
{
	struct doomed *d = arg;

	for (unsigned i = 0; i < d->n; i++) {
		rte_hash_free_key_with_position(macs.hash, d->e[i]->pos);
		free(d->e[i]);
	}
	free(d->e);
	free(d);
}

// Frees 'd' after a grace period: the one of 't', or one waited here.
static void doomed_free(struct doomed *d, struct dp_txn *t)
{
	if (d->n > 0)
		fdb_changed();
	if (t != NULL && d->n > 0 && txn_after_commit(t, doomed_release, d) == 0)
		return;
	if (d->n > 0)
		synchronize_rcu();
	doomed_release(d);
}

static void delete_where(bool (*pred)(const struct fdb_entry *, const void *), const void *arg,
	struct dp_txn *t)
{
	struct doomed *d = malloc(sizeof(*d));
	const void *key;
	void *data;
	uint32_t iter = 0;

	if (d == NULL)
		return;
	d->n = 0;
	d->e = malloc(fdb_max * sizeof(*d->e));
	if (d->e == NULL) {
		free(d);
		return;
	}
	while (rte_hash_iterate(macs.hash, &key, &data, &iter) >= 0) {
		struct fdb_entry *e = data;

		if (!pred(e, arg))
			continue;
		if (rte_hash_del_key(macs.hash, &e->key) >= 0)
			d->e[d->n++] = e;
	}
	doomed_free(d, t);
}

void fdb_fini(void)
{
	if (macs.hash != NULL)
		fdb_flush(true);
	rte_hash_free(macs.hash);
	rte_ring_free(macs.learn);
	macs.hash = NULL;
	macs.learn = NULL;
}

// Adds or moves one entry. A move replaces the entry object so that PMDs
// never see a half-written one.
static int fdb_set(const struct fdb_key *k, uint16_t ofport, bool is_static, bool owned,
	struct fdb_entry **old_out)
{
	struct fdb_entry *e = calloc(1, sizeof(*e)), *old = NULL;
	void *data;
	int pos;

	if (e == NULL)
		return -ENOMEM;
	e->key = *k;
	e->ofport = ofport;
	e->is_static = is_static;
	e->owned = owned;
	e->last_seen = now_sec();
	if (rte_hash_lookup_data(macs.hash, k, &data) >= 0)
		old = data;
	pos = rte_hash_add_key_data(macs.hash, k, e);
	if (pos < 0) {
		free(e);
		return pos;
	}
	e->pos = pos;
	fdb_changed();
	// the key slot stays in use by the new entry: only the old memory goes
	*old_out = old;
	return 0;
}

unsigned fdb_drain_learn(void)
{
	struct fdb_learn_msg msgs[64];
	struct fdb_entry *olds[64];
	unsigned n, applied = 0, n_old = 0;

	n = rte_ring_sc_dequeue_burst_elem(macs.learn, msgs, sizeof(msgs[0]), 64, NULL);
	for (unsigned i = 0; i < n; i++) {
		struct fdb_entry *e;
		void *data;

		if (port_by_ofport(msgs[i].ofport) == NULL)
			continue; // the port went away meanwhile
		if (rte_hash_lookup_data(macs.hash, &msgs[i].key, &data) >= 0) {
			e = data;
			if (e->ofport == msgs[i].ofport || e->is_static)
				continue;
			fdb_moves++;
		}
		if (fdb_set(&msgs[i].key, msgs[i].ofport, false, false, &olds[n_old]) < 0) {
			fdb_full++;
			continue;
		}
		applied++;
		n_old += olds[n_old] != NULL;
	}
	if (n_old > 0)
		synchronize_rcu();
	for (unsigned i = 0; i < n_old; i++)
		free(olds[i]);
	return applied;
}

static bool aged(const struct fdb_entry *e, const void *arg)
{
	const uint32_t *now = arg;

	return !e->is_static && *now - e->last_seen > fdb_age_seconds;
}

void fdb_age(void)
{
	uint32_t now = now_sec();

	delete_where(aged, &now, NULL);
}

static bool on_port(const struct fdb_entry *e, const void *arg)
{
	return e->ofport == *(const uint16_t *)arg;
}

void fdb_flush_port(uint16_t ofport, struct dp_txn *t)
{
	delete_where(on_port, &ofport, t);
}

// A port that goes takes its entries with it, in its transaction.
static int on_port_removed(enum psw_event ev, void *obj, struct dp_txn *t, char *err,
	size_t elen)
{
	const struct psw_port *p = obj;

	(void)ev;
	(void)err;
	(void)elen;
	fdb_flush_port(p->ofport, t);
	if (txn_after_commit(t, save_after, NULL) < 0)
		fdb_save();
	return 0;
}

EVENT_SUBSCRIBE(PSW_EV_PORT_REMOVED, on_port_removed)

static bool flushable(const struct fdb_entry *e, const void *arg)
{
	return *(const bool *)arg || !e->is_static;
}

void fdb_flush(bool all)
{
	delete_where(flushable, &all, NULL);
}

int fdb_add_static(const uint8_t mac[6], uint16_t vlan, uint16_t ofport, bool owned, char *err,
	size_t elen)
{
	struct fdb_entry *old = NULL;
	struct fdb_key k = {.vlan = vlan};
	int ret;

	if (port_by_ofport(ofport) == NULL)
		return psw_errorf(err, elen, -ENOENT, "no port %u", ofport);
	if (vlan > 4095)
		return psw_errorf(err, elen, -EINVAL, "VLAN %u is out of range", vlan);
	memcpy(k.mac, mac, 6);
	ret = fdb_set(&k, ofport, true, owned, &old);
	if (ret < 0)
		return psw_errorf(err, elen, ret, "MAC table is full");
	if (old != NULL) {
		synchronize_rcu();
		free(old);
	}
	return 0;
}

struct mac_vlan {
	const uint8_t *mac;
	uint16_t vlan;
};

static bool is_mac_vlan(const struct fdb_entry *e, const void *arg)
{
	const struct mac_vlan *mv = arg;

	return e->key.vlan == mv->vlan && memcmp(e->key.mac, mv->mac, 6) == 0;
}

int fdb_del(const uint8_t mac[6], uint16_t vlan)
{
	struct fdb_key k = {.vlan = vlan};
	struct mac_vlan mv = {.mac = mac, .vlan = vlan};
	void *data;

	memcpy(k.mac, mac, 6);
	if (rte_hash_lookup_data(macs.hash, &k, &data) < 0)
		return -ENOENT;
	delete_where(is_mac_vlan, &mv, NULL);
	return 0;
}

void fdb_set_age(unsigned seconds)
{
	fdb_age_seconds = seconds;
}

json_t *fdb_show(void)
{
	json_t *arr = json_array();
	uint32_t iter = 0, now = now_sec();
	const void *key;
	void *data;

	while (rte_hash_iterate(macs.hash, &key, &data, &iter) >= 0) {
		const struct fdb_entry *e = data;
		const uint8_t *m = e->key.mac;
		const char *pname = port_name_of(e->ofport);
		char mac[18];

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
			m[4], m[5]);
		json_array_append_new(arr, json_pack("{s:s,s:i,s:i,s:s,s:b,s:i}", "mac", mac,
			"vlan", e->key.vlan, "ofport", e->ofport, "port", pname ? pname : "?",
			"static", e->is_static, "age", e->is_static ? 0 : (int)(now - e->last_seen)));
	}
	return json_pack("{s:o,s:i,s:i,s:I,s:I}", "entries", arr, "max", fdb_max,
		"aging_time", fdb_age_seconds, "moves", (json_int_t)fdb_moves,
		"table_full", (json_int_t)fdb_full);
}

// Static entries across restarts: RUN_DIR/fdb.json, written after each
// change of them. Those a port owns (a pod's) come back with it.
#define FDB_FILE "fdb.json"

static json_t *pending;    // saved entries whose ports are not back yet
static bool restoring, frozen;

void fdb_save_freeze(void)
{
	frozen = true;
}

static void mac_text(const uint8_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

void fdb_save(void)
{
	json_t *arr = json_array();
	uint32_t iter = 0;
	const void *key;
	void *data;

	if (restoring || frozen || arr == NULL || macs.hash == NULL) {
		json_decref(arr);
		return;
	}
	while (rte_hash_iterate(macs.hash, &key, &data, &iter) >= 0) {
		const struct fdb_entry *e = data;
		const char *port = port_name_of(e->ofport);
		char mac[18];

		if (!e->is_static || e->owned || port == NULL)
			continue;
		mac_text(e->key.mac, mac, sizeof(mac));
		json_array_append_new(arr, json_pack("{s:s,s:i,s:s,s:i}", "mac", mac, "vlan",
			e->key.vlan, "port", port, "ofport", e->ofport));
	}
	state_write(FDB_FILE, arr);
	json_decref(arr);
}

// After a port's entries went with it.
static void save_after(void *arg)
{
	(void)arg;
	fdb_save();
}

void fdb_restore_begin(void)
{
	bool absent;
	json_t *arr = state_read(FDB_FILE, &absent), *e;
	size_t i;

	if (arr != NULL && !json_is_array(arr)) {
		state_keep_aside(FDB_FILE, "it holds no list of entries");
		json_decref(arr);
		arr = NULL;
	}
	json_array_foreach(arr, i, e) {
		uint8_t m[6];
		json_t *v = json_object_get(e, "vlan"), *o = json_object_get(e, "ofport");

		if (!json_is_object(e) || psw_parse_mac(json_string_value(json_object_get(e, "mac")), m) < 0 ||
		    !json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 4095 ||
		    !json_is_integer(o) || !json_is_string(json_object_get(e, "port"))) {
			state_keep_aside(FDB_FILE, "an entry is not a MAC, VLAN and port");
			json_decref(arr);
			arr = NULL;
			break;
		}
	}
	pending = arr;
	restoring = pending != NULL;
}

// A port that comes back gets its saved entries, in its transaction.
static void mac_take_back(void *arg)
{
	struct fdb_key *k = arg;

	fdb_del(k->mac, k->vlan);
	free(k);
}

static int on_port_added(enum psw_event ev, void *obj, struct dp_txn *t, char *err, size_t elen)
{
	const struct psw_port *p = obj;
	json_t *e;
	size_t i;

	(void)ev;
	json_array_foreach(pending, i, e) {
		struct fdb_key *undo;
		uint8_t m[6];
		int ret;

		if (json_integer_value(json_object_get(e, "ofport")) != p->ofport ||
		    strcmp(json_string_value(json_object_get(e, "port")), p->name) != 0)
			continue;
		psw_parse_mac(json_string_value(json_object_get(e, "mac")), m);
		undo = malloc(sizeof(*undo));
		if (undo == NULL)
			return psw_errorf(err, elen, -ENOMEM, "out of memory");
		memcpy(undo->mac, m, 6);
		undo->vlan = (uint16_t)json_integer_value(json_object_get(e, "vlan"));
		ret = fdb_add_static(m, undo->vlan, p->ofport, false, err, elen);
		if (ret < 0 || txn_on_abort(t, mac_take_back, undo) < 0) {
			if (ret == 0)
				fdb_del(m, undo->vlan);
			free(undo);
			return ret < 0 ? ret : psw_errorf(err, elen, -ENOMEM, "out of memory");
		}
		if (txn_after_commit(t, free, undo) < 0)
			return psw_errorf(err, elen, -ENOMEM, "out of memory");
	}
	return 0;
}

EVENT_SUBSCRIBE(PSW_EV_PORT_ADDED, on_port_added)

void fdb_restore_end(void)
{
	json_t *e;
	size_t i;

	json_array_foreach(pending, i, e) {
		uint8_t m[6];

		psw_parse_mac(json_string_value(json_object_get(e, "mac")), m);
		if (fdb_lookup(&macs, m, (uint16_t)json_integer_value(json_object_get(e, "vlan"))) == NULL)
			LOG_WARN("saved MAC entry not restored: its port did not come back",
				KV_STR("mac", json_string_value(json_object_get(e, "mac"))),
				KV_STR("port", json_string_value(json_object_get(e, "port"))));
	}
	json_decref(pending);
	pending = NULL;
	restoring = false;
	fdb_save();
}

static json_t *h_fdb_show(json_t *req, struct api_reply *rep)
{
	(void)req;
	(void)rep;
	return fdb_show();
}

static struct api_command fdb_show_cmd = {PSW_CMD_FDB_SHOW, h_fdb_show, NULL};
API_REGISTER(fdb_show_cmd)

static json_t *h_fdb_add(json_t *req, struct api_reply *rep)
{
	const char *port = api_str(req, PSW_KEY_PORT);
	uint16_t ofport = port_resolve(port);
	uint8_t mac[6];
	int ret;

	if (psw_parse_mac(api_str(req, PSW_KEY_MAC), mac) < 0)
		return api_fail(rep, -EINVAL, "bad MAC address '%s'", api_str(req, PSW_KEY_MAC));
	if (ofport == PSW_PORT_NONE)
		return api_fail(rep, -ENOENT, "no port '%s'", port);
	ret = fdb_add_static(mac, (uint16_t)api_int(req, PSW_KEY_VLAN, 0), ofport, false, rep->err,
		sizeof(rep->err));
	if (ret == 0)
		fdb_save();
	return api_status(rep, ret);
}

static const struct api_param fdb_add_params[] = {
	{PSW_KEY_PORT, API_STRING, .required = true},
	{PSW_KEY_MAC, API_STRING, .required = true},
	{PSW_KEY_VLAN, API_INT, .min = 0, .max = 4095},
	{NULL},
};
static struct api_command fdb_add_cmd = {PSW_CMD_FDB_ADD, h_fdb_add, fdb_add_params};
API_REGISTER(fdb_add_cmd)

static json_t *h_fdb_del(json_t *req, struct api_reply *rep)
{
	uint8_t mac[6];

	if (psw_parse_mac(api_str(req, PSW_KEY_MAC), mac) < 0)
		return api_fail(rep, -EINVAL, "bad MAC address '%s'", api_str(req, PSW_KEY_MAC));
	if (fdb_del(mac, (uint16_t)api_int(req, PSW_KEY_VLAN, 0)) < 0)
		return api_fail(rep, -ENOENT, "no such MAC table entry");
	fdb_save();
	return json_object();
}

static const struct api_param fdb_del_params[] = {
	{PSW_KEY_MAC, API_STRING, .required = true},
	{PSW_KEY_VLAN, API_INT, .min = 0, .max = 4095},
	{NULL},
};
static struct api_command fdb_del_cmd = {PSW_CMD_FDB_DEL, h_fdb_del, fdb_del_params};
API_REGISTER(fdb_del_cmd)

static json_t *h_fdb_flush(json_t *req, struct api_reply *rep)
{
	(void)rep;
	fdb_flush(api_bool(req, PSW_KEY_ALL));
	fdb_save();
	return json_object();
}

static const struct api_param fdb_flush_params[] = {
	{PSW_KEY_ALL, API_BOOL},
	{NULL},
};
static struct api_command fdb_flush_cmd = {PSW_CMD_FDB_FLUSH, h_fdb_flush, fdb_flush_params};
API_REGISTER(fdb_flush_cmd)
