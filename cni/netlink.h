// SPDX-License-Identifier: BSD-3-Clause
// Kernel pods through libnl-3: the veth pair, and the pod's side of it (name,
// MAC, MTU, addresses, routes) set inside the pod's network namespace.
#pragma once

#include "cni.h"

// Creates the veth pair: 'host' in our namespace, 'ifname' directly in the
// namespace 'nsfd' (so a name taken there fails cleanly), both with 'mtu',
// the pod's end with 'mac'. Brings the host end up, without IPv6. Returns 0
// or -1 with 'e' set; nothing is left on failure.
int veth_create(int nsfd, const char *host, const char *ifname, const uint8_t mac[6],
	unsigned mtu, struct cni_error *e);

// Deletes the link 'name' of our namespace (a veth takes its peer with it).
// Returns 0, -ENODEV when it does not exist, or another -errno.
int link_delete(const char *name);
bool link_exists(const char *name);
// The MAC of link 'name' as "aa:bb:..", or -ENODEV.
int link_mac(const char *name, char *out, size_t len);

// Inside 'nsfd': brings 'lo' and 'ifname' up, adds the addresses and routes
// (a route without a gateway takes its family's gateway from the addresses).
int netns_configure(int nsfd, const char *ifname, const struct cni_addrs *a,
	struct cni_error *e);

// Inside 'nsfd': checks that 'ifname' exists, is up, has 'mac' and 'mtu' and
// carries the addresses and routes of 'a'.
int netns_check(int nsfd, const char *ifname, const uint8_t mac[6], unsigned mtu,
	const struct cni_addrs *a, struct cni_error *e);

// Inside 'nsfd': deletes 'ifname' when it exists. Returns 0 or -errno.
int netns_link_delete(int nsfd, const char *ifname);
