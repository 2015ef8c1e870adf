// SPDX-License-Identifier: BSD-3-Clause
#include "classifier.h"
#include "flow.h"

#include <stdlib.h>
#include <rte_byteorder.h>

void flow_apply_key_mods(const struct psw_flow *f, struct psw_flow_key *key)
{
	for (unsigned i = 0; i < f->n_actions; i++) {
		const struct psw_action *a = &f->actions[i];

		switch (a->type) {
		case PSW_ACT_SET_DL_SRC:
			memcpy(key->dl_src, a->mac, 6);
			break;
		case PSW_ACT_SET_DL_DST:
			memcpy(key->dl_dst, a->mac, 6);
			break;
		case PSW_ACT_PUSH_VLAN:
			key->vlan_tci = RTE_BE16(PSW_VLAN_CFI);
			break;
		case PSW_ACT_POP_VLAN:
			key->vlan_tci = 0;
			break;
		case PSW_ACT_SET_VLAN_VID:
			key->vlan_tci = (key->vlan_tci & RTE_BE16(PSW_VLAN_PCP_MASK)) |
				rte_cpu_to_be_16(PSW_VLAN_CFI | a->value);
			break;
		case PSW_ACT_SET_VLAN_PCP:
			if (key->vlan_tci != 0)
				key->vlan_tci = (key->vlan_tci & ~RTE_BE16(PSW_VLAN_PCP_MASK)) |
					rte_cpu_to_be_16((uint16_t)(a->value << 13));
			break;
		case PSW_ACT_SET_FIELD:
			key->w[a->word] = (key->w[a->word] & ~a->set_mask) | a->set_value;
			break;
		default:
			break;
		}
	}
}

enum psw_drop_reason pipeline_walk_on(const struct psw_pipeline *pl, struct psw_flow_key *key,
	const struct psw_flow **chain, unsigned *n_chain)
{
	for (;;) {
		const struct psw_flow *last = chain[*n_chain - 1];
		const struct cls_table *t;
		const struct psw_flow *f;

		if (last->goto_table == PSW_NO_TABLE)
			return PSW_DROP_NONE;
		if (*n_chain == PSW_MAX_CHAIN)
			return PSW_DROP_TOO_DEEP;
		if (last->has_key_mods)
			flow_apply_key_mods(last, key);
		t = pl->tables[last->goto_table];
		f = t != NULL ? cls_lookup(t, key) : NULL;
		if (f == NULL)
			return PSW_DROP_NO_FLOW;
		chain[(*n_chain)++] = f;
	}
}

void pipeline_recirc_key(const struct psw_flow *const *chain, unsigned n_chain,
	struct psw_flow_key *key)
{
	for (unsigned i = 0; i < n_chain; i++)
		if (chain[i]->has_key_mods)
			flow_apply_key_mods(chain[i], key);
	key->recirc = 1;
	key->recirc_table = chain[n_chain - 1]->recirc_table;
}

enum psw_drop_reason pipeline_lookup(const struct psw_pipeline *pl, uint8_t table,
	struct psw_flow_key *key, const struct psw_flow **chain, unsigned *n_chain)
{
	const struct cls_table *t = pl->tables[table];
	const struct psw_flow *f = t != NULL ? cls_lookup(t, key) : NULL;

	*n_chain = 0;
	if (f == NULL)
		return PSW_DROP_NO_FLOW;
	chain[(*n_chain)++] = f;
	return pipeline_walk_on(pl, key, chain, n_chain);
}

// Whether 'mask' wildcards everything but, with 'in_port', the input port.
static bool mask_is_port_only(const struct psw_flow_key *mask, bool in_port)
{
	struct psw_flow_key want;

	memset(&want, 0, sizeof(want));
	if (in_port)
		want.in_port = 0xffff;
	return flow_key_equal(mask, &want);
}

const struct psw_flow **pipeline_port_flows(const struct cls_table *t0)
{
	const struct cls_subtable *by_port = NULL, *any = NULL;
	const struct psw_flow *catch_all = NULL, **pf;
	int32_t others = INT32_MIN; // the highest priority of any other shape
	bool found = false;

	if (t0 == NULL)
		return NULL;
	for (uint32_t s = 0; s < t0->n_subtables; s++) {
		const struct cls_subtable *st = &t0->subtables[s];

		if (by_port == NULL && mask_is_port_only(&st->mask, true))
			by_port = st;
		else if (any == NULL && mask_is_port_only(&st->mask, false))
			any = st;
		else if (st->max_priority > others)
			others = st->max_priority;
	}
	// one masked match (all wildcards) in 'any': its flows differ by
	// priority only, the first is the highest
	if (any != NULL && any->store->n_flows > 0)
		catch_all = any->store->flows[0];
	if (by_port == NULL && catch_all == NULL)
		return NULL;
	pf = calloc(PSW_MAX_PORTS, sizeof(*pf));
	if (pf == NULL)
		return NULL;
	if (catch_all != NULL && catch_all->priority > others &&
	    catch_all->goto_table == PSW_NO_TABLE && catch_all->recirc_table == PSW_NO_TABLE &&
	    !catch_all->reparses) {
		for (unsigned p = 1; p < PSW_MAX_PORTS; p++)
			pf[p] = catch_all;
		found = true;
	}
	// 'by_port' holds its flows by in_port, priority descending: the first
	// of each port is that port's highest
	for (uint32_t i = 0; by_port != NULL && i < by_port->store->n_flows; i++) {
		const struct psw_flow *f = by_port->store->flows[i];
		uint16_t port = f->match.in_port;

		if (i > 0 && by_port->store->flows[i - 1]->match.in_port == port)
			continue;
		if (port == 0 || port >= PSW_MAX_PORTS)
			continue;
		// a catch-all of a higher priority decides; of the same, ties
		if (catch_all != NULL && catch_all->priority > f->priority)
			continue;
		if (catch_all == NULL || catch_all->priority < f->priority) {
			pf[port] = f->priority > others && f->goto_table == PSW_NO_TABLE &&
				f->recirc_table == PSW_NO_TABLE && !f->reparses ? f : NULL;
			found |= pf[port] != NULL;
		} else {
			pf[port] = NULL;
		}
	}
	if (!found) {
		free(pf);
		return NULL;
	}
	return pf;
}
