// SPDX-License-Identifier: BSD-3-Clause
#include "netlink.h"
#include "netaddr.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet6.h>
#include <netlink/route/link/veth.h>
#include <linux/if_link.h>
#include <netlink/route/route.h>

static struct nl_sock *nl_open(void)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (sk != NULL && nl_connect(sk, NETLINK_ROUTE) < 0) {
		nl_socket_free(sk);
		sk = NULL;
	}
	return sk;
}

// libnl's errors as errno values, for messages.
static int nl_errno(int nlerr)
{
	switch (-nlerr) {
	case NLE_EXIST: return EEXIST;
	case NLE_OBJ_NOTFOUND: case NLE_NODEV: return ENODEV;
	case NLE_PERM: return EPERM;
	case NLE_INVAL: return EINVAL;
	case NLE_BUSY: return EBUSY;
	case NLE_NOMEM: return ENOMEM;
	default: return EIO;
	}
}

static void host_no_ipv6(const char *name)
{
	char path[128];
	int fd;

	// the host end carries no addresses: no router solicitations either
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t w = write(fd, "1", 1); // IPv6 may be off in this kernel

		(void)w;
		close(fd);
	}
}

// Turns one ethtool feature off. A veth hands the other end packets with
// checksums left to "hardware" and segments of up to 64 KiB; pswitchd reads
// them through af_packet as they are, and the receiving pod would drop them.
// So the pod's end computes checksums and segments in software, and the host
// end coalesces nothing.
static int ethtool_off(const char *ifname, uint32_t cmd)
{
	struct ethtool_value ev = {.cmd = cmd, .data = 0};
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_data = (void *)&ev;
	return psw_if_ioctl(ifname, SIOCETHTOOL, &ifr);
}

// Applies 'edit' to a change of link 'name' and sends it.
static int link_modify(struct nl_sock *sk, const char *name, int (*edit)(struct rtnl_link *change))
{
	struct rtnl_link *link = NULL, *change;
	int ret;

	ret = rtnl_link_get_kernel(sk, 0, name, &link);
	if (ret < 0)
		return ret;
	change = rtnl_link_alloc();
	if (change == NULL) {
		rtnl_link_put(link);
		return -NLE_NOMEM;
	}
	ret = edit(change);
	if (ret >= 0)
		ret = rtnl_link_change(sk, link, change, 0);
	rtnl_link_put(change);
	rtnl_link_put(link);
	return ret;
}

static int edit_up(struct rtnl_link *change)
{
	rtnl_link_set_flags(change, IFF_UP);
	return 0;
}

static int link_up(struct nl_sock *sk, const char *name)
{
	return link_modify(sk, name, edit_up);
}

static int edit_eui64(struct rtnl_link *change)
{
	return rtnl_link_inet6_set_addr_gen_mode(change, IN6_ADDR_GEN_MODE_EUI64);
}

// Makes the kernel derive the interface's IPv6 link-local address from its
// MAC (EUI-64), whatever the namespace's defaults say (stable_secret would
// make it random): port security lets a pod send from that one link-local
// address only, so that no pod can answer for another's.
static int link_local_from_mac(struct nl_sock *sk, const char *name)
{
	return link_modify(sk, name, edit_eui64);
}

int veth_create(int nsfd, const char *host, const char *ifname, const uint8_t mac[6],
	unsigned mtu, struct cni_error *e)
{
	struct nl_sock *sk = nl_open();
	struct rtnl_link *veth = NULL, *peer = NULL;
	struct nl_addr *addr = NULL;
	int ret = -1, nlret;

	if (sk == NULL)
		return cni_fail(e, CNI_ERR_NETLINK, "cannot open a netlink socket");
	if (link_exists(host)) {
		cni_fail(e, CNI_ERR_NETLINK,
			"host interface %s exists already: this attachment was added and not deleted", host);
		goto out;
	}
	veth = rtnl_link_veth_alloc();
	addr = nl_addr_build(AF_LLC, mac, 6);
	if (veth == NULL || addr == NULL) {
		cni_fail(e, CNI_ERR_NETLINK, "out of memory");
		goto out;
	}
	rtnl_link_set_name(veth, host);
	rtnl_link_set_mtu(veth, mtu);
	peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(peer, ifname);
	rtnl_link_set_mtu(peer, mtu);
	rtnl_link_set_addr(peer, addr);
	rtnl_link_set_ns_fd(peer, nsfd);
	nlret = rtnl_link_add(sk, veth, NLM_F_CREATE | NLM_F_EXCL);
	if (nlret < 0) {
		cni_fail(e, CNI_ERR_NETLINK, "cannot create veth %s / %s: %s%s", host, ifname,
			nl_geterror(nlret),
			nlret == -NLE_EXIST ? " (the pod has an interface of that name)" : "");
		goto out;
	}
	host_no_ipv6(host);
	ethtool_off(host, ETHTOOL_SGRO);
	nlret = link_up(sk, host);
	if (nlret < 0) {
		cni_fail(e, CNI_ERR_NETLINK, "cannot bring %s up: %s", host, nl_geterror(nlret));
		link_delete(host);
		goto out;
	}
	ret = 0;
out:
	if (peer)
		rtnl_link_put(peer);
	if (veth)
		rtnl_link_put(veth);
	nl_addr_put(addr);
	nl_socket_free(sk);
	return ret;
}

int link_delete(const char *name)
{
	struct nl_sock *sk = nl_open();
	struct rtnl_link *link = NULL;
	int ret;

	if (sk == NULL)
		return -EIO;
	ret = rtnl_link_get_kernel(sk, 0, name, &link);
	if (ret == 0) {
		ret = rtnl_link_delete(sk, link);
		rtnl_link_put(link);
	}
	nl_socket_free(sk);
	return ret < 0 ? -nl_errno(ret) : 0;
}

bool link_exists(const char *name)
{
	return if_nametoindex(name) != 0;
}

int link_mac(const char *name, char *out, size_t len)
{
	struct nl_sock *sk = nl_open();
	struct rtnl_link *link = NULL;
	struct nl_addr *a;
	int ret;

	if (sk == NULL)
		return -EIO;
	ret = rtnl_link_get_kernel(sk, 0, name, &link);
	if (ret == 0) {
		a = rtnl_link_get_addr(link);
		if (a != NULL && nl_addr_get_len(a) == 6)
			psw_format_mac(nl_addr_get_binary_addr(a), out, len);
		else
			snprintf(out, len, "%s", "");
		rtnl_link_put(link);
	}
	nl_socket_free(sk);
	return ret < 0 ? -nl_errno(ret) : 0;
}

// Runs the rest of the call inside the pod's namespace; 'saved' brings us back.
static int enter_netns(int nsfd, int *saved)
{
	*saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*saved < 0)
		return -errno;
	if (setns(nsfd, CLONE_NEWNET) < 0) {
		int err = errno;
		close(*saved);
		return -err;
	}
	return 0;
}

static void leave_netns(int saved)
{
	if (setns(saved, CLONE_NEWNET) < 0)
		_exit(99); // continuing in the pod's namespace would be wrong everywhere
	close(saved);
}

// The gateway for a route without one: the gateway of an address of the family.
static const char *family_gateway(const struct cni_addrs *a, bool v4)
{
	for (unsigned i = 0; i < a->n_ips; i++)
		if (a->ips[i].v4 == v4 && a->ips[i].gateway[0] != '\0')
			return a->ips[i].gateway;
	return NULL;
}

static int add_route(struct nl_sock *sk, int ifindex, const struct cni_route *r,
	const char *gw, struct cni_error *e)
{
	struct rtnl_route *route = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = NULL, *gwa = NULL;
	int ret;

	if (route == NULL || nh == NULL || nl_addr_parse(r->dst, r->v4 ? AF_INET : AF_INET6, &dst) < 0 ||
	    (gw && nl_addr_parse(gw, r->v4 ? AF_INET : AF_INET6, &gwa) < 0)) {
		ret = cni_fail(e, CNI_ERR_NETLINK, "cannot build route %s", r->dst);
		if (nh)
			rtnl_route_nh_free(nh);
		goto out;
	}
	rtnl_route_set_family(route, r->v4 ? AF_INET : AF_INET6);
	rtnl_route_set_table(route, RT_TABLE_MAIN);
	rtnl_route_set_protocol(route, RTPROT_BOOT);
	rtnl_route_set_scope(route, gwa ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
	rtnl_route_set_dst(route, dst);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	if (gwa)
		rtnl_route_nh_set_gateway(nh, gwa);
	rtnl_route_add_nexthop(route, nh);
	ret = rtnl_route_add(sk, route, NLM_F_CREATE | NLM_F_EXCL);
	if (ret < 0)
		ret = cni_fail(e, CNI_ERR_NETLINK, "cannot add route %s%s%s: %s", r->dst,
			gw ? " via " : "", gw ? gw : "", nl_geterror(ret));
out:
	nl_addr_put(dst);
	nl_addr_put(gwa);
	if (route)
		rtnl_route_put(route);
	return ret < 0 ? -1 : 0;
}

int netns_configure(int nsfd, const char *ifname, const struct cni_addrs *a,
	struct cni_error *e)
{
	struct nl_sock *sk = NULL;
	int saved, ret = -1, nlret, ifindex;

	if ((nlret = enter_netns(nsfd, &saved)) < 0)
		return cni_fail(e, CNI_ERR_IO, "cannot enter the pod's network namespace: %s", strerror(-nlret));
	sk = nl_open();
	if (sk == NULL) {
		cni_fail(e, CNI_ERR_NETLINK, "cannot open a netlink socket in the pod's namespace");
		goto out;
	}
	ifindex = (int)if_nametoindex(ifname);
	if (ifindex == 0) {
		cni_fail(e, CNI_ERR_NETLINK, "%s did not arrive in the pod's namespace", ifname);
		goto out;
	}
	link_up(sk, "lo");
	for (unsigned i = 0; i < a->n_ips; i++) {
		struct rtnl_addr *ra = rtnl_addr_alloc();
		struct nl_addr *local = NULL;

		if (ra == NULL || nl_addr_parse(a->ips[i].address, a->ips[i].v4 ? AF_INET : AF_INET6,
				      &local) < 0) {
			if (ra)
				rtnl_addr_put(ra);
			cni_fail(e, CNI_ERR_NETLINK, "cannot build address %s", a->ips[i].address);
			goto out;
		}
		rtnl_addr_set_ifindex(ra, ifindex);
		rtnl_addr_set_local(ra, local);
		rtnl_addr_set_prefixlen(ra, (int)nl_addr_get_prefixlen(local));
		nlret = rtnl_addr_add(sk, ra, 0);
		nl_addr_put(local);
		rtnl_addr_put(ra);
		if (nlret < 0) {
			cni_fail(e, CNI_ERR_NETLINK, "cannot add address %s to %s: %s", a->ips[i].address,
				ifname, nl_geterror(nlret));
			goto out;
		}
	}
	if ((nlret = ethtool_off(ifname, ETHTOOL_STXCSUM)) < 0 ||
	    (nlret = ethtool_off(ifname, ETHTOOL_STSO)) < 0) {
		cni_fail(e, CNI_ERR_NETLINK, "cannot turn checksum and segmentation offload off on %s: %s",
			ifname, strerror(-nlret));
		goto out;
	}
	// before the link comes up, when the kernel makes the address; a
	// namespace without IPv6 refuses, which only matters to an IPv6 pod
	nlret = link_local_from_mac(sk, ifname);
	for (unsigned i = 0; nlret < 0 && i < a->n_ips; i++) {
		if (!a->ips[i].v4) {
			cni_fail(e, CNI_ERR_NETLINK, "cannot make %s's IPv6 link-local address from its MAC: %s",
				ifname, nl_geterror(nlret));
			goto out;
		}
	}
	nlret = link_up(sk, ifname);
	if (nlret < 0) {
		cni_fail(e, CNI_ERR_NETLINK, "cannot bring %s up: %s", ifname, nl_geterror(nlret));
		goto out;
	}
	for (unsigned i = 0; i < a->n_routes; i++) {
		const struct cni_route *r = &a->routes[i];
		const char *gw = r->gw[0] ? r->gw : family_gateway(a, r->v4);

		if (add_route(sk, ifindex, r, gw, e) < 0)
			goto out;
	}
	ret = 0;
out:
	nl_socket_free(sk);
	leave_netns(saved);
	return ret;
}

struct route_match {
	struct nl_addr *dst, *gw;
	int ifindex;
	bool found;
};

static void match_route(struct nl_object *obj, void *arg)
{
	struct rtnl_route *r = (struct rtnl_route *)obj;
	struct route_match *m = arg;
	struct rtnl_nexthop *nh;

	if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_nnexthops(r) < 1)
		return;
	if (nl_addr_cmp_prefix(rtnl_route_get_dst(r), m->dst) != 0)
		return;
	nh = rtnl_route_nexthop_n(r, 0);
	if (rtnl_route_nh_get_ifindex(nh) != m->ifindex)
		return;
	if (m->gw && (rtnl_route_nh_get_gateway(nh) == NULL ||
		      nl_addr_cmp_prefix(rtnl_route_nh_get_gateway(nh), m->gw) != 0))
		return;
	m->found = true;
}

struct addr_match {
	struct nl_addr *local;
	int ifindex;
	bool found;
};

static void match_addr(struct nl_object *obj, void *arg)
{
	struct rtnl_addr *a = (struct rtnl_addr *)obj;
	struct addr_match *m = arg;

	if (rtnl_addr_get_ifindex(a) == m->ifindex && rtnl_addr_get_local(a) != NULL &&
	    nl_addr_cmp_prefix(rtnl_addr_get_local(a), m->local) == 0 &&
	    rtnl_addr_get_prefixlen(a) == (int)nl_addr_get_prefixlen(m->local))
		m->found = true;
}

static int check_inside(struct nl_sock *sk, const char *ifname, const uint8_t mac[6],
	unsigned mtu, const struct cni_addrs *a, struct cni_error *e)
{
	struct rtnl_link *link = NULL;
	struct nl_cache *addrs = NULL, *routes = NULL;
	struct nl_addr *hw;
	char want[24], have[24] = "none";
	int ret = -1, ifindex;

	if (rtnl_link_get_kernel(sk, 0, ifname, &link) < 0)
		return cni_fail(e, CNI_ERR_CHECK, "the pod has no interface %s", ifname);
	ifindex = rtnl_link_get_ifindex(link);
	hw = rtnl_link_get_addr(link);
	psw_format_mac(mac, want, sizeof(want));
	if (hw != NULL && nl_addr_get_len(hw) == 6)
		psw_format_mac(nl_addr_get_binary_addr(hw), have, sizeof(have));
	if (strcmp(want, have) != 0) {
		cni_fail(e, CNI_ERR_CHECK, "%s has MAC %s, not %s", ifname, have, want);
		goto out;
	}
	if (rtnl_link_get_mtu(link) != mtu) {
		cni_fail(e, CNI_ERR_CHECK, "%s has MTU %u, not %u", ifname, rtnl_link_get_mtu(link), mtu);
		goto out;
	}
	if (!(rtnl_link_get_flags(link) & IFF_UP)) {
		cni_fail(e, CNI_ERR_CHECK, "%s is down", ifname);
		goto out;
	}
	if (rtnl_addr_alloc_cache(sk, &addrs) < 0 ||
	    rtnl_route_alloc_cache(sk, AF_UNSPEC, 0, &routes) < 0) {
		cni_fail(e, CNI_ERR_NETLINK, "cannot read the pod's addresses and routes");
		goto out;
	}
	for (unsigned i = 0; i < a->n_ips; i++) {
		struct addr_match m = {.ifindex = ifindex};

		if (nl_addr_parse(a->ips[i].address, a->ips[i].v4 ? AF_INET : AF_INET6, &m.local) < 0) {
			cni_fail(e, CNI_ERR_CHECK, "bad address %s", a->ips[i].address);
			goto out;
		}
		nl_cache_foreach(addrs, match_addr, &m);
		nl_addr_put(m.local);
		if (!m.found) {
			cni_fail(e, CNI_ERR_CHECK, "%s lacks address %s", ifname, a->ips[i].address);
			goto out;
		}
	}
	for (unsigned i = 0; i < a->n_routes; i++) {
		const struct cni_route *r = &a->routes[i];
		const char *gw = r->gw[0] ? r->gw : family_gateway(a, r->v4);
		struct route_match m = {.ifindex = ifindex};
		int fam = r->v4 ? AF_INET : AF_INET6;

		if (nl_addr_parse(r->dst, fam, &m.dst) < 0 || (gw && nl_addr_parse(gw, fam, &m.gw) < 0)) {
			nl_addr_put(m.dst);
			cni_fail(e, CNI_ERR_CHECK, "bad route %s", r->dst);
			goto out;
		}
		nl_cache_foreach(routes, match_route, &m);
		nl_addr_put(m.dst);
		nl_addr_put(m.gw);
		if (!m.found) {
			cni_fail(e, CNI_ERR_CHECK, "the pod lacks route %s%s%s on %s", r->dst,
				gw ? " via " : "", gw ? gw : "", ifname);
			goto out;
		}
	}
	ret = 0;
out:
	if (addrs)
		nl_cache_free(addrs);
	if (routes)
		nl_cache_free(routes);
	rtnl_link_put(link);
	return ret;
}

int netns_check(int nsfd, const char *ifname, const uint8_t mac[6], unsigned mtu,
	const struct cni_addrs *a, struct cni_error *e)
{
	struct nl_sock *sk;
	int saved, ret;

	if ((ret = enter_netns(nsfd, &saved)) < 0)
		return cni_fail(e, CNI_ERR_IO, "cannot enter the pod's network namespace: %s", strerror(-ret));
	sk = nl_open();
	ret = sk ? check_inside(sk, ifname, mac, mtu, a, e) :
		cni_fail(e, CNI_ERR_NETLINK, "cannot open a netlink socket in the pod's namespace");
	nl_socket_free(sk);
	leave_netns(saved);
	return ret;
}

int netns_link_delete(int nsfd, const char *ifname)
{
	int saved, ret;

	if ((ret = enter_netns(nsfd, &saved)) < 0)
		return ret;
	ret = link_delete(ifname);
	leave_netns(saved);
	return ret;
}
