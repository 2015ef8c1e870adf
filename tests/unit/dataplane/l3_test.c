// SPDX-License-Identifier: BSD-3-Clause
// Routing's work on packets (dataplane/l3.c, vxlan.c): TTL, ICMP errors
// with their quotes and checksums, ARP and ND answers, VXLAN on and off,
// and every malformed or unanswerable case a counted refusal.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../eal_test.h"
#include "l3.h"
#include "pmd.h"
#include "vxlan.h"

#include <arpa/inet.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

static struct rte_mempool *pool;
static struct pmd pmd;
static struct psw_router router;

static const uint8_t pod_mac[6] = {0x0a, 0x58, 0x0a, 0xf4, 0x01, 0x05};
static const uint8_t rmac[6] = {0x0a, 0x58, 0x0a, 0xf4, 0x01, 0x01};

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static struct rte_mbuf *frame(const uint8_t *d, size_t n)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, (uint16_t)n));
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), d, n);
	return m;
}

// An Ethernet + IPv4 + UDP frame of 'payload' bytes of payload.
static size_t udp4(uint8_t *f, uint32_t src, uint32_t dst, uint8_t ttl, bool df, size_t payload)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + 14);
	uint8_t *udp = (uint8_t *)(ip + 1);

	memcpy(f, rmac, 6);
	memcpy(f + 6, pod_mac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	*ip = (struct rte_ipv4_hdr){.version_ihl = 0x45,
		.total_length = rte_cpu_to_be_16((uint16_t)(20 + 8 + payload)),
		.fragment_offset = df ? RTE_BE16(RTE_IPV4_HDR_DF_FLAG) : 0, .time_to_live = ttl,
		.next_proto_id = IPPROTO_UDP, .src_addr = src, .dst_addr = dst};
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp[0] = 0x30;
	udp[1] = 0x39;
	udp[2] = 0x00;
	udp[3] = 0x50;
	udp[4] = (uint8_t)((8 + payload) >> 8);
	udp[5] = (uint8_t)(8 + payload);
	udp[6] = udp[7] = 0;
	for (size_t i = 0; i < payload; i++)
		udp[8 + i] = (uint8_t)i;
	return 14 + 20 + 8 + payload;
}

static bool ipv4_cksum_ok(const struct rte_ipv4_hdr *ip)
{
	return rte_raw_cksum(ip, 20) == 0xffff;
}

static void reset_pmd(void)
{
	memset(&pmd, 0, sizeof(pmd));
	pmd.pool = pool;
	pmd.tsc_hz = 1000000000ull;
	pmd.now_tsc = 5000000000ull;
	pmd.router = &router;
	memcpy(router.mac, rmac, 6);
	router.has_ipv4 = 1;
	router.ipv4 = ip4("10.244.1.1");
	router.has_ipv6 = 1;
	inet_pton(AF_INET6, "fd00:10:244:1::1", router.ipv6);
	router.route_table = 201;
}

static void test_dec_ttl(void **state)
{
	uint8_t f[128];
	size_t n = udp4(f, ip4("10.244.1.5"), ip4("10.244.2.9"), 64, false, 10);
	struct rte_mbuf *m = frame(f, n);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);

	(void)state;
	for (int ttl = 63; ttl >= 1; ttl--) {
		assert_int_equal(l3_dec_ttl(m), PSW_DROP_NONE);
		assert_int_equal(ip->time_to_live, ttl);
		assert_true(ipv4_cksum_ok(ip)); // the incremental update is the full sum's
	}
	assert_int_equal(l3_dec_ttl(m), PSW_DROP_TTL);
	assert_int_equal(ip->time_to_live, 1); // left as it was
	ip->time_to_live = 0;
	assert_int_equal(l3_dec_ttl(m), PSW_DROP_TTL);
	rte_pktmbuf_free(m);

	// IPv6: the hop limit; and a frame that is not IP has none
	uint8_t f6[14 + 40 + 8] = {0};
	memcpy(f6 + 6, pod_mac, 6);
	f6[12] = 0x86;
	f6[13] = 0xdd;
	f6[14] = 0x60;
	f6[14 + 5] = 8;
	f6[14 + 6] = IPPROTO_UDP;
	f6[14 + 7] = 2;
	m = frame(f6, sizeof(f6));
	assert_int_equal(l3_dec_ttl(m), PSW_DROP_NONE);
	assert_int_equal(rte_pktmbuf_mtod(m, uint8_t *)[14 + 7], 1);
	assert_int_equal(l3_dec_ttl(m), PSW_DROP_TTL);
	rte_pktmbuf_mtod(m, uint8_t *)[12] = 0x88; // not IP
	assert_int_equal(l3_dec_ttl(m), PSW_DROP_ACTION);
	rte_pktmbuf_free(m);
}

static void test_icmp4_time_exceeded(void **state)
{
	uint8_t f[2048];
	size_t n = udp4(f, ip4("10.244.1.5"), ip4("10.244.2.9"), 1, false, 1000);
	struct rte_mbuf *m = frame(f, n), *e;
	const uint8_t *d;
	const struct rte_ipv4_hdr *ip;

	(void)state;
	reset_pmd();
	e = l3_icmp_error(&pmd, m, L3_ICMP_TIME_EXCEEDED, 0);
	assert_non_null(e);
	d = rte_pktmbuf_mtod(e, const uint8_t *);
	assert_memory_equal(d, pod_mac, 6);       // back to the sender
	assert_memory_equal(d + 6, rmac, 6);      // from the router
	ip = (const struct rte_ipv4_hdr *)(d + 14);
	assert_int_equal(ip->src_addr, ip4("10.244.1.1"));
	assert_int_equal(ip->dst_addr, ip4("10.244.1.5"));
	assert_int_equal(ip->next_proto_id, IPPROTO_ICMP);
	assert_true(ipv4_cksum_ok(ip));
	// 576 bytes in all: the error's headers and as much of the packet as fits
	assert_int_equal(rte_be_to_cpu_16(ip->total_length), 576);
	assert_int_equal(e->pkt_len, 14 + 576);
	assert_int_equal(d[34], 11);
	assert_int_equal(d[35], 0);
	assert_int_equal(rte_raw_cksum(d + 34, 576 - 20), 0xffff);
	assert_memory_equal(d + 42, f + 14, 576 - 28); // the quote is the packet itself
	assert_int_equal(pmd.stats.icmp_errors, 1);
	rte_pktmbuf_free(e);
}

static void test_icmp4_too_big(void **state)
{
	uint8_t f[2048];
	size_t n = udp4(f, ip4("10.244.1.5"), ip4("10.244.2.9"), 64, true, 1460);
	struct rte_mbuf *m = frame(f, n), *e;
	const uint8_t *d;

	(void)state;
	reset_pmd();
	e = l3_icmp_error(&pmd, m, L3_ICMP_TOO_BIG, 1450);
	assert_non_null(e);
	d = rte_pktmbuf_mtod(e, const uint8_t *);
	assert_int_equal(d[34], 3);
	assert_int_equal(d[35], 4);
	assert_int_equal(d[40] << 8 | d[41], 1450); // the next-hop MTU (RFC 1191)
	rte_pktmbuf_free(e);
	// without DF a router would fragment: pswitch sends no error
	n = udp4(f, ip4("10.244.1.5"), ip4("10.244.2.9"), 64, false, 1460);
	m = frame(f, n);
	assert_null(l3_icmp_error(&pmd, m, L3_ICMP_TOO_BIG, 1450));
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), f, n); // untouched
	rte_pktmbuf_free(m);
}

static void test_icmp4_not_sent(void **state)
{
	uint8_t f[256];
	size_t n;
	struct rte_mbuf *m;

	(void)state;
	reset_pmd();
	// about an ICMP error
	n = udp4(f, ip4("10.244.1.5"), ip4("10.244.2.9"), 1, false, 20);
	f[14 + 9] = IPPROTO_ICMP;
	f[34] = 3;
	m = frame(f, n);
	assert_null(l3_icmp_error(&pmd, m, L3_ICMP_TIME_EXCEEDED, 0));
	// an echo request is answered
	rte_pktmbuf_mtod(m, uint8_t *)[34] = 8;
	m = l3_icmp_error(&pmd, m, L3_ICMP_TIME_EXCEEDED, 0);
	assert_non_null(m);
	rte_pktmbuf_free(m);
	// from no one, to a group, a later fragment
	n = udp4(f, 0, ip4("10.244.2.9"), 1, false, 20);
	m = frame(f, n);
	assert_null(l3_icmp_error(&pmd, m, L3_ICMP_TIME_EXCEEDED, 0));
	rte_pktmbuf_free(m);
	n = udp4(f, ip4("10.244.1.5"), ip4("224.0.0.251"), 1, false, 20);
	m = frame(f, n);
	assert_null(l3_icmp_error(&pmd, m, L3_ICMP_TIME_EXCEEDED, 0));
	rte_pktmbuf_free(m);
	n = udp4(f, ip4("10.244.1.5"), ip4("10.244.2.9"), 1, false, 20);
	f[14 + 6] = 0x00;
	f[14 + 7] = 0x10;
	m = frame(f, n);
	assert_null(l3_icmp_error(&pmd, m, L3_ICMP_TIME_EXCEEDED, 0));
	rte_pktmbuf_free(m);
	// no router, or no IPv4 address of it
	n = udp4(f, ip4("10.244.1.5"), ip4("10.244.2.9"), 1, false, 20);
	m = frame(f, n);
	router.has_ipv4 = 0;
	assert_null(l3_icmp_error(&pmd, m, L3_ICMP_TIME_EXCEEDED, 0));
	pmd.router = NULL;
	assert_null(l3_icmp_error(&pmd, m, L3_ICMP_TIME_EXCEEDED, 0));
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), f, n);
	rte_pktmbuf_free(m);
	assert_int_equal(pmd.stats.icmp_errors, 1);
}

static void test_icmp_rate(void **state)
{
	uint8_t f[256];
	size_t n = udp4(f, ip4("10.244.1.5"), ip4("10.244.2.9"), 1, false, 20);
	unsigned sent = 0;

	(void)state;
	reset_pmd();
	for (int i = 0; i < 300; i++) {
		struct rte_mbuf *m = frame(f, n), *e = l3_icmp_error(&pmd, m, L3_ICMP_TIME_EXCEEDED, 0);

		sent += e != NULL;
		rte_pktmbuf_free(e != NULL ? e : m);
	}
	assert_int_equal(sent, 100); // a burst of 100 at one instant
	assert_int_equal(pmd.stats.icmp_limited, 200);
	pmd.now_tsc += pmd.tsc_hz / 100; // 10 ms later: 10 more
	for (int i = 0; i < 20; i++) {
		struct rte_mbuf *m = frame(f, n), *e = l3_icmp_error(&pmd, m, L3_ICMP_TIME_EXCEEDED, 0);

		sent += e != NULL;
		rte_pktmbuf_free(e != NULL ? e : m);
	}
	assert_int_equal(sent, 110);
}

static void test_icmp6_errors(void **state)
{
	uint8_t f[14 + 40 + 8 + 1400] = {0};
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(f + 14);
	struct rte_mbuf *m, *e;
	const uint8_t *d;
	const struct rte_ipv6_hdr *eip;

	(void)state;
	reset_pmd();
	memcpy(f, rmac, 6);
	memcpy(f + 6, pod_mac, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	ip6->vtc_flow = RTE_BE32(0x60000000);
	ip6->payload_len = RTE_BE16(8 + 1400);
	ip6->proto = IPPROTO_UDP;
	ip6->hop_limits = 1;
	inet_pton(AF_INET6, "fd00:10:244:1::5", ip6->src_addr);
	inet_pton(AF_INET6, "fd00:10:244:2::9", ip6->dst_addr);
	m = frame(f, sizeof(f));
	e = l3_icmp_error(&pmd, m, L3_ICMP_TOO_BIG, 1430);
	assert_non_null(e);
	d = rte_pktmbuf_mtod(e, const uint8_t *);
	eip = (const struct rte_ipv6_hdr *)(d + 14);
	assert_int_equal(e->pkt_len, 14 + 1280); // as much as the minimum MTU holds
	assert_int_equal(eip->proto, IPPROTO_ICMPV6);
	assert_memory_equal(eip->src_addr, router.ipv6, 16);
	assert_memory_equal(eip->dst_addr, ip6->src_addr, 16);
	assert_int_equal(d[54], 2);
	assert_int_equal(d[58] << 24 | d[59] << 16 | d[60] << 8 | d[61], 1430);
	assert_int_equal(rte_ipv6_udptcp_cksum_verify(eip, d + 54), 0);
	assert_memory_equal(d + 62, f + 14, 1280 - 48);
	rte_pktmbuf_free(e);
	// time exceeded; none about an ICMPv6 error or from ::
	m = frame(f, sizeof(f));
	e = l3_icmp_error(&pmd, m, L3_ICMP_TIME_EXCEEDED, 0);
	assert_non_null(e);
	assert_int_equal(rte_pktmbuf_mtod(e, uint8_t *)[54], 3);
	rte_pktmbuf_free(e);
	ip6->proto = IPPROTO_ICMPV6;
	f[54] = 1;
	m = frame(f, sizeof(f));
	assert_null(l3_icmp_error(&pmd, m, L3_ICMP_TIME_EXCEEDED, 0));
	rte_pktmbuf_free(m);
	ip6->proto = IPPROTO_UDP;
	memset(ip6->src_addr, 0, 16);
	m = frame(f, sizeof(f));
	assert_null(l3_icmp_error(&pmd, m, L3_ICMP_TIME_EXCEEDED, 0));
	rte_pktmbuf_free(m);
}

static size_t arp_request(uint8_t *f, uint32_t spa, uint32_t tpa)
{
	memset(f, 0xff, 6);
	memcpy(f + 6, pod_mac, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	const uint8_t hdr[8] = {0, 1, 8, 0, 6, 4, 0, 1};
	memcpy(f + 14, hdr, 8);
	memcpy(f + 22, pod_mac, 6);
	memcpy(f + 28, &spa, 4);
	memset(f + 32, 0, 6);
	memcpy(f + 38, &tpa, 4);
	memset(f + 42, 0, 18); // padding to 60
	return 60;
}

static void test_arp_reply(void **state)
{
	uint8_t f[64];
	size_t n = arp_request(f, ip4("10.244.1.5"), ip4("10.244.1.1"));
	struct rte_mbuf *m = frame(f, n);
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t a;

	(void)state;
	assert_int_equal(l3_arp_reply(m, rmac), PSW_DROP_NONE);
	assert_memory_equal(d, pod_mac, 6);
	assert_memory_equal(d + 6, rmac, 6);
	assert_int_equal(d[21], 2);                // reply
	assert_memory_equal(d + 22, rmac, 6);      // the answer
	memcpy(&a, d + 28, 4);
	assert_int_equal(a, ip4("10.244.1.1"));
	assert_memory_equal(d + 32, pod_mac, 6);
	memcpy(&a, d + 38, 4);
	assert_int_equal(a, ip4("10.244.1.5"));
	// a reply is not answered again; probes and announcements ask no one
	assert_int_equal(l3_arp_reply(m, rmac), PSW_DROP_NOT_ANSWERED);
	rte_pktmbuf_free(m);
	n = arp_request(f, 0, ip4("10.244.1.5"));
	m = frame(f, n);
	assert_int_equal(l3_arp_reply(m, rmac), PSW_DROP_NOT_ANSWERED);
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), f, n);
	rte_pktmbuf_free(m);
	n = arp_request(f, ip4("10.244.1.5"), ip4("10.244.1.5"));
	m = frame(f, n);
	assert_int_equal(l3_arp_reply(m, rmac), PSW_DROP_NOT_ANSWERED);
	rte_pktmbuf_free(m);
	// cut short, or not Ethernet/IPv4
	n = arp_request(f, ip4("10.244.1.5"), ip4("10.244.1.1"));
	m = frame(f, 14 + 20);
	assert_int_equal(l3_arp_reply(m, rmac), PSW_DROP_NOT_ANSWERED);
	rte_pktmbuf_free(m);
	f[19] = 16;
	m = frame(f, n);
	assert_int_equal(l3_arp_reply(m, rmac), PSW_DROP_NOT_ANSWERED);
	rte_pktmbuf_free(m);
}

static size_t ns(uint8_t *f, const char *src, const char *target, bool sll)
{
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(f + 14);
	uint8_t *icmp = (uint8_t *)(ip6 + 1);
	size_t len = 24 + (sll ? 8 : 0);

	memset(f, 0, 14 + 40 + 32);
	f[0] = 0x33;
	f[1] = 0x33;
	memcpy(f + 6, pod_mac, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	ip6->vtc_flow = RTE_BE32(0x60000000);
	ip6->payload_len = rte_cpu_to_be_16((uint16_t)len);
	ip6->proto = IPPROTO_ICMPV6;
	ip6->hop_limits = 255;
	inet_pton(AF_INET6, src, ip6->src_addr);
	inet_pton(AF_INET6, "ff02::1:ff00:1", ip6->dst_addr);
	icmp[0] = 135;
	inet_pton(AF_INET6, target, icmp + 8);
	if (sll) {
		icmp[24] = 1;
		icmp[25] = 1;
		memcpy(icmp + 26, pod_mac, 6);
	}
	uint16_t ck = rte_ipv6_udptcp_cksum(ip6, icmp);
	memcpy(icmp + 2, &ck, 2);
	return 14 + 40 + len;
}

static void test_nd_advert(void **state)
{
	uint8_t f[128], src[16], target[16];
	struct rte_mbuf *m;

	(void)state;
	inet_pton(AF_INET6, "fd00:10:244:1::5", src);
	inet_pton(AF_INET6, "fd00:10:244:1::1", target);
	for (int with_sll = 0; with_sll < 2; with_sll++) {
		size_t n = ns(f, "fd00:10:244:1::5", "fd00:10:244:1::1", with_sll);
		const uint8_t *d;
		const struct rte_ipv6_hdr *ip6;

		m = frame(f, n);
		assert_int_equal(l3_nd_advert(m, rmac), PSW_DROP_NONE);
		d = rte_pktmbuf_mtod(m, const uint8_t *);
		ip6 = (const struct rte_ipv6_hdr *)(d + 14);
		assert_int_equal(m->pkt_len, 14 + 40 + 32);
		assert_memory_equal(d, pod_mac, 6);
		assert_memory_equal(d + 6, rmac, 6);
		assert_memory_equal(ip6->src_addr, target, 16);
		assert_memory_equal(ip6->dst_addr, src, 16);
		assert_int_equal(ip6->hop_limits, 255);
		assert_int_equal(d[54], 136);
		assert_int_equal(d[58], 0xe0);            // router, solicited, override
		assert_memory_equal(d + 62, target, 16);
		assert_int_equal(d[78], 2);               // target link-layer address
		assert_memory_equal(d + 80, rmac, 6);
		assert_int_equal(rte_ipv6_udptcp_cksum_verify(ip6, d + 54), 0);
		rte_pktmbuf_free(m);
	}
	// duplicate address detection is the owner's to answer
	m = frame(f, ns(f, "::", "fd00:10:244:1::5", false));
	assert_int_equal(l3_nd_advert(m, rmac), PSW_DROP_NOT_ANSWERED);
	rte_pktmbuf_free(m);
	// not from the link (hop limit), not a solicitation, cut short
	size_t n = ns(f, "fd00:10:244:1::5", "fd00:10:244:1::1", true);
	f[14 + 7] = 254;
	m = frame(f, n);
	assert_int_equal(l3_nd_advert(m, rmac), PSW_DROP_NOT_ANSWERED);
	rte_pktmbuf_free(m);
	f[14 + 7] = 255;
	f[54] = 136;
	m = frame(f, n);
	assert_int_equal(l3_nd_advert(m, rmac), PSW_DROP_NOT_ANSWERED);
	rte_pktmbuf_free(m);
	f[54] = 135;
	m = frame(f, 14 + 40 + 20);
	assert_int_equal(l3_nd_advert(m, rmac), PSW_DROP_NOT_ANSWERED);
	rte_pktmbuf_free(m);
}

static const struct psw_vxlan_spec spec = {
	.eth_dst = {2, 0, 0, 0, 0, 0xb}, .eth_src = {2, 0, 0, 0, 0, 0xa}, .vni = 0x123456,
};

static void test_vxlan_roundtrip(void **state)
{
	uint8_t f[2048];
	size_t n = udp4(f, ip4("10.244.1.5"), ip4("10.244.2.9"), 63, true, 1000);
	struct psw_vxlan_spec s = spec;
	struct rte_mbuf *m = frame(f, n);
	const uint8_t *d;
	const struct rte_ipv4_hdr *ip;
	uint32_t tun_src = 0;
	uint16_t sport;

	(void)state;
	s.ip_src = ip4("192.168.50.1");
	s.ip_dst = ip4("192.168.50.2");
	assert_int_equal(vxlan_push(m, &s, 1450), PSW_DROP_NONE);
	assert_int_equal(m->pkt_len, n + 50);
	d = rte_pktmbuf_mtod(m, const uint8_t *);
	assert_memory_equal(d, spec.eth_dst, 6);
	assert_memory_equal(d + 6, spec.eth_src, 6);
	ip = (const struct rte_ipv4_hdr *)(d + 14);
	assert_true(ipv4_cksum_ok(ip));
	assert_int_equal(rte_be_to_cpu_16(ip->total_length), n + 36);
	assert_int_equal(ip->fragment_offset, RTE_BE16(RTE_IPV4_HDR_DF_FLAG));
	assert_int_equal(ip->next_proto_id, IPPROTO_UDP);
	assert_int_equal(ip->src_addr, s.ip_src);
	assert_int_equal(ip->dst_addr, s.ip_dst);
	sport = (uint16_t)(d[34] << 8 | d[35]);
	assert_true(sport >= 49152);
	assert_int_equal(d[36] << 8 | d[37], 4789);
	assert_int_equal(d[38] << 8 | d[39], n + 16);
	assert_int_equal(d[42], 0x08);
	assert_int_equal(d[46] << 16 | d[47] << 8 | d[48], 0x123456);
	assert_memory_equal(d + 50, f, n);

	// taken off again: the inner frame as it was, the outer source noted
	assert_int_equal(vxlan_pop(m, 0x123457, &tun_src), PSW_DROP_VXLAN_VNI);
	assert_int_equal(m->pkt_len, n + 50); // untouched
	assert_int_equal(vxlan_pop(m, 0x123456, &tun_src), PSW_DROP_NONE);
	assert_int_equal(tun_src, s.ip_src);
	assert_int_equal(m->pkt_len, n);
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), f, n);
	rte_pktmbuf_free(m);

	// too big for the tunnel: untouched, for the ICMP error
	m = frame(f, n);
	assert_int_equal(vxlan_push(m, &s, 1000), PSW_DROP_TOO_BIG);
	assert_int_equal(m->pkt_len, n);
	rte_pktmbuf_free(m);
}

static void test_vxlan_malformed(void **state)
{
	uint8_t f[256], enc[512];
	size_t n = udp4(f, ip4("10.244.2.9"), ip4("10.244.1.5"), 63, false, 20);
	struct psw_vxlan_spec s = spec;
	struct rte_mbuf *m = frame(f, n);
	uint32_t tun_src;
	size_t en;

	(void)state;
	s.ip_src = ip4("192.168.50.2");
	s.ip_dst = ip4("192.168.50.1");
	assert_int_equal(vxlan_push(m, &s, 0), PSW_DROP_NONE);
	en = m->pkt_len;
	memcpy(enc, rte_pktmbuf_mtod(m, uint8_t *), en);
	rte_pktmbuf_free(m);

	struct {
		const char *what;
		unsigned off;
		uint8_t value;
		size_t len;
		enum psw_drop_reason want;
	} cases[] = {
		{"cut short in the VXLAN header", 0, 0, 14 + 20 + 8 + 4, PSW_DROP_BAD_VXLAN},
		{"UDP length longer than IPv4's", 39, 0xff, 0, PSW_DROP_BAD_VXLAN},
		{"UDP length shorter than IPv4's", 39, 0x10, 0, PSW_DROP_BAD_VXLAN},
		{"no I flag", 42, 0x00, 0, PSW_DROP_BAD_VXLAN},
		{"more fragments", 20, 0x20, 0, PSW_DROP_BAD_VXLAN},
		{"another VNI", 48, 0x57, 0, PSW_DROP_VXLAN_VNI},
		{"not IPv4", 12, 0x86, 0, PSW_DROP_BAD_VXLAN},
		{"IPv4 length past the frame", 17, 0xff, 0, PSW_DROP_BAD_VXLAN},
	};
	for (unsigned i = 0; i < RTE_DIM(cases); i++) {
		uint8_t bad[512];
		size_t len = cases[i].len ? cases[i].len : en;

		memcpy(bad, enc, en);
		if (!cases[i].len)
			bad[cases[i].off] = cases[i].value;
		m = frame(bad, len);
		if (vxlan_pop(m, 0x123456, &tun_src) != cases[i].want)
			fail_msg("%s: not refused as expected", cases[i].what);
		assert_int_equal(m->pkt_len, len);
		assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), bad, len);
		rte_pktmbuf_free(m);
	}
	// an inner frame shorter than an Ethernet header
	uint8_t runt[14 + 20 + 8 + 8 + 10];
	memcpy(runt, enc, 50);
	memset(runt + 50, 0, 10);
	runt[17] = 20 + 8 + 8 + 10;
	runt[16] = 0;
	runt[39] = 8 + 8 + 10;
	runt[38] = 0;
	m = frame(runt, sizeof(runt));
	assert_int_equal(vxlan_pop(m, 0x123456, &tun_src), PSW_DROP_BAD_VXLAN);
	rte_pktmbuf_free(m);
	// Ethernet padding after the outer packet goes with the outer headers
	uint8_t padded[512];
	memcpy(padded, enc, en);
	memset(padded + en, 0xee, 30);
	m = frame(padded, en + 30);
	assert_int_equal(vxlan_pop(m, 0x123456, &tun_src), PSW_DROP_NONE);
	assert_int_equal(m->pkt_len, n);
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), f, n);
	rte_pktmbuf_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dec_ttl),
		cmocka_unit_test(test_icmp4_time_exceeded),
		cmocka_unit_test(test_icmp4_too_big),
		cmocka_unit_test(test_icmp4_not_sent),
		cmocka_unit_test(test_icmp_rate),
		cmocka_unit_test(test_icmp6_errors),
		cmocka_unit_test(test_arp_reply),
		cmocka_unit_test(test_nd_advert),
		cmocka_unit_test(test_vxlan_roundtrip),
		cmocka_unit_test(test_vxlan_malformed),
	};

	eal_test_start();
	pool = rte_pktmbuf_pool_create("l3_test", 1024, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (pool == NULL)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
