// SPDX-License-Identifier: BSD-3-Clause
#include "cluster/store.h"
#include "core/events.h"
#include "errorf.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *objects[KUBE_KINDS];
static uint64_t adds[KUBE_KINDS], updates[KUBE_KINDS], deletes[KUBE_KINDS];

int cluster_store_init(void)
{
	for (unsigned k = 0; k < KUBE_KINDS; k++) {
		objects[k] = json_object();
		if (objects[k] == NULL)
			return -ENOMEM;
	}
	return 0;
}

void cluster_store_fini(void)
{
	for (unsigned k = 0; k < KUBE_KINDS; k++) {
		json_decref(objects[k]);
		objects[k] = NULL;
	}
}

const json_t *cluster_get(enum kube_kind k, const char *key)
{
	return json_object_get(objects[k], key);
}

const json_t *cluster_all(enum kube_kind k)
{
	return objects[k];
}

// What a change replaced, put back if its transaction is given up.
struct undo {
	enum kube_kind kind;
	json_t *before; // NULL: the object was new
	char key[KUBE_KEY_MAX];
};

static void undo_free(void *arg)
{
	struct undo *u = arg;

	json_decref(u->before);
	free(u);
}

static void undo_apply(void *arg)
{
	struct undo *u = arg;

	if (u->before == NULL)
		json_object_del(objects[u->kind], u->key);
	else
		json_object_set(objects[u->kind], u->key, u->before);
	undo_free(u);
}

// Publishes one change to its subscribers in 't', then applies it to the
// store once they all took it (put back if 't' is given up).
static int change(struct dp_txn *t, enum kube_kind k, const char *key, json_t *after, char *err,
	size_t elen)
{
	json_t *before = json_object_get(objects[k], key);
	struct kube_change c = {.kind = k, .key = key, .before = before, .after = after};
	struct undo *u;
	int ret;

	if (before == NULL && after == NULL)
		return 0;
	if (before != NULL && after != NULL && json_equal(before, after))
		return 0;
	ret = event_publish(PSW_EV_KUBE_OBJECT, &c, t, err, elen);
	if (ret < 0)
		return ret;
	u = calloc(1, sizeof(*u));
	if (u == NULL || txn_on_abort(t, undo_apply, u) < 0) {
		free(u);
		return psw_errorf(err, elen, -ENOMEM, "out of memory");
	}
	u->kind = k;
	u->before = json_incref(before);
	snprintf(u->key, sizeof(u->key), "%s", key);
	if (txn_after_commit(t, undo_free, u) < 0)
		return psw_errorf(err, elen, -ENOMEM, "out of memory");
	if (after == NULL) {
		deletes[k]++;
		json_object_del(objects[k], key);
	} else {
		if (before == NULL)
			adds[k]++;
		else
			updates[k]++;
		json_object_set(objects[k], key, after);
	}
	return 0;
}

int cluster_upsert(enum kube_kind k, json_t *form, char *err, size_t elen)
{
	char key[KUBE_KEY_MAX];
	struct dp_txn *t = txn_begin();
	int ret;

	kube_object_key(k, form, key, sizeof(key));
	ret = change(t, k, key, form, err, elen);
	json_decref(form);
	if (ret < 0) {
		txn_abort(t);
		return ret;
	}
	return txn_commit(t);
}

int cluster_delete(enum kube_kind k, const char *key, char *err, size_t elen)
{
	struct dp_txn *t = txn_begin();
	int ret = change(t, k, key, NULL, err, elen);

	if (ret < 0) {
		txn_abort(t);
		return ret;
	}
	return txn_commit(t);
}

int cluster_replace_all(enum kube_kind k, json_t *fresh, char *err, size_t elen)
{
	struct dp_txn *t = txn_begin();
	json_t *gone = json_array(), *v;
	const char *key;
	size_t i;
	int ret = 0;

	json_object_foreach(objects[k], key, v)
		if (json_object_get(fresh, key) == NULL)
			json_array_append_new(gone, json_string(key));
	json_array_foreach(gone, i, v) {
		ret = change(t, k, json_string_value(v), NULL, err, elen);
		if (ret < 0)
			break;
	}
	json_object_foreach(fresh, key, v) {
		if (ret < 0)
			break;
		ret = change(t, k, key, v, err, elen);
	}
	json_decref(gone);
	json_decref(fresh);
	if (ret < 0) {
		txn_abort(t);
		return ret;
	}
	return txn_commit(t);
}

json_t *cluster_counts(void)
{
	json_t *o = json_object();

	for (unsigned k = 0; k < KUBE_KINDS; k++)
		json_object_set_new(o, kube_resources[k], json_pack("{s:I,s:I,s:I,s:I}", "objects",
			(json_int_t)json_object_size(objects[k]), "added", (json_int_t)adds[k],
			"updated", (json_int_t)updates[k], "deleted", (json_int_t)deletes[k]));
	return o;
}
