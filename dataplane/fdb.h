// SPDX-License-Identifier: BSD-3-Clause
// The MAC learning table of the normal action, per VLAN.
//
// Thread-safety: an rte_hash with lock-free reader/writer concurrency. PMDs
// only read it; they refresh 'last_seen' of an entry that is still right (at
// most once a second) and ask the control thread to learn or move an entry
// through fdb_learn_ring. The control thread is the only writer; entries it
// deletes are freed after a grace period.
#pragma once

#include <rte_hash.h>
#include <rte_ring.h>
#include <stdbool.h>
#include <stdint.h>
#include <urcu-qsbr.h>

struct fdb_key {
	uint8_t mac[6];
	uint16_t vlan;
};

struct fdb_entry {
	struct fdb_key key;
	uint16_t ofport;
	bool is_static;
	bool owned;                   // control: a port's own (a pod's), not saved
	volatile uint32_t last_seen;  // seconds, written by PMDs
	struct rcu_head rcu;
	int32_t pos;                  // key position in the hash
};

// What a PMD sends to the control thread for each new or moved address.
struct fdb_learn_msg {
	struct fdb_key key;
	uint16_t ofport;
	uint16_t pad[3];
};

// The table, made by the control thread and pointed to by every published
// state (dataplane/dp.h).
struct psw_mac_table {
	struct rte_hash *hash;
	// Changes whenever an entry is added, moved or deleted, so that PMDs can
	// keep what the table answered until then (struct emc_l2_hint).
	volatile uint32_t version;
	struct rte_ring *learn; // new and moved addresses, PMDs to control
};

static inline struct fdb_entry *fdb_lookup(const struct psw_mac_table *t, const uint8_t *mac,
	uint16_t vlan)
{
	struct fdb_key k;
	void *data;

	memcpy(k.mac, mac, 6);
	k.vlan = vlan;
	if (rte_hash_lookup_data(t->hash, &k, &data) < 0)
		return NULL;
	return data;
}
