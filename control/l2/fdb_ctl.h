// SPDX-License-Identifier: BSD-3-Clause
// The MAC learning table's writer side: learning what the PMDs report,
// aging, static entries. Control thread only.
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define FDB_DEFAULT_MAX 65536
#define FDB_DEFAULT_AGE 300

int fdb_init(unsigned max_entries, unsigned age_seconds);
// The table the PMDs read, for the published state.
struct psw_mac_table;
struct psw_mac_table *fdb_table(void);
void fdb_fini(void);

// Takes the learn requests the PMDs queued. Returns how many were applied.
unsigned fdb_drain_learn(void);
// Removes learned entries older than the aging time.
void fdb_age(void);
// Removes the entries of port 'ofport', their memory freed after the grace
// period of 't' (or one waited here when 't' is NULL).
struct dp_txn;
void fdb_flush_port(uint16_t ofport, struct dp_txn *t);
// Removes every learned entry (and static ones too when 'all').
void fdb_flush(bool all);

// A static entry: the operator's (saved across restarts), or one a port
// owns ('owned': a pod's, which comes back with its port).
int fdb_add_static(const uint8_t mac[6], uint16_t vlan, uint16_t ofport, bool owned, char *err,
	size_t elen);
int fdb_del(const uint8_t mac[6], uint16_t vlan);

json_t *fdb_show(void);

// The operator's static entries across restarts: saved after each change;
// at start, read before the ports come back (each port gets its entries
// in its own transaction), then the rest reported.
void fdb_save(void);
void fdb_restore_begin(void);
void fdb_restore_end(void);
// From now on nothing is saved (pswitchd stops: its ports go, their
// entries stay saved).
void fdb_save_freeze(void);
void fdb_set_age(unsigned seconds);
