// SPDX-License-Identifier: BSD-3-Clause
#include "flows/match_field.h"
#include "errorf.h"
#include "netaddr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>

#define K(field) offsetof(struct psw_flow_key, field)
#define W(field) sizeof(((struct psw_flow_key *)0)->field)

#define REG(i) [MF_REG0 + (i)] = {MF_REG0 + (i), "reg" #i, "NXM_NX_REG" #i, \
	K(regs) + 4 * (i), 4, true, true, 0, 0, MFF_INT, MFP_NONE, true}

// In the order flows are written out: where two fields share storage (ARP
// and IPv4 addresses, ICMP type and L4 ports, ARP and ND link-layer
// addresses), the first whose prerequisites the flow meets names it.
const struct mf_field mf_fields[MF_COUNT] = {
	[MF_IN_PORT] = {MF_IN_PORT, "in_port", NULL, K(in_port), 2, true, false, 0, PSW_MAX_PORTS - 1,
		MFF_PORT, MFP_NONE, false},
	// a decapsulated frame's VNI and outer source (pop_vxlan); zero in others
	[MF_TUN_ID] = {MF_TUN_ID, "tun_id", "tunnel_id", K(tun_id), 4, true, true, 0, 0xffffff,
		MFF_INT, MFP_NONE, false},
	[MF_TUN_SRC] = {MF_TUN_SRC, "tun_src", NULL, K(tun_src), 4, false, true, 0, 0, MFF_IPV4,
		MFP_NONE, false},
	[MF_DL_SRC] = {MF_DL_SRC, "dl_src", "eth_src", K(dl_src), 6, false, true, 0, 0, MFF_MAC,
		MFP_NONE, false},
	[MF_DL_DST] = {MF_DL_DST, "dl_dst", "eth_dst", K(dl_dst), 6, false, true, 0, 0, MFF_MAC,
		MFP_NONE, false},
	[MF_VLAN_TCI] = {MF_VLAN_TCI, "vlan_tci", NULL, K(vlan_tci), 2, false, true, 0, 0,
		MFF_VLAN_TCI, MFP_NONE, false},
	[MF_DL_VLAN] = {MF_DL_VLAN, "dl_vlan", NULL, K(vlan_tci), 2, false, false, 0, 0,
		MFF_VLAN_VID, MFP_NONE, false},
	[MF_DL_VLAN_PCP] = {MF_DL_VLAN_PCP, "dl_vlan_pcp", NULL, K(vlan_tci), 2, false, false, 0, 7,
		MFF_VLAN_PCP, MFP_NONE, false},
	[MF_DL_TYPE] = {MF_DL_TYPE, "dl_type", "eth_type", K(dl_type), 2, false, false, 0, 0,
		MFF_DL_TYPE, MFP_NONE, false},
	[MF_ARP_SPA] = {MF_ARP_SPA, "arp_spa", NULL, K(nw_src), 4, false, true, 0, 0, MFF_IPV4,
		MFP_ARP, false},
	[MF_NW_SRC] = {MF_NW_SRC, "nw_src", "ip_src", K(nw_src), 4, false, true, 0, 0, MFF_IPV4,
		MFP_IPV4, false},
	[MF_ARP_TPA] = {MF_ARP_TPA, "arp_tpa", NULL, K(nw_dst), 4, false, true, 0, 0, MFF_IPV4,
		MFP_ARP, false},
	[MF_NW_DST] = {MF_NW_DST, "nw_dst", "ip_dst", K(nw_dst), 4, false, true, 0, 0, MFF_IPV4,
		MFP_IPV4, false},
	[MF_IPV6_SRC] = {MF_IPV6_SRC, "ipv6_src", NULL, K(ipv6_src), 16, false, true, 0, 0, MFF_IPV6,
		MFP_IPV6, false},
	[MF_IPV6_DST] = {MF_IPV6_DST, "ipv6_dst", NULL, K(ipv6_dst), 16, false, true, 0, 0, MFF_IPV6,
		MFP_IPV6, false},
	[MF_ARP_SHA] = {MF_ARP_SHA, "arp_sha", NULL, K(arp_sha), 6, false, true, 0, 0, MFF_MAC,
		MFP_ARP, false},
	[MF_ND_SLL] = {MF_ND_SLL, "nd_sll", NULL, K(arp_sha), 6, false, true, 0, 0, MFF_MAC,
		MFP_ND_NS, false},
	[MF_ARP_THA] = {MF_ARP_THA, "arp_tha", NULL, K(arp_tha), 6, false, true, 0, 0, MFF_MAC,
		MFP_ARP, false},
	[MF_ND_TLL] = {MF_ND_TLL, "nd_tll", NULL, K(arp_tha), 6, false, true, 0, 0, MFF_MAC,
		MFP_ND_NA, false},
	[MF_ARP_OP] = {MF_ARP_OP, "arp_op", NULL, K(nw_proto), 1, false, false, 1, 255, MFF_INT,
		MFP_ARP, false},
	[MF_NW_PROTO] = {MF_NW_PROTO, "nw_proto", "ip_proto", K(nw_proto), 1, false, false, 0, 255,
		MFF_INT, MFP_IP, false},
	[MF_NW_FRAG] = {MF_NW_FRAG, "nw_frag", NULL, K(nw_frag), 1, false, true, 0, 0, MFF_FRAG,
		MFP_IP, false},
	[MF_ICMP_TYPE] = {MF_ICMP_TYPE, "icmp_type", NULL, K(tp_src), 2, false, true, 0, 255, MFF_INT,
		MFP_ICMP4, false},
	[MF_ICMP_CODE] = {MF_ICMP_CODE, "icmp_code", NULL, K(tp_dst), 2, false, true, 0, 255, MFF_INT,
		MFP_ICMP4, false},
	[MF_ICMPV6_TYPE] = {MF_ICMPV6_TYPE, "icmpv6_type", NULL, K(tp_src), 2, false, true, 0, 255,
		MFF_INT, MFP_ICMP6, false},
	[MF_ICMPV6_CODE] = {MF_ICMPV6_CODE, "icmpv6_code", NULL, K(tp_dst), 2, false, true, 0, 255,
		MFF_INT, MFP_ICMP6, false},
	[MF_TP_SRC] = {MF_TP_SRC, "tp_src", NULL, K(tp_src), 2, false, true, 0, 0, MFF_INT, MFP_L4,
		false},
	[MF_TP_DST] = {MF_TP_DST, "tp_dst", NULL, K(tp_dst), 2, false, true, 0, 0, MFF_INT, MFP_L4,
		false},
	[MF_ND_TARGET] = {MF_ND_TARGET, "nd_target", NULL, K(nd_target), 16, false, true, 0, 0,
		MFF_IPV6, MFP_ND, false},
	[MF_TCP_FLAGS] = {MF_TCP_FLAGS, "tcp_flags", NULL, K(tcp_flags), 2, false, true, 0, 0x0fff,
		MFF_TCP_FLAGS, MFP_TCP, false},
	[MF_METADATA] = {MF_METADATA, "metadata", "OXM_OF_METADATA", K(metadata), 8, true, true, 0, 0,
		MFF_INT, MFP_NONE, true},
	REG(0), REG(1), REG(2), REG(3), REG(4), REG(5), REG(6), REG(7),
};

_Static_assert(W(regs) == PSW_N_REGS * 4 && PSW_N_REGS == 8, "one entry per register");

// The names of L4 ports by protocol, read as tp_src/tp_dst.
static const char *const l4_aliases[][2] = {
	{"tcp_src", "tcp_dst"}, {"udp_src", "udp_dst"}, {"sctp_src", "sctp_dst"},
};

const struct mf_field *mf_by_name(const char *name)
{
	for (unsigned i = 0; i < MF_COUNT; i++) {
		const struct mf_field *f = &mf_fields[i];

		if (strcmp(f->name, name) == 0 || (f->alias != NULL && strcmp(f->alias, name) == 0))
			return f;
	}
	for (unsigned i = 0; i < RTE_DIM(l4_aliases); i++) {
		if (strcmp(l4_aliases[i][0], name) == 0)
			return &mf_fields[MF_TP_SRC];
		if (strcmp(l4_aliases[i][1], name) == 0)
			return &mf_fields[MF_TP_DST];
	}
	return NULL;
}

static bool is_type(const struct psw_flow_key *k, const struct psw_flow_key *m, uint16_t t)
{
	return m->dl_type == UINT16_MAX && k->dl_type == rte_cpu_to_be_16(t);
}

static bool is_proto(const struct psw_flow_key *k, const struct psw_flow_key *m, uint8_t p)
{
	return m->nw_proto == UINT8_MAX && k->nw_proto == p;
}

static bool is_icmp_type(const struct psw_flow_key *k, const struct psw_flow_key *m, uint16_t t)
{
	return m->tp_src == UINT16_MAX && k->tp_src == rte_cpu_to_be_16(t);
}

bool mf_prereq_ok(enum mf_prereq p, const struct psw_flow_key *k, const struct psw_flow_key *m)
{
	bool ip4 = is_type(k, m, 0x0800), ip6 = is_type(k, m, 0x86dd);
	bool icmp6 = ip6 && is_proto(k, m, 58);

	switch (p) {
	case MFP_NONE:
		return true;
	case MFP_IPV4:
		return ip4;
	case MFP_IPV6:
		return ip6;
	case MFP_IP:
		return ip4 || ip6;
	case MFP_ARP:
		return is_type(k, m, 0x0806);
	case MFP_L4:
		return (ip4 || ip6) && (is_proto(k, m, 6) || is_proto(k, m, 17) ||
			is_proto(k, m, 132) || is_proto(k, m, ip4 ? 1 : 58));
	case MFP_TCP:
		return (ip4 || ip6) && is_proto(k, m, 6);
	case MFP_ICMP4:
		return ip4 && is_proto(k, m, 1);
	case MFP_ICMP6:
		return icmp6;
	case MFP_ND:
		return icmp6 && (is_icmp_type(k, m, 135) || is_icmp_type(k, m, 136));
	case MFP_ND_NS:
		return icmp6 && is_icmp_type(k, m, 135);
	case MFP_ND_NA:
		return icmp6 && is_icmp_type(k, m, 136);
	}
	return false;
}

const char *mf_prereq_text(enum mf_prereq p)
{
	static const char *const text[] = {
		[MFP_NONE] = "nothing",
		[MFP_IPV4] = "ip (dl_type=0x0800)",
		[MFP_IPV6] = "ipv6 (dl_type=0x86dd)",
		[MFP_IP] = "ip or ipv6",
		[MFP_ARP] = "arp",
		[MFP_L4] = "tcp, udp, sctp or icmp (tcp6, udp6, sctp6 or icmp6)",
		[MFP_TCP] = "tcp or tcp6",
		[MFP_ICMP4] = "icmp",
		[MFP_ICMP6] = "icmp6",
		[MFP_ND] = "icmp6 with icmpv6_type=135 or 136",
		[MFP_ND_NS] = "icmp6 with icmpv6_type=135",
		[MFP_ND_NA] = "icmp6 with icmpv6_type=136",
	};

	return text[p];
}

// Key bytes <-> host integers: network order but for host_order fields.
uint64_t mf_get_u64(const struct mf_field *f, const struct psw_flow_key *key)
{
	const uint8_t *p = (const uint8_t *)key + f->offset;
	uint64_t v = 0;

	if (f->host_order) {
		memcpy(&v, p, f->width);
		return v;
	}
	for (unsigned i = 0; i < f->width; i++)
		v = v << 8 | p[i];
	return v;
}

void mf_set_u64(const struct mf_field *f, struct psw_flow_key *key, uint64_t v)
{
	uint8_t *p = (uint8_t *)key + f->offset;

	if (f->host_order) {
		memcpy(p, &v, f->width);
		return;
	}
	for (unsigned i = f->width; i-- > 0;) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

int mf_set_bytes(const struct mf_field *f, struct psw_flow_key *match,
	struct psw_flow_key *key_mask, const uint8_t *value, const uint8_t *mask)
{
	uint8_t *mv = (uint8_t *)match + f->offset, *mm = (uint8_t *)key_mask + f->offset;

	for (unsigned i = 0; i < f->width; i++)
		if ((mm[i] & mask[i]) != 0 && (mv[i] & mask[i] & mm[i]) != (value[i] & mask[i] & mm[i]))
			return -EINVAL;
	for (unsigned i = 0; i < f->width; i++) {
		mv[i] = (uint8_t)((mv[i] & ~mask[i]) | (value[i] & mask[i]));
		mm[i] |= mask[i];
	}
	return 0;
}

#define fail(err, len, ...) psw_errorf((err), (len), -EINVAL, __VA_ARGS__)

int mf_parse_uint(const char *s, uint64_t max, uint64_t *v)
{
	char *end;

	if (*s == '\0' || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || *v > max)
		return -EINVAL;
	return 0;
}

char *mf_split_mask(char *s)
{
	char *slash = strchr(s, '/');

	if (slash != NULL)
		*slash++ = '\0';
	return slash;
}

// Writes a host integer as the field's key bytes.
static void put_int(const struct mf_field *f, uint64_t v, uint8_t *out)
{
	struct psw_flow_key k;

	memset(&k, 0, sizeof(k));
	mf_set_u64(f, &k, v);
	memcpy(out, (uint8_t *)&k + f->offset, f->width);
}

static uint64_t width_max(const struct mf_field *f)
{
	return f->width >= 8 ? UINT64_MAX : (1ULL << (8 * f->width)) - 1;
}

static int parse_int(const struct mf_field *f, char *s, uint8_t *value, uint8_t *mask,
	char *err, size_t elen)
{
	uint64_t max = f->max ? f->max : width_max(f), v, m = width_max(f);
	char *ms = mf_split_mask(s);

	if (mf_parse_uint(s, UINT64_MAX, &v) < 0)
		return fail(err, elen, "%s takes a number, not '%s'", f->name, s);
	if (v > max || v < f->min)
		return fail(err, elen, "%s must be %llu to %llu, not '%s'", f->name,
			(unsigned long long)f->min, (unsigned long long)max, s);
	if (ms != NULL) {
		if (!f->maskable)
			return fail(err, elen, "%s takes no mask ('/%s')", f->name, ms);
		if (mf_parse_uint(ms, UINT64_MAX, &m) < 0)
			return fail(err, elen, "%s mask '%s' is not a number", f->name, ms);
		if (m > width_max(f))
			return fail(err, elen, "%s mask '%s' is over %#llx", f->name, ms,
				(unsigned long long)width_max(f));
	}
	put_int(f, v & m, value);
	put_int(f, m, mask);
	return 0;
}

static int parse_ipv4(const struct mf_field *f, char *s, uint8_t *value, uint8_t *mask,
	char *err, size_t elen)
{
	char *ms = mf_split_mask(s);
	struct in_addr a, m = {.s_addr = UINT32_MAX};
	uint64_t len;

	if (inet_pton(AF_INET, s, &a) != 1)
		return fail(err, elen, "bad IPv4 address '%s' in %s", s, f->name);
	if (ms != NULL && strchr(ms, '.') != NULL) {
		if (inet_pton(AF_INET, ms, &m) != 1)
			return fail(err, elen, "bad IPv4 mask '%s' in %s", ms, f->name);
	} else if (ms != NULL) {
		if (mf_parse_uint(ms, 32, &len) < 0)
			return fail(err, elen, "bad IPv4 prefix length '%s' in %s (0 to 32)", ms, f->name);
		m.s_addr = len == 0 ? 0 : rte_cpu_to_be_32(UINT32_MAX << (32 - len));
	}
	a.s_addr &= m.s_addr;
	memcpy(value, &a, 4);
	memcpy(mask, &m, 4);
	return 0;
}

static int parse_ipv6(const struct mf_field *f, char *s, uint8_t *value, uint8_t *mask,
	char *err, size_t elen)
{
	char *ms = mf_split_mask(s);
	uint64_t len;

	if (inet_pton(AF_INET6, s, value) != 1)
		return fail(err, elen, "bad IPv6 address '%s' in %s", s, f->name);
	memset(mask, 0xff, 16);
	if (ms != NULL && strchr(ms, ':') != NULL) {
		if (inet_pton(AF_INET6, ms, mask) != 1)
			return fail(err, elen, "bad IPv6 mask '%s' in %s", ms, f->name);
	} else if (ms != NULL) {
		if (mf_parse_uint(ms, 128, &len) < 0)
			return fail(err, elen, "bad IPv6 prefix length '%s' in %s (0 to 128)", ms, f->name);
		memset(mask, 0, 16);
		memset(mask, 0xff, len / 8);
		if (len % 8)
			mask[len / 8] = (uint8_t)(0xff00 >> (len % 8));
	}
	for (int i = 0; i < 16; i++)
		value[i] &= mask[i];
	return 0;
}

static int parse_mac(const struct mf_field *f, char *s, uint8_t *value, uint8_t *mask,
	char *err, size_t elen)
{
	char *ms = mf_split_mask(s);

	if (psw_parse_mac(s, value) < 0)
		return fail(err, elen, "bad MAC address '%s' in %s", s, f->name);
	memset(mask, 0xff, 6);
	if (ms != NULL && psw_parse_mac(ms, mask) < 0)
		return fail(err, elen, "bad MAC mask '%s' in %s", ms, f->name);
	for (int i = 0; i < 6; i++)
		value[i] &= mask[i];
	return 0;
}

static const struct {
	const char *name;
	uint16_t bit;
} tcp_flag_names[] = {
	{"fin", 0x001}, {"syn", 0x002}, {"rst", 0x004}, {"psh", 0x008}, {"ack", 0x010},
	{"urg", 0x020}, {"ece", 0x040}, {"cwr", 0x080}, {"ns", 0x100},
};

// "+syn-ack" (flags set and flags clear) or "0x002/0x012".
static int parse_tcp_flags(const struct mf_field *f, char *s, uint8_t *value, uint8_t *mask,
	char *err, size_t elen)
{
	uint16_t v = 0, m = 0;

	if (*s != '+' && *s != '-')
		return parse_int(f, s, value, mask, err, elen) < 0 ?
			fail(err, elen, "bad tcp_flags '%s' (use +syn-ack or 0x002/0x012)", s) : 0;
	while (*s != '\0') {
		bool set = *s == '+';
		size_t len;
		unsigned i;

		if (*s != '+' && *s != '-')
			return fail(err, elen, "bad tcp_flags at '%s' (use +syn-ack)", s);
		s++;
		len = strcspn(s, "+-");
		for (i = 0; i < RTE_DIM(tcp_flag_names); i++)
			if (strlen(tcp_flag_names[i].name) == len &&
			    strncmp(s, tcp_flag_names[i].name, len) == 0)
				break;
		if (i == RTE_DIM(tcp_flag_names))
			return fail(err, elen, "bad tcp_flags: no flag '%.*s' (fin, syn, rst, psh, ack, "
				"urg, ece, cwr, ns)", (int)len, s);
		if ((m & tcp_flag_names[i].bit) &&
		    ((v & tcp_flag_names[i].bit) != 0) != set)
			return fail(err, elen, "tcp_flags: %s is both set and clear", tcp_flag_names[i].name);
		m |= tcp_flag_names[i].bit;
		if (set)
			v |= tcp_flag_names[i].bit;
		s += len;
	}
	put_int(f, v, value);
	put_int(f, m, mask);
	return 0;
}

static int parse_frag(const struct mf_field *f, char *s, uint8_t *value, uint8_t *mask,
	char *err, size_t elen)
{
	static const struct { const char *n; uint8_t v, m; } frags[] = {
		{"no", 0, PSW_FRAG_ANY}, {"yes", PSW_FRAG_ANY, PSW_FRAG_ANY},
		{"first", PSW_FRAG_ANY, PSW_FRAG_ANY | PSW_FRAG_LATER},
		{"later", PSW_FRAG_ANY | PSW_FRAG_LATER, PSW_FRAG_ANY | PSW_FRAG_LATER},
		{"not_later", 0, PSW_FRAG_LATER},
	};

	for (unsigned i = 0; i < RTE_DIM(frags); i++) {
		if (strcmp(s, frags[i].n) == 0) {
			*value = frags[i].v;
			*mask = frags[i].m;
			return 0;
		}
	}
	return fail(err, elen, "%s must be no, yes, first, later or not_later, not '%s'", f->name, s);
}

static int parse_vlan_vid(const struct mf_field *f, char *s, uint8_t *value, uint8_t *mask,
	char *err, size_t elen)
{
	uint64_t v;
	uint16_t tci, tm;

	if (mf_parse_uint(s, UINT16_MAX, &v) < 0 || (v > 4095 && v != 0xffff))
		return fail(err, elen, "%s must be 0 to 4095, or 0xffff for no tag, not '%s'", f->name, s);
	// 0xffff: no tag at all; else the tag's VID, with the tag present
	tci = v == 0xffff ? 0 : (uint16_t)(PSW_VLAN_CFI | v);
	tm = v == 0xffff ? 0xffff : 0x1fff;
	tci = rte_cpu_to_be_16(tci);
	tm = rte_cpu_to_be_16(tm);
	memcpy(value, &tci, 2);
	memcpy(mask, &tm, 2);
	return 0;
}

static int parse_vlan_pcp(const struct mf_field *f, char *s, uint8_t *value, uint8_t *mask,
	char *err, size_t elen)
{
	uint64_t v;
	uint16_t tci, tm = RTE_BE16(0xf000);

	if (mf_parse_uint(s, 7, &v) < 0)
		return fail(err, elen, "%s must be 0 to 7, not '%s'", f->name, s);
	tci = rte_cpu_to_be_16((uint16_t)(PSW_VLAN_CFI | (v << 13)));
	memcpy(value, &tci, 2);
	memcpy(mask, &tm, 2);
	return 0;
}

int mf_parse_port(const char *text, mf_resolve_fn_t resolve, uint16_t *port)
{
	uint64_t v;

	if (mf_parse_uint(text, PSW_MAX_PORTS - 1, &v) == 0 && v != 0) {
		*port = (uint16_t)v;
		return 0;
	}
	*port = resolve != NULL ? resolve(text) : PSW_PORT_NONE;
	return *port == PSW_PORT_NONE ? -ENOENT : 0;
}

int mf_parse(const struct mf_field *f, char *text, mf_resolve_fn_t resolve, uint8_t *value,
	uint8_t *mask, char *err, size_t elen)
{
	uint16_t port;

	switch (f->format) {
	case MFF_PORT:
		if (mf_parse_port(text, resolve, &port) < 0)
			return psw_errorf(err, elen, -EINVAL, "unknown port '%s'", text);
		memcpy(value, &port, 2);
		memset(mask, 0xff, 2);
		return 0;
	case MFF_MAC:
		return parse_mac(f, text, value, mask, err, elen);
	case MFF_IPV4:
		return parse_ipv4(f, text, value, mask, err, elen);
	case MFF_IPV6:
		return parse_ipv6(f, text, value, mask, err, elen);
	case MFF_FRAG:
		return parse_frag(f, text, value, mask, err, elen);
	case MFF_TCP_FLAGS:
		return parse_tcp_flags(f, text, value, mask, err, elen);
	case MFF_VLAN_VID:
		return parse_vlan_vid(f, text, value, mask, err, elen);
	case MFF_VLAN_PCP:
		return parse_vlan_pcp(f, text, value, mask, err, elen);
	case MFF_VLAN_TCI:
	case MFF_DL_TYPE:
	case MFF_INT:
		return parse_int(f, text, value, mask, err, elen);
	}
	return fail(err, elen, "cannot parse %s", f->name);
}
