// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target: routing's work on any frame (dataplane/l3.c, vxlan.c).
// Decapsulation, TTL, ICMP errors, ARP and ND answers never read or write
// outside the frame's buffer, leave a refused frame as it was, and make
// what they promise: an inner frame the parser takes, an error of the
// right size with valid checksums, an encapsulation that comes off again
// byte for byte.
#include "l3.h"
#include "pmd.h"
#include "vxlan.h"

#include <rte_ip.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HEADROOM 128

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pmd pmd;
static struct psw_router router = {.mac = {0x0a, 0x58, 0, 0, 0, 1}, .has_ipv4 = 1,
	.has_ipv6 = 1, .ipv4 = 0x0101f40a, .ipv6 = {0xfd, 0, 0, 0x10, 2, 0x44, 0, 1, [15] = 1}};

// A buffer of the frame's size exactly behind a headroom, so that ASan sees
// any access past the frame's end; no pool: nothing here frees it.
struct fake {
	struct rte_mbuf m;
	uint8_t *buf;
};

static void fake_init(struct fake *f, const uint8_t *data, size_t size)
{
	f->buf = malloc(HEADROOM + size + 1);
	memset(&f->m, 0, sizeof(f->m));
	f->m.buf_addr = f->buf;
	f->m.buf_len = (uint16_t)(HEADROOM + size);
	f->m.data_off = HEADROOM;
	f->m.data_len = (uint16_t)size;
	f->m.pkt_len = (uint32_t)size;
	f->m.nb_segs = 1;
	rte_mbuf_refcnt_set(&f->m, 1);
	memcpy(f->buf + HEADROOM, data, size);
}

static void check_unchanged(const struct fake *f, const uint8_t *data, size_t size)
{
	if (f->m.pkt_len != size || memcmp(rte_pktmbuf_mtod(&f->m, uint8_t *), data, size) != 0)
		abort();
}

static void try_icmp(const uint8_t *data, size_t size, enum l3_icmp_kind kind)
{
	struct fake f;
	struct rte_mbuf *e;

	fake_init(&f, data, size);
	pmd.now_tsc += pmd.tsc_hz; // never over the rate
	e = l3_icmp_error(&pmd, &f.m, kind, 1400);
	if (e == NULL) {
		check_unchanged(&f, data, size);
	} else {
		const uint8_t *d = rte_pktmbuf_mtod(e, const uint8_t *);

		if (e != &f.m || e->pkt_len != e->data_len || e->pkt_len < 14 + 28)
			abort();
		if (d[12] == 0x08) {
			if (e->pkt_len > 14 + 576 || rte_raw_cksum(d + 14, 20) != 0xffff ||
			    rte_raw_cksum(d + 34, e->pkt_len - 34) != 0xffff)
				abort();
		} else if (e->pkt_len > 14 + 1280 ||
			   rte_ipv6_udptcp_cksum_verify((const struct rte_ipv6_hdr *)(d + 14),
				   d + 54) != 0) {
			abort();
		}
	}
	free(f.buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct psw_flow_key k;
	struct fake f;
	uint32_t src = 0, vni;

	if (size < 4 || size > 9000)
		return 0;
	pmd.router = &router;
	pmd.tsc_hz = 1000000;
	vni = (uint32_t)data[0] << 16 | (uint32_t)data[1] << 8 | data[2];
	data += 3;
	size -= 3;

	// decapsulation: refused untouched, or an inner frame of the claimed size
	fake_init(&f, data, size);
	if (vxlan_pop(&f.m, vni, &src) == PSW_DROP_NONE) {
		if (f.m.pkt_len < 14 || f.m.pkt_len != f.m.data_len)
			abort();
		flow_extract(rte_pktmbuf_mtod(&f.m, uint8_t *), f.m.data_len, 1, &k);
	} else {
		check_unchanged(&f, data, size);
	}
	free(f.buf);

	// encapsulation comes off as it went on
	fake_init(&f, data, size);
	{
		struct psw_vxlan_spec spec = {.vni = vni, .ip_src = 0x0232a8c0, .ip_dst = 0x0132a8c0};

		if (vxlan_push(&f.m, &spec, 0) == PSW_DROP_NONE) {
			if (vxlan_pop(&f.m, vni, &src) != PSW_DROP_NONE || src != spec.ip_src)
				abort();
			check_unchanged(&f, data, size);
		}
	}
	free(f.buf);

	fake_init(&f, data, size);
	if (l3_dec_ttl(&f.m) != PSW_DROP_NONE)
		check_unchanged(&f, data, size);
	free(f.buf);
	fake_init(&f, data, size);
	if (l3_arp_reply(&f.m, router.mac) != PSW_DROP_NONE)
		check_unchanged(&f, data, size);
	else if (f.m.pkt_len != size)
		abort();
	free(f.buf);
	fake_init(&f, data, size);
	if (l3_nd_advert(&f.m, router.mac) != PSW_DROP_NONE)
		check_unchanged(&f, data, size);
	free(f.buf);
	try_icmp(data, size, L3_ICMP_TIME_EXCEEDED);
	try_icmp(data, size, L3_ICMP_TOO_BIG);
	try_icmp(data, size, L3_ICMP_UNREACHABLE);
	return 0;
}
