# SPDX-License-Identifier: BSD-3-Clause
"""Port rate limits (Open vSwitch's ingress_policing_rate/burst, and the
egress policer): frames beyond the bucket are counted drops, the ones within
arrive whole and in order; limits change at run time and survive a restart."""

from scapy.all import IP, UDP, Ether, raw

from harness import Switch, SwitchTest, send

A, B = "02:00:00:00:00:0a", "02:00:00:00:00:0b"


def frame(src, dst, n, size=1000):
    f = Ether(src=src, dst=dst) / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1000 + n, dport=2000)
    return raw(f / bytes(size - len(f)))


# 8 kbit/s refills 1,000 bytes a second; a burst of 80 kbit is 10,000 bytes:
# ten frames of 1,000 bytes sent at once pass, the eleventh onward do not
LIMIT = ("_policing_rate=8", "_policing_burst=80")


class Policing(SwitchTest):
    PORTS = ("a", "b")

    def setUp(self):
        super().setUp()
        self.sw.ctl("add-flow", "in_port=a,actions=output:b")
        self.sw.ctl("add-flow", "in_port=b,actions=output:a")

    def police(self, port, direction):
        self.sw.ctl("set-port", port, *(direction + x for x in LIMIT))

    def test_ingress_policing(self):
        self.police("a", "ingress")
        pol = self.sw.port("a")["policing"]
        self.assertEqual(pol, {"ingress": {"rate_kbps": 8, "burst_kb": 80}, "egress": None})
        self.assertIn("ingress policing: 8 kbit/s, burst 80 kbit", self.sw.ctl("show").stdout)
        from_a = [frame(A, B, n) for n in range(30)]
        from_b = [frame(B, A, n) for n in range(30)]
        p = self.run_peer([send("a", f) for f in from_a] + [send("b", f) for f in from_b])
        self.assertEqual(p.rx["b"], from_a[:10])
        self.assertEqual(p.rx["a"], from_b)           # the other way is not limited
        st = self.sw.port("a")["stats"]
        self.assertEqual((st["rx_packets"], st["rx_dropped"]), (10, 20))
        self.assertEqual(self.sw.drops()["policed"], 20)
        self.assertEqual(self.sw.flows("in_port=a")[0]["n_packets"], 10)
        # a rate of 0 lifts the limit
        self.sw.ctl("set-port", "a", "ingress_policing_rate=0")
        self.assertEqual(self.sw.port("a")["policing"]["ingress"], None)
        self.assertNotIn("ingress_policing_burst", self.sw.port("a")["options"])
        p = self.run_peer([send("a", f) for f in from_a])
        self.assertEqual(p.rx["b"], from_a)

    def test_egress_policing(self):
        self.police("b", "egress")
        from_a = [frame(A, B, n, 500 + n) for n in range(40)]
        p = self.run_peer([send("a", f) for f in from_a])
        # 10,000 bytes of frames of 500 bytes and up: the first 19 fit
        fit, total = 0, 0
        while total + len(from_a[fit]) <= 10000:
            total += len(from_a[fit])
            fit += 1
        self.assertEqual(p.rx["b"], from_a[:fit])
        st = self.sw.port("b")["stats"]
        self.assertEqual((st["tx_packets"], st["tx_dropped"]), (fit, 40 - fit))
        self.assertEqual(self.sw.drops()["policed"], 40 - fit)
        self.assertEqual(self.sw.port("a")["stats"]["rx_dropped"], 0)

    def test_bad_options(self):
        cases = [(("add-port", "c", "vhost-user", "ingress_policing_rate=-1"), "0 to 400000000 (kbit/s)"),
                 (("add-port", "c", "vhost-user", "egress_policing_burst=10"),
                  "egress_policing_burst needs egress_policing_rate"),
                 (("add-port", "c", "vhost-user", "ingres_policing_rate=10"), "unknown port option 'ingres_policing_rate'"),
                 (("set-port", "a", "tag=5"), "not 'tag'"),
                 (("set-port", "a", "ingress_policing_rate=x"), "takes a number"),
                 (("set-port", "zz", "ingress_policing_rate=1"), "no port 'zz'")]
        for args, why in cases:
            r = self.sw.ctl(*args, check=False)
            self.assertNotEqual(r.returncode, 0, args)
            self.assertIn(why, r.stderr, args)
        names = [p["name"] for p in self.sw.j("show")["ports"]]
        self.assertEqual(names, ["a", "b"])
        self.assertEqual(self.sw.port("a")["policing"], {"ingress": None, "egress": None})

    def test_limits_survive_a_restart(self):
        self.police("a", "ingress")
        run_dir = self.sw.dir
        self.assertEqual(self.sw.stop(), 0)
        self.sw = Switch(run_dir=run_dir, restore=True, log_name="pswitchd2.log")
        self.assertEqual(self.sw.port("a")["policing"]["ingress"], {"rate_kbps": 8, "burst_kb": 80})
        self.sw.ctl("add-flow", "in_port=a,actions=output:b")
        from_a = [frame(A, B, n) for n in range(15)]
        p = self.run_peer([send("a", f) for f in from_a])
        self.assertEqual(p.rx["b"], from_a[:10])
