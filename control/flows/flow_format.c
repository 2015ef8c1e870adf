// SPDX-License-Identifier: BSD-3-Clause
// Flows written out in the form flow_parse reads back: the match field by
// field from the match-field table, then the actions.
#include "flows/flow_parse.h"
#include "flows/match_field.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>

struct fmt {
	char *buf;
	size_t len;
	size_t off;
	bool first;
};

static void out(struct fmt *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out(struct fmt *f, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (f->off >= f->len)
		return;
	if (!f->first && f->off + 1 < f->len)
		f->buf[f->off++] = ',';
	f->first = false;
	va_start(ap, fmt);
	n = vsnprintf(f->buf + f->off, f->len - f->off, fmt, ap);
	va_end(ap);
	if (n > 0)
		f->off += (size_t)n;
	if (f->off >= f->len)
		f->off = f->len - 1;
}

static void out_port(struct fmt *f, const char *prefix, uint16_t port, port_name_fn_t name)
{
	const char *n = name ? name(port) : NULL;

	if (n != NULL)
		out(f, "%s%s", prefix, n);
	else
		out(f, "%s%u", prefix, port);
}

static void out_mac(struct fmt *f, const char *key, const uint8_t *v, const uint8_t *m)
{
	static const uint8_t full[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	if (memcmp(m, full, 6) == 0)
		out(f, "%s=%02x:%02x:%02x:%02x:%02x:%02x", key, v[0], v[1], v[2], v[3], v[4], v[5]);
	else
		out(f, "%s=%02x:%02x:%02x:%02x:%02x:%02x/%02x:%02x:%02x:%02x:%02x:%02x", key,
			v[0], v[1], v[2], v[3], v[4], v[5], m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void out_ip(struct fmt *f, const char *key, const uint8_t *vp, const uint8_t *mp)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	uint32_t v, m, hm;

	memcpy(&v, vp, 4);
	memcpy(&m, mp, 4);
	hm = rte_be_to_cpu_32(m);
	inet_ntop(AF_INET, &v, a, sizeof(a));
	if (m == UINT32_MAX) {
		out(f, "%s=%s", key, a);
	} else if ((~hm & (~hm + 1)) == 0) {
		out(f, "%s=%s/%d", key, a, __builtin_popcount(hm));
	} else {
		inet_ntop(AF_INET, &m, b, sizeof(b));
		out(f, "%s=%s/%s", key, a, b);
	}
}

static void out_ipv6(struct fmt *f, const char *key, const uint8_t *v, const uint8_t *m)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	unsigned len = 0;
	bool prefix = true;

	inet_ntop(AF_INET6, v, a, sizeof(a));
	// a prefix is ones then zeros
	for (unsigned i = 0; i < 128; i++) {
		bool bit = m[i / 8] & (0x80 >> (i % 8));

		if (bit && len != i)
			prefix = false;
		if (bit)
			len++;
	}
	if (len == 128) {
		out(f, "%s=%s", key, a);
	} else if (prefix) {
		out(f, "%s=%s/%u", key, a, len);
	} else {
		inet_ntop(AF_INET6, m, b, sizeof(b));
		out(f, "%s=%s/%s", key, a, b);
	}
}

static void out_int(struct fmt *f, const struct mf_field *mf, const struct psw_flow_key *k,
	const struct psw_flow_key *m)
{
	uint64_t v = mf_get_u64(mf, k), mask = mf_get_u64(mf, m);
	uint64_t all = mf->width >= 8 ? UINT64_MAX : (1ULL << (8 * mf->width)) - 1;

	if (mask == all)
		out(f, "%s=%llu", mf->name, (unsigned long long)v);
	else
		out(f, "%s=0x%llx/0x%llx", mf->name, (unsigned long long)v, (unsigned long long)mask);
}

static void out_vlan(struct fmt *f, uint16_t tci, uint16_t tcim)
{
	if (tcim == 0xffff && tci == 0)
		out(f, "dl_vlan=0xffff");
	else if (tcim == 0x1fff && (tci & PSW_VLAN_CFI))
		out(f, "dl_vlan=%u", tci & PSW_VLAN_VID_MASK);
	else if (tcim == 0xf000 && (tci & PSW_VLAN_CFI))
		out(f, "dl_vlan_pcp=%u", tci >> 13);
	else if (tcim == 0xffff && (tci & PSW_VLAN_CFI))
		out(f, "dl_vlan=%u,dl_vlan_pcp=%u", tci & PSW_VLAN_VID_MASK, tci >> 13);
	else
		out(f, "vlan_tci=0x%04x/0x%04x", tci, tcim);
}

// ip, tcp6, arp... for dl_type (and nw_proto, which it then says too), or
// dl_type=0xNNNN. Returns true when it said the protocol.
static bool out_dl_type(struct fmt *f, const struct psw_flow_key *k, const struct psw_flow_key *m)
{
	bool ip = k->dl_type == RTE_BE16(0x0800), ip6 = k->dl_type == RTE_BE16(0x86dd);
	const char *proto = NULL;

	if ((ip || ip6) && m->nw_proto == UINT8_MAX) {
		switch (k->nw_proto) {
		case 6:
			proto = ip ? "tcp" : "tcp6";
			break;
		case 17:
			proto = ip ? "udp" : "udp6";
			break;
		case 132:
			proto = ip ? "sctp" : "sctp6";
			break;
		case 1:
			proto = ip ? "icmp" : NULL;
			break;
		case 58:
			proto = ip6 ? "icmp6" : NULL;
			break;
		}
	}
	if (proto != NULL)
		out(f, "%s", proto);
	else if (ip)
		out(f, "ip");
	else if (ip6)
		out(f, "ipv6");
	else if (k->dl_type == RTE_BE16(0x0806))
		out(f, "arp");
	else
		out(f, "dl_type=0x%04x", rte_be_to_cpu_16(k->dl_type));
	return proto != NULL;
}

static void out_frag(struct fmt *f, uint8_t v, uint8_t m)
{
	const char *fr;

	if (m == PSW_FRAG_LATER)
		fr = "not_later";
	else if (m == PSW_FRAG_ANY)
		fr = v ? "yes" : "no";
	else
		fr = v & PSW_FRAG_LATER ? "later" : "first";
	out(f, "nw_frag=%s", fr);
}

static bool storage_masked(const struct mf_field *mf, const struct psw_flow_key *m)
{
	const uint8_t *p = (const uint8_t *)m + mf->offset;

	for (unsigned i = 0; i < mf->width; i++)
		if (p[i] != 0)
			return true;
	return false;
}

static bool same_storage(const struct mf_field *a, const struct mf_field *b)
{
	return a->offset == b->offset && a->width == b->width;
}

// Of the fields that share 'mf''s storage, the one the flow is written with:
// the first whose prerequisites it meets, else the last declared.
static bool names_storage(const struct mf_field *mf, const struct psw_flow_key *k,
	const struct psw_flow_key *m)
{
	const struct mf_field *last = NULL;

	for (unsigned i = 0; i < MF_COUNT; i++) {
		const struct mf_field *o = &mf_fields[i];

		if (!same_storage(o, mf) || o->format == MFF_VLAN_VID || o->format == MFF_VLAN_PCP)
			continue;
		if (mf_prereq_ok(o->prereq, k, m))
			return o == mf;
		last = o;
	}
	return last == mf;
}

void flow_format_match(const struct psw_flow_key *k, const struct psw_flow_key *m,
	int32_t priority, port_name_fn_t name, char *buf, size_t len)
{
	struct fmt f = {.buf = buf, .len = len, .off = 0, .first = true};
	bool proto_said = false;

	buf[0] = '\0';
	out(&f, "priority=%d", priority);
	for (unsigned i = 0; i < MF_COUNT; i++) {
		const struct mf_field *mf = &mf_fields[i];
		const uint8_t *v = (const uint8_t *)k + mf->offset, *mm = (const uint8_t *)m + mf->offset;

		// dl_vlan and dl_vlan_pcp are written as part of vlan_tci
		if (mf->format == MFF_VLAN_VID || mf->format == MFF_VLAN_PCP)
			continue;
		if (!storage_masked(mf, m) || !names_storage(mf, k, m))
			continue;
		switch (mf->format) {
		case MFF_PORT:
			out_port(&f, "in_port=", k->in_port, name);
			break;
		case MFF_MAC:
			out_mac(&f, mf->name, v, mm);
			break;
		case MFF_IPV4:
			out_ip(&f, mf->name, v, mm);
			break;
		case MFF_IPV6:
			out_ipv6(&f, mf->name, v, mm);
			break;
		case MFF_VLAN_TCI:
			out_vlan(&f, rte_be_to_cpu_16(k->vlan_tci), rte_be_to_cpu_16(m->vlan_tci));
			break;
		case MFF_DL_TYPE:
			proto_said = out_dl_type(&f, k, m);
			break;
		case MFF_FRAG:
			out_frag(&f, k->nw_frag, m->nw_frag);
			break;
		case MFF_TCP_FLAGS:
			out(&f, "tcp_flags=0x%03x/0x%03x", rte_be_to_cpu_16(k->tcp_flags),
				rte_be_to_cpu_16(m->tcp_flags));
			break;
		case MFF_INT:
			if (mf->id == MF_NW_PROTO && proto_said)
				break;
			out_int(&f, mf, k, m);
			break;
		case MFF_VLAN_VID:
		case MFF_VLAN_PCP:
			break;
		}
	}
}

void flow_format_actions(const struct psw_action *acts, unsigned n, port_name_fn_t name,
	char *buf, size_t len)
{
	struct fmt f = {.buf = buf, .len = len, .off = 0, .first = true};
	const uint8_t *mac;

	buf[0] = '\0';
	if (n == 0)
		out(&f, "drop");
	for (unsigned i = 0; i < n; i++) {
		const struct psw_action *a = &acts[i];

		mac = a->mac;
		switch (a->type) {
		case PSW_ACT_OUTPUT:
			out_port(&f, "output:", a->port, name);
			break;
		case PSW_ACT_IN_PORT:
			out(&f, "IN_PORT");
			break;
		case PSW_ACT_FLOOD:
			out(&f, "FLOOD");
			break;
		case PSW_ACT_NORMAL:
			out(&f, "NORMAL");
			break;
		case PSW_ACT_DROP:
			if (a->value != 0 && a->value < PSW_DROP_REASON_COUNT)
				out(&f, "drop:%s", psw_drop_reason_names[a->value]);
			else
				out(&f, "drop");
			break;
		case PSW_ACT_DEC_TTL:
			out(&f, "dec_ttl");
			break;
		case PSW_ACT_ARP_REPLY:
		case PSW_ACT_ND_ADVERT:
			out(&f, "%s:%02x:%02x:%02x:%02x:%02x:%02x",
				a->type == PSW_ACT_ARP_REPLY ? "arp_reply" : "nd_advert",
				mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
			break;
		case PSW_ACT_PUSH_VXLAN: {
			const struct psw_vxlan_spec *v = &a->vxlan;
			char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN], mtu[16] = "";

			inet_ntop(AF_INET, &v->ip_src, src, sizeof(src));
			inet_ntop(AF_INET, &v->ip_dst, dst, sizeof(dst));
			if (a->value != 0)
				snprintf(mtu, sizeof(mtu), ",mtu=%u", a->value);
			out(&f, "push_vxlan(vni=%u,eth_src=%02x:%02x:%02x:%02x:%02x:%02x,"
				"eth_dst=%02x:%02x:%02x:%02x:%02x:%02x,ip_src=%s,ip_dst=%s%s)", v->vni,
				v->eth_src[0], v->eth_src[1], v->eth_src[2], v->eth_src[3], v->eth_src[4],
				v->eth_src[5], v->eth_dst[0], v->eth_dst[1], v->eth_dst[2], v->eth_dst[3],
				v->eth_dst[4], v->eth_dst[5], src, dst, mtu);
			break;
		}
		case PSW_ACT_POP_VXLAN:
			out(&f, "pop_vxlan(vni=%u,table=%u)", a->vxlan.vni, a->table);
			break;
		case PSW_ACT_CONTROLLER:
			if (a->value != 0)
				out(&f, "controller:%u", a->value);
			else
				out(&f, "controller");
			break;
		case PSW_ACT_UNREACHABLE:
			out(&f, a->value == 1 ? "unreachable:host" : "unreachable");
			break;
		case PSW_ACT_PUSH_VLAN:
			out(&f, "push_vlan:0x%04x", a->value);
			break;
		case PSW_ACT_POP_VLAN:
			out(&f, "pop_vlan");
			break;
		case PSW_ACT_SET_VLAN_VID:
			out(&f, "mod_vlan_vid:%u", a->value);
			break;
		case PSW_ACT_SET_VLAN_PCP:
			out(&f, "mod_vlan_pcp:%u", a->value);
			break;
		case PSW_ACT_SET_DL_SRC:
		case PSW_ACT_SET_DL_DST:
			out(&f, "mod_dl_%s:%02x:%02x:%02x:%02x:%02x:%02x",
				a->type == PSW_ACT_SET_DL_SRC ? "src" : "dst",
				mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
			break;
		case PSW_ACT_GOTO_TABLE:
			out(&f, "goto_table:%u", a->table);
			break;
		case PSW_ACT_RECIRC:
			out(&f, "resubmit(,%u)", a->table);
			break;
		case PSW_ACT_SET_FIELD:
			for (unsigned j = 0; j < MF_COUNT; j++) {
				const struct mf_field *mf = &mf_fields[j];
				unsigned shift = (mf->offset % 8) * 8;
				uint64_t all = mf->width >= 8 ? UINT64_MAX :
					((1ULL << (8 * mf->width)) - 1) << shift;

				if (!mf->writable || mf->offset / 8 != a->word || (a->set_mask & all) == 0)
					continue;
				if ((a->set_mask & all) == all)
					out(&f, "set_field:%llu->%s",
						(unsigned long long)((a->set_value & all) >> shift), mf->name);
				else
					out(&f, "set_field:0x%llx/0x%llx->%s",
						(unsigned long long)((a->set_value & all) >> shift),
						(unsigned long long)((a->set_mask & all) >> shift), mf->name);
			}
			break;
		}
	}
}
