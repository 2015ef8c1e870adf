# SPDX-License-Identifier: BSD-3-Clause
"""Changes under traffic: flow sets swapped atomically, ports added and
removed while others forward, a vhost-user peer that dies and comes back."""

import json
import os
import time

from scapy.all import Ether, IP, UDP, raw

from harness import SLOW, Peer, SwitchTest, send, vhost_path

A, B = "02:00:00:00:00:0a", "02:00:00:00:00:0b"
SRC_A, DST_A = "02:aa:00:00:00:01", "02:aa:00:00:00:02"
SRC_B, DST_B = "02:bb:00:00:00:01", "02:bb:00:00:00:02"


def frame(size=100):
    return raw(Ether(src=A, dst=B) / IP(src="10.1.0.1", dst="10.2.0.1") / UDP(sport=7, dport=9) /
               bytes(size))


def flow_set(tag, src, dst, filler):
    """Two tables: table 0 rewrites the source MAC and jumps, table 1 the
    destination and outputs; a packet seeing half of each set would carry
    one set's source with the other's destination. Plus filler flows over
    many masks that never match, so each swap rebuilds big tables."""
    flows = ["table=0,priority=100,in_port=a,udp,actions=mod_dl_src:%s,goto_table:1" % src,
             "table=1,priority=100,udp,actions=mod_dl_dst:%s,output:b" % dst]
    for i in range(filler):
        kind = i % 5
        if kind == 0:
            flows.append("table=0,priority=%d,tcp,nw_dst=172.%d.%d.0/24,tp_dst=%d,actions=drop" % (200 + i % 50, tag, i % 256, i))
        elif kind == 1:
            flows.append("table=0,priority=150,udp,nw_src=192.%d.%d.%d,actions=drop" % (tag, i // 256, i % 256))
        elif kind == 2:
            flows.append("table=1,priority=200,tcp,tp_src=%d,tp_dst=%d,actions=drop" % (i, tag))
        elif kind == 3:
            flows.append("table=0,priority=300,dl_src=02:%02x:%02x:00:00:%02x,actions=drop" % (tag, i % 256, i // 256))
        else:
            flows.append("table=1,priority=120,ip,nw_dst=100.%d.%d.0/%d,actions=drop" % (i // 256, i % 256, 24 + i % 9))
    return flows


class FlowSwap(SwitchTest):
    PORTS = ("a", "b")

    def test_replace_under_traffic_is_atomic_and_lossless(self):
        files = []
        for tag, src, dst in ((1, SRC_A, DST_A), (2, SRC_B, DST_B)):
            path = os.path.join(self.sw.dir, "set%d.flows" % tag)
            with open(path, "w") as f:
                f.write("\n".join(flow_set(tag, src, dst, 2000)) + "\n")
            files.append(path)
        self.sw.ctl("replace-flows", files[0])
        # the receiver shares a core with the control plane: under the
        # sanitizers, a slower stream keeps its ring from overflowing
        rate, ms = int(20000 / SLOW), 4000
        p = self.peer(["sleep 200", "stream a %s %d %d" % (frame().hex(), rate, ms)], linger_ms=500)
        p.start()
        swaps = 0
        deadline = time.time() + (ms / 1000.0)
        while time.time() < deadline:
            self.sw.ctl("replace-flows", files[(swaps + 1) % 2])
            swaps += 1
        p.wait()
        self.assertGreater(swaps, 10)
        sent = p.summary["a"]["tx"]
        got = p.summary["b"]
        self.assertEqual(p.summary["a"]["tx_failed"], 0)
        self.assertGreater(sent, rate * ms / 1000 * 0.9)
        # every packet arrived, each rewritten wholly by one set
        self.assertEqual(got["rx"], sent, "drops: %s" % self.sw.drops())
        allowed = {bytes.fromhex(DST_A.replace(":", "")) + bytes.fromhex(SRC_A.replace(":", "")),
                   bytes.fromhex(DST_B.replace(":", "")) + bytes.fromhex(SRC_B.replace(":", ""))}
        seen = {}
        for sig, n in got["signatures"].items():
            macs = bytes.fromhex(sig)[:12]
            self.assertIn(macs, allowed, "a packet saw a mix of the two flow sets")
            seen[macs] = seen.get(macs, 0) + n
        self.assertEqual(len(seen), 2, "both flow sets forwarded traffic")
        self.assertEqual(got["reordered"], 0)
        self.assertEqual(len(self.sw.flows()), 2002)

    def test_mod_flows_under_traffic_keep_every_packet_and_count(self):
        # table 0 rewrites the source and jumps; mod-flows flips table 1
        # between two destinations (and back) while packets stream
        self.sw.ctl("add-flow", "table=0,priority=100,in_port=a,udp,actions=mod_dl_src:%s,goto_table:1" % SRC_A)
        self.sw.ctl("add-flow", "table=1,priority=100,udp,actions=mod_dl_dst:%s,output:b" % DST_A)
        rate, ms = int(20000 / SLOW), 3000
        p = self.peer(["sleep 200", "stream a %s %d %d" % (frame().hex(), rate, ms)], linger_ms=500)
        p.start()
        mods = 0
        deadline = time.time() + ms / 1000.0
        while time.time() < deadline:
            dst = DST_B if mods % 2 == 0 else DST_A
            self.assertEqual(self.sw.j("mod-flows", "table=1,udp,actions=mod_dl_dst:%s,output:b" % dst)["modified"], 1)
            mods += 1
        p.wait()
        self.assertGreater(mods, 10)
        sent = p.summary["a"]["tx"]
        got = p.summary["b"]
        self.assertEqual(got["rx"], sent, "drops: %s" % self.sw.drops())
        dsts = {bytes.fromhex(sig)[:6] for sig in got["signatures"]}
        self.assertEqual(dsts, {bytes.fromhex(DST_A.replace(":", "")), bytes.fromhex(DST_B.replace(":", ""))})
        # the counters moved with every modification: nothing was lost
        counts = {f["table"]: f["n_packets"] for f in self.sw.flows()}
        self.assertEqual(counts, {0: sent, 1: sent})

    def test_add_flows_batch_errors_leave_nothing(self):
        path = os.path.join(self.sw.dir, "bad.flows")
        with open(path, "w") as f:
            f.write("in_port=a,actions=output:b\n# comment\n\npriority=5,tcp,tp_dst=99999,actions=drop\n")
        r = self.sw.ctl("add-flows", path, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("flow 2", r.stderr)
        self.assertIn("tp_dst", r.stderr)
        self.assertEqual(self.sw.flows(), [])


class PortChurn(SwitchTest):
    PORTS = ("a", "b")

    def test_ports_come_and_go_while_others_forward(self):
        self.sw.ctl("add-flow", "in_port=a,actions=output:b")
        rate, ms = int(10000 / SLOW), 3000
        p = self.peer(["sleep 100", "stream a %s %d %d" % (frame().hex(), rate, ms)], linger_ms=500)
        p.start()
        deadline = time.time() + ms / 1000.0 - 0.3
        n = 0
        while time.time() < deadline:
            name = "x%d" % n
            self.sw.ctl("add-port", name, "vhost-user", "queues=2")
            self.sw.ctl("add-flow", "in_port=%s,actions=output:a" % name)
            self.sw.ctl("del-port", name)
            n += 1
        p.wait()
        self.assertGreater(n, 3)
        self.assertEqual(p.summary["b"]["rx"], p.summary["a"]["tx"], "drops: %s" % self.sw.drops())
        self.assertEqual([x["name"] for x in self.sw.j("show")["ports"]], ["a", "b"])


class Reconnect(SwitchTest):
    def test_client_mode_reconnects_when_the_peer_restarts(self):
        sock = os.path.join(self.sw.dir, "pod-a.sock")
        self.sw.ctl("add-port", "a", "vhost-user-client", "path=" + sock)
        self.sw.ctl("add-port", "b", "vhost-user")
        self.sw.ctl("add-flow", "in_port=a,actions=output:b")
        ports = {"a": sock, "b": vhost_path(self.sw, "b")}
        f = frame(60)
        first = Peer(self.sw, ports, [send("a", f, 5), "sleep 100000"], server=("a",))
        first.start()
        deadline = time.time() + 10
        while self.sw.port("b")["stats"]["tx_packets"] < 5 and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.sw.port("b")["stats"]["tx_packets"], 5)
        first.kill()
        self.sw.wait_links(["a", "b"], up=False)
        second = Peer(self.sw, ports, [send("a", f, 7)], server=("a",))
        second.start()
        second.wait()
        self.assertEqual(second.rx["b"], [f] * 7)
        self.assertEqual(self.sw.port("b")["stats"]["tx_packets"], 12)
        # two connections, two disconnections, on each port
        self.assertEqual([self.sw.port(n)["link_resets"] for n in "ab"], [4, 4])

    def test_server_mode_takes_a_new_peer(self):
        self.sw.ctl("add-port", "a", "vhost-user")
        self.sw.ctl("add-port", "b", "vhost-user")
        self.sw.ctl("add-flow", "in_port=a,actions=output:b")
        f = frame(80)
        for count in (3, 4):
            p = Peer(self.sw, {n: vhost_path(self.sw, n) for n in "ab"}, [send("a", f, count)])
            p.start()
            p.wait()
            self.assertEqual(p.rx["b"], [f] * count)
            # wait() returns once the switch has seen the peer go
            self.assertEqual([x["link"] for x in self.sw.j("show")["ports"]], ["down", "down"])
        self.assertEqual(self.sw.port("a")["link_resets"], 4)
        self.assertIn("link down (4 resets)", self.sw.ctl("show").stdout)
