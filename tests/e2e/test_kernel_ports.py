# SPDX-License-Identifier: BSD-3-Clause
"""Kernel ports: the host end of a veth (af_packet) and a tap, switched
with a DPDK pod's vhost-user port. Frames are sent and captured with raw
sockets on the kernel side."""

import errno
import os
import socket
import subprocess
import threading
import time

from scapy.all import Ether, IP, UDP, raw

from harness import SwitchTest, send

POD = "02:00:00:00:01:01"


def sh(*args):
    subprocess.run(list(args), check=True, capture_output=True)


class Capture:
    """Frames arriving on a kernel interface, from a raw socket."""

    def __init__(self, ifname, src_filter):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
        self.sock.bind((ifname, 0))
        self.sock.settimeout(0.2)
        self.frames = []
        self.src = bytes.fromhex(src_filter.replace(":", ""))
        self.stop = False
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        while not self.stop:
            try:
                f = self.sock.recv(65535)
            except socket.timeout:
                continue
            except OSError as e:
                # the interface went down and up after the bind (a tap's
                # DPDK side starting): reported once, then frames flow
                if e.errno == errno.ENETDOWN:
                    continue
                raise
            if f[6:12] == self.src:
                self.frames.append(f)

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()
        return self.frames


def frame(src, dst, n):
    return raw(Ether(src=src, dst=dst) / IP(src="10.9.0.1", dst="10.9.0.2") / UDP(sport=100 + n, dport=200) /
               bytes(range(n, n + 40)))


class KernelPorts(SwitchTest):
    PORTS = ("pod",)

    def setUp(self):
        self.veth = "pswt%d" % (os.getpid() % 10000)
        sh("ip", "link", "add", self.veth + "a", "type", "veth", "peer", "name", self.veth + "b")
        for end in "ab":
            sh("ip", "link", "set", self.veth + end, "up")
        super().setUp()

    def tearDown(self):
        try:
            super().tearDown()
        finally:
            subprocess.run(["ip", "link", "del", self.veth + "a"], capture_output=True)

    def exchange(self, kport, kif, kmac):
        """pod <-> kernel interface through pswitchd, both ways."""
        self.sw.ctl("add-flow", "in_port=pod,actions=output:%s" % kport)
        self.sw.ctl("add-flow", "in_port=%s,dl_src=%s,actions=output:pod" % (kport, kmac))
        self.sw.wait_links([kport])
        to_kernel = [frame(POD, kmac, i) for i in range(5)]
        cap = Capture(kif, POD)
        p = self.peer([send("pod", f) for f in to_kernel] + ["sleep 300"], linger_ms=1500)
        p.start()
        time.sleep(0.5)
        tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        tx.bind((kif, 0))
        to_pod = [frame(kmac, POD, 50 + i) for i in range(4)]
        for f in to_pod:
            tx.send(f)
        tx.close()
        p.wait()
        got = cap.close()
        self.assertEqual(got, to_kernel)
        self.assertEqual(p.rx["pod"], to_pod)

    def from_kernel_to_pod(self, frames, pod_ms):
        """Sends 'frames' into the veth's far end; returns what the pod got
        from that sender (the kernel's own IPv6 chatter on the veth comes
        through too)."""
        self.sw.wait_links(["k"])
        p = self.peer(["sleep %d" % pod_ms], linger_ms=500)
        p.start()
        time.sleep(0.3)
        tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        tx.bind((self.veth + "b", 0))
        for f in frames:
            tx.send(f)
        tx.close()
        p.wait()
        return [f for f in p.rx["pod"] if f[6:12] == bytes.fromhex("020000000202")]

    def test_af_packet_veth(self):
        self.sw.ctl("add-port", "k", "af_packet", "iface=%sa" % self.veth)
        self.assertEqual(self.sw.port("k")["type"], "af_packet")
        self.exchange("k", self.veth + "b", "02:00:00:00:02:02")

    def test_af_packet_keeps_vlan_tags_the_kernel_took_out(self):
        # the kernel hands a packet socket tagged frames with the tag taken
        # out (VLAN acceleration); the port puts it back where it was
        self.sw.ctl("add-port", "k", "af_packet", "iface=%sa" % self.veth)
        self.sw.ctl("add-flow", "in_port=k,actions=output:pod")
        from scapy.all import Dot1Q
        frames = [raw(Ether(src="02:00:00:00:02:02", dst=POD) / Dot1Q(vlan=42, prio=5) / IP(src="10.9.0.2", dst="10.9.0.1") /
                      UDP(sport=7, dport=9) / bytes(range(30))),
                  raw(Ether(src="02:00:00:00:02:02", dst=POD) / Dot1Q(vlan=7) / Dot1Q(vlan=8) / IP() / UDP() / b"qinq"),
                  raw(Ether(src="02:00:00:00:02:02", dst=POD) / IP(src="10.9.0.2", dst="10.9.0.1") / UDP() / bytes(1400))]
        self.assertEqual(self.from_kernel_to_pod(frames, 1500), frames)

    def test_af_packet_queues_spread_by_fanout(self):
        # two queues: two sockets in one fanout group, flows hashed over them;
        # every frame arrives once, whichever queue took it
        self.sw.ctl("add-port", "k", "af_packet", "iface=%sa" % self.veth, "queues=2")
        self.assertEqual(self.sw.port("k")["rxqs"], 2)
        self.sw.ctl("add-flow", "in_port=k,dl_src=02:00:00:00:02:02,actions=output:pod")
        frames = [raw(Ether(src="02:00:00:00:02:02", dst=POD) / IP(src="10.9.0.2", dst="10.9.%d.1" % n) /
                      UDP(sport=1000 + n, dport=9) / bytes(20)) for n in range(64)]
        self.assertEqual(sorted(self.from_kernel_to_pod(frames, 2000)), sorted(frames))
        per_queue = {q["queue"]: q["packets"] for pmd in self.sw.j("pmd-rxq-show")
                     for q in pmd["rxqs"] if q["port"] == "k"}
        self.assertEqual(sorted(per_queue), [0, 1])
        # 64 flows hashed over two queues: both took some
        self.assertTrue(all(n > 0 for n in per_queue.values()), per_queue)

    def test_mirror_to_a_tap_shows_a_dpdk_pods_frames(self):
        # what ovs-tcpdump does: a tap as a mirror's output, read by a raw
        # socket in the kernel as tcpdump would
        tap = "pswmir%d" % (os.getpid() % 1000)
        self.sw.ctl("add-port", "other", "vhost-user")
        self.sw.ctl("add-port", "t", "tap", "iface=" + tap)
        sh("ip", "link", "set", tap, "up")
        self.sw.ctl("add-flow", "in_port=pod,actions=output:other")
        self.sw.ctl("add-mirror", "look", "output=t", "select_src=pod")
        self.sw.wait_links(["t"])
        cap = Capture(tap, POD)
        frames = [frame(POD, "02:00:00:00:09:09", i) for i in range(6)]
        p = self.peer([send("pod", f) for f in frames] + ["sleep 200"], ports=("pod", "other"))
        p.start()
        p.wait()
        time.sleep(0.2)
        self.assertEqual(cap.close(), frames)
        self.assertEqual(p.rx["other"], frames)

    def test_tap(self):
        tap = "pswtap%d" % (os.getpid() % 1000)
        self.sw.ctl("add-port", "t", "tap", "iface=" + tap)
        sh("ip", "link", "set", tap, "up")
        self.exchange("t", tap, "02:00:00:00:03:03")
        self.sw.ctl("del-port", "t")
        r = subprocess.run(["ip", "link", "show", tap], capture_output=True)
        self.assertNotEqual(r.returncode, 0, "the tap went away with its port")
