# SPDX-License-Identifier: BSD-3-Clause
"""trace runs the PMDs' own code: for every kind of action, what trace says
leaves which port, with which bytes, is exactly what real forwarding of the
same frame delivers; and a trace counts, learns and sends nothing."""

from harness import SwitchTest, send

A, B = "02:00:00:00:00:0a", "02:00:00:00:00:0b"

# Each case: flows, the traced packet (in_port is always a).
CASES = {
    "output": (["in_port=a,actions=output:b"], "udp,tp_dst=53"),
    "in_port": (["in_port=a,actions=in_port"], "udp"),
    "flood": (["in_port=a,actions=flood"], "tcp,tp_dst=80"),
    "several outputs with rewrites": (
        ["in_port=a,actions=output:b,mod_dl_dst:02:00:00:00:99:99,push_vlan:0x8100,"
         "mod_vlan_vid:42,mod_vlan_pcp:5,output:c,pop_vlan,mod_dl_src:02:00:00:00:77:77,output:b"],
        "udp,nw_dst=10.0.0.9"),
    "vlan rewrite of a tagged frame": (
        ["in_port=a,dl_vlan=7,actions=mod_vlan_vid:8,output:b,strip_vlan,output:c"],
        "dl_vlan=7,dl_vlan_pcp=3,ip,nw_src=10.1.1.1"),
    "goto_table with key rewrites": (
        ["table=0,in_port=a,actions=mod_vlan_vid:5,goto_table:3",
         "table=3,dl_vlan=5,actions=output:b", "table=3,priority=1,actions=output:c"],
        "tcp,tp_dst=22"),
    "registers across tables": (
        ["table=0,in_port=a,actions=set_field:7->reg3,load:1->reg0[4..4],goto_table:1",
         "table=1,reg3=7,reg0=0x10/0x10,actions=output:c", "table=1,priority=1,actions=output:b"],
        "udp"),
    "recirculation back to table 0": (
        ["table=0,priority=10,in_port=a,reg1=0,actions=set_field:1->reg1,goto_table:1",
         "table=1,reg1=1,actions=set_field:2->reg1,mod_dl_dst:02:00:00:00:55:55,resubmit(,0)",
         "table=0,priority=20,in_port=a,reg1=2,actions=output:b,output:c"],
        "icmp,icmp_type=8"),
    "recirculation too deep": (["in_port=a,actions=output:b,resubmit(,0)"], "udp"),
    "drop": (["in_port=a,actions=drop"], "udp"),
    "table miss": (["in_port=b,actions=output:a"], "udp"),
    "normal floods an unknown destination": (["actions=normal"], "udp"),
    "arp and ipv6": (["in_port=a,arp,actions=output:b", "in_port=a,ipv6,actions=output:c"],
                     "arp,arp_spa=10.0.0.1,arp_tpa=10.0.0.2,arp_op=1,arp_sha=" + A),
    "neighbour discovery": (["in_port=a,icmp6,icmpv6_type=135,actions=output:c"],
                            "icmp6,icmpv6_type=135,ipv6_src=fe80::1,ipv6_dst=ff02::1:ff00:2,"
                            "nd_target=fd00::2,nd_sll=" + A),
}


class TraceMatchesForwarding(SwitchTest):
    PORTS = ("a", "b", "c")

    def delivered(self, frame):
        """What each port gets when port a sends 'frame'."""
        p = self.run_peer([send("a", frame)])
        return sorted((port, f.hex()) for port, frames in p.rx.items() for f in frames)

    def check(self, name, flows, packet):
        self.sw.ctl("del-flows")
        for f in flows:
            self.sw.ctl("add-flow", f)
        before = self.sw.flows()
        t = self.sw.j("trace", "in_port=a,dl_src=%s,dl_dst=%s,%s" % (A, B, packet))
        # a trace counts nothing
        self.assertEqual([f["n_packets"] for f in self.sw.flows()], [f["n_packets"] for f in before])
        # no peer is connected while tracing: every output would find its
        # link down, and is said to; the real frame is sent with them up
        self.assertTrue(all(not o["delivered"] for o in t["outputs"]))
        traced = sorted((o["port"], o["frame"]) for o in t["outputs"])
        real = self.delivered(bytes.fromhex(t["frame"]))
        self.assertEqual(traced, real, "%s: trace %s" % (name, t))
        return t

    def test_every_action(self):
        for name, (flows, packet) in CASES.items():
            with self.subTest(name):
                t = self.check(name, flows, packet)
                if name == "recirculation back to table 0":
                    self.assertEqual([(s["pass"], s["table"]) for s in t["steps"]],
                                     [(1, 0), (1, 1), (2, 0)])
                    self.assertTrue(any("recirculated" in n for n in t["notes"]))
                if name == "recirculation too deep":
                    self.assertEqual(len(t["steps"]), 8)
                    self.assertTrue(any("recirc_too_deep" in n for n in t["notes"]))
        drops = self.sw.drops()
        self.assertEqual(drops["recirc_too_deep"], 1)

    def test_a_mirror_output(self):
        self.sw.ctl("add-mirror", "m", "output=c", "select_src=a", "select_dst=b")
        t = self.check("mirror", ["in_port=a,actions=output:b"], "udp")
        self.assertEqual(sorted(o["via"] for o in t["outputs"]), ["mirror", "mirror", "output"])

    def test_normal_with_a_learned_destination_and_no_learning_from_a_trace(self):
        self.sw.ctl("add-flow", "actions=normal")
        # b's address is learned from a frame b sends
        learn = bytes.fromhex(self.sw.j("trace", "in_port=b,dl_src=%s,dl_dst=ff:ff:ff:ff:ff:ff,udp"
                                        % B)["frame"])
        self.run_peer([send("b", learn)])
        macs = {e["mac"]: e["port"] for e in self.sw.j("fdb-show")["entries"]}
        self.assertEqual(macs, {B: "b"})
        t = self.check("normal learned", ["actions=normal"], "udp")
        self.assertEqual([o["port"] for o in t["outputs"]], ["b"])
        self.assertTrue(any("learned on port" in n for n in t["notes"]))
        # the traced source address was not learned; the real frame's was
        self.sw.ctl("fdb-flush")
        self.sw.j("trace", "in_port=a,dl_src=02:00:00:00:00:77,dl_dst=%s,udp" % B)
        self.assertEqual(self.sw.j("fdb-show")["entries"], [])

    def test_access_ports(self):
        self.sw.ctl("del-port", "c")
        self.sw.ctl("add-port", "c", "vhost-user", "tag=30")
        self.check("normal to an access port", ["actions=normal"], "dl_vlan=30,udp")
        self.check("normal from an untagged frame", ["actions=normal"], "udp")

    def test_errors(self):
        r = self.sw.ctl("trace", "in_port=a,reg0=1", check=False)
        self.assertIn("no metadata or registers", r.stderr)
        r = self.sw.ctl("trace", "in_port=99,udp", check=False)
        self.assertNotEqual(r.returncode, 0)
