# SPDX-License-Identifier: BSD-3-Clause
"""A pod's port arrives at the PMDs in one publication with its queue
placement and its port security: a pod that floods spoofed frames from the
first instant of its attach never gets one through, attach after attach."""

import os
import signal
import socket
import subprocess
import threading
import time

from scapy.all import Ether, IP, UDP, raw

from harness import SLOW, SwitchTest

POD_MAC = "02:00:00:00:09:01"
SPOOF_MAC = "66:66:66:66:66:66"


def sh(*args, check=True):
    return subprocess.run(list(args), check=check, capture_output=True, text=True)


# Sends, as fast as it can, nine spoofed frames for each one from the pod's
# own addresses, until killed.
FLOODER = r"""
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
spoof, legit = bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3])
while True:
    for _ in range(9):
        try:
            s.send(spoof)
        except OSError:
            pass
    try:
        s.send(legit)
    except OSError:
        pass
"""


class Counter(threading.Thread):
    """Counts the spoofed and the pod's own frames arriving on an interface."""

    def __init__(self, ifname):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
        # SO_RCVBUFFORCE: a buffer for a second of the flood, whatever rmem_max says
        self.sock.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)
        self.sock.bind((ifname, 0))
        self.sock.settimeout(0.2)
        self.spoofed = self.legit = 0
        self.stop = False
        self.start()

    def run(self):
        spoof, pod = bytes.fromhex(SPOOF_MAC.replace(":", "")), bytes.fromhex(POD_MAC.replace(":", ""))
        while not self.stop:
            try:
                f = self.sock.recv(65535)
            except socket.timeout:
                continue
            if f[6:12] == spoof:
                self.spoofed += 1
            elif f[6:12] == pod:
                self.legit += 1

    def close(self):
        self.stop = True
        self.join()
        self.sock.close()
        return self.spoofed, self.legit


class AtomicAttach(SwitchTest):
    def setUp(self):
        tag = "%d" % (os.getpid() % 10000)
        self.ns = "psw-atk-" + tag
        self.pod_host, self.pod_if = "pswa%s" % tag, "pswp%s" % tag
        self.sink_host, self.sink_cap = "psws%s" % tag, "pswc%s" % tag
        sh("ip", "netns", "add", self.ns)
        sh("ip", "link", "add", self.pod_host, "type", "veth", "peer", "name", self.pod_if)
        sh("ip", "link", "set", self.pod_if, "netns", self.ns)
        sh("ip", "link", "add", self.sink_host, "type", "veth", "peer", "name", self.sink_cap)
        for dev in (self.pod_host, self.sink_host, self.sink_cap):
            sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % dev, check=False)
            sh("ip", "link", "set", dev, "up")
        sh("ip", "netns", "exec", self.ns, "sysctl", "-qw",
           "net.ipv6.conf.%s.disable_ipv6=1" % self.pod_if, check=False)
        sh("ip", "netns", "exec", self.ns, "ip", "link", "set", self.pod_if, "up")
        self.flooder = None
        super().setUp()

    def tearDown(self):
        try:
            if self.flooder is not None and self.flooder.poll() is None:
                self.flooder.send_signal(signal.SIGKILL)
                self.flooder.wait()
            super().tearDown()
        finally:
            sh("ip", "link", "del", self.pod_host, check=False)
            sh("ip", "link", "del", self.sink_host, check=False)
            sh("ip", "netns", "del", self.ns, check=False)

    def test_spoofed_frames_from_the_first_instant_never_pass(self):
        spoof = raw(Ether(src=SPOOF_MAC, dst="ff:ff:ff:ff:ff:ff") /
                    IP(src="10.9.0.66", dst="10.9.0.2") / UDP(sport=6666, dport=7))
        legit = raw(Ether(src=POD_MAC, dst="ff:ff:ff:ff:ff:ff") /
                    IP(src="10.9.0.1", dst="10.9.0.2") / UDP(sport=1111, dport=7))
        self.sw.ctl("add-port", "sink", "af_packet", "iface=" + self.sink_host)
        # anything the pod's port security lets through is switched
        self.sw.ctl("add-flow", "priority=0,actions=normal")
        cap = Counter(self.sink_cap)
        # the pod floods before its port exists, and goes on
        self.flooder = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "taskset", "-c", "0", "/usr/bin/python3", "-c",
             FLOODER, self.pod_if, spoof.hex(), legit.hex()],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        try:
            for _ in range(10):
                self.sw.ctl("add-port", "pod", "af_packet", "iface=" + self.pod_host,
                            "mac=" + POD_MAC, "ips=10.9.0.1/24")
                time.sleep(0.3 * SLOW)
                self.sw.ctl("del-port", "pod")
            time.sleep(0.5)
        finally:
            spoofed, legit_seen = cap.close()
        self.assertEqual(spoofed, 0, "%d spoofed frames got through" % spoofed)
        # the port was switching all along: the pod's own frames passed
        self.assertGreater(legit_seen, 0)
        drops = self.sw.j("drop-stats")["total"]
        self.assertGreater(drops["action_drop"], 0)
