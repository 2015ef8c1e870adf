// SPDX-License-Identifier: BSD-3-Clause
#include "errorf.h"
#include "flows/flow_parse.h"
#include "netaddr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>

#define DEFAULT_PRIORITY 32768

#define fail(err, len, ...) psw_errorf((err), (len), -EINVAL, __VA_ARGS__)

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

// Splits 's' in place at top-level commas (not inside parentheses).
static unsigned split_commas(char *s, char **out, unsigned max)
{
	unsigned n = 0, depth = 0;
	char *start = s;

	for (char *p = s;; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		if ((*p == ',' && depth == 0) || *p == '\0') {
			bool end = *p == '\0';

			*p = '\0';
			if (n < max)
				out[n] = trim(start);
			n++;
			if (end)
				break;
			start = p + 1;
		}
	}
	return n;
}

static int parse_uint(const char *s, uint64_t max, uint64_t *v)
{
	char *end;

	if (*s == '\0' || *s == '-' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || *v > max)
		return -EINVAL;
	return 0;
}

// "value" or "value/mask", both parsed by 'parse'.
static char *split_mask(char *s)
{
	char *slash = strchr(s, '/');

	if (slash != NULL)
		*slash++ = '\0';
	return slash;
}

static int parse_ipv4_prefix(char *s, uint32_t *addr, uint32_t *mask)
{
	char *m = split_mask(s);
	struct in_addr a;
	uint64_t len;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*addr = a.s_addr;
	*mask = UINT32_MAX;
	if (m != NULL) {
		if (strchr(m, '.') != NULL) {
			if (inet_pton(AF_INET, m, &a) != 1)
				return -EINVAL;
			*mask = a.s_addr;
		} else {
			if (parse_uint(m, 32, &len) < 0)
				return -EINVAL;
			*mask = len == 0 ? 0 : rte_cpu_to_be_32(UINT32_MAX << (32 - len));
		}
	}
	*addr &= *mask;
	return 0;
}

// "2001:db8::1", "2001:db8::/32" or "2001:db8::/ffff:ffff::".
static int parse_ipv6_prefix(char *s, uint8_t *addr, uint8_t *mask)
{
	char *m = split_mask(s);
	uint64_t len;

	if (inet_pton(AF_INET6, s, addr) != 1)
		return -EINVAL;
	memset(mask, 0xff, 16);
	if (m != NULL) {
		if (strchr(m, ':') != NULL) {
			if (inet_pton(AF_INET6, m, mask) != 1)
				return -EINVAL;
		} else {
			if (parse_uint(m, 128, &len) < 0)
				return -EINVAL;
			memset(mask, 0, 16);
			memset(mask, 0xff, len / 8);
			if (len % 8)
				mask[len / 8] = (uint8_t)(0xff00 >> (len % 8));
		}
	}
	for (int i = 0; i < 16; i++)
		addr[i] &= mask[i];
	return 0;
}

// "02:00:00:00:00:01" or "01:00:00:00:00:00/01:00:00:00:00:00".
static int parse_mac_masked(char *s, uint8_t *v, uint8_t *m, char *err, size_t elen)
{
	char *mask = split_mask(s);

	if (psw_parse_mac(s, v) < 0)
		return fail(err, elen, "bad MAC address '%s'", s);
	memset(m, 0xff, 6);
	if (mask != NULL && psw_parse_mac(mask, m) < 0)
		return fail(err, elen, "bad MAC mask '%s'", mask);
	for (int i = 0; i < 6; i++)
		v[i] &= m[i];
	return 0;
}

static int parse_u16_masked(char *s, uint16_t *v, uint16_t *m)
{
	char *mask = split_mask(s);
	uint64_t x;

	if (parse_uint(s, UINT16_MAX, &x) < 0)
		return -EINVAL;
	*v = (uint16_t)x;
	*m = UINT16_MAX;
	if (mask != NULL) {
		if (parse_uint(mask, UINT16_MAX, &x) < 0)
			return -EINVAL;
		*m = (uint16_t)x;
	}
	*v &= *m;
	return 0;
}

static const struct {
	const char *name;
	uint16_t bit;
} tcp_flag_names[] = {
	{"fin", 0x001}, {"syn", 0x002}, {"rst", 0x004}, {"psh", 0x008}, {"ack", 0x010},
	{"urg", 0x020}, {"ece", 0x040}, {"cwr", 0x080}, {"ns", 0x100},
};

// "+syn-ack" (set and unset flags) or "0x002/0x012" or a bare number.
static int parse_tcp_flags(char *s, uint16_t *v, uint16_t *m)
{
	if (*s != '+' && *s != '-') {
		if (parse_u16_masked(s, v, m) < 0 || (*v & ~0x0fff) != 0)
			return -EINVAL;
		*m &= 0x0fff;
		return 0;
	}
	*v = *m = 0;
	while (*s != '\0') {
		bool set = *s == '+';
		size_t len;
		unsigned i;

		if (*s != '+' && *s != '-')
			return -EINVAL;
		s++;
		len = strcspn(s, "+-");
		for (i = 0; i < RTE_DIM(tcp_flag_names); i++)
			if (strlen(tcp_flag_names[i].name) == len &&
			    strncmp(s, tcp_flag_names[i].name, len) == 0)
				break;
		if (i == RTE_DIM(tcp_flag_names))
			return -EINVAL;
		*m |= tcp_flag_names[i].bit;
		if (set)
			*v |= tcp_flag_names[i].bit;
		s += len;
	}
	return 0;
}

static int parse_port(const char *s, port_resolve_fn_t resolve, uint16_t *port)
{
	uint64_t v;

	if (parse_uint(s, PSW_MAX_PORTS - 1, &v) == 0 && v != 0) {
		*port = (uint16_t)v;
		return 0;
	}
	if (resolve != NULL) {
		*port = resolve(s);
		if (*port != PSW_PORT_NONE)
			return 0;
	}
	return -ENOENT;
}

static void set_proto(struct flow_spec *sp, uint16_t dl_type, int nw_proto)
{
	sp->match.dl_type = rte_cpu_to_be_16(dl_type);
	sp->mask.dl_type = UINT16_MAX;
	if (nw_proto >= 0) {
		sp->match.nw_proto = (uint8_t)nw_proto;
		sp->mask.nw_proto = UINT8_MAX;
	}
}

static int parse_match_field(struct flow_spec *sp, const char *key, char *val,
	port_resolve_fn_t resolve, char *err, size_t elen)
{
	struct psw_flow_key *k = &sp->match, *m = &sp->mask;
	uint64_t v;
	uint16_t v16, m16;

	static const struct {
		const char *name;
		uint16_t dl_type;
		int nw_proto;
	} shorthands[] = {
		{"ip", 0x0800, -1}, {"ipv4", 0x0800, -1}, {"arp", 0x0806, -1},
		{"ipv6", 0x86dd, -1}, {"tcp", 0x0800, 6}, {"udp", 0x0800, 17},
		{"icmp", 0x0800, 1}, {"sctp", 0x0800, 132}, {"tcp6", 0x86dd, 6},
		{"udp6", 0x86dd, 17}, {"icmp6", 0x86dd, 58}, {"sctp6", 0x86dd, 132},
	};
	if (val == NULL) {
		for (unsigned i = 0; i < RTE_DIM(shorthands); i++) {
			if (strcmp(key, shorthands[i].name) == 0) {
				set_proto(sp, shorthands[i].dl_type, shorthands[i].nw_proto);
				return 0;
			}
		}
		return fail(err, elen, "unknown field '%s'", key);
	}
	if (strcmp(key, "table") == 0) {
		if (parse_uint(val, PSW_MAX_TABLES - 1, &v) < 0)
			return fail(err, elen, "table must be 0 to %d, not '%s'", PSW_MAX_TABLES - 1, val);
		sp->table_id = (uint8_t)v;
		sp->has_table = true;
	} else if (strcmp(key, "priority") == 0) {
		if (parse_uint(val, UINT16_MAX, &v) < 0)
			return fail(err, elen, "priority must be 0 to 65535, not '%s'", val);
		sp->priority = (int32_t)v;
		sp->has_priority = true;
	} else if (strcmp(key, "cookie") == 0) {
		char *mask = split_mask(val);

		if (parse_uint(val, UINT64_MAX, &sp->cookie) < 0)
			return fail(err, elen, "bad cookie '%s'", val);
		sp->cookie_mask = UINT64_MAX;
		if (mask != NULL && strcmp(mask, "-1") != 0 &&
		    parse_uint(mask, UINT64_MAX, &sp->cookie_mask) < 0)
			return fail(err, elen, "bad cookie mask '%s'", mask);
	} else if (strcmp(key, "idle_timeout") == 0 || strcmp(key, "hard_timeout") == 0) {
		if (parse_uint(val, UINT16_MAX, &v) < 0)
			return fail(err, elen, "%s must be 0 to 65535 seconds, not '%s'", key, val);
		if (key[0] == 'i')
			sp->idle_timeout = (uint16_t)v;
		else
			sp->hard_timeout = (uint16_t)v;
	} else if (strcmp(key, "in_port") == 0) {
		if (parse_port(val, resolve, &k->in_port) < 0)
			return fail(err, elen, "unknown port '%s'", val);
		m->in_port = UINT16_MAX;
	} else if (strcmp(key, "dl_src") == 0 || strcmp(key, "eth_src") == 0 ||
		   strcmp(key, "dl_dst") == 0 || strcmp(key, "eth_dst") == 0) {
		bool src = strstr(key, "src") != NULL;

		return parse_mac_masked(val, src ? k->dl_src : k->dl_dst, src ? m->dl_src : m->dl_dst,
			err, elen);
	} else if (strcmp(key, "dl_vlan") == 0) {
		if (parse_uint(val, UINT16_MAX, &v) < 0 || (v > 4095 && v != 0xffff))
			return fail(err, elen, "dl_vlan must be 0 to 4095, or 0xffff for no tag, not '%s'", val);
		if (v == 0xffff) {
			k->vlan_tci = 0;
			m->vlan_tci = UINT16_MAX;
		} else {
			k->vlan_tci = (k->vlan_tci & ~rte_cpu_to_be_16(0x1fff)) |
				rte_cpu_to_be_16((uint16_t)(PSW_VLAN_CFI | v));
			m->vlan_tci |= rte_cpu_to_be_16(0x1fff);
		}
	} else if (strcmp(key, "dl_vlan_pcp") == 0) {
		if (parse_uint(val, 7, &v) < 0)
			return fail(err, elen, "dl_vlan_pcp must be 0 to 7, not '%s'", val);
		k->vlan_tci = (k->vlan_tci & ~rte_cpu_to_be_16(0xf000)) |
			rte_cpu_to_be_16((uint16_t)(PSW_VLAN_CFI | (v << 13)));
		m->vlan_tci |= rte_cpu_to_be_16(0xf000);
	} else if (strcmp(key, "vlan_tci") == 0) {
		if (parse_u16_masked(val, &v16, &m16) < 0)
			return fail(err, elen, "bad vlan_tci '%s'", val);
		k->vlan_tci = rte_cpu_to_be_16(v16);
		m->vlan_tci = rte_cpu_to_be_16(m16);
	} else if (strcmp(key, "dl_type") == 0 || strcmp(key, "eth_type") == 0) {
		if (parse_uint(val, UINT16_MAX, &v) < 0)
			return fail(err, elen, "bad dl_type '%s'", val);
		set_proto(sp, (uint16_t)v, -1);
	} else if (strcmp(key, "nw_src") == 0 || strcmp(key, "ip_src") == 0 ||
		   strcmp(key, "nw_dst") == 0 || strcmp(key, "ip_dst") == 0) {
		bool src = strstr(key, "src") != NULL;

		if (parse_ipv4_prefix(val, src ? &k->nw_src : &k->nw_dst,
			    src ? &m->nw_src : &m->nw_dst) < 0)
			return fail(err, elen, "bad IPv4 address or prefix '%s'", val);
	} else if (strcmp(key, "ipv6_src") == 0 || strcmp(key, "ipv6_dst") == 0 ||
		   strcmp(key, "nd_target") == 0) {
		uint8_t *kv = key[0] == 'n' ? k->nd_target : strstr(key, "src") ? k->ipv6_src : k->ipv6_dst;
		uint8_t *mv = key[0] == 'n' ? m->nd_target : strstr(key, "src") ? m->ipv6_src : m->ipv6_dst;

		if (parse_ipv6_prefix(val, kv, mv) < 0)
			return fail(err, elen, "bad IPv6 address or prefix '%s'", val);
	} else if (strcmp(key, "arp_sha") == 0 || strcmp(key, "nd_sll") == 0 ||
		   strcmp(key, "arp_tha") == 0 || strcmp(key, "nd_tll") == 0) {
		bool sender = strcmp(key, "arp_sha") == 0 || strcmp(key, "nd_sll") == 0;

		return parse_mac_masked(val, sender ? k->arp_sha : k->arp_tha,
			sender ? m->arp_sha : m->arp_tha, err, elen);
	} else if (strcmp(key, "arp_spa") == 0 || strcmp(key, "arp_tpa") == 0) {
		bool src = strcmp(key, "arp_spa") == 0;

		if (parse_ipv4_prefix(val, src ? &k->nw_src : &k->nw_dst,
			    src ? &m->nw_src : &m->nw_dst) < 0)
			return fail(err, elen, "bad IPv4 address or prefix '%s'", val);
	} else if (strcmp(key, "arp_op") == 0) {
		if (parse_uint(val, UINT8_MAX, &v) < 0 || v == 0)
			return fail(err, elen, "arp_op must be 1 to 255, not '%s'", val);
		k->nw_proto = (uint8_t)v;
		m->nw_proto = UINT8_MAX;
	} else if (strcmp(key, "nw_proto") == 0 || strcmp(key, "ip_proto") == 0) {
		if (parse_uint(val, UINT8_MAX, &v) < 0)
			return fail(err, elen, "nw_proto must be 0 to 255, not '%s'", val);
		k->nw_proto = (uint8_t)v;
		m->nw_proto = UINT8_MAX;
	} else if (strcmp(key, "nw_frag") == 0) {
		static const struct { const char *n; uint8_t v, m; } frags[] = {
			{"no", 0, PSW_FRAG_ANY}, {"yes", PSW_FRAG_ANY, PSW_FRAG_ANY},
			{"first", PSW_FRAG_ANY, PSW_FRAG_ANY | PSW_FRAG_LATER},
			{"later", PSW_FRAG_ANY | PSW_FRAG_LATER, PSW_FRAG_ANY | PSW_FRAG_LATER},
			{"not_later", 0, PSW_FRAG_LATER},
		};
		unsigned i;

		for (i = 0; i < RTE_DIM(frags); i++)
			if (strcmp(val, frags[i].n) == 0)
				break;
		if (i == RTE_DIM(frags))
			return fail(err, elen, "nw_frag must be no, yes, first, later or not_later");
		k->nw_frag = frags[i].v;
		m->nw_frag = frags[i].m;
	} else if (strcmp(key, "tp_src") == 0 || strcmp(key, "tcp_src") == 0 ||
		   strcmp(key, "udp_src") == 0 || strcmp(key, "tp_dst") == 0 ||
		   strcmp(key, "tcp_dst") == 0 || strcmp(key, "udp_dst") == 0 ||
		   strcmp(key, "icmp_type") == 0 || strcmp(key, "icmp_code") == 0 ||
		   strcmp(key, "icmpv6_type") == 0 || strcmp(key, "icmpv6_code") == 0) {
		bool src = strstr(key, "src") != NULL || strstr(key, "_type") != NULL;

		if (parse_u16_masked(val, &v16, &m16) < 0)
			return fail(err, elen, "%s must be 0 to 65535 (with an optional /mask), not '%s'",
				key, val);
		if (src) {
			k->tp_src = rte_cpu_to_be_16(v16);
			m->tp_src = rte_cpu_to_be_16(m16);
		} else {
			k->tp_dst = rte_cpu_to_be_16(v16);
			m->tp_dst = rte_cpu_to_be_16(m16);
		}
	} else if (strcmp(key, "tcp_flags") == 0) {
		if (parse_tcp_flags(val, &v16, &m16) < 0)
			return fail(err, elen, "bad tcp_flags '%s' (use +syn-ack or 0x002/0x012)", val);
		k->tcp_flags = rte_cpu_to_be_16(v16);
		m->tcp_flags = rte_cpu_to_be_16(m16);
	} else {
		return fail(err, elen, "unknown field '%s'", key);
	}
	return 0;
}

static bool mask_is_zero(const uint8_t *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (m[i] != 0)
			return false;
	return true;
}

// Fields that only mean something once lower layers are pinned down.
static int check_prerequisites(const struct flow_spec *sp, char *err, size_t elen)
{
	const struct psw_flow_key *k = &sp->match, *m = &sp->mask;
	bool ip = m->dl_type == UINT16_MAX && k->dl_type == RTE_BE16(0x0800);
	bool ip6 = m->dl_type == UINT16_MAX && k->dl_type == RTE_BE16(0x86dd);
	bool arp = m->dl_type == UINT16_MAX && k->dl_type == RTE_BE16(0x0806);
	bool l4 = (ip || ip6) && m->nw_proto == UINT8_MAX &&
		(k->nw_proto == 6 || k->nw_proto == 17 || k->nw_proto == 132 ||
		 k->nw_proto == (ip ? 1 : 58));

	// arp_spa, arp_tpa and arp_op share nw_src, nw_dst and nw_proto
	if (arp && m->nw_frag)
		return fail(err, elen, "nw_frag needs ip or ipv6");
	if ((m->nw_src || m->nw_dst) && ip6)
		return fail(err, elen, "nw_src and nw_dst are IPv4: use ipv6_src and ipv6_dst");
	if ((m->nw_src || m->nw_dst) && !ip && !arp)
		return fail(err, elen, "IPv4 fields need ip (dl_type=0x0800), ARP fields need arp");
	if ((m->nw_proto || m->nw_frag) && !ip && !ip6 && !arp)
		return fail(err, elen, "nw_proto and nw_frag need ip or ipv6");
	if ((!mask_is_zero(m->ipv6_src, 16) || !mask_is_zero(m->ipv6_dst, 16)) && !ip6)
		return fail(err, elen, "IPv6 addresses need ipv6 (dl_type=0x86dd)");
	bool nd = ip6 && m->nw_proto == UINT8_MAX && k->nw_proto == 58 &&
		m->tp_src == UINT16_MAX && (k->tp_src == RTE_BE16(135) || k->tp_src == RTE_BE16(136));
	bool ll_set = !mask_is_zero(m->arp_sha, 6) || !mask_is_zero(m->arp_tha, 6);

	if (!mask_is_zero(m->nd_target, 16) && !nd)
		return fail(err, elen, "nd_target needs icmp6 with icmpv6_type=135 or 136");
	if (ll_set && !arp && !nd)
		return fail(err, elen, "arp_sha and arp_tha need arp; nd_sll and nd_tll need icmp6 "
			"with icmpv6_type=135 (nd_sll) or 136 (nd_tll)");
	if (nd && !mask_is_zero(m->arp_sha, 6) && k->tp_src != RTE_BE16(135))
		return fail(err, elen, "nd_sll needs icmpv6_type=135");
	if (nd && !mask_is_zero(m->arp_tha, 6) && k->tp_src != RTE_BE16(136))
		return fail(err, elen, "nd_tll needs icmpv6_type=136");
	if ((m->tp_src || m->tp_dst) && !l4)
		return fail(err, elen, "L4 ports need tcp, udp, sctp or icmp (tcp6, udp6, sctp6 or icmp6)");
	if (m->tcp_flags && !(l4 && k->nw_proto == 6))
		return fail(err, elen, "tcp_flags needs tcp or tcp6");
	return 0;
}

static int parse_action(struct flow_spec *sp, char *tok, port_resolve_fn_t resolve,
	char *err, size_t elen)
{
	struct psw_action a = {.type = PSW_ACT_DROP};
	char *arg = strchr(tok, ':');
	uint64_t v;

	if (sp->n_actions > 0 && sp->actions[sp->n_actions - 1].type == PSW_ACT_GOTO_TABLE)
		return fail(err, elen, "goto_table must be the last action");
	if (arg != NULL)
		*arg++ = '\0';
	if (strcasecmp(tok, "normal") == 0 && arg == NULL) {
		a.type = PSW_ACT_NORMAL;
	} else if (strcasecmp(tok, "flood") == 0 && arg == NULL) {
		a.type = PSW_ACT_FLOOD;
	} else if (strcasecmp(tok, "in_port") == 0 && arg == NULL) {
		a.type = PSW_ACT_IN_PORT;
	} else if (strcmp(tok, "drop") == 0 && arg == NULL) {
		a.type = PSW_ACT_DROP;
	} else if ((strcmp(tok, "strip_vlan") == 0 || strcmp(tok, "pop_vlan") == 0) && arg == NULL) {
		a.type = PSW_ACT_POP_VLAN;
	} else if (strcmp(tok, "output") == 0 && arg != NULL) {
		a.type = PSW_ACT_OUTPUT;
		if (parse_port(arg, resolve, &a.port) < 0)
			return fail(err, elen, "unknown port '%s'", arg);
	} else if (strcmp(tok, "push_vlan") == 0 && arg != NULL) {
		if (parse_uint(arg, UINT16_MAX, &v) < 0 || (v != 0x8100 && v != 0x88a8))
			return fail(err, elen, "push_vlan takes 0x8100 or 0x88a8, not '%s'", arg);
		a.type = PSW_ACT_PUSH_VLAN;
		a.value = (uint16_t)v;
	} else if ((strcmp(tok, "mod_vlan_vid") == 0 || strcmp(tok, "set_vlan_vid") == 0) && arg) {
		if (parse_uint(arg, 4095, &v) < 0)
			return fail(err, elen, "a VLAN id is 0 to 4095, not '%s'", arg);
		a.type = PSW_ACT_SET_VLAN_VID;
		a.value = (uint16_t)v;
	} else if ((strcmp(tok, "mod_vlan_pcp") == 0 || strcmp(tok, "set_vlan_pcp") == 0) && arg) {
		if (parse_uint(arg, 7, &v) < 0)
			return fail(err, elen, "a VLAN priority is 0 to 7, not '%s'", arg);
		a.type = PSW_ACT_SET_VLAN_PCP;
		a.value = (uint16_t)v;
	} else if ((strcmp(tok, "mod_dl_src") == 0 || strcmp(tok, "mod_dl_dst") == 0) && arg) {
		a.type = tok[7] == 's' ? PSW_ACT_SET_DL_SRC : PSW_ACT_SET_DL_DST;
		if (psw_parse_mac(arg, a.mac) < 0)
			return fail(err, elen, "bad MAC address '%s'", arg);
	} else if (strcmp(tok, "set_field") == 0 && arg != NULL) {
		char *field = strstr(arg, "->");

		if (field == NULL)
			return fail(err, elen, "set_field takes VALUE->FIELD");
		*field = '\0';
		field += 2;
		if (strcmp(field, "dl_src") == 0 || strcmp(field, "eth_src") == 0 ||
		    strcmp(field, "dl_dst") == 0 || strcmp(field, "eth_dst") == 0) {
			a.type = strstr(field, "src") ? PSW_ACT_SET_DL_SRC : PSW_ACT_SET_DL_DST;
			if (psw_parse_mac(arg, a.mac) < 0)
				return fail(err, elen, "bad MAC address '%s'", arg);
		} else if (strcmp(field, "vlan_vid") == 0) {
			if (parse_uint(arg, 4095, &v) < 0)
				return fail(err, elen, "a VLAN id is 0 to 4095, not '%s'", arg);
			a.type = PSW_ACT_SET_VLAN_VID;
			a.value = (uint16_t)v;
		} else {
			return fail(err, elen, "set_field cannot set '%s'", field);
		}
	} else if (strcmp(tok, "goto_table") == 0 && arg != NULL) {
		if (parse_uint(arg, PSW_MAX_TABLES - 1, &v) < 0)
			return fail(err, elen, "bad table '%s'", arg);
		a.type = PSW_ACT_GOTO_TABLE;
		a.table = (uint8_t)v;
	} else if (strncmp(tok, "resubmit(,", 10) == 0 && arg == NULL &&
		   tok[strlen(tok) - 1] == ')') {
		tok[strlen(tok) - 1] = '\0';
		if (parse_uint(tok + 10, PSW_MAX_TABLES - 1, &v) < 0)
			return fail(err, elen, "bad table in resubmit");
		a.type = PSW_ACT_GOTO_TABLE;
		a.table = (uint8_t)v;
	} else if (arg == NULL && parse_port(tok, resolve, &a.port) == 0) {
		a.type = PSW_ACT_OUTPUT;
	} else {
		return fail(err, elen, "unknown action '%s%s%s'", tok, arg ? ":" : "", arg ? arg : "");
	}
	if (a.type == PSW_ACT_GOTO_TABLE && a.table <= sp->table_id)
		return fail(err, elen, "goto_table must go to a later table than %u", sp->table_id);
	if (sp->n_actions == PSW_MAX_ACTIONS)
		return fail(err, elen, "more than %d actions", PSW_MAX_ACTIONS);
	sp->actions[sp->n_actions++] = a;
	return 0;
}

int flow_parse(const char *text, enum flow_parse_mode mode, port_resolve_fn_t resolve,
	struct flow_spec *sp, char *err, size_t elen)
{
	char *copy, *toks[128], *acts = NULL;
	unsigned n;
	int ret = 0;

	memset(sp, 0, sizeof(*sp));
	sp->priority = DEFAULT_PRIORITY;
	if (text == NULL)
		return fail(err, elen, "no flow given");
	if (strlen(text) > 65536)
		return fail(err, elen, "flow text too long");
	copy = strdup(text);
	if (copy == NULL)
		return -ENOMEM;
	acts = strstr(copy, "actions=");
	if (acts != NULL) {
		if (acts != copy && acts[-1] != ',' && !isspace((unsigned char)acts[-1])) {
			ret = fail(err, elen, "'actions=' must start a field");
			goto out;
		}
		*acts = '\0';
		acts += strlen("actions=");
	}
	n = split_commas(copy, toks, RTE_DIM(toks));
	if (n > RTE_DIM(toks)) {
		ret = fail(err, elen, "too many fields");
		goto out;
	}
	for (unsigned i = 0; i < n && ret == 0; i++) {
		char *val;

		if (toks[i][0] == '\0')
			continue;
		val = strchr(toks[i], '=');
		if (val != NULL) {
			*val++ = '\0';
			val = trim(val);
		}
		ret = parse_match_field(sp, trim(toks[i]), val, resolve, err, elen);
	}
	if (ret == 0 && mode != FLOW_PARSE_PACKET)
		ret = check_prerequisites(sp, err, elen);
	if (ret != 0)
		goto out;
	if (mode == FLOW_PARSE_ADD && acts == NULL) {
		ret = fail(err, elen, "a flow needs actions= (use actions=drop to drop)");
		goto out;
	}
	if (mode != FLOW_PARSE_ADD && acts != NULL) {
		ret = fail(err, elen, "actions= is not allowed here");
		goto out;
	}
	if (acts != NULL) {
		sp->has_actions = true;
		n = split_commas(acts, toks, RTE_DIM(toks));
		if (n > RTE_DIM(toks)) {
			ret = fail(err, elen, "too many actions");
			goto out;
		}
		for (unsigned i = 0; i < n && ret == 0; i++) {
			if (toks[i][0] == '\0') {
				if (n == 1)
					break; // "actions=" alone drops, as in ovs-ofctl
				ret = fail(err, elen, "empty action");
				break;
			}
			ret = parse_action(sp, toks[i], resolve, err, elen);
		}
		if (ret == 0 && sp->n_actions > 1) {
			for (unsigned i = 0; i < sp->n_actions; i++)
				if (sp->actions[i].type == PSW_ACT_DROP)
					ret = fail(err, elen, "drop cannot be combined with other actions");
		}
		if (ret == 0 && sp->n_actions == 1 && sp->actions[0].type == PSW_ACT_DROP)
			sp->n_actions = 0;
	}
out:
	free(copy);
	return ret;
}

int flow_parse_list(const json_t *list, enum flow_parse_mode mode, port_resolve_fn_t resolve,
	bool skip_empty, const char *unit, struct flow_spec **specs, unsigned *n, char *err,
	size_t elen)
{
	unsigned k = 0;
	size_t count = json_array_size(list), i;
	struct flow_spec *sp;
	char ferr[256];
	json_t *v;

	*specs = NULL;
	*n = 0;
	if (!json_is_array(list))
		return fail(err, elen, "flows must be a list of strings");
	sp = malloc((count ? count : 1) * sizeof(*sp));
	if (sp == NULL)
		return psw_errorf(err, elen, -ENOMEM, "out of memory for %zu flows", count);
	json_array_foreach(list, i, v) {
		int ret;

		if (!json_is_string(v)) {
			free(sp);
			return fail(err, elen, "%s %zu is not a string", unit, i + 1);
		}
		if (skip_empty && json_string_length(v) == 0)
			continue;
		ret = flow_parse(json_string_value(v), mode, resolve, &sp[k], ferr, sizeof(ferr));
		if (ret < 0) {
			free(sp);
			if (count == 1)
				return psw_errorf(err, elen, ret, "%s", ferr);
			return psw_errorf(err, elen, ret, "%s %zu: %s", unit, i + 1, ferr);
		}
		k++;
	}
	*specs = sp;
	*n = k;
	return 0;
}

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
	static const uint8_t none[6];

	if (memcmp(m, none, 6) == 0)
		return;
	if (memcmp(m, full, 6) == 0)
		out(f, "%s=%02x:%02x:%02x:%02x:%02x:%02x", key, v[0], v[1], v[2], v[3], v[4], v[5]);
	else
		out(f, "%s=%02x:%02x:%02x:%02x:%02x:%02x/%02x:%02x:%02x:%02x:%02x:%02x", key,
			v[0], v[1], v[2], v[3], v[4], v[5], m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void out_ip(struct fmt *f, const char *key, uint32_t v, uint32_t m)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	uint32_t hm = rte_be_to_cpu_32(m);

	if (m == 0)
		return;
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

	if (mask_is_zero(m, 16))
		return;
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

static void out_u16(struct fmt *f, const char *key, uint16_t v, uint16_t m)
{
	if (m == 0)
		return;
	if (m == UINT16_MAX)
		out(f, "%s=%u", key, v);
	else
		out(f, "%s=0x%x/0x%x", key, v, m);
}

void flow_format_match(const struct psw_flow_key *k, const struct psw_flow_key *m,
	int32_t priority, port_name_fn_t name, char *buf, size_t len)
{
	struct fmt f = {.buf = buf, .len = len, .off = 0, .first = true};
	uint16_t tci = rte_be_to_cpu_16(k->vlan_tci), tcim = rte_be_to_cpu_16(m->vlan_tci);
	bool ip = m->dl_type == UINT16_MAX && k->dl_type == RTE_BE16(0x0800);
	bool ip6 = m->dl_type == UINT16_MAX && k->dl_type == RTE_BE16(0x86dd);
	const char *proto = NULL;

	buf[0] = '\0';
	out(&f, "priority=%d", priority);
	if (m->in_port)
		out_port(&f, "in_port=", k->in_port, name);
	out_mac(&f, "dl_src", k->dl_src, m->dl_src);
	out_mac(&f, "dl_dst", k->dl_dst, m->dl_dst);
	if (tcim == 0xffff && tci == 0)
		out(&f, "dl_vlan=0xffff");
	else if (tcim == 0x1fff && (tci & PSW_VLAN_CFI))
		out(&f, "dl_vlan=%u", tci & PSW_VLAN_VID_MASK);
	else if (tcim == 0xf000 && (tci & PSW_VLAN_CFI))
		out(&f, "dl_vlan_pcp=%u", tci >> 13);
	else if (tcim == 0xffff && (tci & PSW_VLAN_CFI))
		out(&f, "dl_vlan=%u,dl_vlan_pcp=%u", tci & PSW_VLAN_VID_MASK, tci >> 13);
	else if (tcim != 0)
		out(&f, "vlan_tci=0x%04x/0x%04x", tci, tcim);
	if (ip && m->nw_proto == UINT8_MAX) {
		proto = k->nw_proto == 6 ? "tcp" : k->nw_proto == 17 ? "udp" :
			k->nw_proto == 1 ? "icmp" : k->nw_proto == 132 ? "sctp" : NULL;
	} else if (ip6 && m->nw_proto == UINT8_MAX) {
		proto = k->nw_proto == 6 ? "tcp6" : k->nw_proto == 17 ? "udp6" :
			k->nw_proto == 58 ? "icmp6" : k->nw_proto == 132 ? "sctp6" : NULL;
	}
	if (proto != NULL)
		out(&f, "%s", proto);
	else if (ip)
		out(&f, "ip");
	else if (ip6)
		out(&f, "ipv6");
	else if (m->dl_type == UINT16_MAX && k->dl_type == RTE_BE16(0x0806))
		out(&f, "arp");
	else if (m->dl_type != 0)
		out(&f, "dl_type=0x%04x", rte_be_to_cpu_16(k->dl_type));
	bool arp = m->dl_type == UINT16_MAX && k->dl_type == RTE_BE16(0x0806);

	out_ip(&f, arp ? "arp_spa" : "nw_src", k->nw_src, m->nw_src);
	out_ip(&f, arp ? "arp_tpa" : "nw_dst", k->nw_dst, m->nw_dst);
	out_ipv6(&f, "ipv6_src", k->ipv6_src, m->ipv6_src);
	out_ipv6(&f, "ipv6_dst", k->ipv6_dst, m->ipv6_dst);
	out_mac(&f, arp ? "arp_sha" : "nd_sll", k->arp_sha, m->arp_sha);
	out_mac(&f, arp ? "arp_tha" : "nd_tll", k->arp_tha, m->arp_tha);
	if (m->nw_proto != 0 && proto == NULL)
		out(&f, arp ? "arp_op=%u" : "nw_proto=%u", k->nw_proto);
	if (m->nw_frag != 0) {
		const char *fr = "no";

		if (m->nw_frag == PSW_FRAG_LATER)
			fr = "not_later";
		else if (m->nw_frag == PSW_FRAG_ANY)
			fr = k->nw_frag ? "yes" : "no";
		else
			fr = k->nw_frag & PSW_FRAG_LATER ? "later" : "first";
		out(&f, "nw_frag=%s", fr);
	}
	if (proto != NULL && (k->nw_proto == 1 || k->nw_proto == 58)) {
		bool v6 = k->nw_proto == 58;

		out_u16(&f, v6 ? "icmpv6_type" : "icmp_type", rte_be_to_cpu_16(k->tp_src),
			rte_be_to_cpu_16(m->tp_src));
		out_u16(&f, v6 ? "icmpv6_code" : "icmp_code", rte_be_to_cpu_16(k->tp_dst),
			rte_be_to_cpu_16(m->tp_dst));
		out_ipv6(&f, "nd_target", k->nd_target, m->nd_target);
	} else {
		out_u16(&f, "tp_src", rte_be_to_cpu_16(k->tp_src), rte_be_to_cpu_16(m->tp_src));
		out_u16(&f, "tp_dst", rte_be_to_cpu_16(k->tp_dst), rte_be_to_cpu_16(m->tp_dst));
	}
	if (m->tcp_flags != 0)
		out(&f, "tcp_flags=0x%03x/0x%03x", rte_be_to_cpu_16(k->tcp_flags),
			rte_be_to_cpu_16(m->tcp_flags));
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
			out(&f, "drop");
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
		}
	}
}

bool flow_filter_selects(const struct flow_spec *filter, const struct psw_flow_key *match,
	const struct psw_flow_key *mask, uint64_t cookie)
{
	if ((cookie & filter->cookie_mask) != (filter->cookie & filter->cookie_mask))
		return false;
	for (int i = 0; i < PSW_KEY_WORDS; i++) {
		uint64_t fm = filter->mask.w[i];

		if ((mask->w[i] & fm) != fm)
			return false;
		if ((match->w[i] & fm) != filter->match.w[i])
			return false;
	}
	return true;
}
