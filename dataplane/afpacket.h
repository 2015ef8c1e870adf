// SPDX-License-Identifier: BSD-3-Clause
// Kernel ports (the host end of a pod's veth, or any kernel interface) driven
// through AF_PACKET memory-mapped rings (TPACKET_V2) by the PMDs directly,
// rather than through the net_af_packet ethdev: Debian's DPDK allows only 32
// ethdevs, a node has hundreds of pods. One socket per queue, joined in a
// fanout group when there are several.
//
// Thread-safety: the rings are set up and torn down by the control thread
// (control/afpacket.c) while the port is not published; queue q's rx ring
// is read by the one PMD polling it, its tx ring written under the port's
// tx rules (txq_locks when shared).
#pragma once

#include "port.h"

#include <linux/if_packet.h>
#include <sys/socket.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

struct afp_ring {
	uint8_t *base;
	uint32_t frames;
	uint32_t frame_size;
	uint32_t next;
};

struct afp_queue {
	int fd;
	struct afp_ring rx;
	struct afp_ring tx;
	void *map;
	size_t map_len;
	uint64_t rx_too_long;   // frames longer than a buffer chain: dropped, counted
	uint64_t rx_no_mbuf;
} __rte_cache_aligned;

struct psw_afp {
	int ifindex;
	struct afp_queue q[PSW_MAX_RXQ];
};

static inline struct tpacket2_hdr *afp_frame(const struct afp_ring *r, uint32_t i)
{
	return (struct tpacket2_hdr *)(r->base + (size_t)i * r->frame_size);
}

// A frame the local stack sent with its L4 checksum left to "hardware" (a
// veth whose peer offloads): completed here, or the receiver drops it.
static inline void afp_fix_checksum(struct rte_mbuf *m)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t off = 14, len = rte_pktmbuf_data_len(m);
	uint16_t type = (uint16_t)(d[12] << 8 | d[13]);
	struct rte_ipv4_hdr *ip;
	uint32_t ihl;

	if (type == 0x8100 && len >= 18) {
		type = (uint16_t)(d[16] << 8 | d[17]);
		off = 18;
	}
	if (type != 0x0800 || len < off + sizeof(*ip))
		return;
	ip = (struct rte_ipv4_hdr *)(d + off);
	ihl = (uint32_t)(ip->version_ihl & 0x0f) * 4;
	if (ihl < 20 || rte_be_to_cpu_16(ip->total_length) > len - off ||
	    rte_be_to_cpu_16(ip->total_length) < ihl || (ip->fragment_offset & RTE_BE16(0x3fff)))
		return;
	if (ip->next_proto_id == IPPROTO_TCP && rte_be_to_cpu_16(ip->total_length) >= ihl + 20) {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)(d + off + ihl);
		t->cksum = 0;
		t->cksum = rte_ipv4_udptcp_cksum(ip, t);
	} else if (ip->next_proto_id == IPPROTO_UDP && rte_be_to_cpu_16(ip->total_length) >= ihl + 8) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)(d + off + ihl);
		u->dgram_cksum = 0;
		u->dgram_cksum = rte_ipv4_udptcp_cksum(ip, u);
	}
}

// Copies 'len' bytes into buffers from 'pool', chained when one is not
// enough (jumbo frames). Returns NULL when the pool is empty.
static inline struct rte_mbuf *afp_copy_in(struct rte_mempool *pool, const uint8_t *data,
	uint32_t len)
{
	struct rte_mbuf *head = NULL, *m;
	uint32_t off = 0;

	do {
		uint16_t n;

		m = rte_pktmbuf_alloc(pool);
		if (m == NULL || (head != NULL && rte_pktmbuf_chain(head, m) < 0)) {
			rte_pktmbuf_free(m);
			rte_pktmbuf_free(head);
			return NULL;
		}
		if (head == NULL)
			head = m;
		n = (uint16_t)RTE_MIN(len - off, (uint32_t)rte_pktmbuf_tailroom(m));
		// appended through the head: it fills the last buffer and keeps the
		// chain's pkt_len
		rte_memcpy(rte_pktmbuf_append(head, n), data + off, n);
		off += n;
	} while (off < len);
	return head;
}

// Puts the tag the kernel took out (VLAN acceleration) back after the MACs,
// in the buffer's headroom.
static inline void afp_put_tag_back(struct rte_mbuf *m, uint16_t tpid, uint16_t tci)
{
	uint8_t *d;

	if (rte_pktmbuf_data_len(m) < 12 || (d = (uint8_t *)rte_pktmbuf_prepend(m, 4)) == NULL)
		return; // a runt: the parser counts it
	memmove(d, d + 4, 12);
	d[12] = (uint8_t)(tpid >> 8);
	d[13] = (uint8_t)tpid;
	d[14] = (uint8_t)(tci >> 8);
	d[15] = (uint8_t)tci;
}

static inline uint16_t afp_rx(struct psw_port *p, uint16_t q, struct rte_mempool *pool,
	struct rte_mbuf **pkts, uint16_t n)
{
	struct afp_queue *aq = &p->afp->q[q];
	struct afp_ring *r = &aq->rx;
	uint16_t got = 0;

	while (got < n) {
		struct tpacket2_hdr *h = afp_frame(r, r->next);
		uint32_t status = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
		const uint8_t *data = (const uint8_t *)h + h->tp_mac;
		struct rte_mbuf *m;

		if (!(status & TP_STATUS_USER))
			break;
		if (unlikely(h->tp_snaplen < h->tp_len || h->tp_mac + h->tp_snaplen > r->frame_size)) {
			aq->rx_too_long++;
			m = NULL;
		} else {
			m = afp_copy_in(pool, data, h->tp_snaplen);
			if (unlikely(m == NULL))
				aq->rx_no_mbuf++;
			else if (status & TP_STATUS_VLAN_VALID)
				afp_put_tag_back(m, (status & TP_STATUS_VLAN_TPID_VALID) ?
					h->tp_vlan_tpid : 0x8100, h->tp_vlan_tci);
		}
		__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		r->next = r->next + 1 == r->frames ? 0 : r->next + 1;
		if (m == NULL)
			continue;
		if (unlikely(status & TP_STATUS_CSUMNOTREADY) && m->nb_segs == 1)
			afp_fix_checksum(m);
		m->port = p->ofport;
		pkts[got++] = m;
	}
	return got;
}

// Copies what the tx ring has room for and kicks the kernel once; the
// caller frees every mbuf.
static inline uint16_t afp_tx(const struct psw_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct afp_queue *aq = &p->afp->q[q % p->nb_txq];
	struct afp_ring *r = &aq->tx;
	uint32_t room = r->frame_size - (uint32_t)(TPACKET2_HDRLEN - sizeof(struct sockaddr_ll));
	uint16_t sent = 0;

	for (; sent < n; sent++) {
		struct tpacket2_hdr *h = afp_frame(r, r->next);
		struct rte_mbuf *m = pkts[sent];

		if (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE)
			break;
		if (unlikely(m->pkt_len > room))
			break; // not for this port's ring: counted as refused by the caller
		uint8_t *dst = (uint8_t *)h + TPACKET2_HDRLEN - sizeof(struct sockaddr_ll);
		const void *src = rte_pktmbuf_read(m, 0, m->pkt_len, dst);

		// contiguous data is not copied by rte_pktmbuf_read
		if (src != dst)
			rte_memcpy(dst, src, m->pkt_len);
		h->tp_len = m->pkt_len;
		__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
		r->next = r->next + 1 == r->frames ? 0 : r->next + 1;
	}
	if (sent > 0)
		sendto(aq->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
	return sent;
}
