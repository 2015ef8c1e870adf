# SPDX-License-Identifier: BSD-3-Clause
"""Two PMDs (cores 0 and 1, the control thread sharing core 0): rx queues
spread over them, frames from both into one port, pinning and isolation,
rebalancing by recent load and automatic load balancing."""

import time

from scapy.all import IP, UDP, Ether, raw

from harness import SLOW, SwitchTest, send

A, B, C, D = ("02:00:00:00:00:0a", "02:00:00:00:00:0b", "02:00:00:00:00:0c",
              "02:00:00:00:00:0d")
TWO_PMDS = ("--pmd-cores", "0,1", "--control-core", "0")


def frame(src, dst, n=0, size=64):
    f = Ether(src=src, dst=dst) / IP(src="10.0.0.1", dst="10.0.1.%d" % (n % 250 + 1)) / \
        UDP(sport=1000 + n, dport=2000)
    return raw(f / bytes(max(0, size - len(f))))


class PmdTest(SwitchTest):
    def placement(self):
        """{(port, queue): core} and {core: isolated}"""
        show = self.sw.j("pmd-rxq-show")
        return ({(q["port"], q["queue"]): p["core"] for p in show for q in p["rxqs"]},
                {p["core"]: p["isolated"] for p in show})

    def wait_for(self, what, timeout):
        deadline = time.time() + timeout * SLOW
        while time.time() < deadline:
            if what():
                return True
            time.sleep(0.1)
        return what()


class TwoPmds(PmdTest):
    PORTS = ("a", "b", "c")
    EXTRA = TWO_PMDS

    def test_queues_spread_and_frames_from_both_meet(self):
        self.assertIn("a PMD shares the control thread's core", self.sw.read_log())
        self.assertEqual([s["core"] for s in self.sw.j("pmd-stats")], [0, 1])
        where, isolated = self.placement()
        # one queue each, placed in turn: a and c on one PMD, b on the other
        self.assertEqual(sorted(where), [("a", 0), ("b", 0), ("c", 0)])
        self.assertEqual(where[("a", 0)], where[("c", 0)])
        self.assertNotEqual(where[("a", 0)], where[("b", 0)])
        self.assertEqual(isolated, {0: False, 1: False})
        # a (one PMD) and b (the other) both send to c: c's one tx queue is
        # shared by the two PMDs, which take turns on it
        self.sw.ctl("add-flow", "in_port=a,actions=output:c")
        self.sw.ctl("add-flow", "in_port=b,actions=output:c")
        from_a = [frame(A, C, n, 64 + n) for n in range(60)]
        from_b = [frame(B, C, n + 100, 200 + n) for n in range(60)]
        script = []
        for fa, fb in zip(from_a, from_b):
            script += [send("a", fa), send("b", fb)]
        p = self.run_peer(script)
        self.assertEqual(sorted(p.rx["c"]), sorted(from_a + from_b))
        # each direction in its own order
        self.assertEqual([f for f in p.rx["c"] if f[6:12] == bytes.fromhex(A.replace(":", ""))], from_a)
        flows = {f["match"]: f["n_packets"] for f in self.sw.flows()}
        self.assertEqual(flows, {"priority=32768,in_port=a": 60, "priority=32768,in_port=b": 60})
        c = self.sw.port("c")["stats"]
        self.assertEqual((c["tx_packets"], c["tx_bytes"]), (120, sum(map(len, from_a + from_b))))
        per_core = {s["core"]: s["packets"] for s in self.sw.j("pmd-stats")}
        self.assertEqual(per_core[where[("a", 0)]], 60)
        self.assertEqual(per_core[where[("b", 0)]], 60)

    def test_normal_learns_from_both_pmds(self):
        self.sw.ctl("add-flow", "actions=normal")
        f1, f2, f3, f4 = frame(A, B, 1), frame(B, A, 2), frame(A, B, 3), frame(C, A, 4)
        p = self.run_peer([send("a", f1), "sleep 100", send("b", f2), "sleep 100", send("a", f3),
                           "sleep 100", send("c", f4)])
        self.assertEqual(p.rx["b"], [f1, f3])        # flooded, then learned
        self.assertEqual(p.rx["c"], [f1])            # the flood only
        self.assertEqual(p.rx["a"], [f2, f4])
        fdb = {e["mac"]: e["port"] for e in self.sw.j("fdb-show")["entries"]}
        self.assertEqual((fdb[A], fdb[B], fdb[C]), ("a", "b", "c"))

    def test_pinning_isolates_a_pmd(self):
        where, _ = self.placement()
        b_core = where[("b", 0)]
        other = 1 - b_core
        # pin a to b's PMD: that PMD now polls a alone, b moves off it
        self.sw.ctl("pmd-rxq-pin", "a", "0", str(b_core))
        where, isolated = self.placement()
        self.assertEqual(where, {("a", 0): b_core, ("b", 0): other, ("c", 0): other})
        self.assertEqual(isolated, {b_core: True, other: False})
        self.assertIn("isolated", self.sw.ctl("pmd-rxq-show").stdout)
        # frames still cross between the moved queues
        self.sw.ctl("add-flow", "in_port=a,actions=output:b")
        self.sw.ctl("add-flow", "in_port=b,actions=output:a")
        fa, fb = frame(A, B, 1), frame(B, A, 2)
        p = self.run_peer([send("a", fa), send("b", fb)])
        self.assertEqual((p.rx["b"], p.rx["a"]), ([fa], [fb]))
        # unpinned: nothing moves until a rebalance, and no PMD is isolated
        self.sw.ctl("pmd-rxq-unpin", "a", "0")
        where2, isolated = self.placement()
        self.assertEqual(where2, where)
        self.assertEqual(isolated, {0: False, 1: False})
        # a port added later takes the less loaded PMD and moves no queue
        self.sw.ctl("add-port", "d", "vhost-user")
        where3, _ = self.placement()
        self.assertIn(where3[("d", 0)], (0, 1))
        self.assertEqual({k: v for k, v in where3.items() if k[0] != "d"}, where)

    def test_pins_everywhere_isolate_nothing(self):
        self.sw.ctl("pmd-rxq-pin", "a", "0", "0")
        self.sw.ctl("pmd-rxq-pin", "b", "0", "1")
        where, isolated = self.placement()
        self.assertEqual((where[("a", 0)], where[("b", 0)]), (0, 1))
        self.assertEqual(isolated, {0: False, 1: False})
        self.assertIn(where[("c", 0)], (0, 1))
        r = self.sw.ctl("pmd-rxq-pin", "a", "0", "7", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no PMD runs on core 7", r.stderr)


def stream(port, f, ms):
    return "stream %s %s %d %d" % (port, f.hex(), int(20000 / SLOW), ms)


class Streams(PmdTest):
    # a and c share a PMD (placed in turn), b and d the other
    PORTS = ("a", "b", "c", "d")
    EXTRA = TWO_PMDS + ("--pmd-load-interval", "1")

    def flows_and_streams(self, rounds, ms):
        self.sw.ctl("add-flow", "in_port=a,actions=output:b")
        self.sw.ctl("add-flow", "in_port=c,actions=output:d")
        script = ["sleep 100"]
        for _ in range(rounds):
            script += [stream("a", frame(A, B, 1), ms), stream("c", frame(C, D, 2), ms)]
        # the peer on core 1: PMD 0 keeps most of core 0
        return self.peer(script, linger_ms=500, core=1)

    def check_lossless(self, p):
        s = p.summary
        self.assertGreater(s["a"]["tx"], 0)
        self.assertEqual((s["a"]["tx_failed"], s["c"]["tx_failed"]), (0, 0))
        self.assertEqual((s["b"]["rx"], s["d"]["rx"]), (s["a"]["tx"], s["c"]["tx"]),
                         "drops: %s" % self.sw.drops())


class Rebalance(Streams):
    def test_rebalance_places_by_recent_load(self):
        where, _ = self.placement()
        self.assertEqual(where[("a", 0)], where[("c", 0)])
        p = self.flows_and_streams(2, 700)
        p.start()
        p.wait()
        self.check_lossless(p)
        usage = {(q["port"], q["queue"]): q["usage"] for s in self.sw.j("pmd-rxq-show") for q in s["rxqs"]}
        self.assertGreater(usage[("a", 0)], 0)
        self.assertGreater(usage[("c", 0)], 0)
        self.assertEqual((usage[("b", 0)], usage[("d", 0)]), (0, 0))
        # the two busy queues go to different PMDs
        where, _ = self.placement()
        self.sw.ctl("pmd-rxq-rebalance")
        moved, _ = self.placement()
        self.assertNotEqual(moved[("a", 0)], moved[("c", 0)])
        # once the window (6 intervals of 1 s) has passed, the load is gone
        self.assertTrue(self.wait_for(lambda: all(
            q["usage"] == 0 for s in self.sw.j("pmd-rxq-show") for q in s["rxqs"]), 12))


class AutoLoadBalance(Streams):
    EXTRA = Streams.EXTRA + ("--pmd-auto-lb", "--pmd-auto-lb-interval", "0",
                               "--pmd-auto-lb-load-threshold", "1")

    def test_overloaded_pmd_gives_up_a_queue_without_loss(self):
        where, _ = self.placement()
        self.assertEqual(where[("a", 0)], where[("c", 0)])
        self.assertIn("PMD auto load balance is on", self.sw.read_log())
        p = self.flows_and_streams(4, 1000)
        p.start()
        moved = self.wait_for(lambda: self.placement()[0][("a", 0)] != self.placement()[0][("c", 0)], 15)
        p.wait()
        self.assertTrue(moved, "a and c still share a PMD:\n" + self.sw.read_log())
        self.check_lossless(p)
        log = self.sw.read_log()
        # moved once: placing the queues anew again evens nothing more
        self.assertEqual(log.count("auto load balance moved rx queues"), 1, log)
