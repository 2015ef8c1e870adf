// SPDX-License-Identifier: BSD-3-Clause
// Small helpers on link-layer addresses and interfaces that the daemon, the
// CLI and the CNI plugin share.
#pragma once

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

// "0a:58:0a:f4:01:02" (hex digits, one or two each, nothing after). Returns 0
// or -EINVAL (also for NULL).
int psw_parse_mac(const char *s, uint8_t mac[6]);
void psw_format_mac(const uint8_t mac[6], char *out, size_t len);

// An address and prefix length: "10.244.1.0/24", "fd00:10::/64"; an address
// without "/len" is a whole one (32 or 128).
struct psw_prefix {
	int family;        // AF_INET or AF_INET6
	uint8_t addr[16];  // network order; IPv4 in the first 4
	unsigned len;
};

// Returns 0 or -EINVAL (also for NULL, a length out of range, or host bits
// set: "10.0.0.1/24" is no prefix).
int psw_parse_prefix(const char *s, struct psw_prefix *p);

// An interface ioctl (SIOCGIFMTU, SIOCGIFFLAGS, SIOCETHTOOL...) on 'ifname'
// in the caller's network namespace; 'ifr' carries the request's data.
// Returns 0 or -errno.
int psw_if_ioctl(const char *ifname, unsigned long request, struct ifreq *ifr);
