# SPDX-License-Identifier: BSD-3-Clause
"""Test harness: a private pswitchd, and psw-peer endpoints attached to it
through virtio-user, the way DPDK pods attach. Every process started here is
ended by its PID."""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

BUILD = os.path.abspath(os.environ.get("PSW_BUILD", "build"))
PSWITCHD = os.path.join(BUILD, "pswitchd")
PSWITCHCTL = os.path.join(BUILD, "ctl", "pswitchctl")
PEER = os.path.join(BUILD, "tests", "psw-peer")
# ASan builds start slower and run slower
SLOW = float(os.environ.get("PSW_SLOW", "1"))
# A sanitized build: its RSS is mostly ASan's quarantine and shadow, so
# the leak tests leave growth to LeakSanitizer (a leak fails its exit)
SANITIZED = os.environ.get("PSW_SANITIZED") == "1"


def wait_for(pred, timeout=10):
    """True once pred() is, within 'timeout' seconds (stretched on slow
    builds), else False."""
    deadline = time.time() + timeout * SLOW
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


def hugepages_free_mb():
    free = size = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("HugePages_Free:"):
                free = int(line.split()[1])
            elif line.startswith("Hugepagesize:"):
                size = int(line.split()[1])
    return free * size // 1024


def use_hugepages():
    v = os.environ.get("PSW_HUGEPAGES", "auto")
    if v == "auto":
        return hugepages_free_mb() >= 512
    return v == "1"


# Every peer started, so that a test's tearDown ends those a failure left
# running (also those of a switch the test replaced).
LIVE_PEERS = []


class Switch:
    """pswitchd with a run directory and control socket of its own."""

    def __init__(self, extra=(), run_dir=None, restore=False, log_name="pswitchd.log"):
        self.dir = run_dir or tempfile.mkdtemp(prefix="psw-e2e-")
        self.peers = []
        self.sock = os.path.join(self.dir, "ctl.sock")
        self.log_path = os.path.join(self.dir, log_name)
        args = [PSWITCHD, "--run-dir", self.dir, "--control-socket", self.sock,
                "--file-prefix", "psw-e2e-%d" % os.getpid(), "--pmd-cores", "1",
                "--control-core", "0", "--memory", "256", "--mbufs", "16384",
                "--hugepages", "yes" if use_hugepages() else "no"]
        if not restore:
            args.append("--no-restore")
        args += list(extra)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30 * SLOW
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("pswitchd exited at start:\n" + self.read_log())
            if os.path.exists(self.sock):
                try:
                    self.j("version")
                    return
                except Exception:
                    pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("pswitchd did not come up:\n" + self.read_log())

    def read_log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def ctl(self, *args, check=True):
        r = subprocess.run([PSWITCHCTL, "--socket", self.sock] + list(args),
                           capture_output=True, text=True, timeout=120)
        if check and r.returncode != 0:
            raise AssertionError("pswitchctl %s failed: %s" % (" ".join(args), r.stderr))
        return r

    def j(self, *args):
        return json.loads(self.ctl("--json", *args).stdout)

    def port(self, name):
        for p in self.j("show")["ports"]:
            if p["name"] == name:
                return p
        return None

    def wait_links(self, names, up=True, timeout=20):
        """Waits for the links of 'names' to be up, or down (a port that is
        gone counts as down)."""
        deadline = time.time() + timeout * SLOW
        while time.time() < deadline:
            ports = {p["name"]: p["link"] for p in self.j("show")["ports"]}
            if all(ports.get(n, "down") == ("up" if up else "down") for n in names):
                return
            time.sleep(0.05)
        raise AssertionError("links of %s not %s: %s" % (names, "up" if up else "down", ports))

    def flows(self, match=None):
        return self.j("dump-flows", *([match] if match else []))

    def drops(self):
        return self.j("drop-stats")["total"]

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.ctl("stop", check=False)
                self.proc.wait(timeout=20 * SLOW)
            except Exception:
                self.proc.send_signal(signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def cleanup(self):
        for p in self.peers:
            p.kill()
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Peer:
    """psw-peer: virtio-user ports that send a script's frames and record
    every frame they receive."""

    def __init__(self, switch, ports, script, linger_ms=300, server=(), core=0):
        self.switch = switch
        self.names = list(ports)
        self.out = tempfile.mkdtemp(prefix="psw-peer-", dir=switch.dir)
        self.go = os.path.join(self.out, "go")
        script_path = os.path.join(self.out, "script")
        with open(script_path, "w") as f:
            f.write("wait-file %s\n" % self.go)
            for line in script:
                f.write(line + "\n")
        args = [PEER, "--no-huge", "--out", self.out, "--script", script_path,
                "--linger-ms", str(int(linger_ms * SLOW)), "--core", str(core),
                "--file-prefix", "psw-peer-%d-%d" % (os.getpid(), id(self) % 100000)]
        for name, path in ports.items():
            args += ["--port", "%s=%s%s" % (name, path, ",server" if name in server else "")]
        self.log = open(os.path.join(self.out, "peer.log"), "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        # a test that fails before wait() must not leave its peers running
        switch.peers.append(self)
        LIVE_PEERS.append(self)

    def start(self, switch_ports=None):
        self.switch_ports = switch_ports or self.names
        self.switch.wait_links(self.switch_ports)
        open(self.go, "w").close()

    def wait(self, timeout=60):
        try:
            self.proc.wait(timeout=timeout * SLOW)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        self.log.close()
        if self.proc.returncode != 0:
            with open(os.path.join(self.out, "peer.log")) as f:
                raise AssertionError("psw-peer failed: " + f.read())
        # The switch learns of the peer's exit a moment later: until it has,
        # its links read up, and the next peer's start() would not wait for
        # its own connections. A switch that is gone has no links to wait on.
        if self.switch.alive():
            self.switch.wait_links(getattr(self, "switch_ports", self.names), up=False)
        with open(os.path.join(self.out, "summary.json")) as f:
            self.summary = json.load(f)
        self.rx = {}
        for name in self.names:
            with open(os.path.join(self.out, name + ".rx")) as f:
                self.rx[name] = [bytes.fromhex(l.strip()) for l in f if l.strip()]
        return self

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


def vhost_path(switch, name):
    return os.path.join(switch.dir, name + ".sock")


class SwitchTest(unittest.TestCase):
    """A test with its own pswitchd; ports named in 'PORTS' are vhost-user."""

    PORTS = ()
    EXTRA = ()

    def setUp(self):
        self.sw = Switch(extra=self.EXTRA)
        for name in self.PORTS:
            self.sw.ctl("add-port", name, "vhost-user")

    def tearDown(self):
        while LIVE_PEERS:
            LIVE_PEERS.pop().kill()
        alive = self.sw.alive()
        rc = self.sw.stop()
        if not alive or rc not in (0, None):
            print(self.sw.read_log())
        self.sw.cleanup()
        self.assertTrue(alive, "pswitchd died during the test")
        self.assertEqual(rc, 0, "pswitchd did not stop cleanly")

    def peer(self, script, ports=None, **kw):
        ports = ports or self.PORTS
        return Peer(self.sw, {p: vhost_path(self.sw, p) for p in ports}, script, **kw)

    def run_peer(self, script, ports=None, **kw):
        p = self.peer(script, ports, **kw)
        p.start()
        return p.wait()


def control_connect(sock, timeout=30):
    """A raw connection to a control socket."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock)
    return s


def read_line(s):
    """Bytes up to a newline, or to the end of the stream."""
    out = b""
    while not out.endswith(b"\n"):
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        out += chunk
    return out


def control_call(sock, req, timeout=30):
    """One request on a connection of its own, and its reply."""
    s = control_connect(sock, timeout)
    try:
        s.sendall(json.dumps(req).encode() + b"\n")
        return json.loads(read_line(s))
    finally:
        s.close()


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def send(port, frame, count=1):
    return "send %s %s %d" % (port, bytes(frame).hex(), count)
