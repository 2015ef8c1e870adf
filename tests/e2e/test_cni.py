# SPDX-License-Identifier: BSD-3-Clause
"""pswitch-cni through the CNI protocol, run as a runtime runs it: every verb,
every kind of bad input, and the packets of the pods it attaches."""

import ipaddress
import json
import os
import stat
import subprocess
import time
import uuid

from cni_util import CniTest, Netns, host_links, run_plugin, sh
from harness import SANITIZED, SLOW, Peer, Switch

PY = "/usr/bin/python3"

# Receives one UDP datagram on port 5000 and prints its payload in hex.
UDP_RECV = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5000))
s.settimeout(%f)
print(s.recv(2048).hex(), flush=True)
"""

UDP_SEND = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(bytes.fromhex(sys.argv[2]), (sys.argv[1], 5000))
"""


# From inside a pod: an unsolicited neighbour advertisement claiming
# argv[2] (another pod's address) for our MAC argv[1], and a router
# advertisement.
ND_SEND = """
import sys
from scapy.all import (Ether, IPv6, ICMPv6ND_NA, ICMPv6ND_RA, ICMPv6NDOptDstLLAddr, sendp)
mac, victim = sys.argv[1], sys.argv[2]
sendp(Ether(src=mac, dst="33:33:00:00:00:01") / IPv6(src="fe80::99", dst="ff02::1") /
      ICMPv6ND_NA(tgt=victim, R=0, S=0, O=1) / ICMPv6NDOptDstLLAddr(lladdr=mac), iface="eth0", verbose=0)
sendp(Ether(src=mac, dst="33:33:00:00:00:01") / IPv6(src="fe80::99", dst="ff02::1") / ICMPv6ND_RA(),
      iface="eth0", verbose=0)
"""


# From inside a pod: an unsolicited neighbour advertisement from address
# argv[2] claiming argv[3] for our MAC argv[1].
NA_LINK_LOCAL = """
import sys
from scapy.all import Ether, IPv6, ICMPv6ND_NA, ICMPv6NDOptDstLLAddr, sendp
mac, own, victim = sys.argv[1], sys.argv[2], sys.argv[3]
sendp(Ether(src=mac, dst="33:33:00:00:00:01") / IPv6(src=own, dst="ff02::1") /
      ICMPv6ND_NA(tgt=victim, R=0, S=0, O=1) / ICMPv6NDOptDstLLAddr(lladdr=mac), iface="eth0", verbose=0)
"""


# From inside a pod: an echo request from our MAC argv[1] to argv[2], from
# address argv[3] to argv[4].
ECHO6_SEND = """
import sys
from scapy.all import Ether, IPv6, ICMPv6EchoRequest, sendp
sendp(Ether(src=sys.argv[1], dst=sys.argv[2]) / IPv6(src=sys.argv[3], dst=sys.argv[4]) /
      ICMPv6EchoRequest(), iface="eth0", verbose=0)
"""


def eui64_link_local(mac):
    b = bytes.fromhex(mac.replace(":", ""))
    return str(ipaddress.IPv6Address(b"\xfe\x80" + bytes(6) + bytes([b[0] ^ 2]) + b[1:3] + b"\xff\xfe" + b[3:]))


# From inside a pod: an ARP reply for our own address argv[2] sent from our
# MAC argv[1] but naming another hardware address.
ARP_SEND = """
import sys
from scapy.all import ARP, Ether, sendp
sendp(Ether(src=sys.argv[1], dst="ff:ff:ff:ff:ff:ff") /
      ARP(op=2, hwsrc="02:66:66:66:66:66", psrc=sys.argv[2], pdst=sys.argv[2]), iface="eth0", verbose=0)
"""


def ping(ns, ip, count=2):
    return ns.run("busybox", "ping", "-c", str(count), "-W", "2", ip, check=False).returncode == 0


class Version(CniTest):
    def test_version(self):
        r = run_plugin("VERSION", {"cniVersion": "1.0.0"})
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json["cniVersion"], "1.1.0")
        self.assertEqual(r.json["supportedVersions"], ["0.4.0", "1.0.0", "1.1.0"])


class KernelPods(CniTest):
    def check_result(self, r, version, ns):
        self.assertEqual(r.rc, 0, r)
        res = r.json
        self.assertEqual(res["cniVersion"], version)
        host, pod = res["interfaces"]
        self.assertTrue(host["name"].startswith("psw") and len(host["name"]) == 15)
        self.assertNotIn("sandbox", host)
        self.assertEqual(pod["name"], "eth0")
        self.assertEqual(pod["sandbox"], ns.path)
        self.assertEqual(len(res["ips"]), 1)
        ip = res["ips"][0]
        self.assertEqual(ip["interface"], 1)
        self.assertEqual(ip["gateway"], "10.77.0.1")
        self.assertTrue(ip["address"].startswith("10.77.0.") and ip["address"].endswith("/24"))
        if version == "0.4.0":
            self.assertEqual(ip["version"], "4")
        else:
            self.assertNotIn("version", ip)
        if version == "1.1.0":
            self.assertEqual(pod["mtu"], 1500)
        self.assertEqual(res["routes"], [{"dst": "0.0.0.0/0"}])
        # what the result says is what the pod has
        link = json.loads(ns.run("ip", "-j", "addr", "show", "eth0").stdout)[0]
        self.assertEqual(link["address"], pod["mac"])
        self.assertIn("UP", link["flags"])
        addrs = ["%s/%d" % (a["local"], a["prefixlen"]) for a in link["addr_info"] if a["family"] == "inet"]
        self.assertEqual(addrs, [ip["address"]])
        routes = json.loads(ns.run("ip", "-j", "route", "show", "default").stdout)
        self.assertEqual(routes[0]["gateway"], "10.77.0.1")
        # and pswitchd has the port, for that MAC and address
        port = self.sw.port(host["name"])
        self.assertEqual(port["type"], "af_packet")
        self.assertEqual(port["options"]["mac"], pod["mac"])
        self.assertEqual(port["options"]["ips"], [ip["address"]])
        self.assertEqual(port["options"]["cni"]["containerID"], self.cid)
        return pod["mac"], ip["address"].split("/")[0], host["name"]

    def test_add_every_version_then_ping_and_del(self):
        pods = []
        for version in ("0.4.0", "1.0.0", "1.1.0"):
            r, ns, self.cid = self.add(self.conf(version=version))
            pods.append((ns, self.cid, version) + self.check_result(r, version, ns))
        # every pod reaches every other through pswitchd
        for a in pods:
            for b in pods:
                if a is not b:
                    self.assertTrue(ping(a[0], b[4]), "%s cannot reach %s" % (a[4], b[4]))
        # the MAC table knows the pods statically: no flooding to reach them
        fdb = self.sw.j("fdb-show")["entries"]
        self.assertEqual(sorted(e["mac"] for e in fdb if e["static"]), sorted(p[3] for p in pods))
        for ns, cid, version, _, _, _ in pods:
            r = run_plugin("DEL", self.conf(version=version), cid=cid, netns=ns.path)
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(r.stdout, "")
        self.assertNothingLeft()

    def test_port_security_drops_spoofed_addresses(self):
        r, ns1, self.cid = self.add()
        mac1, ip1, port1 = self.check_result(r, "1.0.0", ns1)
        r, ns2, self.cid = self.add()
        mac2, ip2, _ = self.check_result(r, "1.0.0", ns2)
        self.assertTrue(ping(ns1, ip2))
        # pod 1 takes an address that is not its own: nothing it sends from it passes
        ns1.run("ip", "addr", "add", "10.77.0.200/24", "dev", "eth0")
        before = self.sw.drops()["action_drop"]
        ok = ns1.run("busybox", "ping", "-c", "2", "-W", "1", "-I", "10.77.0.200", ip2,
                     check=False).returncode == 0
        self.assertFalse(ok)
        self.assertGreater(self.sw.drops()["action_drop"], before)
        drop = [f for f in self.sw.flows() if f["priority"] == 90 and port1 in f["match"]]
        self.assertGreater(drop[0]["n_packets"], 0)
        # ARP from its own MAC and address that names another hardware address
        ns1.run(PY, "-c", ARP_SEND, mac1, ip1)
        again = [f for f in self.sw.flows() if f["priority"] == 90 and port1 in f["match"]]
        self.assertEqual(again[0]["n_packets"], drop[0]["n_packets"] + 1)
        # a pod without port security may
        r, ns3, self.cid = self.add(self.conf(portSecurity=False))
        self.assertEqual(r.rc, 0, r)
        ns3.run("ip", "addr", "add", "10.77.0.201/24", "dev", "eth0")
        self.assertTrue(ns3.run("busybox", "ping", "-c", "2", "-W", "2", "-I", "10.77.0.201", ip2,
                                check=False).returncode == 0)

    def test_dual_stack_pods_and_ipv6_port_security(self):
        conf = self.conf(ipam={"type": "host-local", "dataDir": os.path.join(self.tmp, "ipam"),
                               "ranges": [[{"subnet": "10.78.0.0/24"}], [{"subnet": "fd00:78::/64"}]],
                               "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}]})
        pods = []
        for _ in range(2):
            r, ns, self.cid = self.add(conf)
            self.assertEqual(r.rc, 0, r)
            addrs = [ip["address"] for ip in r.json["ips"]]
            self.assertEqual([a.split("/")[1] for a in addrs], ["24", "64"])
            v6 = addrs[1].split("/")[0]
            link = json.loads(ns.run("ip", "-j", "-6", "addr", "show", "eth0").stdout)[0]
            self.assertIn(v6, [a["local"] for a in link["addr_info"]])
            port = self.sw.port(r.json["interfaces"][0]["name"])
            self.assertEqual(port["options"]["ips"], addrs)
            # the kernel made the link-local address from the MAC
            mac = json.loads(ns.run("ip", "-j", "link", "show", "eth0").stdout)[0]["address"]
            self.assertIn(eui64_link_local(mac), [a["local"] for a in link["addr_info"]])
            pods.append((ns, v6, port["name"], mac))
        (ns1, ip1, port1, mac1), (ns2, ip2, _, mac2) = pods
        # the pod's own IPv6 address, its link-local one and :: each have a flow
        matches = [f["match"] for f in self.sw.flows() if "in_port=%s," % port1 in f["match"]]
        self.assertTrue(any("ipv6_src=%s" % ip1 in m for m in matches), matches)
        self.assertTrue(any("ipv6_src=%s," % eui64_link_local(mac1) in m for m in matches), matches)
        self.assertFalse(any("fe80::/10" in m for m in matches), matches)
        self.assertTrue(any("ipv6_src=::," in m and "icmpv6_type=135" in m for m in matches), matches)
        self.assertTrue(any("nd_target=%s" % ip1 in m and "icmpv6_type=136" in m for m in matches), matches)
        # neighbour discovery and ping6 pass between the pods (DAD may still
        # be running on a fresh address: a few tries)
        ok = any(ns1.run("busybox", "ping", "-6", "-c", "1", "-W", "2", ip2, check=False).returncode == 0
                 for _ in range(5))
        self.assertTrue(ok, "pod 1 cannot reach %s" % ip2)
        nd_allowed = sum(f["n_packets"] for f in self.sw.flows() if f["priority"] == 110)
        self.assertGreater(nd_allowed, 0)
        # advertising another pod's address, or being a router: dropped
        ns1.run(PY, "-c", ND_SEND, mac1, ip2, check=True)
        drops = {f["match"].split("icmpv6_type=")[1]: f["n_packets"] for f in self.sw.flows()
                 if f["priority"] == 105 and "in_port=%s," % port1 in f["match"]}
        self.assertEqual((drops["136"], drops["134"]), (1, 1), drops)
        # ... also another pod's link-local address, from our own; and our
        # own address, from another pod's
        ns1.run(PY, "-c", NA_LINK_LOCAL, mac1, eui64_link_local(mac1), eui64_link_local(mac2), check=True)
        ns1.run(PY, "-c", NA_LINK_LOCAL, mac1, ip2, ip1, check=True)
        drops = {f["match"].split("icmpv6_type=")[1]: f["n_packets"] for f in self.sw.flows()
                 if f["priority"] == 105 and "in_port=%s," % port1 in f["match"]}
        self.assertEqual(drops["136"], 3, drops)
        # link-local to link-local passes; from a link-local address that is
        # not the one its MAC makes, nothing does
        ok = any(ns1.run("busybox", "ping", "-6", "-c", "1", "-W", "2", eui64_link_local(mac2) + "%eth0",
                         check=False).returncode == 0 for _ in range(3))
        self.assertTrue(ok, "pod 1 cannot reach pod 2's link-local address")
        before = self.sw.drops()["action_drop"]
        ns1.run(PY, "-c", ECHO6_SEND, mac1, mac2, "fe80::bad", eui64_link_local(mac2), check=True)
        self.assertEqual(self.sw.drops()["action_drop"], before + 1)

    def test_pod_ports_by_hand_and_in_show(self):
        sh("ip", "link", "add", "pswhand0", "type", "veth", "peer", "name", "pswhand1")
        self.sw.ctl("add-port", "hand", "af_packet", "iface=pswhand0", "mac=02:00:00:00:aa:01",
                    "ips=10.1.0.5/24,10.1.1.5/24,fd00::5/64")
        flows = [f for f in self.sw.flows() if "in_port=hand" in f["match"]]
        # per IPv4 address IP and ARP, per IPv6 address one and six for
        # neighbour discovery (solicitations from it, advertisements of it
        # from it or from link-local, each naming the MAC or none);
        # link-local (one, four for neighbour discovery), DAD and MLD from ::,
        # four drops of router and neighbour messages, and the drop of
        # everything else
        self.assertEqual(len(flows), 2 * 2 + 7 + 5 + 2 + 4 + 1)
        self.assertEqual({f["cookie"] for f in flows}, {0x5053570000000000 | self.sw.port("hand")["ofport"]})
        fdb = self.sw.j("fdb-show")["entries"]
        self.assertEqual([(e["mac"], e["port"], e["static"]) for e in fdb], [("02:00:00:00:aa:01", "hand", True)])
        out = self.sw.ctl("show").stdout
        self.assertIn("pod MAC 02:00:00:00:aa:01 IP 10.1.0.5/24, 10.1.1.5/24, fd00::5/64, port security on", out)
        self.sw.ctl("del-port", "hand")
        self.assertEqual(self.sw.flows(), [])
        self.assertEqual(self.sw.j("fdb-show")["entries"], [])
        self.sw.ctl("add-port", "hand", "af_packet", "iface=pswhand0", "mac=02:00:00:00:aa:01",
                    "port_security=false")
        self.assertEqual([f["match"] for f in self.sw.flows()], ["priority=100,in_port=hand"])
        self.sw.ctl("del-port", "hand")
        for bad, words in (("mac=01:00:5e:00:00:01", "multicast"), ("mac=zz", "MAC address"),
                           ("ips=10.0.0.300", "not an IP address"), ("port_security=maybe", "true or false")):
            opts = [bad] if bad.startswith("mac") else ["mac=02:00:00:00:aa:01", bad]
            r = self.sw.ctl("add-port", "hand", "af_packet", "iface=pswhand0", *opts, check=False)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(words, r.stderr)
        self.assertEqual(self.sw.j("show")["ports"], [])
        # a CNI pod in show says whose it is
        r, ns, self.cid = self.add(args="IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=cart-7")
        self.assertIn("cni network podnet, container %s, eth0 in %s, pod shop/cart-7" % (self.cid[:12], ns.path),
                      self.sw.ctl("show").stdout)

    def test_mac_from_runtime_config_and_args(self):
        r, ns, self.cid = self.add(self.conf(runtimeConfig={"mac": "02:12:34:56:78:9a"}))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json["interfaces"][1]["mac"], "02:12:34:56:78:9a")
        r, ns, self.cid = self.add(args="IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=web-0;MAC=02:00:00:00:00:42;FOO=bar")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json["interfaces"][1]["mac"], "02:00:00:00:00:42")
        port = self.sw.port(r.json["interfaces"][0]["name"])
        self.assertEqual(port["options"]["cni"]["pod"], "ns1/web-0")

    def test_bandwidth_from_runtime_config(self):
        # what may reach the pod is its port's egress, what it may send the
        # port's ingress; bits become kbit, rounded up
        bw = {"ingressRate": 1000000, "ingressBurst": 500000, "egressRate": 2000500}
        r, ns, self.cid = self.add(self.conf(capabilities={"bandwidth": True},
                                             runtimeConfig={"bandwidth": bw}))
        self.assertEqual(r.rc, 0, r)
        port = self.sw.port(r.json["interfaces"][0]["name"])
        self.assertEqual(port["policing"], {"egress": {"rate_kbps": 1000, "burst_kb": 500},
                                            "ingress": {"rate_kbps": 2001, "burst_kb": 200}})
        self.assertEqual(port["options"]["ingress_policing_rate"], 2001)

    def test_jumbo_mtu(self):
        pods = []
        for _ in range(2):
            r, ns, self.cid = self.add(self.conf(version="1.1.0", mtu=9000))
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(r.json["interfaces"][1]["mtu"], 9000)
            link = json.loads(ns.run("ip", "-j", "link", "show", "eth0").stdout)[0]
            self.assertEqual(link["mtu"], 9000)
            pods.append((ns, r.json["ips"][0]["address"].split("/")[0]))
        # 8000-byte pings: frames of 8042 bytes through pswitchd, both ways
        r = pods[0][0].run("busybox", "ping", "-c", "2", "-W", "2", "-s", "8000", pods[1][1], check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("8008 bytes from", r.stdout)

    def test_addresses_the_runtime_asks_for_reach_ipam(self):
        # CNI_ARGS IP=, args.cni.ips and runtimeConfig.ips all go to host-local
        r, ns, self.cid = self.add(args="IgnoreUnknown=1;IP=10.77.0.50")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json["ips"][0]["address"], "10.77.0.50/24")
        r, ns, self.cid = self.add(self.conf(args={"cni": {"ips": ["10.77.0.51"]}}))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json["ips"][0]["address"], "10.77.0.51/24")
        r, ns, self.cid = self.add(self.conf(runtimeConfig={"ips": ["10.77.0.52/24"]}))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json["ips"][0]["address"], "10.77.0.52/24")
        self.assertEqual(r.json["interfaces"][1]["mac"], "0a:58:0a:4d:00:34")

    def test_chained_prev_result_is_kept(self):
        prev = {"cniVersion": "1.0.0",
                "interfaces": [{"name": "dummy0", "mac": "02:00:00:00:00:01", "sandbox": "/x"}],
                "ips": [{"address": "192.168.5.5/24", "interface": 0}], "dns": {"nameservers": ["9.9.9.9"]}}
        r, ns, self.cid = self.add(self.conf(prevResult=prev, dns={"nameservers": ["10.77.0.10"]}))
        self.assertEqual(r.rc, 0, r)
        res = r.json
        self.assertEqual([i["name"] for i in res["interfaces"]][0], "dummy0")
        self.assertEqual(len(res["interfaces"]), 3)
        self.assertEqual(res["ips"][0]["address"], "192.168.5.5/24")
        self.assertEqual(res["ips"][1]["interface"], 2)
        self.assertEqual(res["dns"], {"nameservers": ["10.77.0.10"]})

    def test_check(self):
        r, ns, cid = self.add()
        self.assertEqual(r.rc, 0, r)
        conf = self.conf(prevResult=r.json)
        ok = run_plugin("CHECK", conf, cid=cid, netns=ns.path)
        self.assertEqual((ok.rc, ok.stdout), (0, ""), ok)
        self.assertCniError(run_plugin("CHECK", self.conf(), cid=cid, netns=ns.path), 7, "prevResult")
        # CHECK really looks: a route, an address, the MAC, the port
        ns.run("ip", "route", "del", "default")
        self.assertCniError(run_plugin("CHECK", conf, cid=cid, netns=ns.path), 102, "route 0.0.0.0/0")
        ns.run("ip", "route", "add", "default", "via", "10.77.0.1")
        ip = r.json["ips"][0]["address"]
        ns.run("ip", "addr", "del", ip, "dev", "eth0")
        self.assertCniError(run_plugin("CHECK", conf, cid=cid, netns=ns.path), 102, "lacks address " + ip)
        ns.run("ip", "addr", "add", ip, "dev", "eth0")
        ns.run("ip", "route", "add", "default", "via", "10.77.0.1")
        self.assertEqual(run_plugin("CHECK", conf, cid=cid, netns=ns.path).rc, 0)
        ns.run("ip", "link", "set", "eth0", "address", "02:99:99:99:99:99")
        self.assertCniError(run_plugin("CHECK", conf, cid=cid, netns=ns.path), 102, "has MAC 02:99")
        self.sw.ctl("del-port", r.json["interfaces"][0]["name"])
        self.assertCniError(run_plugin("CHECK", conf, cid=cid, netns=ns.path), 102, "pswitchd has no port")

    def test_del_is_idempotent(self):
        # the netns already gone
        r, ns, cid = self.add()
        self.assertEqual(r.rc, 0, r)
        ns.delete()
        for _ in range(2):
            d = run_plugin("DEL", self.conf(), cid=cid, netns=ns.path)
            self.assertEqual(d.rc, 0, d)
        # no netns given at all, and the port already removed by hand
        r, ns, cid = self.add()
        self.sw.ctl("del-port", r.json["interfaces"][0]["name"])
        d = run_plugin("DEL", self.conf(), cid=cid, netns=None)
        self.assertEqual(d.rc, 0, d)
        # never added
        d = run_plugin("DEL", self.conf(), cid="never-added", netns="/var/run/netns/none")
        self.assertEqual(d.rc, 0, d)
        self.assertNothingLeft()

    def test_gc_removes_attachments_not_in_the_valid_list(self):
        kept = []
        gone = []
        for i in range(4):
            r, ns, cid = self.add(self.conf(version="1.1.0"))
            self.assertEqual(r.rc, 0, r)
            (kept if i % 2 == 0 else gone).append((cid, r.json))
        # a port whose record was lost is found through pswitchd
        lost_cid, lost = gone[1]
        os.unlink(os.path.join(self.tmp, "state", "podnet", "%s-eth0.json" % lost_cid))
        conf = self.conf(version="1.1.0")
        conf["cni.dev/valid-attachments"] = [{"containerID": c, "ifname": "eth0"} for c, _ in kept]
        r = run_plugin("GC", conf, ifname=None)
        self.assertEqual((r.rc, r.stdout), (0, ""), r)
        names = [p["name"] for p in self.pod_ports()]
        self.assertEqual(sorted(names), sorted(res["interfaces"][0]["name"] for _, res in kept))
        self.assertEqual(len(self.leases()), 2)
        self.assertEqual(len(self.records()), 2)
        for _, res in gone:
            self.assertNotIn(res["interfaces"][0]["name"], host_links())
        # GC is a verb of 1.1.0
        self.assertCniError(run_plugin("GC", self.conf(version="1.0.0"), ifname=None), 1, "GC needs cniVersion 1.1.0")
        conf["cni.dev/valid-attachments"] = []
        self.assertEqual(run_plugin("GC", conf, ifname=None).rc, 0)
        self.assertNothingLeft()

    def test_status(self):
        r = run_plugin("STATUS", self.conf(version="1.1.0"), ifname=None)
        self.assertEqual((r.rc, r.stdout), (0, ""), r)
        r = run_plugin("STATUS", self.conf(version="1.1.0", ipam={"type": "no-such-ipam"}), ifname=None)
        self.assertCniError(r, 50, "no-such-ipam")
        self.sw.stop()
        r = run_plugin("STATUS", self.conf(version="1.1.0"), ifname=None)
        self.assertCniError(r, 50, "pswitchd is not available")
        self.sw = Switch()  # for tearDown

    def test_multus_delegate_next_to_the_cluster_network(self):
        # eth0 from the cluster network (the standard ptp plugin), net1 from
        # a NetworkAttachmentDefinition that names pswitch, as Multus calls it
        ns = self.new_netns()
        cid = uuid.uuid4().hex
        cluster = {"cniVersion": "1.0.0", "name": "cluster", "type": "ptp",
                   "ipam": {"type": "host-local", "subnet": "10.78.0.0/24",
                            "dataDir": os.path.join(self.tmp, "ipam-cluster")}}
        multus_args = "IgnoreUnknown=1;K8S_POD_NAMESPACE=nfv;K8S_POD_NAME=upf-0;K8S_POD_INFRA_CONTAINER_ID=" + cid
        r = run_plugin("ADD", cluster, cid=cid, netns=ns.path, ifname="eth0", args=multus_args,
                       plugin="/usr/lib/cni/ptp")
        self.assertEqual(r.rc, 0, r)
        with open(os.path.join(os.path.dirname(__file__), "..", "..", "deploy", "cni",
                               "net-attach-def.yaml")) as f:
            self.assertIn('"type": "pswitch"', f.read())
        nad = self.conf(kind="dpdk")
        nad["ipam"]["subnet"] = "10.79.0.0/24"
        r = run_plugin("ADD", nad, cid=cid, netns=ns.path, ifname="net1", args=multus_args)
        self.assertEqual(r.rc, 0, r)
        iface = r.json["interfaces"][0]
        self.assertEqual(iface["name"], "net1")
        # the pod's directory: its short ID, and a hash of the whole ID
        self.assertRegex(iface["socketPath"], "/%s-[0-9a-f]{12}/net1.sock$" % cid[:12])
        port = [p for p in self.pod_ports()][0]
        self.assertEqual(port["options"]["cni"]["pod"], "nfv/upf-0")
        self.assertEqual(run_plugin("DEL", nad, cid=cid, netns=ns.path, ifname="net1", args=multus_args).rc, 0)
        self.assertEqual(run_plugin("DEL", cluster, cid=cid, netns=ns.path, ifname="eth0",
                                    plugin="/usr/lib/cni/ptp").rc, 0)
        self.assertNothingLeft()


class SwitchDown(CniTest):
    def test_add_when_pswitchd_is_down_is_try_again_and_leaves_nothing(self):
        self.sw.stop()
        r, ns, cid = self.add()
        self.assertCniError(r, 11, "try again later")
        self.assertEqual(set(host_links()) - self.before_links, set())
        self.assertEqual(self.leases(), [])
        self.assertEqual(self.records(), [])
        self.assertEqual(ns.run("ip", "-o", "link").stdout.count("\n"), 1)  # lo only
        self.sw = Switch()

    def test_del_when_pswitchd_is_down_is_finished_later(self):
        run_dir = self.sw.dir
        r, ns, cid = self.add()
        self.assertEqual(r.rc, 0, r)
        port = r.json["interfaces"][0]["name"]
        r2, ns2, cid2 = self.add()
        port2 = r2.json["interfaces"][0]["name"]
        self.sw.stop()
        d = run_plugin("DEL", self.conf(), cid=cid, netns=ns.path)
        self.assertEqual(d.rc, 0, d)
        self.assertTrue(os.path.exists(os.path.join(run_dir, "pending-del", port)))
        self.assertNotIn(port, host_links())
        self.assertEqual(len(self.leases()), 1)
        # back up: the deleted pod's port is not restored, the other one is
        self.sw = Switch(run_dir=run_dir, restore=True, log_name="pswitchd2.log")
        names = [p["name"] for p in self.sw.j("show")["ports"]]
        self.assertEqual(names, [port2])
        self.assertFalse(os.path.exists(os.path.join(run_dir, "pending-del", port)))
        # the restored pod still has its flows and forwards
        self.assertEqual(len([f for f in self.sw.flows() if port2 in f["match"]]), 14)
        # and a DEL that finds pswitchd running when it wrote its request
        # earlier is finished within a second
        os.makedirs(os.path.join(run_dir, "pending-del"), exist_ok=True)
        open(os.path.join(run_dir, "pending-del", port2), "w").close()
        deadline = time.time() + 5 * SLOW
        while self.sw.j("show")["ports"] and time.time() < deadline:
            time.sleep(0.1)
        self.assertEqual(self.sw.j("show")["ports"], [])
        self.assertEqual(run_plugin("DEL", self.conf(), cid=cid2, netns=ns2.path).rc, 0)
        self.assertNothingLeft()


class BadInput(CniTest):
    """Every refusal has the specification's code and leaves nothing behind."""

    def refused(self, code, words, conf=None, raw=None, **kw):
        ns = kw.pop("ns", None) or self.new_netns()
        kw.setdefault("cid", uuid.uuid4().hex)
        kw.setdefault("netns", ns.path)
        r = run_plugin(kw.pop("command", "ADD"), conf if conf is not None else self.conf(),
                       raw_stdin=raw, **kw)
        self.assertCniError(r, code, words)
        self.assertNothingLeft()
        return r

    def test_bad_configs(self):
        self.refused(6, "not JSON", raw="{\"cniVersion\": ")
        self.refused(6, "not a JSON object", raw="[1, 2]")
        self.refused(6, "not JSON", raw="{\"cniVersion\": \"1.0.0\", \"name\": \"a\", \"name\": \"b\"}")
        c = self.conf()
        del c["cniVersion"]
        self.refused(7, "no \"cniVersion\"", c)
        self.refused(1, "0.3.1 is not supported", self.conf(version="0.3.1"))
        self.refused(7, "network name", self.conf(name="../etc"))
        self.refused(7, "\"kind\" must be", self.conf(kind="sriov"))
        c = self.conf()
        del c["ipam"]
        self.refused(7, "no \"ipam\"", c)
        self.refused(7, "must be a plugin name", self.conf(ipam={"type": "../../bin/sh"}))
        self.refused(7, "not in CNI_PATH", self.conf(ipam={"type": "no-such-ipam"}))
        self.refused(7, "\"mtu\" must be", self.conf(mtu=20))
        self.refused(7, "\"mtu\" must be", self.conf(mtu="1500"))
        self.refused(7, "\"vlan\" must be", self.conf(vlan=4095))
        self.refused(7, "\"portSecurity\" must be", self.conf(portSecurity="yes"))
        self.refused(7, "without '.' or '..'", self.conf(vhost={"socketDir": "/run/../etc"}))
        self.refused(7, "without '.' or '..'", self.conf(vhost={"socketDir": "relative/dir"}))
        self.refused(7, "longer than", self.conf(vhost={"socketDir": "/run/" + "x" * 70}))
        self.refused(7, "mode", self.conf(vhost={"mode": "both"}))
        self.refused(7, "octal mode", self.conf(vhost={"socketMode": "rwx"}))
        self.refused(7, "owner", self.conf(vhost={"owner": "no-such-user-psw"}))
        self.refused(7, "without '.' or '..'", self.conf(stateDir="/var/lib/../../tmp"))
        self.refused(7, "\"runtimeConfig\" must be", self.conf(runtimeConfig="mac"))
        self.refused(7, "not a unicast MAC", self.conf(runtimeConfig={"mac": "01:00:5e:00:00:01"}))
        self.refused(7, "bandwidth must be an object", self.conf(runtimeConfig={"bandwidth": "fast"}))
        self.refused(7, "\"egressRate\" must be a number", self.conf(runtimeConfig={"bandwidth": {"egressRate": -1}}))
        self.refused(7, "a burst needs its rate", self.conf(runtimeConfig={"bandwidth": {"ingressBurst": 8000}}))
        # IPAM's own refusal comes back with its code (999: host-local's own) and words
        self.refused(999, "IPAM plugin host-local failed on ADD: no IP ranges", self.conf(ipam={"type": "host-local"}))

    def test_bad_environment(self):
        self.refused(4, "CNI_COMMAND is not set", command=None)
        self.refused(4, "CNI_COMMAND 'FROB'", command="FROB")
        self.refused(4, "CNI_CONTAINERID is not set", cid="")
        self.refused(4, "is not a container ID", cid="../../etc/passwd")
        self.refused(4, "is not a container ID", cid="-leadingdash")
        self.refused(4, "is not an interface name", ifname="averyveryverylongname")
        self.refused(4, "is not an interface name", ifname="../eth0")
        self.refused(4, "is not an interface name", ifname="eth 0")
        self.refused(4, "is not an interface name", ifname="..")
        self.refused(4, "CNI_NETNS is not set", netns="")
        self.refused(4, "not an absolute path", netns="var/run/netns/x")
        self.refused(4, "CNI_PATH is not set", path=None)
        self.refused(4, "unknown argument 'FOO'", args="FOO=bar")
        self.refused(4, "not KEY=VALUE", args="IgnoreUnknown=1;junk")
        self.refused(3, "network namespace", netns="/var/run/netns/does-not-exist-psw")
        # anything but a network namespace, for either kind of pod: refused
        # before an address is taken or anything made
        for kind in ("kernel", "dpdk"):
            for path in ("/etc/passwd", "/tmp", "/dev/null", "/proc/self/ns/mnt"):
                self.refused(4, "is not a network namespace", self.conf(kind=kind), netns=path)

    def test_interface_taken_in_the_pod_rolls_everything_back(self):
        ns = self.new_netns()
        ns.run("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "other0")
        self.refused(101, "the pod has an interface of that name", ns=ns)

    def test_pswitchd_refusing_the_port_rolls_everything_back(self):
        # a port of the name the attachment would get exists already (by hand)
        cid = uuid.uuid4().hex
        h = 0xcbf29ce484222325
        for ch in (cid + "/eth0").encode():
            h = ((h ^ ch) * 0x100000001b3) & 0xffffffffffffffff
        name = "psw%012x" % (h & 0xffffffffffff)
        self.sw.ctl("add-port", name, "vhost-user")
        r = run_plugin("ADD", self.conf(), cid=cid, netns=self.new_netns().path)
        self.assertCniError(r, 100, "pswitchd refused add-port: port '%s' exists" % name)
        self.sw.ctl("del-port", name)
        self.assertNothingLeft()

    def test_dpdk_socket_directory_not_a_directory(self):
        cid = uuid.uuid4().hex
        vhu = os.path.join(self.tmp, "vhu")
        os.makedirs(vhu)
        cid = cid[:20]  # short enough to name the directory itself
        os.symlink("/etc", os.path.join(vhu, cid))
        r = run_plugin("ADD", self.conf(kind="dpdk"), cid=cid, netns=self.new_netns().path)
        self.assertCniError(r, 5, "symlink is refused")
        os.unlink(os.path.join(vhu, cid))
        self.assertNothingLeft()


class DpdkPods(CniTest):
    KIND = "dpdk"

    def test_dpdk_pod_exchanges_packets_with_a_kernel_pod(self):
        conf = self.conf(version="1.1.0", vhost={"socketDir": os.path.join(self.tmp, "vhu"),
                                                 "owner": 0, "group": "root", "dirMode": "0710"})
        r, ns, cid = self.add(conf)
        self.assertEqual(r.rc, 0, r)
        iface = r.json["interfaces"][0]
        sock = iface["socketPath"]
        self.assertEqual(len(r.json["interfaces"]), 1)
        self.assertEqual(iface["sandbox"], ns.path)
        self.assertLess(len(sock), 108)
        d = os.path.dirname(sock)
        self.assertEqual(stat.S_IMODE(os.stat(d).st_mode), 0o710)
        with open(os.path.join(d, "eth0.json")) as f:
            info = json.load(f)
        self.assertEqual(info["socket"], sock)
        self.assertEqual(info["socketMode"], "server")
        self.assertEqual(info["mac"], iface["mac"])
        self.assertEqual(info["ips"], [r.json["ips"][0]["address"]])
        self.assertEqual(info["gateway"], "10.77.0.1")
        port = [p for p in self.pod_ports()][0]
        self.assertEqual(port["type"], "vhost-user-client")
        self.assertEqual(port["path"], sock)
        dpdk_mac, dpdk_ip = info["mac"], info["ips"][0].split("/")[0]

        kr, kns, kcid = self.add(self.conf(kind="kernel"))
        self.assertEqual(kr.rc, 0, kr)
        kmac = kr.json["interfaces"][1]["mac"]
        kip = kr.json["ips"][0]["address"].split("/")[0]

        from scapy.all import Ether, IP, UDP, raw
        payload = bytes(range(64))
        to_kernel = raw(Ether(src=dpdk_mac, dst=kmac) / IP(src=dpdk_ip, dst=kip) /
                        UDP(sport=4000, dport=5000) / payload)
        recv = subprocess.Popen(["ip", "netns", "exec", kns.name, PY, "-c", UDP_RECV % (20 * SLOW)],
                                stdout=subprocess.PIPE, text=True)
        # the pod's DPDK application: a virtio-user server on the socket
        peer = Peer(self.sw, {"pod": sock}, ["sleep 500", "send pod %s 3" % to_kernel.hex(), "sleep 1500"],
                    server=("pod",), linger_ms=2000)
        peer.start(switch_ports=[port["name"]])
        time.sleep(0.3)
        kns.run("ip", "neigh", "add", dpdk_ip, "lladdr", dpdk_mac, "dev", "eth0")
        kns.run(PY, "-c", UDP_SEND, dpdk_ip, payload[::-1].hex())
        peer.wait()
        out, _ = recv.communicate(timeout=30 * SLOW)
        self.assertEqual(bytes.fromhex(out.strip()), payload)
        got = [f for f in peer.rx["pod"] if f[12:14] == b"\x08\x00" and f[23] == 17]
        self.assertTrue(got, "the DPDK pod received nothing")
        self.assertEqual(got[0][:6], bytes.fromhex(dpdk_mac.replace(":", "")))
        self.assertEqual(got[0][42:42 + 64], payload[::-1])

        for c, n, k in ((cid, ns, "dpdk"), (kcid, kns, "kernel")):
            self.assertEqual(run_plugin("DEL", self.conf(kind=k, version="1.1.0"), cid=c, netns=n.path).rc, 0)
        self.assertNothingLeft()

    def test_dpdk_pod_survives_a_pswitchd_restart(self):
        # pswitchd is the client: the pod's virtio-user keeps listening while
        # pswitchd is away, and pswitchd reconnects to it when it is back
        r, ns, cid = self.add(self.conf())
        self.assertEqual(r.rc, 0, r)
        sock = r.json["interfaces"][0]["socketPath"]
        dmac, dip = r.json["interfaces"][0]["mac"], r.json["ips"][0]["address"].split("/")[0]
        port = self.pod_ports()[0]["name"]
        kr, kns, kcid = self.add(self.conf(kind="kernel"))
        kmac, kip = kr.json["interfaces"][1]["mac"], kr.json["ips"][0]["address"].split("/")[0]
        from scapy.all import Ether, IP, UDP, raw

        def frame(n):
            return raw(Ether(src=dmac, dst=kmac) / IP(src=dip, dst=kip) / UDP(sport=4000, dport=5000) /
                       (bytes([n]) * 32)).hex()

        def receiver():
            return subprocess.Popen(["ip", "netns", "exec", kns.name, PY, "-c", UDP_RECV % (30 * SLOW)],
                                    stdout=subprocess.PIPE, text=True)

        go2 = os.path.join(self.tmp, "go2")
        recv = receiver()
        time.sleep(0.3)
        peer = Peer(self.sw, {"pod": sock}, ["send pod %s 1" % frame(1), "wait-file " + go2,
                                             "sleep 300", "send pod %s 3" % frame(2), "sleep 300"],
                    server=("pod",), linger_ms=300)
        peer.start(switch_ports=[port])
        self.assertEqual(recv.communicate(timeout=30 * SLOW)[0].strip(), "01" * 32)
        run_dir = self.sw.dir
        self.assertEqual(self.sw.stop(), 0)
        self.sw = Switch(run_dir=run_dir, restore=True, log_name="pswitchd2.log")
        self.sw.wait_links([port])
        recv = receiver()
        time.sleep(0.3)
        open(go2, "w").close()
        self.assertEqual(recv.communicate(timeout=30 * SLOW)[0].strip(), "02" * 32)
        peer.wait()
        for c, n, k in ((cid, ns, "dpdk"), (kcid, kns, "kernel")):
            self.assertEqual(run_plugin("DEL", self.conf(kind=k), cid=c, netns=n.path).rc, 0)
        self.assertNothingLeft()

    def test_server_mode_socket_owner_and_mode(self):
        conf = self.conf(vhost={"socketDir": os.path.join(self.tmp, "vhu"), "mode": "server",
                                "socketMode": "0600", "owner": "nobody", "group": 0})
        r, ns, cid = self.add(conf)
        self.assertEqual(r.rc, 0, r)
        sock = r.json["interfaces"][0]["socketPath"]
        st = os.stat(sock)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        import pwd
        self.assertEqual(st.st_uid, pwd.getpwnam("nobody").pw_uid)
        with open(os.path.join(os.path.dirname(sock), "eth0.json")) as f:
            self.assertEqual(json.load(f)["socketMode"], "client")
        port = self.pod_ports()[0]
        self.assertEqual(port["type"], "vhost-user")
        ok = run_plugin("CHECK", dict(conf, prevResult=r.json), cid=cid, netns=ns.path)
        self.assertEqual(ok.rc, 0, ok)
        os.unlink(sock)
        self.assertCniError(run_plugin("CHECK", dict(conf, prevResult=r.json), cid=cid, netns=ns.path),
                            102, "socket")
        self.assertEqual(run_plugin("DEL", conf, cid=cid, netns=ns.path).rc, 0)
        self.assertNothingLeft()


def proc_status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


class Leaks(CniTest):
    def test_100_pods_attached_and_detached_leave_no_leak(self):
        pid = self.sw.proc.pid
        namespaces = [self.new_netns() for _ in range(50)]
        samples = []
        for rnd in range(3):
            pods = []
            for i, ns in enumerate(namespaces):
                for kind, ifname in (("kernel", "eth0"), ("dpdk", "net1")):
                    cid = "leak-%d-%d" % (rnd, i)
                    r = run_plugin("ADD", self.conf(kind=kind), cid=cid, netns=ns.path, ifname=ifname)
                    self.assertEqual(r.rc, 0, r)
                    pods.append((kind, cid, ns, ifname))
            self.assertEqual(len(self.pod_ports()), 100)
            self.assertEqual(len(self.leases()), 100)
            for kind, cid, ns, ifname in pods:
                r = run_plugin("DEL", self.conf(kind=kind), cid=cid, netns=ns.path, ifname=ifname)
                self.assertEqual(r.rc, 0, r)
            self.assertNothingLeft()
            # kernel ports' sockets are closed (and made ahead) by a helper
            # thread: wait for it to settle
            fds, prev, deadline = -1, -2, time.time() + 10 * SLOW
            while fds != prev and time.time() < deadline:
                prev, fds = fds, len(os.listdir("/proc/%d/fd" % pid))
                time.sleep(0.5)
            samples.append((fds, proc_status(pid, "VmRSS")))
        print("fds and RSS (kB) after each round:", samples)
        # the first round warms caches and pools; after it, nothing grows
        fds = [s[0] for s in samples]
        self.assertEqual(fds[1], fds[2], samples)
        if not SANITIZED:
            self.assertLess(samples[2][1] - samples[1][1], 4096, "pswitchd grew by more than 4 MiB: %s" % samples)
