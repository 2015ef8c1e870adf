// SPDX-License-Identifier: BSD-3-Clause
// The packet parser: every layer's fields, and every kind of malformed frame.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "flow_key.h"

#include <rte_byteorder.h>

// Ethernet + IPv4 + UDP, 60 bytes (padded), sport 1000 dport 53.
static uint8_t udp_frame[60] = {
	0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00,
	0x45, 0x00, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
	10, 0, 0, 1, 10, 0, 0, 2,
	0x03, 0xe8, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00, 'a', 'b', 'c', 'd',
};

static void build_tcp(uint8_t *f, size_t *len, uint8_t flags)
{
	static const uint8_t hdr[] = {
		0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x81, 0x00, 0x20, 0x0a, 0x08, 0x00,
		0x46, 0x00, 0x00, 0x2c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0x00, 0x00,
		192, 168, 1, 1, 192, 168, 1, 2, 1, 1, 0, 0, // 4 bytes of IP options
		0x30, 0x39, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x00, 0xff, 0xff, 0, 0, 0, 0,
	};
	memcpy(f, hdr, sizeof(hdr));
	f[18 + 24 + 13] = flags;
	*len = sizeof(hdr);
}

static void test_udp(void **state)
{
	struct psw_flow_key k;

	(void)state;
	assert_int_equal(flow_extract(udp_frame, sizeof(udp_frame), 7, &k), PSW_DROP_NONE);
	assert_int_equal(k.in_port, 7);
	assert_int_equal(k.dl_type, RTE_BE16(0x0800));
	assert_int_equal(k.vlan_tci, 0);
	assert_int_equal(k.nw_proto, 17);
	assert_int_equal(k.nw_src, RTE_BE32(0x0a000001));
	assert_int_equal(k.nw_dst, RTE_BE32(0x0a000002));
	assert_int_equal(rte_be_to_cpu_16(k.tp_src), 1000);
	assert_int_equal(rte_be_to_cpu_16(k.tp_dst), 53);
	assert_int_equal(k.dl_src[5], 1);
	assert_int_equal(k.dl_dst[5], 2);
	assert_int_equal(k.tun_id, 0);
	assert_int_equal(k.tun_src, 0);
	assert_int_equal(k.recirc, 0);
	assert_int_equal(k.metadata, 0);
	for (int i = 0; i < PSW_N_REGS; i++)
		assert_int_equal(k.regs[i], 0);
}

// A jumbo frame in a chain of buffers: the headers parsed from the first
// bytes, the IPv4 length checked against the whole frame.
static void test_headers_of_a_longer_frame(void **state)
{
	uint8_t f[60];
	struct psw_flow_key k;

	(void)state;
	memcpy(f, udp_frame, sizeof(f));
	f[16] = 0x1f; // total length 8000: more than these 60 bytes
	f[17] = 0x40;
	assert_int_equal(flow_extract(f, sizeof(f), 1, &k), PSW_DROP_BAD_IP);
	assert_int_equal(flow_extract_frame(f, sizeof(f), 14 + 8000, 1, &k), PSW_DROP_NONE);
	assert_int_equal(rte_be_to_cpu_16(k.tp_dst), 53);
	// the frame shorter than the IPv4 length says is still malformed
	assert_int_equal(flow_extract_frame(f, sizeof(f), 14 + 7999, 1, &k), PSW_DROP_BAD_IP);
	// headers cut short in what was gathered: malformed, nothing read beyond
	assert_int_equal(flow_extract_frame(f, 14 + 20 + 4, 14 + 8000, 1, &k), PSW_DROP_BAD_L4);
}

static void test_vlan_tcp_options(void **state)
{
	uint8_t f[128];
	size_t len;
	struct psw_flow_key k;

	(void)state;
	build_tcp(f, &len, 0x12);
	assert_int_equal(flow_extract(f, (uint32_t)len, 1, &k), PSW_DROP_NONE);
	assert_int_equal(rte_be_to_cpu_16(k.vlan_tci), 0x200a | PSW_VLAN_CFI);
	assert_int_equal(k.nw_proto, 6);
	assert_int_equal(rte_be_to_cpu_16(k.tp_src), 12345);
	assert_int_equal(rte_be_to_cpu_16(k.tp_dst), 80);
	assert_int_equal(rte_be_to_cpu_16(k.tcp_flags), 0x12);
}

static void test_runts_and_truncation(void **state)
{
	uint8_t f[128];
	size_t len;
	struct psw_flow_key k;

	(void)state;
	for (uint32_t l = 0; l < 14; l++)
		assert_int_equal(flow_extract(udp_frame, l, 1, &k), PSW_DROP_RUNT);
	// every cut through the IPv4 or UDP header is malformed
	for (uint32_t l = 14; l < 14 + 20; l++)
		assert_int_equal(flow_extract(udp_frame, l, 1, &k), PSW_DROP_BAD_IP);
	build_tcp(f, &len, 0);
	assert_int_equal(flow_extract(f, 16, 1, &k), PSW_DROP_BAD_VLAN);
	assert_int_equal(flow_extract(f, 18 + 20, 1, &k), PSW_DROP_BAD_IP);
	// IP total length beyond the frame
	assert_int_equal(flow_extract(f, (uint32_t)len - 1, 1, &k), PSW_DROP_BAD_IP);
}

static void test_bad_ip_headers(void **state)
{
	uint8_t f[60];
	struct psw_flow_key k;

	(void)state;
	memcpy(f, udp_frame, sizeof(f));
	f[14] = 0x44; // IHL 4
	assert_int_equal(flow_extract(f, sizeof(f), 1, &k), PSW_DROP_BAD_IP);
	f[14] = 0x65; // version 6 in an IPv4 ethertype
	assert_int_equal(flow_extract(f, sizeof(f), 1, &k), PSW_DROP_BAD_IP);
	f[14] = 0x4f; // IHL 60 bytes, longer than the packet
	assert_int_equal(flow_extract(f, sizeof(f), 1, &k), PSW_DROP_BAD_IP);
	memcpy(f, udp_frame, sizeof(f));
	f[17] = 20 + 4; // UDP header cut short by the IP length
	assert_int_equal(flow_extract(f, sizeof(f), 1, &k), PSW_DROP_BAD_L4);
}

static void test_tcp_bad_offset(void **state)
{
	uint8_t f[128];
	size_t len;
	struct psw_flow_key k;

	(void)state;
	build_tcp(f, &len, 0);
	f[18 + 24 + 12] = 0x40; // data offset 16 bytes < 20
	assert_int_equal(flow_extract(f, (uint32_t)len, 1, &k), PSW_DROP_BAD_L4);
	f[18 + 24 + 12] = 0xf0; // 60 bytes, beyond the packet
	assert_int_equal(flow_extract(f, (uint32_t)len, 1, &k), PSW_DROP_BAD_L4);
}

static void test_fragments(void **state)
{
	uint8_t f[60];
	struct psw_flow_key k;

	(void)state;
	memcpy(f, udp_frame, sizeof(f));
	f[20] = 0x20; // MF, offset 0: first fragment, ports parsed
	assert_int_equal(flow_extract(f, sizeof(f), 1, &k), PSW_DROP_NONE);
	assert_int_equal(k.nw_frag, PSW_FRAG_ANY);
	assert_int_equal(rte_be_to_cpu_16(k.tp_dst), 53);
	f[21] = 0x10; // offset: a later fragment has no L4 header
	f[17] = 20 + 2;
	assert_int_equal(flow_extract(f, sizeof(f), 1, &k), PSW_DROP_NONE);
	assert_int_equal(k.nw_frag, PSW_FRAG_ANY | PSW_FRAG_LATER);
	assert_int_equal(k.tp_dst, 0);
}

static void test_non_ip_and_qinq(void **state)
{
	uint8_t f[64] = {0};
	struct psw_flow_key k;

	(void)state;
	f[12] = 0x08;
	f[13] = 0x06; // ARP of no known hardware/protocol type: L2 fields only
	assert_int_equal(flow_extract(f, sizeof(f), 1, &k), PSW_DROP_NONE);
	assert_int_equal(k.dl_type, RTE_BE16(0x0806));
	assert_int_equal(k.nw_src, 0);
	// IPv4 over Ethernet: spa, tpa and the opcode land in nw_src, nw_dst, nw_proto
	static const uint8_t arp[28] = {0, 1, 8, 0, 6, 4, 0, 2, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1,
		2, 0, 0, 0, 0, 2, 10, 0, 0, 2};
	memcpy(f + 14, arp, sizeof(arp));
	assert_int_equal(flow_extract(f, sizeof(f), 1, &k), PSW_DROP_NONE);
	assert_int_equal(k.nw_src, RTE_BE32(0x0a000001));
	assert_int_equal(k.nw_dst, RTE_BE32(0x0a000002));
	assert_int_equal(k.nw_proto, 2);
	{
		static const uint8_t sha[6] = {2, 0, 0, 0, 0, 1}, tha[6] = {2, 0, 0, 0, 0, 2};

		assert_memory_equal(k.arp_sha, sha, 6);
		assert_memory_equal(k.arp_tha, tha, 6);
		assert_int_equal(k.tun_src, 0);
	}
	// truncated: still switched at L2, no addresses read past the end
	assert_int_equal(flow_extract(f, 14 + 27, 1, &k), PSW_DROP_NONE);
	assert_int_equal(k.nw_src, 0);
	assert_int_equal(k.nw_proto, 0);
	memset(f + 14, 0, sizeof(arp));
	// 802.1ad outer tag, 802.1Q inner: matched on the outer tag
	f[12] = 0x88; f[13] = 0xa8; f[14] = 0x00; f[15] = 0x64; f[16] = 0x81; f[17] = 0x00;
	assert_int_equal(flow_extract(f, sizeof(f), 1, &k), PSW_DROP_NONE);
	assert_int_equal(rte_be_to_cpu_16(k.vlan_tci), 100 | PSW_VLAN_CFI);
	assert_int_equal(k.dl_type, RTE_BE16(0x8100));
}

static void test_icmp(void **state)
{
	uint8_t f[60];
	struct psw_flow_key k;

	(void)state;
	memcpy(f, udp_frame, sizeof(f));
	f[23] = 1;
	f[34] = 8; // echo request
	f[35] = 0;
	assert_int_equal(flow_extract(f, sizeof(f), 1, &k), PSW_DROP_NONE);
	assert_int_equal(rte_be_to_cpu_16(k.tp_src), 8);
	assert_int_equal(rte_be_to_cpu_16(k.tp_dst), 0);
}


// Ethernet + IPv6 (2001:db8::1 -> 2001:db8::2) with 'ext' bytes of extension
// headers (already chained by the caller) then 'l4' bytes of upper layer.
static size_t build_ipv6(uint8_t *f, uint8_t first_nh, const uint8_t *ext, size_t n_ext,
	const uint8_t *l4, size_t n_l4)
{
	static const uint8_t eth[14] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x86, 0xdd};
	uint16_t plen = (uint16_t)(n_ext + n_l4);
	uint8_t *ip = f + 14;

	memcpy(f, eth, sizeof(eth));
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[4] = (uint8_t)(plen >> 8);
	ip[5] = (uint8_t)plen;
	ip[6] = first_nh;
	ip[7] = 64;
	ip[8] = 0x20, ip[9] = 0x01, ip[10] = 0x0d, ip[11] = 0xb8, ip[23] = 1;
	ip[24] = 0x20, ip[25] = 0x01, ip[26] = 0x0d, ip[27] = 0xb8, ip[39] = 2;
	if (n_ext > 0)
		memcpy(ip + 40, ext, n_ext);
	if (n_l4 > 0)
		memcpy(ip + 40 + n_ext, l4, n_l4);
	return 14 + 40 + n_ext + n_l4;
}

static const uint8_t udp6_hdr[8] = {0x03, 0xe8, 0x00, 0x35, 0x00, 0x08, 0, 0};

static void assert_ipv6_addrs(const struct psw_flow_key *k)
{
	static const uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	static const uint8_t dst[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

	assert_memory_equal(k->ipv6_src, src, 16);
	assert_memory_equal(k->ipv6_dst, dst, 16);
	assert_int_equal(k->nw_src, 0);
	assert_int_equal(k->nw_dst, 0);
}

static void test_ipv6_l4(void **state)
{
	static const uint8_t tcp[20] = {0x30, 0x39, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x12};
	static const uint8_t icmp6[8] = {128, 0, 0, 0, 0, 1, 0, 1}; // echo request
	uint8_t f[256];
	struct psw_flow_key k;
	size_t len;

	(void)state;
	len = build_ipv6(f, 17, NULL, 0, udp6_hdr, sizeof(udp6_hdr));
	assert_int_equal(flow_extract(f, (uint32_t)len, 3, &k), PSW_DROP_NONE);
	assert_int_equal(k.dl_type, RTE_BE16(0x86dd));
	assert_int_equal(k.nw_proto, 17);
	assert_int_equal(k.nw_frag, 0);
	assert_int_equal(rte_be_to_cpu_16(k.tp_src), 1000);
	assert_int_equal(rte_be_to_cpu_16(k.tp_dst), 53);
	assert_ipv6_addrs(&k);

	len = build_ipv6(f, 6, NULL, 0, tcp, sizeof(tcp));
	assert_int_equal(flow_extract(f, (uint32_t)len, 3, &k), PSW_DROP_NONE);
	assert_int_equal(k.nw_proto, 6);
	assert_int_equal(rte_be_to_cpu_16(k.tp_dst), 80);
	assert_int_equal(rte_be_to_cpu_16(k.tcp_flags), 0x012);

	len = build_ipv6(f, 58, NULL, 0, icmp6, sizeof(icmp6));
	assert_int_equal(flow_extract(f, (uint32_t)len, 3, &k), PSW_DROP_NONE);
	assert_int_equal(k.nw_proto, 58);
	assert_int_equal(rte_be_to_cpu_16(k.tp_src), 128);
	assert_int_equal(rte_be_to_cpu_16(k.tp_dst), 0);

	// an IPv4 frame leaves the IPv6 words zero, even after an IPv6 one
	assert_int_equal(flow_extract(udp_frame, sizeof(udp_frame), 7, &k), PSW_DROP_NONE);
	for (int i = PSW_KEY_IPV6_WORD; i < PSW_KEY_WORDS; i++)
		assert_int_equal(k.w[i], 0);
}

static void test_ipv6_extension_headers(void **state)
{
	// hop-by-hop (8 bytes) -> destination options (16 bytes) -> UDP
	uint8_t ext[24] = {60, 0, 1, 4, 0, 0, 0, 0, 17, 1, 1, 12};
	// a first fragment (offset 0, more to come) of UDP
	static const uint8_t frag_first[8] = {17, 0, 0x00, 0x01, 0, 0, 0, 7};
	// a later fragment (offset 8)
	static const uint8_t frag_later[8] = {17, 0, 0x00, 0x40, 0, 0, 0, 7};
	static const uint8_t payload[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	uint8_t f[256], many[8 * 9];
	struct psw_flow_key k;
	size_t len;

	(void)state;
	len = build_ipv6(f, 0, ext, sizeof(ext), udp6_hdr, sizeof(udp6_hdr));
	assert_int_equal(flow_extract(f, (uint32_t)len, 1, &k), PSW_DROP_NONE);
	assert_int_equal(k.nw_proto, 17);
	assert_int_equal(rte_be_to_cpu_16(k.tp_dst), 53);
	assert_ipv6_addrs(&k);

	len = build_ipv6(f, 44, frag_first, sizeof(frag_first), udp6_hdr, sizeof(udp6_hdr));
	assert_int_equal(flow_extract(f, (uint32_t)len, 1, &k), PSW_DROP_NONE);
	assert_int_equal(k.nw_proto, 17);
	assert_int_equal(k.nw_frag, PSW_FRAG_ANY);
	assert_int_equal(rte_be_to_cpu_16(k.tp_dst), 53);

	len = build_ipv6(f, 44, frag_later, sizeof(frag_later), payload, sizeof(payload));
	assert_int_equal(flow_extract(f, (uint32_t)len, 1, &k), PSW_DROP_NONE);
	assert_int_equal(k.nw_proto, 17);
	assert_int_equal(k.nw_frag, PSW_FRAG_ANY | PSW_FRAG_LATER);
	assert_int_equal(k.tp_src, 0);
	assert_int_equal(k.tp_dst, 0);

	// nine destination-option headers: the walk stops after eight, and
	// the ninth's type stands as the protocol, unparsed
	for (int i = 0; i < 9; i++) {
		memset(many + 8 * i, 0, 8);
		many[8 * i] = i == 8 ? 17 : 60;
	}
	len = build_ipv6(f, 60, many, sizeof(many), udp6_hdr, sizeof(udp6_hdr));
	assert_int_equal(flow_extract(f, (uint32_t)len, 1, &k), PSW_DROP_NONE);
	assert_int_equal(k.nw_proto, 60);
	assert_int_equal(k.tp_dst, 0);

	// no next header (59): nothing more to parse
	len = build_ipv6(f, 59, NULL, 0, payload, sizeof(payload));
	assert_int_equal(flow_extract(f, (uint32_t)len, 1, &k), PSW_DROP_NONE);
	assert_int_equal(k.nw_proto, 59);
}

// Neighbour solicitation / advertisement: target and link-layer option.
static void test_neighbour_discovery(void **state)
{
	// NS for 2001:db8::2 with a source link-layer option
	uint8_t ns[32] = {135, 0, 0, 0, 0, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 2, 1, 1, 2, 0, 0, 0, 0, 0x0a};
	// NA for 2001:db8::1 with a target link-layer option after a nonce option
	uint8_t na[40] = {136, 0, 0, 0, 0x60, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 1, 14, 1, 9, 9, 9, 9, 9, 9, 2, 1, 2, 0, 0, 0, 0, 0x0b};
	static const uint8_t target2[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
	static const uint8_t mac_a[6] = {2, 0, 0, 0, 0, 0x0a}, mac_b[6] = {2, 0, 0, 0, 0, 0x0b};
	static const uint8_t zero[6];
	uint8_t f[256], twice[40];
	struct psw_flow_key k;
	size_t len;

	(void)state;
	len = build_ipv6(f, 58, NULL, 0, ns, sizeof(ns));
	assert_int_equal(flow_extract(f, (uint32_t)len, 1, &k), PSW_DROP_NONE);
	assert_int_equal(rte_be_to_cpu_16(k.tp_src), 135);
	assert_memory_equal(k.nd_target, target2, 16);
	assert_memory_equal(k.arp_sha, mac_a, 6);
	assert_memory_equal(k.arp_tha, zero, 6);

	len = build_ipv6(f, 58, NULL, 0, na, sizeof(na));
	assert_int_equal(flow_extract(f, (uint32_t)len, 1, &k), PSW_DROP_NONE);
	assert_int_equal(k.nd_target[15], 1);
	assert_memory_equal(k.arp_sha, zero, 6);
	assert_memory_equal(k.arp_tha, mac_b, 6);

	// without options: the target only
	len = build_ipv6(f, 58, NULL, 0, ns, 24);
	assert_int_equal(flow_extract(f, (uint32_t)len, 1, &k), PSW_DROP_NONE);
	assert_memory_equal(k.nd_target, target2, 16);
	assert_memory_equal(k.arp_sha, zero, 6);

	// cut short before the end of the target
	len = build_ipv6(f, 58, NULL, 0, ns, 20);
	assert_int_equal(flow_extract(f, (uint32_t)len, 1, &k), PSW_DROP_BAD_L4);
	// an option of length 0, an option past the end, the option twice
	ns[25] = 0;
	len = build_ipv6(f, 58, NULL, 0, ns, sizeof(ns));
	assert_int_equal(flow_extract(f, (uint32_t)len, 1, &k), PSW_DROP_BAD_L4);
	ns[25] = 2;
	len = build_ipv6(f, 58, NULL, 0, ns, sizeof(ns));
	assert_int_equal(flow_extract(f, (uint32_t)len, 1, &k), PSW_DROP_BAD_L4);
	ns[25] = 1;
	memcpy(twice, ns, 32);
	memcpy(twice + 32, ns + 24, 8);
	len = build_ipv6(f, 58, NULL, 0, twice, sizeof(twice));
	assert_int_equal(flow_extract(f, (uint32_t)len, 1, &k), PSW_DROP_BAD_L4);
	for (int i = PSW_KEY_IPV6_WORD + 4; i < PSW_KEY_WORDS; i++)
		assert_int_equal(k.w[i], 0);
	// a code other than 0 is not neighbour discovery: plain ICMPv6
	ns[1] = 1;
	len = build_ipv6(f, 58, NULL, 0, ns, 20);
	assert_int_equal(flow_extract(f, (uint32_t)len, 1, &k), PSW_DROP_NONE);
	assert_memory_equal(k.nd_target, (uint8_t[16]){0}, 16);
}

static void test_ipv6_malformed(void **state)
{
	uint8_t ext[8] = {17, 0};
	uint8_t f[256];
	struct psw_flow_key k;
	size_t len;

	(void)state;
	len = build_ipv6(f, 17, NULL, 0, udp6_hdr, sizeof(udp6_hdr));
	// the fixed header cut short
	assert_int_equal(flow_extract(f, 14 + 39, 1, &k), PSW_DROP_BAD_IP);
	// a payload length beyond the frame
	assert_int_equal(flow_extract(f, (uint32_t)len - 1, 1, &k), PSW_DROP_BAD_IP);
	// a wrong version
	f[14] = 0x40;
	assert_int_equal(flow_extract(f, (uint32_t)len, 1, &k), PSW_DROP_BAD_IP);
	f[14] = 0x60;
	// a UDP header cut short by the payload length
	f[14 + 5] = 4;
	assert_int_equal(flow_extract(f, (uint32_t)len, 1, &k), PSW_DROP_BAD_L4);
	assert_int_equal(k.tp_dst, 0);
	// an extension header longer than the payload
	ext[1] = 3; // 32 bytes
	len = build_ipv6(f, 0, ext, sizeof(ext), udp6_hdr, sizeof(udp6_hdr));
	assert_int_equal(flow_extract(f, (uint32_t)len, 1, &k), PSW_DROP_BAD_IP);
	// an extension header cut short
	len = build_ipv6(f, 0, ext, 4, NULL, 0);
	assert_int_equal(flow_extract(f, (uint32_t)len, 1, &k), PSW_DROP_BAD_IP);
	// the same frame in a chain whose gathered bytes end inside the
	// extension header: not malformed, the upper layer left unparsed
	ext[1] = 0;
	len = build_ipv6(f, 0, ext, sizeof(ext), udp6_hdr, sizeof(udp6_hdr));
	assert_int_equal(flow_extract_frame(f, 14 + 40 + 4, (uint32_t)len, 1, &k), PSW_DROP_NONE);
	assert_int_equal(k.tp_dst, 0);
	assert_int_equal(flow_extract_frame(f, 14 + 40 + 8 + 4, (uint32_t)len, 1, &k), PSW_DROP_NONE);
	assert_int_equal(k.nw_proto, 17);
	assert_int_equal(k.tp_dst, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_headers_of_a_longer_frame),
		cmocka_unit_test(test_vlan_tcp_options),
		cmocka_unit_test(test_runts_and_truncation),
		cmocka_unit_test(test_bad_ip_headers),
		cmocka_unit_test(test_tcp_bad_offset),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_non_ip_and_qinq),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_ipv6_l4),
		cmocka_unit_test(test_ipv6_extension_headers),
		cmocka_unit_test(test_ipv6_malformed),
		cmocka_unit_test(test_neighbour_discovery),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
