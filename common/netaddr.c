// SPDX-License-Identifier: BSD-3-Clause
#include "netaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int psw_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char tail;

	if (s == NULL || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
			     &b[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

void psw_format_mac(const uint8_t m[6], char *out, size_t len)
{
	snprintf(out, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

int psw_if_ioctl(const char *ifname, unsigned long request, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret;

	if (fd < 0)
		return -errno;
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
	ret = ioctl(fd, request, ifr) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

int psw_parse_prefix(const char *s, struct psw_prefix *p)
{
	char addr[64], *end;
	const char *slash;
	unsigned max;
	long len;

	if (s == NULL)
		return -EINVAL;
	slash = strchr(s, '/');
	if ((size_t)(slash ? slash - s : (ptrdiff_t)strlen(s)) >= sizeof(addr))
		return -EINVAL;
	snprintf(addr, sizeof(addr), "%.*s", (int)(slash ? slash - s : (ptrdiff_t)strlen(s)), s);
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, addr, p->addr) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, p->addr) == 1)
		p->family = AF_INET6;
	else
		return -EINVAL;
	max = p->family == AF_INET ? 32 : 128;
	p->len = max;
	if (slash != NULL) {
		errno = 0;
		len = strtol(slash + 1, &end, 10);
		if (errno || *end != '\0' || end == slash + 1 || slash[1] == '-' || slash[1] == '+' ||
		    len < 0 || (unsigned long)len > max)
			return -EINVAL;
		p->len = (unsigned)len;
	}
	for (unsigned bit = p->len; bit < max; bit++)
		if (p->addr[bit / 8] & (0x80 >> (bit % 8)))
			return -EINVAL;
	return 0;
}
