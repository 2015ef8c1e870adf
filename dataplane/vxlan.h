// SPDX-License-Identifier: BSD-3-Clause
// VXLAN (RFC 7348) over IPv4: the outer headers put on and taken off in
// the packet's buffer, as Open vSwitch's userspace tnl_push and tnl_pop do.
#pragma once

#include "flow.h"

#include <rte_mbuf.h>

#define PSW_VXLAN_PORT 4789
#define PSW_VXLAN_OVERHEAD 50 // outer Ethernet, IPv4, UDP and VXLAN headers

// push_vxlan: the frame (untagged or not, as it is) behind the headers of
// 'spec', 'mtu' the largest inner L3 packet that may go (0: any).
// PSW_DROP_TOO_BIG (the frame untouched) when it is longer;
// PSW_DROP_NO_MBUF when the buffer has no room in front; PSW_DROP_RUNT for
// less than an Ethernet header.
enum psw_drop_reason vxlan_push(struct rte_mbuf *m, const struct psw_vxlan_spec *spec,
	uint16_t mtu);

// pop_vxlan: checks a frame that a flow found to be UDP to port 4789 of
// ours and strips its outer headers, leaving the inner frame; 'tun_src'
// gets the outer IPv4 source. A fragment, a UDP length that disagrees with
// IPv4's, flags without the I bit, or an inner frame shorter than an
// Ethernet header are PSW_DROP_BAD_VXLAN; another VNI than 'vni'
// PSW_DROP_VXLAN_VNI. The frame is untouched on failure.
enum psw_drop_reason vxlan_pop(struct rte_mbuf *m, uint32_t vni, uint32_t *tun_src);
