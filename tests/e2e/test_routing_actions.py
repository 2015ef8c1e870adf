# SPDX-License-Identifier: BSD-3-Clause
"""The routing and tunnel actions as an operator writes them, through a real
pswitchd whose PMD sleeps when idle (--pmd-sleep-max): dec_ttl, arp_reply,
nd_advert, push_vxlan and pop_vxlan (with tun_src and tun_id matched after),
drop reasons; every byte that arrives compared with what was expected."""

from scapy.all import (ARP, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr,
                       ICMPv6NDOptSrcLLAddr, IP, IPv6, UDP, VXLAN, Ether, raw)

from harness import SwitchTest, send, wait_for

POD = "0a:58:0a:f4:01:05"
RMAC = "0a:58:0a:f4:01:01"
NODE_A, NODE_B = "02:00:00:00:00:0a", "02:00:00:00:00:0b"
PUSH = ("push_vxlan(vni=42,eth_src=%s,eth_dst=%s,ip_src=192.168.50.1,"
        "ip_dst=192.168.50.2,mtu=1450)" % (NODE_A, NODE_B))


def udp(ttl=64, size=100, dst="10.244.2.9"):
    f = Ether(src=POD, dst=RMAC) / IP(src="10.244.1.5", dst=dst, ttl=ttl, flags="DF") / \
        UDP(sport=1234, dport=80)
    return raw(f / bytes(max(0, size - len(f))))


class RoutingActions(SwitchTest):
    PORTS = ("a", "b")
    EXTRA = ("--pmd-sleep-max", "300")

    def test_idle_pmd_sleeps_and_wakes_for_traffic(self):
        wait_for(lambda: self.sw.j("pmd-stats")[0]["sleeps"] > 100, 10)
        before = self.sw.j("pmd-stats")[0]
        self.assertEqual(before["sleep_max_us"], 300)
        self.assertGreater(before["sleep_ns"], 0)
        self.assertIn("sleep:", self.sw.ctl("pmd-stats").stdout)
        self.sw.ctl("add-flow", "in_port=a,actions=output:b")
        frames = [udp(size=64 + n) for n in range(100)]
        p = self.run_peer([send("a", f) for f in frames])
        self.assertEqual(p.rx["b"], frames)

    def test_dec_ttl(self):
        self.sw.ctl("add-flow", "in_port=a,ip,actions=dec_ttl,output:b")
        self.sw.ctl("add-flow", "in_port=a,ipv6,actions=dec_ttl,output:b")
        six = raw(Ether(src=POD, dst=RMAC) / IPv6(src="fd00::5", dst="fd00:2::9", hlim=9) /
                  UDP(sport=1, dport=2) / (b"x" * 20))
        p = self.run_peer([send("a", udp(ttl=5)), send("a", udp(ttl=1)), send("a", six)])
        expect = Ether(udp(ttl=5))
        expect[IP].ttl = 4
        del expect[IP].chksum  # scapy computes it anew: the PMD's incremental one must match
        expect6 = Ether(six)
        expect6[IPv6].hlim = 8
        self.assertEqual(p.rx["b"], [raw(expect), raw(expect6)])
        # TTL 1 is not forwarded; with no pod network there is no router to answer
        self.assertEqual(self.sw.drops()["ttl_exceeded"], 1)
        self.assertEqual(p.rx.get("a", []), [])

    def test_arp_reply_and_nd_advert(self):
        self.sw.ctl("add-flow", "in_port=a,arp,arp_op=1,actions=arp_reply:%s" % RMAC)
        self.sw.ctl("add-flow", "in_port=a,icmp6,icmpv6_type=135,actions=nd_advert:%s" % RMAC)
        req = raw(Ether(src=POD, dst="ff:ff:ff:ff:ff:ff") /
                  ARP(op=1, hwsrc=POD, psrc="10.244.1.5", pdst="10.244.1.1"))
        probe = raw(Ether(src=POD, dst="ff:ff:ff:ff:ff:ff") /
                    ARP(op=1, hwsrc=POD, psrc="0.0.0.0", pdst="10.244.1.5"))
        ns = raw(Ether(src=POD, dst="33:33:ff:00:00:01") /
                 IPv6(src="fd00::5", dst="ff02::1:ff00:1", hlim=255) /
                 ICMPv6ND_NS(tgt="fd00::1") / ICMPv6NDOptSrcLLAddr(lladdr=POD))
        dad = raw(Ether(src=POD, dst="33:33:ff:00:00:05") /
                  IPv6(src="::", dst="ff02::1:ff00:5", hlim=255) / ICMPv6ND_NS(tgt="fd00::5"))
        p = self.run_peer([send("a", req), send("a", probe), send("a", ns), send("a", dad)])
        reply = Ether(src=RMAC, dst=POD) / ARP(op=2, hwsrc=RMAC, psrc="10.244.1.1", hwdst=POD,
                                               pdst="10.244.1.5")
        na = Ether(src=RMAC, dst=POD) / IPv6(src="fd00::1", dst="fd00::5", hlim=255) / \
            ICMPv6ND_NA(R=1, S=1, O=1, tgt="fd00::1") / ICMPv6NDOptDstLLAddr(lladdr=RMAC)
        got = p.rx["a"]
        self.assertEqual(len(got), 2)
        self.assertEqual(got[0][:42], raw(reply))  # the request's padding stays behind
        self.assertEqual(got[1], raw(na))
        self.assertEqual(self.sw.drops()["not_answered"], 2)

    def test_vxlan_on_and_off(self):
        self.sw.ctl("add-flow", "in_port=a,ip,actions=%s,output:b" % PUSH)
        self.sw.ctl("add-flow", "in_port=b,udp,nw_dst=192.168.50.1,tp_dst=4789,"
                    "actions=pop_vxlan(vni=42,table=5)")
        self.sw.ctl("add-flow", "table=5,tun_src=192.168.50.2,tun_id=42,ip,"
                    "nw_src=10.244.2.0/24,actions=output:a")
        inner = udp(size=200)
        p = self.run_peer([send("a", inner), send("a", udp(size=1600))])
        self.assertEqual(len(p.rx["b"]), 1)
        enc = Ether(p.rx["b"][0])
        self.assertEqual((enc.src, enc.dst, enc[IP].src, enc[IP].dst, enc[IP].flags, enc[UDP].dport,
                          enc[VXLAN].vni), (NODE_A, NODE_B, "192.168.50.1", "192.168.50.2", "DF",
                                            4789, 42))
        self.assertGreaterEqual(enc[UDP].sport, 49152)
        self.assertEqual(raw(enc[VXLAN].payload), inner)
        outer = IP(raw(enc[IP]))
        del outer.chksum
        self.assertEqual(IP(raw(outer)).chksum, enc[IP].chksum)
        # the 1600-byte one did not fit (DF; no router here to say so)
        self.assertEqual(self.sw.drops()["too_big"], 1)

        def encap(src="192.168.50.2", vni=42, inner_src="10.244.2.9", flags=0x08):
            i = Ether(src=RMAC, dst=POD) / IP(src=inner_src, dst="10.244.1.5") / \
                UDP(sport=80, dport=1234) / (b"r" * 30)
            return raw(Ether(src=NODE_B, dst=NODE_A) / IP(src=src, dst="192.168.50.1") /
                       UDP(sport=50000, dport=4789) / VXLAN(vni=vni, flags=flags) / i), raw(i)

        good, good_inner = encap()
        wrong_vni, _ = encap(vni=43)
        wrong_node, _ = encap(src="192.168.50.3")
        spoofed, _ = encap(inner_src="10.244.3.9")
        no_i, _ = encap(flags=0)
        p = self.run_peer([send("b", f) for f in (good, wrong_vni, wrong_node, spoofed, no_i)])
        self.assertEqual(p.rx["a"], [good_inner])
        d = self.sw.drops()
        self.assertEqual((d["vxlan_wrong_vni"], d["malformed_vxlan"], d["no_flow"]), (1, 1, 2))
        t = self.sw.j("trace", "in_port=b,dl_src=%s,dl_dst=%s,udp,nw_src=192.168.50.2,"
                      "nw_dst=192.168.50.1,tp_dst=4789" % (NODE_B, NODE_A))
        self.assertEqual(t["steps"][0]["actions"], "pop_vxlan(vni=42,table=5)")

    def test_drop_reason_counts(self):
        self.sw.ctl("add-flow", "in_port=a,ip,nw_dst=10.244.9.0/24,actions=drop:no_route")
        self.sw.ctl("add-flow", "in_port=a,ip,nw_dst=10.244.8.0/24,actions=drop:no_neighbor")
        p = self.run_peer([send("a", udp(dst="10.244.9.1")), send("a", udp(dst="10.244.9.2")),
                           send("a", udp(dst="10.244.8.1"))])
        self.assertEqual(p.rx.get("b", []), [])
        d = self.sw.drops()
        self.assertEqual((d["no_route"], d["no_neighbor"]), (2, 1))
        self.assertIn("drop:no_route", self.sw.ctl("dump-flows").stdout)
