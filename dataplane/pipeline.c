// SPDX-License-Identifier: BSD-3-Clause
#include "classifier.h"
#include "flow.h"

#include <rte_byteorder.h>

struct psw_pipeline *psw_active_pipeline;

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

enum psw_drop_reason pipeline_lookup(const struct psw_pipeline *pl, struct psw_flow_key *key,
	const struct psw_flow **chain, unsigned *n_chain)
{
	const struct cls_table *t = pl->tables[0];
	const struct psw_flow *f = t != NULL ? cls_lookup(t, key) : NULL;

	*n_chain = 0;
	if (f == NULL)
		return PSW_DROP_NO_FLOW;
	chain[(*n_chain)++] = f;
	return pipeline_walk_on(pl, key, chain, n_chain);
}
