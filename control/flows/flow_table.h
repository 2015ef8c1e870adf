// SPDX-License-Identifier: BSD-3-Clause
// The flow tables as the control thread owns them: every change builds the
// tables it touches anew and publishes one new pipeline, so that a batch is
// seen by the PMDs all at once.
#pragma once

#include "flows/flow_parse.h"

#include <jansson.h>

// Stages the first (empty) pipeline. Returns 0 or -errno.
int flow_table_init(void);
// Frees the flows; after the PMDs stopped and the state was freed.
void flow_table_fini(void);
// The pipeline part's freeing function (control/core/publish.h).
void flow_pipeline_free(struct psw_pipeline *pl);

// Every change below is one transaction of its own, or a part of the one
// open (control/core/publish.h): its flows reach the PMDs with the rest.

// Adds (or replaces: same table, match and priority) the 'n' flows of 'specs'
// in one step. Returns 0 or -errno with 'err' set. Control thread only.
int flow_table_add(const struct flow_spec *specs, unsigned n, char *err, size_t elen);

// Deletes the flows 'filter' selects (loosely, or exactly with 'strict': same match
// and priority, 32768 when none is given, as in ovs-ofctl), in the filter's table or in all tables when it
// names none. Returns the number deleted or -errno.
int flow_table_del(const struct flow_spec *filter, bool strict);

// Gives the flows 'spec' selects (as del-flows would: its table or all,
// loosely or 'strict') the actions of 'spec', keeping their cookies,
// timeouts, age and counters, in one step (ovs-ofctl mod-flows). Returns the
// number changed or -errno with 'err' set.
int flow_table_mod(const struct flow_spec *spec, bool strict, char *err, size_t elen);

// Removes flows whose idle or hard timeout has passed. Control thread only.
void flow_table_expire(void);

// A dump of the flows 'filter' selects (all when NULL), in table, priority
// and age order, as they are when it starts: the flows it holds are not
// freed before flow_dump_end, whatever changes meanwhile, so that a dump can
// be read out as slowly as a client reads. Returns NULL on allocation
// failure.
struct flow_dump;
struct flow_dump *flow_dump_start(const struct flow_spec *filter);
// The next flow of the dump, or NULL at its end.
const struct psw_flow *flow_dump_next(struct flow_dump *d);
void flow_dump_end(struct flow_dump *d);
// One flow as dump-flows shows it.
json_t *flow_dump_item(const struct psw_flow *f);

unsigned flow_table_count(void);

// Sums the per-PMD counters of 'f'.
void flow_stats_sum(const struct psw_flow *f, uint64_t *packets, uint64_t *bytes,
	uint64_t *used_tsc);

// Replaces every flow of every table with the 'n' flows of 'specs', in one
// step (ovs-ofctl replace-flows). Returns 0 or -errno with 'err' set.
int flow_table_replace(const struct flow_spec *specs, unsigned n, char *err, size_t elen);
