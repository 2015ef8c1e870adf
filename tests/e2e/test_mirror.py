# SPDX-License-Identifier: BSD-3-Clause
"""Port mirrors: copies of what selected ports send into the switch (as it
arrived) or get from it (as it leaves), on an output port that carries no
flooded or NORMAL traffic; errors for selections that cannot be."""

from scapy.all import IP, UDP, Dot1Q, Ether, raw

from harness import SwitchTest, send

A, B, C = "02:00:00:00:00:0a", "02:00:00:00:00:0b", "02:00:00:00:00:0c"
BCAST = "ff:ff:ff:ff:ff:ff"


def frame(src, dst, n, size=100):
    f = Ether(src=src, dst=dst) / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1000 + n, dport=2000)
    return raw(f / bytes(size - len(f)))


class Mirrors(SwitchTest):
    PORTS = ("a", "b", "m")

    def test_received_and_sent_frames_are_copied(self):
        self.sw.ctl("add-flow", "in_port=a,actions=mod_vlan_vid:7,output:b")
        self.sw.ctl("add-flow", "in_port=b,actions=output:a")
        self.sw.ctl("add-mirror", "m1", "output=m", "select_src=a")
        self.assertEqual(self.sw.j("show")["mirrors"],
                         [{"name": "m1", "select_src": ["a"], "select_dst": [], "output": "m"}])
        self.assertIn("mirror m1 -> m: from a", self.sw.ctl("show").stdout)
        from_a = [frame(A, B, n, 100 + n) for n in range(5)]
        from_b = [frame(B, A, n + 10) for n in range(3)]
        p = self.run_peer([send("a", f) for f in from_a] + ["sleep 50"] + [send("b", f) for f in from_b])
        tagged = [raw(Ether(src=A, dst=B) / Dot1Q(vlan=7) / Ether(f).payload) for f in from_a]
        self.assertEqual(p.rx["b"], tagged)      # the original, rewritten by its flow
        self.assertEqual(p.rx["m"], from_a)      # the copy, as a sent it
        self.assertEqual(p.rx["a"], from_b)
        # now what b gets, as it leaves (rewritten), and what a gets
        self.sw.ctl("del-mirror", "m1")
        self.sw.ctl("add-mirror", "m2", "output=m", "select_dst=b,a")
        p = self.run_peer([send("a", f) for f in from_a] + ["sleep 50"] + [send("b", f) for f in from_b])
        self.assertEqual(p.rx["b"], tagged)
        self.assertEqual(p.rx["m"], tagged + from_b)
        self.assertEqual(self.sw.port("m")["stats"]["tx_packets"], 5 + 8)
        self.assertEqual(sum(self.sw.drops().values()), 0)
        # without mirrors, nothing more reaches m
        self.sw.ctl("del-mirror", "m2")
        self.assertEqual(self.sw.j("show")["mirrors"], [])
        p = self.run_peer([send("a", f) for f in from_a])
        self.assertEqual(p.rx["m"], [])

    def test_output_carries_no_flooded_traffic(self):
        self.sw.ctl("add-flow", "priority=10,actions=normal")
        self.sw.ctl("add-flow", "priority=20,in_port=b,udp,tp_src=1099,actions=flood")
        self.sw.ctl("add-mirror", "watch", "output=m", "select_src=a", "select_dst=a")
        unknown = frame(A, C, 1)            # C unknown: flooded, to b only
        bcast = frame(A, BCAST, 2)
        to_a = frame(B, A, 3)               # learned: to a
        flooded = frame(B, C, 99)           # the flood action, from b
        p = self.run_peer([send("a", unknown), "sleep 50", send("a", bcast), "sleep 50", send("b", to_a),
                           "sleep 50", send("b", flooded)])
        self.assertEqual(p.rx["b"], [unknown, bcast])
        self.assertEqual(p.rx["a"], [to_a, flooded])
        # m holds only the copies: a's two frames as sent, then a's two as received
        self.assertEqual(p.rx["m"], [unknown, bcast, to_a, flooded])

    def test_bad_mirrors(self):
        self.sw.ctl("add-port", "c", "vhost-user")
        self.sw.ctl("add-mirror", "one", "output=m", "select_src=a")
        cases = [(("add-mirror", "one", "output=c", "select_src=b"), "mirror 'one' exists"),
                 (("add-mirror", "two", "output=c", "select_src=a"), "port 'a' is mirrored by 'one' already"),
                 (("add-mirror", "two", "output=c", "select_src=m"), "'m' is another mirror's output"),
                 (("add-mirror", "two", "output=a", "select_src=b"), "port 'a' is mirrored by 'one'"),
                 (("add-mirror", "two", "output=c", "select_src=c"), "is the mirror's output"),
                 (("add-mirror", "two", "output=zz", "select_src=b"), "no port 'zz'"),
                 (("add-mirror", "two", "output=c", "select_dst=zz"), "select_dst: no port 'zz'"),
                 (("add-mirror", "two", "output=c"), "needs select_src or select_dst"),
                 (("add-mirror", "two", "output=c", "from=b"), "not 'from'"),
                 (("del-mirror", "nope"), "no mirror 'nope'")]
        for args, why in cases:
            r = self.sw.ctl(*args, check=False)
            self.assertNotEqual(r.returncode, 0, args)
            self.assertIn(why, r.stderr, args)
        self.assertEqual([m["name"] for m in self.sw.j("show")["mirrors"]], ["one"])
        # a's rx mirrored to m and b's tx to c, at once
        self.sw.ctl("add-mirror", "two", "output=c", "select_dst=b")
        # a selected port that goes away leaves the mirror; its output takes it along
        self.sw.ctl("del-port", "b")
        self.assertEqual(self.sw.j("show")["mirrors"][1]["select_dst"], [])
        self.sw.ctl("del-port", "m")
        self.assertEqual([m["name"] for m in self.sw.j("show")["mirrors"]], ["two"])
        self.assertIn("mirror removed with its output port", self.sw.read_log())
