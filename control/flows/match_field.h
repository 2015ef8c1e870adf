// SPDX-License-Identifier: BSD-3-Clause
// Every field a flow can match, declared once (as Open vSwitch's meta-flow
// does): its name, where it lives in the key and how wide it is, its
// largest value and whether it takes a mask, what must be matched before it
// means anything, and how it is parsed and formatted. The flow builder, the
// text syntax and the formatting all go through this table; adding a field
// is one entry here and, for a header field, its extraction in
// dataplane/flow_extract.c (the pipeline's own fields, metadata and
// registers, are zero as a frame arrives and set by flows).
#pragma once

#include "flow.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mf_id {
	MF_IN_PORT,
	MF_TUN_ID,
	MF_TUN_SRC,
	MF_DL_SRC,
	MF_DL_DST,
	MF_VLAN_TCI,
	MF_DL_VLAN,
	MF_DL_VLAN_PCP,
	MF_DL_TYPE,
	MF_NW_SRC,
	MF_ARP_SPA,
	MF_NW_DST,
	MF_ARP_TPA,
	MF_IPV6_SRC,
	MF_IPV6_DST,
	MF_ARP_SHA,
	MF_ND_SLL,
	MF_ARP_THA,
	MF_ND_TLL,
	MF_NW_PROTO,
	MF_ARP_OP,
	MF_NW_FRAG,
	MF_ICMP_TYPE,
	MF_ICMP_CODE,
	MF_ICMPV6_TYPE,
	MF_ICMPV6_CODE,
	MF_TP_SRC,
	MF_TP_DST,
	MF_ND_TARGET,
	MF_TCP_FLAGS,
	MF_METADATA,
	MF_REG0,
	MF_REG7 = MF_REG0 + PSW_N_REGS - 1,
	MF_COUNT,
};

// How a field's value is written.
enum mf_format {
	MFF_INT,       // decimal when exact, 0xV/0xM when masked
	MFF_PORT,      // a port number or name
	MFF_MAC,
	MFF_IPV4,      // address, /len or /mask
	MFF_IPV6,
	MFF_VLAN_TCI,  // dl_vlan=, dl_vlan_pcp= or vlan_tci=V/M, whichever says it
	MFF_VLAN_VID,  // dl_vlan: 0-4095, or 0xffff for no tag (parse only)
	MFF_VLAN_PCP,  // parse only
	MFF_DL_TYPE,   // ip, arp, tcp6, ... or dl_type=0xNNNN
	MFF_FRAG,      // no, yes, first, later, not_later
	MFF_TCP_FLAGS, // +syn-ack or 0xV/0xM
};

// What a flow must match before a field means anything.
enum mf_prereq {
	MFP_NONE,
	MFP_IPV4,
	MFP_IPV6,
	MFP_IP,        // IPv4 or IPv6
	MFP_ARP,
	MFP_L4,        // tcp, udp, sctp, icmp, over IPv4 or IPv6 (ports, or ICMP type/code)
	MFP_TCP,
	MFP_ICMP4,
	MFP_ICMP6,
	MFP_ND,        // icmp6 with icmpv6_type=135 or 136
	MFP_ND_NS,     // icmpv6_type=135
	MFP_ND_NA,     // icmpv6_type=136
};

struct mf_field {
	enum mf_id id;
	const char *name;
	const char *alias;       // another name it is known by, or NULL
	uint16_t offset;         // in struct psw_flow_key
	uint8_t width;           // bytes
	bool host_order;         // stored in host order (in_port, the pipeline's fields)
	bool maskable;
	uint64_t min, max;       // MFF_INT: the values it takes (max 0: all of the width)
	enum mf_format format;
	enum mf_prereq prereq;
	bool writable;           // set_field may write it (the pipeline's fields)
};

extern const struct mf_field mf_fields[MF_COUNT];

// The field of that name (or alias), or NULL.
const struct mf_field *mf_by_name(const char *name);

// Whether the flow (match, mask) satisfies 'p'.
bool mf_prereq_ok(enum mf_prereq p, const struct psw_flow_key *match,
	const struct psw_flow_key *mask);
// What 'p' asks for, for error messages ("tcp or tcp6").
const char *mf_prereq_text(enum mf_prereq p);

// The field's value and mask in 'key' and 'mask', as host integers (MFF_INT
// fields of up to 8 bytes).
uint64_t mf_get_u64(const struct mf_field *f, const struct psw_flow_key *key);
void mf_set_u64(const struct mf_field *f, struct psw_flow_key *key, uint64_t v);

// Sets the field's bits selected by 'mask' (in key layout, 'f->width'
// bytes) to 'value' in (match, key_mask). Bits already matched must agree:
// a contradiction returns -EINVAL. The value is masked as it is stored.
int mf_set_bytes(const struct mf_field *f, struct psw_flow_key *match,
	struct psw_flow_key *key_mask, const uint8_t *value, const uint8_t *mask);

// Parses 'text' as a value of 'f' (with /mask where it takes one) into
// 'value' and 'mask' (key layout). 'resolve' names ports. Returns 0 or
// -EINVAL with a sentence naming the token at fault.
typedef uint16_t (*mf_resolve_fn_t)(const char *name);

// The numbers of the flow syntax: decimal, 0x hex or 0 octal, no sign, at
// most 'max'. Returns 0 or -EINVAL.
int mf_parse_uint(const char *s, uint64_t max, uint64_t *v);
// "value/mask": cuts 's' at the slash; returns the mask, or NULL.
char *mf_split_mask(char *s);
// A port number, or a name 'resolve' knows. Returns 0 or -ENOENT.
int mf_parse_port(const char *text, mf_resolve_fn_t resolve, uint16_t *port);
int mf_parse(const struct mf_field *f, char *text, mf_resolve_fn_t resolve, uint8_t *value,
	uint8_t *mask, char *err, size_t elen);
