// SPDX-License-Identifier: BSD-3-Clause
// Executes the actions of the flows a packet hit, and the normal action.
#include "actions.h"
#include "fdb.h"
#include "l3.h"
#include "pmd_trace.h"
#include "tx.h"
#include "vxlan.h"

#include <rte_ether.h>
#include <rte_ring.h>

#define PUNT_RATE 1000
#define PUNT_BURST 100

enum vlan_op {
	VLAN_KEEP,
	VLAN_PUSH,
	VLAN_POP,
};

// An output that is decided but not yet taken: the packet goes there as a
// copy if another output follows or the packet is modified, and the last
// output takes the packet itself, so a one-output flow never copies.
struct pending_out {
	bool valid;
	uint8_t vlan_op;
	uint16_t ofport;
	uint16_t vlan_tci; // for VLAN_PUSH, host order
	uint8_t via;       // enum trace_via: what made the output, for a trace
};

// A traced packet carries why it goes where it goes (its copies inherit it).
static inline void mark_via(const struct pmd *pmd, struct rte_mbuf *m, const struct pending_out *o)
{
	if (unlikely(pmd->trace != NULL))
		m->hash.usr = o->via;
}

static inline bool frame_tagged(const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	return m->data_len >= RTE_ETHER_HDR_LEN + 4 &&
		(eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_VLAN) ||
		 eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_QINQ));
}

static inline uint16_t *frame_tci(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, uint16_t *, RTE_ETHER_HDR_LEN);
}

static int vlan_push(struct rte_mbuf *m, uint16_t tpid, uint16_t tci)
{
	struct rte_ether_hdr *eh;
	struct rte_vlan_hdr *vh;

	eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(struct rte_vlan_hdr));
	if (eh == NULL)
		return -ENOSPC;
	memmove(eh, (uint8_t *)eh + sizeof(struct rte_vlan_hdr), 2 * RTE_ETHER_ADDR_LEN);
	vh = (struct rte_vlan_hdr *)(eh + 1);
	// the old ether_type stayed where it was, and is now the tag's inner type
	vh->vlan_tci = rte_cpu_to_be_16(tci);
	eh->ether_type = rte_cpu_to_be_16(tpid);
	return 0;
}

static void vlan_pop(struct rte_mbuf *m)
{
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eh + 1);

	eh->ether_type = vh->eth_proto;
	memmove((uint8_t *)eh + sizeof(struct rte_vlan_hdr), eh, 2 * RTE_ETHER_ADDR_LEN);
	rte_pktmbuf_adj(m, sizeof(struct rte_vlan_hdr));
}

static void apply_vlan_op(struct pmd *pmd, struct rte_mbuf *m, const struct pending_out *o)
{
	(void)pmd;
	if (o->vlan_op == VLAN_PUSH && !frame_tagged(m))
		vlan_push(m, RTE_ETHER_TYPE_VLAN, o->vlan_tci);
	else if (o->vlan_op == VLAN_POP && frame_tagged(m))
		vlan_pop(m);
}

// Takes the pending output with a copy of 'm'.
static void pending_take_copy(struct pmd *pmd, struct rte_mbuf *m, struct pending_out *o)
{
	struct rte_mbuf *c;

	if (!o->valid)
		return;
	o->valid = false;
	c = rte_pktmbuf_copy(m, pmd->pool, 0, UINT32_MAX);
	if (unlikely(c == NULL)) {
		pmd->stats.drops[PSW_DROP_NO_MBUF]++;
		return;
	}
	apply_vlan_op(pmd, c, o);
	mark_via(pmd, c, o);
	tx_enqueue(pmd, o->ofport, c);
}

static inline void output(struct pmd *pmd, struct rte_mbuf *m, struct pending_out *o,
	uint16_t ofport, uint8_t vlan_op, uint16_t tci, uint8_t via)
{
	pending_take_copy(pmd, m, o);
	*o = (struct pending_out){.valid = true, .ofport = ofport, .vlan_op = vlan_op,
		.vlan_tci = tci, .via = via};
}

static inline void learn(struct pmd *pmd, const uint8_t *mac, uint16_t vlan, uint16_t ofport)
{
	struct fdb_entry *e = fdb_lookup(pmd->macs, mac, vlan);
	struct fdb_learn_msg msg;

	// a traced packet teaches nothing
	if (unlikely(pmd->trace != NULL))
		return;
	if (likely(e != NULL) && (e->ofport == ofport || e->is_static)) {
		// a shared line is written only when the value changes (once a second)
		if (e->last_seen != pmd->now_sec)
			e->last_seen = pmd->now_sec;
		return;
	}
	memcpy(msg.key.mac, mac, 6);
	msg.key.vlan = vlan;
	msg.ofport = ofport;
	msg.pad[0] = msg.pad[1] = msg.pad[2] = 0;
	if (memcmp(&msg, &pmd->last_learn, sizeof(msg)) == 0)
		return;
	if (rte_ring_mp_enqueue_elem(pmd->macs->learn, &msg, sizeof(msg)) == 0) {
		pmd->last_learn = msg;
		pmd->stats.learn_queued++;
	} else {
		pmd->stats.learn_dropped++;
	}
}

static void normal_output(struct pmd *pmd, struct rte_mbuf *m, struct pending_out *o,
	const struct psw_port *p, uint16_t vlan, bool tagged, uint16_t tci)
{
	uint8_t op = VLAN_KEEP;

	if (p->vlan_mode == PSW_VLAN_ACCESS) {
		if (p->vlan_tag != vlan)
			return;
		if (tagged)
			op = VLAN_POP;
	} else if (vlan != 0 && !tagged) {
		op = VLAN_PUSH;
	}
	output(pmd, m, o, p->ofport, op, tci, TRACE_VIA_NORMAL);
}

// A remembered NORMAL decision (the cache's hint, or the memo) holds while
// the MAC table is the version it was made from, and for the second its
// source was learned or refreshed in, so that aging sees active sources.
static inline bool l2_decision_fresh(const struct pmd *pmd, uint32_t fdb_version,
	uint16_t learned_sec, uint32_t version)
{
	return fdb_version == version && learned_sec == (uint16_t)pmd->now_sec;
}

// L2 switching: learn the source, forward to the known destination or flood
// within the VLAN. Returns the drop reason when nothing is sent.
static enum psw_drop_reason act_normal(struct pmd *pmd, struct rte_mbuf *m, uint16_t in_port,
	struct pending_out *o, const struct emc_l2_ref *ref)
{
	const struct port_table *ports = pmd->ports;
	const struct psw_port *in = ports->by_ofport[in_port];
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	bool tagged = frame_tagged(m);
	uint16_t tci = tagged ? rte_be_to_cpu_16(*frame_tci(m)) : 0;
	uint16_t vlan = tci & PSW_VLAN_VID_MASK;
	uint32_t version = pmd->macs->version;
	struct emc_l2_hint *hint = ref != NULL ? ref->slot : NULL;
	uint16_t out;
	bool sent = false;

	if (in != NULL && in->vlan_mode == PSW_VLAN_ACCESS) {
		if (tagged)
			return PSW_DROP_VLAN_MISMATCH;
		vlan = in->vlan_tag;
		tci = vlan;
	}
	struct l2_memo *memo = &pmd->l2_memo;

	if (hint != NULL && hint->gen == ref->gen &&
	    l2_decision_fresh(pmd, hint->fdb_version, hint->learned_sec, version)) {
		out = hint->out;
	} else if (hint == NULL && l2_decision_fresh(pmd, memo->fdb_version, memo->learned_sec, version) &&
		   memo->in_port == in_port && memo->vlan == vlan &&
		   memcmp(memo->dst, &eh->dst_addr, 6) == 0 && memcmp(memo->src, &eh->src_addr, 6) == 0) {
		out = memo->out;
	} else {
		const struct fdb_entry *e = NULL;

		// the router's own packets (in_port 0) teach nothing
		if (!rte_is_multicast_ether_addr(&eh->src_addr) && in_port != PSW_PORT_NONE)
			learn(pmd, eh->src_addr.addr_bytes, vlan, in_port);
		if (!rte_is_multicast_ether_addr(&eh->dst_addr))
			e = fdb_lookup(pmd->macs, eh->dst_addr.addr_bytes, vlan);
		out = e != NULL ? e->ofport : EMC_L2_FLOOD;
		if (hint != NULL) {
			*hint = (struct emc_l2_hint){.fdb_version = version, .out = out, .gen = ref->gen,
				.learned_sec = (uint16_t)pmd->now_sec};
		} else {
			*memo = (struct l2_memo){.vlan = vlan, .in_port = in_port, .out = out,
				.fdb_version = version, .learned_sec = (uint16_t)pmd->now_sec};
			memcpy(memo->dst, &eh->dst_addr, 6);
			memcpy(memo->src, &eh->src_addr, 6);
		}
	}
	if (unlikely(pmd->trace != NULL))
		trace_note(pmd->trace, out != EMC_L2_FLOOD ? TRACE_NOTE_NORMAL_LEARNED :
			TRACE_NOTE_NORMAL_FLOOD, out, vlan);
	if (out != EMC_L2_FLOOD) {
		const struct psw_port *p = ports->by_ofport[out];

		if (out == in_port)
			return PSW_DROP_LOOP;
		if (p == NULL)
			return PSW_DROP_NO_PORT;
		normal_output(pmd, m, o, p, vlan, tagged, tci);
		return o->valid ? PSW_DROP_NONE : PSW_DROP_VLAN_MISMATCH;
	}
	for (uint32_t i = 0; i < ports->n; i++) {
		const struct psw_port *p = ports->by_ofport[ports->ofports[i]];

		if (p->ofport == in_port || p->mirror_output)
			continue;
		normal_output(pmd, m, o, p, vlan, tagged, tci);
		sent = true;
	}
	return sent ? PSW_DROP_NONE : PSW_DROP_LOOP;
}

// The packet is dropped for 'reason' and answered with the ICMP error of
// 'kind', which goes on to be routed (or nothing is sent).
static enum act_next icmp_reply(struct pmd *pmd, struct rte_mbuf *m, enum l3_icmp_kind kind,
	uint32_t info, enum psw_drop_reason reason, struct act_reparse *rp)
{
	struct rte_mbuf *e;

	pmd->stats.drops[reason]++;
	e = l3_icmp_error(pmd, m, kind, info);
	if (e == NULL) {
		rte_pktmbuf_free(m);
		return ACT_DONE;
	}
	if (unlikely(pmd->trace != NULL))
		trace_note(pmd->trace, TRACE_NOTE_ICMP_ERROR, (uint16_t)kind, (uint16_t)reason);
	*rp = (struct act_reparse){.m = e, .in_port = PSW_PORT_NONE,
		.table = pmd->router->route_table};
	return ACT_REPARSE;
}

// A copy of 'm' to the control thread, which reads its input port from the
// copy's 'port' and why it was sent from its 'hash.usr'.
static void punt(struct pmd *pmd, const struct rte_mbuf *m, uint16_t in_port, uint16_t why)
{
	struct rte_mbuf *c;

	if (unlikely(pmd->trace != NULL)) {
		trace_note(pmd->trace, TRACE_NOTE_CONTROLLER, why, 0);
		return;
	}
	if (pmd->punt == NULL ||
	    !pmd_rate_take(&pmd->punt_rate, pmd->now_tsc, pmd->tsc_hz, PUNT_RATE, PUNT_BURST)) {
		pmd->stats.drops[PSW_DROP_PUNT_LIMITED]++;
		return;
	}
	c = rte_pktmbuf_copy(m, pmd->pool, 0, UINT32_MAX);
	if (c == NULL) {
		pmd->stats.drops[PSW_DROP_NO_MBUF]++;
		return;
	}
	c->port = in_port;
	c->hash.usr = why;
	if (rte_ring_mp_enqueue(pmd->punt, c) != 0) {
		rte_pktmbuf_free(c);
		pmd->stats.drops[PSW_DROP_PUNT_LIMITED]++;
		return;
	}
	pmd->stats.punted++;
}

// Runs the actions of the flows in 'chain' on 'm' and hands it to tx buffers,
// or drops it. 'verdict' is the walk's result (NO_FLOW: a table missed after
// the chain).
enum act_next actions_execute(struct pmd *pmd, struct rte_mbuf *m, uint16_t in_port,
	const struct psw_flow *const *chain, unsigned n_chain, enum psw_drop_reason verdict,
	const struct emc_l2_ref *hint, struct act_reparse *rp)
{
	struct pending_out o = {.valid = false};
	enum psw_drop_reason reason = verdict != PSW_DROP_NONE ? verdict : PSW_DROP_ACTION;

	for (unsigned c = 0; c < n_chain; c++) {
		const struct psw_flow *f = chain[c];

		for (unsigned i = 0; i < f->n_actions; i++) {
			const struct psw_action *a = &f->actions[i];

			switch (a->type) {
			case PSW_ACT_OUTPUT:
				if (a->port != in_port)
					output(pmd, m, &o, a->port, VLAN_KEEP, 0, TRACE_VIA_OUTPUT);
				break;
			case PSW_ACT_IN_PORT:
				output(pmd, m, &o, in_port, VLAN_KEEP, 0, TRACE_VIA_IN_PORT);
				break;
			case PSW_ACT_FLOOD: {
				const struct port_table *ports = pmd->ports;

				for (uint32_t p = 0; p < ports->n; p++)
					if (ports->ofports[p] != in_port &&
					    !ports->by_ofport[ports->ofports[p]]->mirror_output)
						output(pmd, m, &o, ports->ofports[p], VLAN_KEEP, 0,
							TRACE_VIA_FLOOD);
				break;
			}
			case PSW_ACT_NORMAL: {
				enum psw_drop_reason r = act_normal(pmd, m, in_port, &o, hint);

				if (r != PSW_DROP_NONE)
					reason = r;
				break;
			}
			case PSW_ACT_DROP:
				if (a->value != 0)
					reason = (enum psw_drop_reason)a->value;
				goto done;
			case PSW_ACT_PUSH_VLAN:
				pending_take_copy(pmd, m, &o);
				if (vlan_push(m, a->value, 0) < 0) {
					reason = PSW_DROP_NO_MBUF;
					goto done;
				}
				break;
			case PSW_ACT_POP_VLAN:
				pending_take_copy(pmd, m, &o);
				if (frame_tagged(m))
					vlan_pop(m);
				break;
			case PSW_ACT_SET_VLAN_VID:
				pending_take_copy(pmd, m, &o);
				if (!frame_tagged(m)) {
					if (vlan_push(m, RTE_ETHER_TYPE_VLAN, a->value) < 0) {
						reason = PSW_DROP_NO_MBUF;
						goto done;
					}
				} else {
					uint16_t *t = frame_tci(m);
					*t = (*t & RTE_BE16(0xf000)) | rte_cpu_to_be_16(a->value);
				}
				break;
			case PSW_ACT_SET_VLAN_PCP:
				pending_take_copy(pmd, m, &o);
				if (frame_tagged(m)) {
					uint16_t *t = frame_tci(m);
					*t = (*t & RTE_BE16(0x1fff)) |
						rte_cpu_to_be_16((uint16_t)(a->value << 13));
				}
				break;
			case PSW_ACT_SET_DL_SRC:
				pending_take_copy(pmd, m, &o);
				memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, 6), a->mac, 6);
				break;
			case PSW_ACT_SET_DL_DST:
				pending_take_copy(pmd, m, &o);
				memcpy(rte_pktmbuf_mtod(m, uint8_t *), a->mac, 6);
				break;
			case PSW_ACT_GOTO_TABLE:
			case PSW_ACT_SET_FIELD: // the key's alone: the walk applied it
				break;
			case PSW_ACT_RECIRC:
				// the packet goes on: what was output so far is a copy
				pending_take_copy(pmd, m, &o);
				return ACT_RECIRC;
			case PSW_ACT_DEC_TTL:
				pending_take_copy(pmd, m, &o);
				// a frame that is not IP has no TTL: nothing to do
				if (l3_dec_ttl(m) == PSW_DROP_TTL)
					return icmp_reply(pmd, m, L3_ICMP_TIME_EXCEEDED, 0, PSW_DROP_TTL,
						rp);
				break;
			case PSW_ACT_ARP_REPLY:
			case PSW_ACT_ND_ADVERT: {
				enum psw_drop_reason r;

				pending_take_copy(pmd, m, &o);
				r = a->type == PSW_ACT_ARP_REPLY ? l3_arp_reply(m, a->mac) :
					l3_nd_advert(m, a->mac);
				if (r != PSW_DROP_NONE) {
					reason = r;
					goto done;
				}
				output(pmd, m, &o, in_port, VLAN_KEEP, 0, TRACE_VIA_IN_PORT);
				break;
			}
			case PSW_ACT_PUSH_VXLAN: {
				enum psw_drop_reason r;

				pending_take_copy(pmd, m, &o);
				r = vxlan_push(m, &a->vxlan, a->value);
				if (r == PSW_DROP_TOO_BIG)
					return icmp_reply(pmd, m, L3_ICMP_TOO_BIG, a->value,
						PSW_DROP_TOO_BIG, rp);
				if (r != PSW_DROP_NONE) {
					reason = r;
					goto done;
				}
				break;
			}
			case PSW_ACT_POP_VXLAN: {
				enum psw_drop_reason r;
				uint32_t tun_src = 0;

				pending_take_copy(pmd, m, &o);
				r = vxlan_pop(m, a->vxlan.vni, &tun_src);
				if (r != PSW_DROP_NONE) {
					reason = r;
					goto done;
				}
				*rp = (struct act_reparse){.m = m, .in_port = in_port, .table = a->table,
					.tun_src = tun_src, .tun_id = a->vxlan.vni};
				return ACT_REPARSE;
			}
			case PSW_ACT_CONTROLLER:
				punt(pmd, m, in_port, a->value);
				break;
			case PSW_ACT_UNREACHABLE:
				pending_take_copy(pmd, m, &o);
				return icmp_reply(pmd, m, L3_ICMP_UNREACHABLE, a->value, PSW_DROP_NO_ROUTE,
					rp);
			}
		}
	}
done:
	if (o.valid) {
		apply_vlan_op(pmd, m, &o);
		mark_via(pmd, m, &o);
		tx_enqueue(pmd, o.ofport, m);
		return ACT_DONE;
	}
	pmd->stats.drops[reason]++;
	rte_pktmbuf_free(m);
	return ACT_DONE;
}
