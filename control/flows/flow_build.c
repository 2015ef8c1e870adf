// SPDX-License-Identifier: BSD-3-Clause
#include "flows/flow_build.h"
#include "errorf.h"

#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>

#define DEFAULT_PRIORITY 32768

void flow_spec_init(struct flow_spec *sp, uint8_t table, int32_t priority, uint64_t cookie)
{
	memset(sp, 0, sizeof(*sp));
	sp->table_id = table;
	sp->priority = priority;
	sp->cookie = cookie;
}

int flow_match(struct flow_spec *sp, enum mf_id id, const void *value, const void *mask)
{
	static const uint8_t all[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	const struct mf_field *f = &mf_fields[id];
	int ret;

	ret = mf_set_bytes(f, &sp->match, &sp->mask, value, mask ? mask : all);
	if (ret == 0)
		sp->fields |= 1ULL << id;
	return ret;
}

int flow_match_u64(struct flow_spec *sp, enum mf_id id, uint64_t value, uint64_t mask)
{
	const struct mf_field *f = &mf_fields[id];
	struct psw_flow_key v, m;
	uint64_t all = f->width >= 8 ? UINT64_MAX : (1ULL << (8 * f->width)) - 1;

	if (mask == 0)
		mask = all;
	if ((value & ~all) != 0 || (mask & ~all) != 0)
		return -ERANGE;
	memset(&v, 0, sizeof(v));
	memset(&m, 0, sizeof(m));
	mf_set_u64(f, &v, value & mask);
	mf_set_u64(f, &m, mask);
	return flow_match(sp, id, (uint8_t *)&v + f->offset, (uint8_t *)&m + f->offset);
}

int flow_match_mac(struct flow_spec *sp, enum mf_id f, const uint8_t mac[6])
{
	return flow_match(sp, f, mac, NULL);
}

int flow_match_ipv4(struct flow_spec *sp, enum mf_id f, uint32_t addr, unsigned len)
{
	uint32_t mask = len == 0 ? 0 : rte_cpu_to_be_32(UINT32_MAX << (32 - len));

	if (len > 32)
		return -ERANGE;
	addr &= mask;
	return flow_match(sp, f, &addr, &mask);
}

int flow_match_ipv6(struct flow_spec *sp, enum mf_id f, const uint8_t addr[16], unsigned len)
{
	uint8_t a[16], m[16];

	if (len > 128)
		return -ERANGE;
	memset(m, 0, sizeof(m));
	memset(m, 0xff, len / 8);
	if (len % 8)
		m[len / 8] = (uint8_t)(0xff00 >> (len % 8));
	for (int i = 0; i < 16; i++)
		a[i] = addr[i] & m[i];
	return flow_match(sp, f, a, m);
}

int flow_match_proto(struct flow_spec *sp, uint16_t dl_type, int nw_proto)
{
	int ret = flow_match_u64(sp, MF_DL_TYPE, dl_type, 0);

	if (ret == 0 && nw_proto >= 0)
		ret = flow_match_u64(sp, MF_NW_PROTO, (uint64_t)nw_proto, 0);
	return ret;
}

int flow_action(struct flow_spec *sp, const struct psw_action *a)
{
	if (sp->n_actions > 0) {
		uint8_t last = sp->actions[sp->n_actions - 1].type;

		if (psw_action_is_last(last))
			return -EINVAL;
	}
	if (sp->n_actions == PSW_MAX_ACTIONS)
		return -E2BIG;
	sp->actions[sp->n_actions++] = *a;
	sp->has_actions = true;
	return 0;
}

int flow_action_output(struct flow_spec *sp, uint16_t port)
{
	return flow_action(sp, &(struct psw_action){.type = PSW_ACT_OUTPUT, .port = port});
}

int flow_action_normal(struct flow_spec *sp)
{
	return flow_action(sp, &(struct psw_action){.type = PSW_ACT_NORMAL});
}

int flow_action_set_field(struct flow_spec *sp, enum mf_id id, uint64_t value, uint64_t mask)
{
	const struct mf_field *f = &mf_fields[id];
	uint64_t all = f->width >= 8 ? UINT64_MAX : (1ULL << (8 * f->width)) - 1;
	unsigned shift = (f->offset % 8) * 8;

	if (!f->writable)
		return -EINVAL;
	if (mask == 0)
		mask = all;
	if ((value & ~all) != 0 || (mask & ~all) != 0 || f->offset % 8 + f->width > 8)
		return -ERANGE;
	// the pipeline's fields are host order, and whole within one key word
	return flow_action(sp, &(struct psw_action){.type = PSW_ACT_SET_FIELD,
		.word = (uint8_t)(f->offset / 8), .set_value = (value & mask) << shift,
		.set_mask = mask << shift});
}

int flow_spec_check(const struct flow_spec *sp, char *err, size_t elen)
{
	for (unsigned i = 0; i < MF_COUNT; i++) {
		const struct mf_field *f = &mf_fields[i];

		if (!(sp->fields & (1ULL << i)) || mf_prereq_ok(f->prereq, &sp->match, &sp->mask))
			continue;
		return psw_errorf(err, elen, -EINVAL, "%s needs %s%s", f->name,
			mf_prereq_text(f->prereq), f->prereq == MFP_IPV4 &&
			mf_prereq_ok(MFP_IPV6, &sp->match, &sp->mask) ?
			": for IPv6 use ipv6_src and ipv6_dst" : "");
	}
	for (unsigned i = 0; i < sp->n_actions; i++) {
		const struct psw_action *a = &sp->actions[i];

		if (a->type == PSW_ACT_GOTO_TABLE && a->table <= sp->table_id)
			return psw_errorf(err, elen, -EINVAL,
				"goto_table must go to a later table than %u", sp->table_id);
		if (psw_action_is_last(a->type) && i + 1 != sp->n_actions)
			return psw_errorf(err, elen, -EINVAL, "%s must be the last action",
				psw_action_last_name(a->type));
	}
	return 0;
}
