# SPDX-License-Identifier: BSD-3-Clause
"""pswitch-pktgen's own tests: on a ring loopback and through pswitchd its
counts are exact, and it sees the losses and duplicates a switch makes."""

import json
import os
import subprocess
import tempfile
import unittest

from harness import BUILD, SLOW, SwitchTest, vhost_path

PKTGEN = os.path.join(BUILD, "perf", "pswitch-pktgen")


def pktgen(*args, timeout=120):
    out = tempfile.mktemp(suffix=".json")
    r = subprocess.run([PKTGEN, "--no-huge", "--no-progress", "--file-prefix", "pg-%d" % os.getpid(),
                        "--json", out] + list(args), capture_output=True, text=True, timeout=timeout * SLOW)
    if r.returncode != 0:
        raise AssertionError("pswitch-pktgen failed: " + r.stdout + r.stderr)
    with open(out) as f:
        report = json.load(f)
    os.unlink(out)
    return report, r.stdout


class RingLoopback(unittest.TestCase):
    def test_counts_are_exact(self):
        rep, text = pktgen("--ring-loopback", "--count", "200000", "--flows", "1000")
        self.assertEqual((rep["sent"], rep["received"], rep["lost"], rep["reordered"], rep["duplicated"]),
                         (400000, 400000, 0, 0, 0))
        self.assertEqual(rep["latency_ns"]["samples"], 400000)
        self.assertLessEqual(rep["latency_ns"]["min"], rep["latency_ns"]["p50"])
        self.assertLessEqual(rep["latency_ns"]["p50"], rep["latency_ns"]["p99"])
        self.assertLessEqual(rep["latency_ns"]["p99"], rep["latency_ns"]["max"])
        self.assertIn("sent 400000, received 400000, lost 0", text)

    def test_sampled_stamps_keep_counts_exact(self):
        # one frame in 16 stamped: every frame counted, a sixteenth timed
        rep, _ = pktgen("--ring-loopback", "--count", "200000", "--flows", "1000", "--sample", "16")
        self.assertEqual((rep["sent"], rep["received"], rep["lost"], rep["reordered"], rep["duplicated"]),
                         (400000, 400000, 0, 0, 0))
        self.assertEqual(rep["latency_ns"]["samples"], 400000 // 16)
        self.assertEqual([p["foreign"] for p in rep["ports"]], [0, 0])

    def test_imix_rate_and_one_way(self):
        rep, _ = pktgen("--ring-loopback", "--size", "imix", "--rate", "200000", "--duration", "1",
                        "--tx", "0", "--rx", "1")
        self.assertEqual(rep["ports"][1]["sent"], 0)
        self.assertEqual(rep["received"], rep["sent"])
        # paced: within 5% of 200,000 frames in one second
        self.assertAlmostEqual(rep["sent"], 200000, delta=10000)

    def test_bad_options(self):
        for args, why in ((["--size", "20"], "--size"), (["--tcp", "--size", "64"], "74 or more"),
                          ([], "no ports")):
            r = subprocess.run([PKTGEN, "--no-huge"] + args, capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 2)
            self.assertIn(why, r.stderr)


class ThroughSwitch(SwitchTest):
    PORTS = ("a", "b")

    def run_gen(self, *args):
        return pktgen("--port", vhost_path(self.sw, "a") + ",mac=02:00:00:00:00:01",
                      "--port", vhost_path(self.sw, "b") + ",mac=02:00:00:00:00:02", *args)

    def test_exact_counts_through_pswitchd(self):
        self.sw.ctl("add-flow", "actions=normal")
        rep, _ = self.run_gen("--count", "50000", "--rate", "100000", "--flows", "64", "--size", "imix")
        self.assertEqual((rep["sent"], rep["received"], rep["lost"], rep["duplicated"]), (100000, 100000, 0, 0))
        flows = self.sw.flows()
        self.assertEqual(flows[0]["n_packets"], 100000)

    def test_losses_and_duplicates_are_seen(self):
        # a's frames to odd destination addresses are dropped; b's are sent twice
        self.sw.ctl("add-flow", "priority=20,in_port=a,ip,nw_dst=0.0.0.1/0.0.0.1,actions=drop")
        self.sw.ctl("add-flow", "priority=10,in_port=a,actions=output:b")
        self.sw.ctl("add-flow", "priority=10,in_port=b,actions=output:a,output:a")
        rep, _ = self.run_gen("--count", "20000", "--rate", "50000", "--flows", "10")
        self.assertEqual(rep["sent"], 40000)
        self.assertEqual(rep["lost"], 10000)
        self.assertEqual(rep["duplicated"], 20000)
        self.assertEqual(rep["received"], 30000)
        self.assertEqual(self.sw.drops()["action_drop"], 10000)

    def test_sampled_frames_carry_their_streams(self):
        # frames sent again from a port's recycled buffers still go to their
        # own destinations: exactly the odd ones are dropped
        self.sw.ctl("add-flow", "priority=20,in_port=a,ip,nw_dst=0.0.0.1/0.0.0.1,actions=drop")
        self.sw.ctl("add-flow", "priority=10,in_port=a,actions=output:b")
        self.sw.ctl("add-flow", "priority=10,in_port=b,actions=output:a")
        rep, _ = self.run_gen("--count", "20000", "--rate", "50000", "--flows", "10", "--sample", "4")
        self.assertEqual((rep["sent"], rep["received"], rep["lost"]), (40000, 30000, 10000))
        # stamped: every fourth frame of each port; a's go to even addresses
        self.assertEqual(rep["latency_ns"]["samples"], 10000)
        self.assertEqual(self.sw.drops()["action_drop"], 10000)
