// SPDX-License-Identifier: BSD-3-Clause
#include "errorf.h"
#include "flows/flow_build.h"
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

// What a flow says besides its match, each at most once: given twice with
// two values, the flow contradicts itself.
enum flow_param {
	FP_TABLE,
	FP_PRIORITY,
	FP_COOKIE,
	FP_IDLE,
	FP_HARD,
};

static int set_param(struct flow_spec *sp, unsigned *given, enum flow_param p, uint64_t v,
	uint64_t old, const char *key, const char *val, char *err, size_t elen)
{
	if ((*given & (1u << p)) && v != old)
		return fail(err, elen, "%s=%s contradicts the %s given before", key, val, key);
	*given |= 1u << p;
	(void)sp;
	return 0;
}

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

static int parse_match_field(struct flow_spec *sp, unsigned *given, const char *key, char *val,
	port_resolve_fn_t resolve, char *err, size_t elen)
{
	const struct mf_field *f;
	uint8_t value[16], mask[16];
	uint64_t v;
	int ret;

	if (val == NULL) {
		for (unsigned i = 0; i < RTE_DIM(shorthands); i++) {
			if (strcmp(key, shorthands[i].name) != 0)
				continue;
			if (flow_match_proto(sp, shorthands[i].dl_type, shorthands[i].nw_proto) < 0)
				return fail(err, elen, "'%s' contradicts the protocol given before", key);
			return 0;
		}
		return fail(err, elen, "unknown field '%s'", key);
	}
	if (strcmp(key, "table") == 0) {
		if (mf_parse_uint(val, PSW_MAX_TABLES - 1, &v) < 0)
			return fail(err, elen, "table must be 0 to %d, not '%s'", PSW_MAX_TABLES - 1, val);
		ret = set_param(sp, given, FP_TABLE, v, sp->table_id, key, val, err, elen);
		sp->table_id = (uint8_t)v;
		sp->has_table = true;
		return ret;
	}
	if (strcmp(key, "priority") == 0) {
		if (mf_parse_uint(val, UINT16_MAX, &v) < 0)
			return fail(err, elen, "priority must be 0 to 65535, not '%s'", val);
		ret = set_param(sp, given, FP_PRIORITY, v, (uint64_t)sp->priority, key, val, err, elen);
		sp->priority = (int32_t)v;
		sp->has_priority = true;
		return ret;
	}
	if (strcmp(key, "cookie") == 0) {
		char *m = mf_split_mask(val);
		uint64_t cm = UINT64_MAX;

		if (mf_parse_uint(val, UINT64_MAX, &v) < 0)
			return fail(err, elen, "bad cookie '%s'", val);
		if (m != NULL && strcmp(m, "-1") != 0 && mf_parse_uint(m, UINT64_MAX, &cm) < 0)
			return fail(err, elen, "bad cookie mask '%s'", m);
		ret = set_param(sp, given, FP_COOKIE, v, sp->cookie, key, val, err, elen);
		sp->cookie = v;
		sp->cookie_mask = cm;
		return ret;
	}
	if (strcmp(key, "idle_timeout") == 0 || strcmp(key, "hard_timeout") == 0) {
		bool idle = key[0] == 'i';

		if (mf_parse_uint(val, UINT16_MAX, &v) < 0)
			return fail(err, elen, "%s must be 0 to 65535 seconds, not '%s'", key, val);
		ret = set_param(sp, given, idle ? FP_IDLE : FP_HARD, v,
			idle ? sp->idle_timeout : sp->hard_timeout, key, val, err, elen);
		if (idle)
			sp->idle_timeout = (uint16_t)v;
		else
			sp->hard_timeout = (uint16_t)v;
		return ret;
	}
	f = mf_by_name(key);
	if (f == NULL)
		return fail(err, elen, "unknown field '%s'", key);
	ret = mf_parse(f, val, resolve, value, mask, err, elen);
	if (ret < 0)
		return ret;
	if (flow_match(sp, f->id, value, mask) < 0)
		return fail(err, elen, "%s=%s contradicts what the flow matched before", key, val);
	return 0;
}

// set_field:V[/M]->F of a pipeline field, and load:V->F[] or F[a..b].
static int parse_set_pipeline_field(struct flow_spec *sp, const struct mf_field *f, char *val,
	const char *range, char *err, size_t elen)
{
	uint64_t all = f->width >= 8 ? UINT64_MAX : (1ULL << (8 * f->width)) - 1, v, m = all;
	char *ms = range == NULL ? mf_split_mask(val) : NULL;
	unsigned lo = 0, hi = 8 * f->width - 1;

	if (range != NULL && range[0] != '\0') {
		char tail;

		if (sscanf(range, "%u..%u%c", &lo, &hi, &tail) != 2 || lo > hi || hi >= 8u * f->width)
			return fail(err, elen, "bad bit range '[%s]' of %s (0..%u)", range, f->name,
				8 * f->width - 1);
		m = (hi - lo == 63 ? UINT64_MAX : ((1ULL << (hi - lo + 1)) - 1)) << lo;
	}
	if (mf_parse_uint(val, UINT64_MAX, &v) < 0)
		return fail(err, elen, "%s takes a number, not '%s'", f->name, val);
	if (range != NULL) {
		if (v > m >> lo)
			return fail(err, elen, "%s does not fit %s[%u..%u]", val, f->name, lo, hi);
		v <<= lo;
	} else if (ms != NULL && mf_parse_uint(ms, all, &m) < 0) {
		return fail(err, elen, "bad mask '%s' for %s", ms, f->name);
	}
	if (v > all)
		return fail(err, elen, "%s does not fit %s (%u bits)", val, f->name, 8 * f->width);
	return flow_action_set_field(sp, f->id, v & m, m) < 0 ?
		fail(err, elen, "cannot set %s", f->name) : 0;
}

// set_field:VALUE->FIELD: header fields that have an action of their own,
// and the pipeline's fields.
static int parse_set_field(struct flow_spec *sp, char *arg, struct psw_action *a, char *err,
	size_t elen)
{
	char *field = strstr(arg, "->");
	const struct mf_field *f;
	uint64_t v;

	if (field == NULL)
		return fail(err, elen, "set_field takes VALUE->FIELD");
	*field = '\0';
	field += 2;
	if (strcmp(field, "dl_src") == 0 || strcmp(field, "eth_src") == 0 ||
	    strcmp(field, "dl_dst") == 0 || strcmp(field, "eth_dst") == 0) {
		a->type = strstr(field, "src") ? PSW_ACT_SET_DL_SRC : PSW_ACT_SET_DL_DST;
		if (psw_parse_mac(arg, a->mac) < 0)
			return fail(err, elen, "bad MAC address '%s'", arg);
		return 1;
	}
	if (strcmp(field, "vlan_vid") == 0) {
		if (mf_parse_uint(arg, 4095, &v) < 0)
			return fail(err, elen, "a VLAN id is 0 to 4095, not '%s'", arg);
		a->type = PSW_ACT_SET_VLAN_VID;
		a->value = (uint16_t)v;
		return 1;
	}
	f = mf_by_name(field);
	if (f == NULL || !f->writable)
		return fail(err, elen, "set_field cannot set '%s'", field);
	return parse_set_pipeline_field(sp, f, arg, NULL, err, elen);
}

// load:VALUE->FIELD[] or FIELD[a..b], of a pipeline field.
static int parse_load(struct flow_spec *sp, char *arg, char *err, size_t elen)
{
	char *dst = strstr(arg, "->"), *br, *end;
	const struct mf_field *f;

	if (dst == NULL)
		return fail(err, elen, "load takes VALUE->FIELD[] or VALUE->FIELD[a..b]");
	*dst = '\0';
	dst += 2;
	br = strchr(dst, '[');
	end = br ? strchr(br, ']') : NULL;
	if (br == NULL || end == NULL || end[1] != '\0')
		return fail(err, elen, "load takes VALUE->FIELD[] or VALUE->FIELD[a..b], not '%s'", dst);
	*br++ = '\0';
	*end = '\0';
	f = mf_by_name(dst);
	if (f == NULL || !f->writable)
		return fail(err, elen, "load cannot set '%s'", dst);
	return parse_set_pipeline_field(sp, f, arg, br, err, elen);
}

// The drop reasons a flow may name (drop:REASON).
static const uint8_t flow_drop_reasons[] = {PSW_DROP_NO_ROUTE, PSW_DROP_NO_NEIGHBOR};

static int parse_drop_reason(const char *arg, struct psw_action *a, char *err, size_t elen)
{
	for (unsigned i = 0; i < RTE_DIM(flow_drop_reasons); i++) {
		if (strcmp(arg, psw_drop_reason_names[flow_drop_reasons[i]]) == 0) {
			a->value = flow_drop_reasons[i];
			return 0;
		}
	}
	return fail(err, elen, "drop takes no_route or no_neighbor, not '%s'", arg);
}

static int parse_ipv4_be(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*out = a.s_addr;
	return 0;
}

// push_vxlan(vni=N,eth_src=MAC,eth_dst=MAC,ip_src=A,ip_dst=A[,mtu=N]) and
// pop_vxlan(vni=N,table=T): 'args' is what is in the parentheses.
static int parse_vxlan(char *args, bool push, struct psw_action *a, char *err, size_t elen)
{
	char *kv[8];
	unsigned n = split_commas(args, kv, RTE_DIM(kv)), seen = 0;
	const char *what = push ? "push_vxlan" : "pop_vxlan";
	const char *const need = push ? "vni, eth_src, eth_dst, ip_src and ip_dst" : "vni and table";
	unsigned want = push ? 0x1f : 0x21;
	uint64_t v;

	if (n > RTE_DIM(kv))
		return fail(err, elen, "%s takes %s", what, need);
	for (unsigned i = 0; i < n; i++) {
		char *val = strchr(kv[i], '=');
		unsigned bit;
		int bad = 0;

		if (val == NULL)
			return fail(err, elen, "%s: '%s' is not KEY=VALUE", what, kv[i]);
		*val++ = '\0';
		if (strcmp(kv[i], "vni") == 0) {
			bit = 0x01;
			bad = mf_parse_uint(val, 0xffffff, &v);
			a->vxlan.vni = (uint32_t)v;
		} else if (push && strcmp(kv[i], "eth_src") == 0) {
			bit = 0x02;
			bad = psw_parse_mac(val, a->vxlan.eth_src);
		} else if (push && strcmp(kv[i], "eth_dst") == 0) {
			bit = 0x04;
			bad = psw_parse_mac(val, a->vxlan.eth_dst);
		} else if (push && strcmp(kv[i], "ip_src") == 0) {
			bit = 0x08;
			bad = parse_ipv4_be(val, &a->vxlan.ip_src);
		} else if (push && strcmp(kv[i], "ip_dst") == 0) {
			bit = 0x10;
			bad = parse_ipv4_be(val, &a->vxlan.ip_dst);
		} else if (push && strcmp(kv[i], "mtu") == 0) {
			bit = 0x40;
			bad = mf_parse_uint(val, 65535, &v);
			if (bad == 0 && v < 576)
				bad = -ERANGE;
			a->value = (uint16_t)v;
		} else if (!push && strcmp(kv[i], "table") == 0) {
			bit = 0x20;
			bad = mf_parse_uint(val, PSW_MAX_TABLES - 1, &v);
			a->table = (uint8_t)v;
		} else {
			return fail(err, elen, "%s takes %s, not '%s'", what, need, kv[i]);
		}
		if (bad < 0)
			return fail(err, elen, "%s: bad %s '%s'", what, kv[i], val);
		if (seen & bit)
			return fail(err, elen, "%s: %s given twice", what, kv[i]);
		seen |= bit;
	}
	if ((seen & want) != want)
		return fail(err, elen, "%s takes %s", what, need);
	if (push && (a->vxlan.ip_dst == 0 || a->vxlan.ip_src == 0))
		return fail(err, elen, "push_vxlan: ip_src and ip_dst must be addresses");
	return 0;
}

// Parses one action into 'sp'.
static int parse_action(struct flow_spec *sp, char *tok, port_resolve_fn_t resolve,
	char *err, size_t elen)
{
	struct psw_action a = {.type = PSW_ACT_DROP};
	char *arg = strchr(tok, ':'), *paren = strchr(tok, '(');
	uint64_t v;
	int ret;

	if (sp->n_actions > 0 && psw_action_is_last(sp->actions[sp->n_actions - 1].type))
		return fail(err, elen, "%s must be the last action",
			psw_action_last_name(sp->actions[sp->n_actions - 1].type));
	if (sp->n_actions == PSW_MAX_ACTIONS)
		return fail(err, elen, "more than %d actions", PSW_MAX_ACTIONS);
	if (paren != NULL && arg != NULL && arg > paren)
		arg = NULL; // a colon in the arguments (a MAC address)
	if (arg != NULL)
		*arg++ = '\0';
	if (strcasecmp(tok, "normal") == 0 && arg == NULL) {
		a.type = PSW_ACT_NORMAL;
	} else if (strcasecmp(tok, "flood") == 0 && arg == NULL) {
		a.type = PSW_ACT_FLOOD;
	} else if (strcasecmp(tok, "in_port") == 0 && arg == NULL) {
		a.type = PSW_ACT_IN_PORT;
	} else if (strcmp(tok, "drop") == 0) {
		a.type = PSW_ACT_DROP;
		if (arg != NULL && parse_drop_reason(arg, &a, err, elen) < 0)
			return -EINVAL;
	} else if (strcmp(tok, "dec_ttl") == 0 && arg == NULL) {
		a.type = PSW_ACT_DEC_TTL;
	} else if ((strcmp(tok, "arp_reply") == 0 || strcmp(tok, "nd_advert") == 0) && arg) {
		a.type = tok[0] == 'a' ? PSW_ACT_ARP_REPLY : PSW_ACT_ND_ADVERT;
		if (psw_parse_mac(arg, a.mac) < 0)
			return fail(err, elen, "bad MAC address '%s'", arg);
	} else if (strcmp(tok, "controller") == 0) {
		a.type = PSW_ACT_CONTROLLER;
		if (arg != NULL && mf_parse_uint(arg, UINT16_MAX, &v) < 0)
			return fail(err, elen, "controller takes a number, not '%s'", arg);
		a.value = arg != NULL ? (uint16_t)v : 0;
	} else if (strcmp(tok, "unreachable") == 0) {
		a.type = PSW_ACT_UNREACHABLE;
		if (arg != NULL && strcmp(arg, "host") != 0 && strcmp(arg, "net") != 0)
			return fail(err, elen, "unreachable takes net or host, not '%s'", arg);
		a.value = arg != NULL && strcmp(arg, "host") == 0 ? 1 : 0;
	} else if ((strncmp(tok, "push_vxlan(", 11) == 0 || strncmp(tok, "pop_vxlan(", 10) == 0) &&
		   arg == NULL && tok[strlen(tok) - 1] == ')') {
		bool push = tok[1] == 'u';

		tok[strlen(tok) - 1] = '\0';
		a.type = push ? PSW_ACT_PUSH_VXLAN : PSW_ACT_POP_VXLAN;
		if (parse_vxlan(tok + (push ? 11 : 10), push, &a, err, elen) < 0)
			return -EINVAL;
	} else if ((strcmp(tok, "strip_vlan") == 0 || strcmp(tok, "pop_vlan") == 0) && arg == NULL) {
		a.type = PSW_ACT_POP_VLAN;
	} else if (strcmp(tok, "output") == 0 && arg != NULL) {
		a.type = PSW_ACT_OUTPUT;
		if (mf_parse_port(arg, resolve, &a.port) < 0)
			return fail(err, elen, "unknown port '%s'", arg);
	} else if (strcmp(tok, "push_vlan") == 0 && arg != NULL) {
		if (mf_parse_uint(arg, UINT16_MAX, &v) < 0 || (v != 0x8100 && v != 0x88a8))
			return fail(err, elen, "push_vlan takes 0x8100 or 0x88a8, not '%s'", arg);
		a.type = PSW_ACT_PUSH_VLAN;
		a.value = (uint16_t)v;
	} else if ((strcmp(tok, "mod_vlan_vid") == 0 || strcmp(tok, "set_vlan_vid") == 0) && arg) {
		if (mf_parse_uint(arg, 4095, &v) < 0)
			return fail(err, elen, "a VLAN id is 0 to 4095, not '%s'", arg);
		a.type = PSW_ACT_SET_VLAN_VID;
		a.value = (uint16_t)v;
	} else if ((strcmp(tok, "mod_vlan_pcp") == 0 || strcmp(tok, "set_vlan_pcp") == 0) && arg) {
		if (mf_parse_uint(arg, 7, &v) < 0)
			return fail(err, elen, "a VLAN priority is 0 to 7, not '%s'", arg);
		a.type = PSW_ACT_SET_VLAN_PCP;
		a.value = (uint16_t)v;
	} else if ((strcmp(tok, "mod_dl_src") == 0 || strcmp(tok, "mod_dl_dst") == 0) && arg) {
		a.type = tok[7] == 's' ? PSW_ACT_SET_DL_SRC : PSW_ACT_SET_DL_DST;
		if (psw_parse_mac(arg, a.mac) < 0)
			return fail(err, elen, "bad MAC address '%s'", arg);
	} else if (strcmp(tok, "set_field") == 0 && arg != NULL) {
		ret = parse_set_field(sp, arg, &a, err, elen);
		if (ret <= 0)
			return ret; // a pipeline field's action is in, or an error
	} else if (strcmp(tok, "load") == 0 && arg != NULL) {
		return parse_load(sp, arg, err, elen);
	} else if (strcmp(tok, "write_metadata") == 0 && arg != NULL) {
		return parse_set_pipeline_field(sp, &mf_fields[MF_METADATA], arg, NULL, err, elen);
	} else if (strcmp(tok, "goto_table") == 0 && arg != NULL) {
		if (mf_parse_uint(arg, PSW_MAX_TABLES - 1, &v) < 0)
			return fail(err, elen, "bad table '%s'", arg);
		a.type = PSW_ACT_GOTO_TABLE;
		a.table = (uint8_t)v;
	} else if (strncmp(tok, "resubmit(,", 10) == 0 && arg == NULL &&
		   tok[strlen(tok) - 1] == ')') {
		// a recirculation: any table, the packet looked up again
		tok[strlen(tok) - 1] = '\0';
		if (mf_parse_uint(tok + 10, PSW_MAX_TABLES - 1, &v) < 0)
			return fail(err, elen, "bad table '%s' in resubmit", tok + 10);
		a.type = PSW_ACT_RECIRC;
		a.table = (uint8_t)v;
	} else if (arg == NULL && mf_parse_port(tok, resolve, &a.port) == 0) {
		a.type = PSW_ACT_OUTPUT;
	} else {
		return fail(err, elen, "unknown action '%s%s%s'", tok, arg ? ":" : "", arg ? arg : "");
	}
	if (a.type == PSW_ACT_GOTO_TABLE && a.table <= sp->table_id)
		return fail(err, elen, "goto_table must go to a later table than %u", sp->table_id);
	return flow_action(sp, &a) < 0 ? fail(err, elen, "cannot add action '%s'", tok) : 0;
}

int flow_parse(const char *text, enum flow_parse_mode mode, port_resolve_fn_t resolve,
	struct flow_spec *sp, char *err, size_t elen)
{
	char *copy, *toks[128], *acts = NULL;
	unsigned n, given = 0;
	int ret = 0;

	flow_spec_init(sp, 0, DEFAULT_PRIORITY, 0);
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
		ret = parse_match_field(sp, &given, trim(toks[i]), val, resolve, err, elen);
	}
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
		// a plain drop is no action; one with a reason says what to count
		if (ret == 0 && sp->n_actions == 1 && sp->actions[0].type == PSW_ACT_DROP &&
		    sp->actions[0].value == 0)
			sp->n_actions = 0;
	}
	// a traced packet names what it has; it needs no prerequisites
	if (ret == 0 && mode != FLOW_PARSE_PACKET)
		ret = flow_spec_check(sp, err, elen);
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
