// SPDX-License-Identifier: BSD-3-Clause
// The frame a flow key describes, for trace: Ethernet with its VLAN tag,
// IPv4, IPv6 (with a fragment header for fragments), ARP, and TCP, UDP,
// SCTP, ICMP and ICMPv6 (neighbour discovery with its link-layer options).
// What the key leaves zero is zero in the frame.
#include "flows/packet_build.h"

#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

struct out {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct out *o, const void *d, size_t n)
{
	if (o->len + n <= o->cap)
		memcpy(o->p + o->len, d, n);
	o->len += n;
}

static void put8(struct out *o, uint8_t v)
{
	put(o, &v, 1);
}

static void put16(struct out *o, uint16_t host)
{
	uint16_t be = rte_cpu_to_be_16(host);

	put(o, &be, 2);
}

static void zeros(struct out *o, size_t n)
{
	static const uint8_t z[64];

	while (n > 0) {
		size_t k = n < sizeof(z) ? n : sizeof(z);

		put(o, z, k);
		n -= k;
	}
}

static bool mac_set(const uint8_t *m)
{
	static const uint8_t z[6];

	return memcmp(m, z, 6) != 0;
}

// The L4 header and a little payload.
static void put_l4(struct out *o, const struct psw_flow_key *k, bool v6)
{
	uint16_t sp = rte_be_to_cpu_16(k->tp_src), dp = rte_be_to_cpu_16(k->tp_dst);

	switch (k->nw_proto) {
	case 6:
		put16(o, sp);
		put16(o, dp);
		zeros(o, 8);                    // seq, ack
		put16(o, (uint16_t)(5 << 12 | (rte_be_to_cpu_16(k->tcp_flags) & 0x0fff)));
		put16(o, 65535);                // window
		zeros(o, 4);                    // checksum, urgent
		break;
	case 17:
		put16(o, sp);
		put16(o, dp);
		put16(o, 8 + 16);
		zeros(o, 2 + 16);
		break;
	case 132:
		put16(o, sp);
		put16(o, dp);
		zeros(o, 8 + 16);
		break;
	case 1:
	case 58:
		if ((k->nw_proto == 58) != v6)
			break;
		put8(o, (uint8_t)sp);
		put8(o, (uint8_t)dp);
		zeros(o, 2);                    // checksum
		if (v6 && (sp == 135 || sp == 136)) {
			// NS: reserved; NA: flags (solicited, override)
			put(o, sp == 136 ? "\x60\0\0\0" : "\0\0\0\0", 4);
			put(o, k->nd_target, 16);
			if (sp == 135 && mac_set(k->arp_sha)) {
				put8(o, 1);
				put8(o, 1);
				put(o, k->arp_sha, 6);
			} else if (sp == 136 && mac_set(k->arp_tha)) {
				put8(o, 2);
				put8(o, 1);
				put(o, k->arp_tha, 6);
			}
		} else {
			zeros(o, 4 + 16);           // id, sequence, payload
		}
		break;
	default:
		zeros(o, 16);
		break;
	}
}

size_t packet_build(const struct psw_flow_key *k, uint8_t *buf, size_t cap)
{
	struct out o = {.p = buf, .len = 0, .cap = cap};
	uint16_t type = rte_be_to_cpu_16(k->dl_type);
	size_t l3;

	put(&o, k->dl_dst, 6);
	put(&o, k->dl_src, 6);
	if (k->vlan_tci & RTE_BE16(PSW_VLAN_CFI)) {
		put16(&o, 0x8100);
		put16(&o, rte_be_to_cpu_16(k->vlan_tci) & (uint16_t)~PSW_VLAN_CFI);
	}
	put16(&o, type);
	l3 = o.len;
	if (type == 0x0800) {
		bool later = k->nw_frag & PSW_FRAG_LATER, frag = k->nw_frag & PSW_FRAG_ANY;
		uint16_t off = later ? 1 : 0;

		put8(&o, 0x45);
		put8(&o, 0);
		put16(&o, 0);                   // total length, below
		put16(&o, 1);                   // id
		put16(&o, (uint16_t)((frag && !later ? RTE_IPV4_HDR_MF_FLAG : 0) | off));
		put8(&o, 64);
		put8(&o, k->nw_proto);
		zeros(&o, 2);                   // checksum, below
		put(&o, &k->nw_src, 4);
		put(&o, &k->nw_dst, 4);
		if (!later)
			put_l4(&o, k, false);
		else
			zeros(&o, 16);
		if (o.len <= cap) {
			struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + l3);

			ip->total_length = rte_cpu_to_be_16((uint16_t)(o.len - l3));
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		}
	} else if (type == 0x86dd) {
		bool frag = k->nw_frag & PSW_FRAG_ANY, later = k->nw_frag & PSW_FRAG_LATER;
		size_t plen_at;

		put(&o, "\x60\0\0\0", 4);
		plen_at = o.len;
		put16(&o, 0);                   // payload length, below
		put8(&o, frag ? 44 : k->nw_proto);
		put8(&o, 64);
		put(&o, k->ipv6_src, 16);
		put(&o, k->ipv6_dst, 16);
		if (frag) {
			put8(&o, k->nw_proto);
			put8(&o, 0);
			put16(&o, later ? 8 : 1); // offset 1 (8 bytes), or more fragments
			put(&o, "\0\0\0\1", 4);
		}
		if (!later)
			put_l4(&o, k, true);
		else
			zeros(&o, 16);
		if (o.len <= cap) {
			uint16_t plen = rte_cpu_to_be_16((uint16_t)(o.len - plen_at - 36));

			memcpy(buf + plen_at, &plen, 2);
		}
	} else if (type == 0x0806) {
		put(&o, "\0\1\x08\0\6\4", 6);   // Ethernet, IPv4
		put16(&o, k->nw_proto ? k->nw_proto : 1);
		put(&o, k->arp_sha, 6);
		put(&o, &k->nw_src, 4);
		put(&o, k->arp_tha, 6);
		put(&o, &k->nw_dst, 4);
	}
	if (o.len < 60)
		zeros(&o, 60 - o.len);
	return o.len <= cap ? o.len : 0;
}
