# SPDX-License-Identifier: BSD-3-Clause
"""Packets through a running pswitchd, between virtio-user endpoints: every
byte received is checked against what was sent, and the counters against
the packets."""

import os
import time

from scapy.all import (ARP, Dot1Q, Ether, ICMP, ICMPv6EchoRequest, ICMPv6ND_NS, IP, IPv6,
                       IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, TCP, UDP, raw)

from harness import SLOW, Peer, SwitchTest, send, vhost_path

A, B, C, D = ("02:00:00:00:00:0a", "02:00:00:00:00:0b", "02:00:00:00:00:0c",
              "02:00:00:00:00:0d")
BCAST = "ff:ff:ff:ff:ff:ff"


def udp(src=A, dst=B, n=0, size=0):
    pad = bytes((n + i) % 256 for i in range(max(size, 18)))
    return raw(Ether(src=src, dst=dst) / IP(src="10.0.0.1", dst="10.0.0.%d" % (2 + n % 200)) /
               UDP(sport=1000 + n, dport=2000) / pad)


class PortToPort(SwitchTest):
    PORTS = ("a", "b")

    def test_bytes_and_counters(self):
        self.sw.ctl("add-flow", "in_port=a,actions=output:b")
        self.sw.ctl("add-flow", "in_port=b,actions=output:a")
        from_a = [udp(n=i, size=s) for i, s in enumerate((18, 100, 500, 1000, 1400, 1472, 64, 250, 9, 700))]
        from_b = [udp(src=B, dst=A, n=i + 50, size=40) for i in range(5)]
        p = self.run_peer([send("a", f) for f in from_a] + [send("b", f) for f in from_b])
        self.assertEqual(p.rx["b"], from_a)
        self.assertEqual(p.rx["a"], from_b)
        flows = {f["match"]: f for f in self.sw.flows()}
        self.assertEqual(flows["priority=32768,in_port=a"]["n_packets"], 10)
        self.assertEqual(flows["priority=32768,in_port=a"]["n_bytes"], sum(map(len, from_a)))
        self.assertEqual(flows["priority=32768,in_port=b"]["n_packets"], 5)
        a, b = self.sw.port("a")["stats"], self.sw.port("b")["stats"]
        self.assertEqual((a["rx_packets"], a["tx_packets"], b["rx_packets"], b["tx_packets"]), (10, 5, 5, 10))
        self.assertEqual(b["tx_bytes"], sum(map(len, from_a)))
        stats = self.sw.j("pmd-stats")[0]
        self.assertEqual(stats["packets"], 15)
        self.assertEqual(stats["dropped"], 0)
        # flows on in_port alone decide every frame of their port: no lookup
        self.assertEqual((stats["port_flow_hits"], stats["emc_hits"], stats["classifier_hits"]), (15, 0, 0))

    def test_port_flow_gives_way_to_a_higher_flow(self):
        # in_port flows alone: the port's flow, without a lookup
        self.sw.ctl("add-flow", "priority=10,in_port=a,actions=output:b")
        self.sw.ctl("add-flow", "priority=10,in_port=b,actions=output:a")
        first = [udp(n=i) for i in range(4)]
        p = self.run_peer([send("a", f) for f in first])
        self.assertEqual(p.rx["b"], first)
        self.assertEqual(self.sw.j("pmd-stats")[0]["port_flow_hits"], 4)
        port_flow = lambda: any("port flow" in n for n in self.sw.j("trace", "in_port=a,udp,tp_dst=2000")["notes"])
        self.assertTrue(port_flow())
        # a flow of another shape above them: a's UDP to port 2000 now drops,
        # its ARP still goes to b, all through the cache and the classifier
        self.sw.ctl("pmd-stats-clear")
        self.sw.ctl("add-flow", "priority=20,udp,tp_dst=2000,actions=drop")
        arp = raw(Ether(src=A, dst=BCAST) / ARP(pdst="10.0.0.2"))
        p = self.run_peer([send("a", f) for f in first + [arp]])
        self.assertEqual(p.rx["b"], [arp])
        self.assertEqual(self.sw.drops()["action_drop"], 4)
        stats = self.sw.j("pmd-stats")[0]
        self.assertEqual(stats["port_flow_hits"], 0)
        self.assertEqual(stats["classifier_hits"] + stats["emc_hits"], 5)
        self.assertFalse(port_flow())
        # a catch-all below b's flow: b keeps its port flow, a (whose UDP is
        # still the higher flow's) does not
        self.sw.ctl("del-flows", "--strict", "priority=20,udp,tp_dst=2000")
        self.sw.ctl("del-flows", "--strict", "priority=10,in_port=a")
        self.sw.ctl("add-flow", "priority=0,actions=normal")
        self.sw.ctl("pmd-stats-clear")
        back = [udp(src=B, dst=A, n=i) for i in range(3)]
        p = self.run_peer([send("b", f) for f in back])
        self.assertEqual(p.rx["a"], back)
        self.assertEqual(self.sw.j("pmd-stats")[0]["port_flow_hits"], 3)

    def test_no_flow_is_a_counted_drop(self):
        self.sw.ctl("add-flow", "in_port=a,tcp,actions=output:b")
        p = self.run_peer([send("a", udp(n=i)) for i in range(7)])
        self.assertEqual(p.rx["b"], [])
        self.assertEqual(self.sw.drops()["no_flow"], 7)

    def test_output_to_port_without_peer_is_counted(self):
        self.sw.ctl("add-port", "c", "vhost-user")
        self.sw.ctl("add-flow", "in_port=a,actions=output:c")
        self.run_peer([send("a", udp(n=i)) for i in range(4)])
        self.assertEqual(self.sw.drops()["port_down"], 4)
        self.assertEqual(self.sw.port("c")["stats"]["tx_dropped"], 4)


class Actions(SwitchTest):
    PORTS = ("a", "b", "c")

    def test_flood(self):
        self.sw.ctl("add-flow", "in_port=a,actions=flood")
        frames = [udp(n=i) for i in range(6)]
        p = self.run_peer([send("a", f) for f in frames])
        self.assertEqual(p.rx["b"], frames)
        self.assertEqual(p.rx["c"], frames)
        self.assertEqual(p.rx["a"], [])

    def test_vlan_push_and_pop(self):
        self.sw.ctl("add-flow", "in_port=a,actions=mod_vlan_vid:10,output:b")
        self.sw.ctl("add-flow", "in_port=b,dl_vlan=10,actions=strip_vlan,output:a")
        self.sw.ctl("add-flow", "in_port=c,actions=push_vlan:0x88a8,mod_vlan_vid:300,mod_vlan_pcp:5,output:b")
        plain = udp(n=1, size=100)
        tagged = raw(Ether(src=A, dst=B) / Dot1Q(vlan=10) / Ether(plain).payload)
        qinq = raw(Ether(src=A, dst=B, type=0x88a8) / Dot1Q(vlan=300, prio=5) / Ether(plain).payload)
        # frames of different ports keep no order between them: one at a time
        p = self.run_peer([send("a", plain), "sleep 50", send("b", tagged), "sleep 50", send("c", plain)])
        self.assertEqual(p.rx["b"], [tagged, qinq])
        self.assertEqual(p.rx["a"], [plain])

    def test_several_outputs_with_rewrites_between(self):
        self.sw.ctl("add-flow", "in_port=a,actions=output:b,mod_dl_dst:" + D + ",mod_vlan_vid:7,output:c")
        f = udp(n=3, size=200)
        p = self.run_peer([send("a", f, 3)])
        rewritten = raw(Ether(src=A, dst=D) / Dot1Q(vlan=7) / Ether(f).payload)
        self.assertEqual(p.rx["b"], [f] * 3)
        self.assertEqual(p.rx["c"], [rewritten] * 3)

    def test_goto_table_and_in_port(self):
        self.sw.ctl("add-flow", "table=0,priority=10,in_port=a,udp,actions=mod_dl_src:" + C + ",goto_table:5")
        self.sw.ctl("add-flow", "table=5,priority=10,dl_src=" + C + ",actions=output:b,in_port")
        self.sw.ctl("add-flow", "table=5,priority=5,actions=output:c")
        f = udp(n=9)
        p = self.run_peer([send("a", f)])
        expect = raw(Ether(src=C, dst=B) / Ether(f).payload)
        self.assertEqual(p.rx["b"], [expect])
        self.assertEqual(p.rx["a"], [expect])
        self.assertEqual(p.rx["c"], [])
        counts = {(x["table"], x["priority"]): x["n_packets"] for x in self.sw.flows()}
        self.assertEqual(counts, {(0, 10): 1, (5, 10): 1, (5, 5): 0})

    def test_priorities_and_wildcards(self):
        self.sw.ctl("add-flow", "priority=10,in_port=a,ip,actions=output:b")
        self.sw.ctl("add-flow", "priority=20,in_port=a,udp,nw_dst=10.0.0.0/29,actions=output:c")
        self.sw.ctl("add-flow", "priority=30,in_port=a,udp,tp_src=0x3e8/0xfffe,actions=drop")
        frames = [udp(n=i) for i in range(12)]
        p = self.run_peer([send("a", f) for f in frames])
        # n=0,1: sport 1000/1001 dropped; n=2..5: dst .4-.7 in /29 to c; rest to b
        self.assertEqual(p.rx["c"], frames[2:6])
        self.assertEqual(p.rx["b"], frames[6:])
        self.assertEqual(self.sw.drops()["action_drop"], 2)


class Normal(SwitchTest):
    PORTS = ("a", "b", "c")

    def test_learning(self):
        self.sw.ctl("add-flow", "actions=normal")
        f1, f2, f3 = udp(A, B, 1), udp(B, A, 2), udp(A, B, 3)
        bc = udp(C, BCAST, 4)
        p = self.run_peer([send("a", f1), "sleep 100", send("b", f2), "sleep 100", send("a", f3),
                           send("c", bc)])
        self.assertEqual(p.rx["b"], [f1, f3, bc])   # flooded, then learned
        self.assertEqual(p.rx["c"], [f1])           # flooded only while B was unknown
        self.assertEqual(p.rx["a"], [f2, bc])       # A learned from the flood's source
        fdb = {(e["mac"], e["vlan"]): e["port"] for e in self.sw.j("fdb-show")["entries"]}
        self.assertEqual(fdb[(A, 0)], "a")
        self.assertEqual(fdb[(B, 0)], "b")
        self.assertEqual(fdb[(C, 0)], "c")

    def test_repeated_frames_follow_a_moved_mac(self):
        # a lone NORMAL flow is every port's flow: no cache entry, so NORMAL
        # remembers its last decision; a MAC that moves must not be sent
        # where it was
        self.sw.ctl("add-flow", "actions=normal")
        to_b = [udp(A, B, n) for n in range(6)]
        b_to_a, c_to_a = udp(B, A, 10), udp(B, A, 11)
        p = self.run_peer([send("a", to_b[0]), "sleep 100", send("b", b_to_a), "sleep 100"] +
                          [send("a", f) for f in to_b[1:4]] +
                          ["sleep 100", send("c", c_to_a), "sleep 100"] +
                          [send("a", f) for f in to_b[4:]])
        self.assertEqual(p.rx["b"], to_b[:4])             # flooded once, then learned
        self.assertEqual(p.rx["c"], [to_b[0]] + to_b[4:])  # the flood, then B's new port
        self.assertEqual(p.rx["a"], [b_to_a, c_to_a])
        fdb = {(e["mac"], e["vlan"]): e["port"] for e in self.sw.j("fdb-show")["entries"]}
        self.assertEqual(fdb[(B, 0)], "c")
        self.assertGreater(self.sw.j("pmd-stats")[0]["port_flow_hits"], 0)

    def test_repeated_frames_follow_a_static_entry(self):
        # NORMAL's remembered decision holds while the MAC table is the same:
        # a static entry that moves B, added between two runs of the same
        # frame and with no frame of its own, redirects the very next frame
        # (not the next second's)
        self.sw.ctl("add-flow", "actions=normal")
        b_to_a, a_to_b = udp(B, A, 1), udp(A, B, 2)
        moved = os.path.join(self.sw.dir, "moved")
        p = self.peer([send("b", b_to_a), "sleep 100", send("a", a_to_b, 3), "sleep 5", "mark sent",
                       "wait-file " + moved, send("a", a_to_b, 3)])
        p.start()
        sent = os.path.join(p.out, "sent")
        deadline = time.time() + 20
        while not os.path.exists(sent) and time.time() < deadline:
            time.sleep(0.002)
        self.sw.ctl("fdb-add", "c", B)
        open(moved, "w").close()
        p.wait()
        self.assertEqual(p.rx["b"], [a_to_b] * 3)
        self.assertEqual(p.rx["c"], [b_to_a] + [a_to_b] * 3)
        self.assertEqual(p.rx["a"], [b_to_a])
        self.assertEqual(self.sw.j("pmd-stats")[0]["port_flow_hits"], 7)

    def test_static_entries_and_flush(self):
        self.sw.ctl("add-flow", "actions=normal")
        self.sw.ctl("fdb-add", "c", B)
        p = self.run_peer([send("a", udp(A, B, 1))])
        self.assertEqual(len(p.rx["c"]), 1)
        self.assertEqual(p.rx["b"], [])
        entries = self.sw.j("fdb-show")["entries"]
        self.assertTrue(any(e["mac"] == B and e["static"] for e in entries))
        self.sw.ctl("fdb-flush")
        self.assertEqual([e["mac"] for e in self.sw.j("fdb-show")["entries"]], [B])
        self.sw.ctl("fdb-flush", "--all")
        self.assertEqual(self.sw.j("fdb-show")["entries"], [])

    def test_vlans_access_and_trunk(self):
        self.sw.ctl("add-port", "d", "vhost-user")
        self.sw.ctl("add-port", "e", "vhost-user", "tag=10")
        self.sw.ctl("add-port", "f", "vhost-user", "tag=20")
        self.sw.ctl("add-port", "g", "vhost-user", "tag=10")
        self.sw.ctl("add-flow", "actions=normal")
        bc = udp(A, BCAST, 1)
        tagged10 = raw(Ether(src=A, dst=BCAST) / Dot1Q(vlan=10) / Ether(bc).payload)
        tagged20 = raw(Ether(src=B, dst=BCAST) / Dot1Q(vlan=20) / Ether(bc).payload)
        # e (access 10) sends untagged: g gets it untagged, the trunks tagged, f nothing;
        # then the trunk d sends into VLAN 20: only f, untagged; a tagged frame on an
        # access port is dropped
        p = self.run_peer([send("e", bc), "sleep 50", send("d", tagged20), "sleep 50", send("g", tagged10)],
                          ports=("a", "b", "c", "d", "e", "f", "g"))
        self.assertEqual(p.rx["g"], [bc])
        self.assertEqual(p.rx["f"], [raw(Ether(src=B, dst=BCAST) / Ether(bc).payload)])
        for trunk in ("a", "b", "c"):
            self.assertEqual(p.rx[trunk], [tagged10, tagged20])
        self.assertEqual(p.rx["d"], [tagged10])
        self.assertEqual(p.rx["e"], [])
        self.assertEqual(self.sw.drops()["vlan_mismatch"], 1)


class Malformed(SwitchTest):
    PORTS = ("a", "b")

    def test_malformed_frames(self):
        self.sw.ctl("add-flow", "in_port=a,actions=output:b")
        good_ip = udp(n=1, size=60)
        options = raw(Ether(src=A, dst=B) / IP(options=b"\x01\x01\x01\x00", src="1.1.1.1", dst="2.2.2.2") /
                      TCP(sport=5, dport=80, flags="S"))
        arp = raw(Ether(src=A, dst=BCAST) / ARP(pdst="10.0.0.2"))
        qinq = raw(Ether(src=A, dst=B, type=0x88a8) / Dot1Q(vlan=5) / Dot1Q(vlan=6) / IP() / UDP())
        lldp = raw(Ether(src=A, dst="01:80:c2:00:00:0e", type=0x88cc) / (b"\x02" * 40))
        runt = bytes(10)
        bad_ihl = bytearray(good_ip); bad_ihl[14] = 0x44
        long_len = bytearray(good_ip); long_len[16:18] = (3000).to_bytes(2, "big")
        cut_tcp = raw(Ether(src=A, dst=B) / IP(src="1.1.1.1", dst="2.2.2.2", proto=6, len=20 + 10) / (b"t" * 10))
        bad_ver = bytearray(good_ip); bad_ver[14] = 0x65
        cut_vlan = raw(Ether(src=A, dst=B, type=0x8100)) + b"\x00"
        frag = raw(Ether(src=A, dst=B) / IP(src="1.1.1.1", dst="2.2.2.2", proto=17, frag=100) / (b"f" * 30))
        frames = [good_ip, runt, options, bytes(bad_ihl), arp, bytes(long_len), qinq, cut_tcp,
                  bytes(bad_ver), lldp, cut_vlan, frag]
        p = self.run_peer([send("a", f) for f in frames])
        self.assertEqual(p.rx["b"], [good_ip, options, arp, qinq, lldp, frag])
        d = self.sw.drops()
        self.assertEqual((d["runt"], d["malformed_ip"], d["malformed_l4"], d["malformed_vlan"]), (1, 3, 1, 1))
        self.assertTrue(self.sw.alive())


def udp6(src="fd00:1::1", dst="fd00:2::2", dport=53, ext=None, n=0):
    l3 = IPv6(src=src, dst=dst)
    if ext is not None:
        l3 = l3 / ext
    return raw(Ether(src=A, dst=B) / l3 / UDP(sport=1000 + n, dport=dport) / bytes(20 + n))


class IPv6Flows(SwitchTest):
    PORTS = ("a", "b", "c")

    def test_ipv6_addresses_protocols_and_extension_headers(self):
        for flow in ("priority=10,in_port=a,ipv6,actions=output:b",
                     "priority=20,in_port=a,ipv6,ipv6_dst=fd00:2::/64,actions=output:c",
                     "priority=30,in_port=a,udp6,ipv6_dst=fd00:2::/64,tp_dst=53,actions=drop",
                     "priority=40,in_port=a,icmp6,icmpv6_type=128,actions=output:b",
                     "priority=50,in_port=a,ipv6,ipv6_src=fd00:9::/ffff:ffff::ffff,actions=output:b",
                     "priority=60,in_port=a,udp6,nw_frag=later,actions=output:c"):
            self.sw.ctl("add-flow", flow)
        to_c = udp6(dport=80)                         # prefix, not the port: c
        dropped = udp6()                              # prefix and port 53: drop
        # port 53 behind hop-by-hop and destination options: still dropped
        behind_ext = udp6(ext=IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt())
        other_net = udp6(dst="fd00:3::2")             # only "ipv6": b
        echo = raw(Ether(src=A, dst=B) / IPv6(src="fd00:1::1", dst="fd00:2::2") / ICMPv6EchoRequest())
        masked = udp6(src="fd00:9:1:2:3:4:5:0")       # mask takes 32 + last 16 bits: b
        later = raw(Ether(src=A, dst=B) / IPv6(src="fd00:1::1", dst="fd00:2::2") /
                    IPv6ExtHdrFragment(nh=17, offset=8) / bytes(16))
        frames = [to_c, dropped, behind_ext, other_net, echo, masked, later]
        p = self.run_peer([send("a", f) for f in frames])
        self.assertEqual(p.rx["c"], [to_c, later])
        self.assertEqual(p.rx["b"], [other_net, echo, masked])
        self.assertEqual(self.sw.drops()["action_drop"], 2)
        counts = {x["priority"]: x["n_packets"] for x in self.sw.flows()}
        self.assertEqual(counts, {10: 1, 20: 1, 30: 2, 40: 1, 50: 1, 60: 1})
        # dump-flows and trace speak the same syntax
        matches = [x["match"] for x in self.sw.flows()]
        self.assertIn("priority=30,in_port=a,udp6,ipv6_dst=fd00:2::/64,tp_dst=53", matches)
        self.assertIn("priority=50,in_port=a,ipv6,ipv6_src=fd00:9::/ffff:ffff::ffff", matches)
        t = self.sw.j("trace", "in_port=a,udp6,ipv6_src=fd00:1::1,ipv6_dst=fd00:2::9,tp_dst=80")
        self.assertEqual([o["port"] for o in t["outputs"]], ["c"])
        r = self.sw.ctl("add-flow", "ip,ipv6_src=fd00::1,actions=drop", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ipv6_src needs ipv6", r.stderr)

    def test_malformed_ipv6_frames(self):
        self.sw.ctl("add-flow", "in_port=a,actions=output:b")
        good = udp6()
        bad_version = bytearray(good); bad_version[14] = 0x40 | (bad_version[14] & 0x0f)
        long_plen = bytearray(good); long_plen[18:20] = (2000).to_bytes(2, "big")
        cut_hdr = good[:14 + 30]
        # an extension header that claims more than the payload holds
        long_ext = bytearray(udp6(ext=IPv6ExtHdrDestOpt()))
        long_ext[14 + 40 + 1] = 200
        cut_udp = raw(Ether(src=A, dst=B) / IPv6(src="fd00:1::1", dst="fd00:2::2", nh=17, plen=4) / bytes(4))
        ns = raw(Ether(src=A, dst="33:33:ff:00:00:02") / IPv6(src="::", dst="ff02::1:ff00:2") /
                 ICMPv6ND_NS(tgt="fd00:2::2"))
        frames = [good, bytes(bad_version), bytes(long_plen), cut_hdr, bytes(long_ext), cut_udp, ns]
        p = self.run_peer([send("a", f) for f in frames])
        self.assertEqual(p.rx["b"], [good, ns])
        d = self.sw.drops()
        self.assertEqual((d["malformed_ip"], d["malformed_l4"]), (4, 1))
        self.assertTrue(self.sw.alive())


class ModFlows(SwitchTest):
    PORTS = ("a", "b", "c")

    def test_mod_flows_keeps_counters_and_cookies(self):
        self.sw.ctl("add-flow", "priority=10,in_port=a,actions=output:b")
        self.sw.ctl("add-flow", "cookie=0x7,idle_timeout=600,priority=20,in_port=a,udp,tp_dst=2000,"
                    "actions=output:b")
        self.sw.ctl("add-flow", "table=1,priority=5,actions=drop")
        first = [udp(n=i) for i in range(3)]
        p = self.run_peer([send("a", f) for f in first])
        self.assertEqual(p.rx["b"], first)
        # loose: every flow at least as specific as in_port=a, in every table
        self.assertEqual(self.sw.j("mod-flows", "in_port=a,actions=output:c")["modified"], 2)
        second = [udp(n=i) for i in range(3, 5)]
        p = self.run_peer([send("a", f) for f in second])
        self.assertEqual(p.rx["c"], second)
        self.assertEqual(p.rx["b"], [])
        flows = {f["priority"]: f for f in self.sw.flows()}
        self.assertEqual(flows[20]["n_packets"], 5)
        self.assertEqual(flows[20]["n_bytes"], sum(map(len, first + second)))
        self.assertEqual(flows[20]["cookie"], 7)
        self.assertEqual(flows[20]["idle_timeout"], 600)
        self.assertEqual(flows[20]["actions"], "output:c")
        self.assertEqual(flows[5]["actions"], "drop")
        # strict: the one flow of that match and priority
        self.assertEqual(self.sw.j("mod-flows", "--strict", "priority=10,in_port=a,actions=drop")["modified"], 1)
        flows = {f["priority"]: f["actions"] for f in self.sw.flows()}
        self.assertEqual(flows, {10: "drop", 20: "output:c", 5: "drop"})
        # by cookie
        self.assertEqual(self.sw.j("mod-flows", "cookie=0x7/-1,actions=output:b,output:c")["modified"], 1)
        p = self.run_peer([send("a", first[0])])
        self.assertEqual((p.rx["b"], p.rx["c"]), ([first[0]], [first[0]]))
        # a goto_table that would point backwards in any selected flow:
        # refused, nothing changed
        r = self.sw.ctl("mod-flows", "actions=goto_table:1", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("must go to a later table", r.stderr)
        self.assertEqual({f["priority"]: f["actions"] for f in self.sw.flows()},
                         {10: "drop", 20: "output:b,output:c", 5: "drop"})
        self.assertEqual(self.sw.j("mod-flows", "in_port=c,actions=drop")["modified"], 0)


class GenericDevices(SwitchTest):
    PORTS = ("a", "b")

    def test_ring_and_null_devices_by_devargs(self):
        # net_ring loops what it is sent back to its own receive side
        self.sw.ctl("add-port", "r", "dpdk", "devargs=net_ring_psw0")
        self.sw.ctl("add-port", "z", "dpdk", "devargs=net_null_psw0,no-rx=1")
        self.sw.ctl("add-flow", "in_port=a,actions=output:r,output:z")
        self.sw.ctl("add-flow", "in_port=r,actions=output:b")
        frames = [udp(n=i, size=80) for i in range(8)]
        p = self.run_peer([send("a", f) for f in frames])
        self.assertEqual(p.rx["b"], frames)
        self.assertEqual(self.sw.port("z")["stats"]["tx_packets"], 8)
        self.assertEqual(self.sw.port("r")["stats"]["rx_packets"], 8)
        self.sw.ctl("del-port", "r")
        self.sw.ctl("del-port", "z")


class Aging(SwitchTest):
    PORTS = ("a", "b")
    # long enough that an entry is still there when the peer has gone, on
    # a sanitized build too
    EXTRA = ("--fdb-age", str(int(2 * SLOW)))

    def test_learned_entries_age_out(self):
        self.sw.ctl("add-flow", "actions=normal")
        self.sw.ctl("fdb-add", "b", D)
        self.run_peer([send("a", udp(A, B, 1))])
        self.assertIn(A, [e["mac"] for e in self.sw.j("fdb-show")["entries"]])
        deadline = time.time() + 10 * SLOW
        while time.time() < deadline and len(self.sw.j("fdb-show")["entries"]) > 1:
            time.sleep(0.2)
        # the learned entry aged out, the static one stays
        self.assertEqual([e["mac"] for e in self.sw.j("fdb-show")["entries"]], [D])

    def test_active_source_does_not_age_out(self):
        # the same frame again and again (NORMAL's remembered decision) still
        # refreshes its source once a second
        self.sw.ctl("add-flow", "actions=normal")
        self.sw.ctl("fdb-add", "b", B)
        cmds = []
        for n in range(16):
            cmds += [send("a", udp(A, B, 1)), "sleep 200"]
        p = self.run_peer(cmds)
        self.assertEqual(len(p.rx["b"]), 16)
        self.assertIn(A, [e["mac"] for e in self.sw.j("fdb-show")["entries"]])


class MultiQueue(SwitchTest):
    def test_every_queue_is_polled(self):
        self.sw.ctl("add-port", "a", "vhost-user", "queues=2")
        self.sw.ctl("add-port", "b", "vhost-user", "queues=2")
        self.sw.ctl("add-flow", "in_port=a,actions=output:b")
        frames = [udp(n=i, size=60) for i in range(6)]
        script = [send("a", f) + " %d" % (i % 2) for i, f in enumerate(frames)]
        p = Peer(self.sw, {"a": vhost_path(self.sw, "a") + ",queues=2", "b": vhost_path(self.sw, "b") + ",queues=2"},
                 script)
        p.start(["a", "b"])
        p.wait()
        self.assertEqual(sorted(p.rx["b"]), sorted(frames))
        rxqs = {(q["port"], q["queue"]): q["packets"] for q in self.sw.j("pmd-rxq-show")[0]["rxqs"]}
        self.assertEqual((rxqs[("a", 0)], rxqs[("a", 1)]), (3, 3))
