#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""perf/compare: pswitch side by side with dpdk-testpmd io forwarding (the
limit) and Open vSwitch with DPDK (the incumbent), in one run, on the same
cores, with the same generator.

The generator is pswitch-pktgen on core 0, attached through two virtio-user
ports with fixed MACs; each switch runs its one PMD on core 1. For each
scenario and system: a flat-out run (the saturated rate, the switch's busy
cycles per packet, latency under load), then an RFC 2544 search for the
no-drop rate (NDR) and the rate with at most 0.5% loss (PDR). Cycles per
packet are what each switch reports itself: `pswitchctl pmd-stats`, testpmd
--record-core-cycles, and `ovs-appctl dpif-netdev/pmd-stats-show`.

  perf/compare [--quick] [--rounds N] [--duration S] [--trial S]
               [--scenarios p2p,p2p-imix,normal,wildcard,sweep,updates]
               [--systems testpmd-io,pswitch,ovs-dpdk] [--out perf/RESULTS.md]
--quick takes under 5 minutes, the full run under 30.
Run as root, after deploy/host-setup.sh.
"""

import argparse
import json
import datetime
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAC0, MAC1 = "02:00:00:00:00:01", "02:00:00:00:00:02"
GEN_CORE, DUT_CORE = 0, 1
# One frame in SAMPLE carries a sequence number and a send time (latency,
# order); the rest are counted only, and the generator sends them again from
# buffers that still hold them, writing nothing: a generator that rewrites
# every frame spends more per frame than the switches it measures (its writes
# take back the cache lines the switch's core just read), and every system
# then shows the generator's rate.
SAMPLE = 64
STREAMS = 10000
VIRTIO_ARGS = ""  # --virtio-args: extra virtio-user devargs of the generator
PSWITCHD_ARGS = []  # --pswitchd-args: extra pswitchd options
DST_BASE = "10.64.0.0"  # streams vary the destination from here (10.64.0.0/10)

SCENARIOS = {
    "p2p": "port to port, in_port flows, 64 B, 1 stream per direction",
    "p2p-imix": "port to port, in_port flows, IMIX (7:4:1 of 64/594/1518 B)",
    "normal": "L2 normal switching, MACs learned, 64 B, 1 stream per direction",
    "wildcard": "100,000 wildcard flows over 20 masks, 10,000 streams per direction, 64 B",
    "sweep": "flow-count sweep: 1, 100, 10k, 100k and 1M streams per direction with rule sets of "
             "2, 1k, 20k, 100k and 100k flows over 1, 5, 10, 20 and 20 masks; flat-out rate",
    "updates": "80% of NDR while 200 flows a second are added and removed (pswitchctl add-flow / "
               "del-flows --strict; ovs-ofctl add-flow / del-flows --strict): loss and latency",
}


def log(msg):
    print(msg, flush=True)


def kill(proc, sig=signal.SIGINT, timeout=20):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wildcard_flows(p0, p1, total=100000, n_masks=20):
    """'total' flows of 'n_masks' mask shapes. All shapes but one hold flows
    the traffic never matches, at priorities above the one shape that
    forwards, so that a lookup that misses the caches visits every subtable."""
    shapes = [
        lambda i: "udp,nw_dst=172.16.%d.%d" % (i // 256, i % 256),
        lambda i: "udp,nw_dst=172.%d.%d.0/24" % (32 + i // 256, i % 256),
        lambda i: "tcp,tp_dst=%d" % (i + 1),
        lambda i: "udp,nw_src=192.168.%d.%d" % (i // 256, i % 256),
        lambda i: "udp,nw_src=11.%d.%d.0/24,nw_dst=12.0.0.0/16" % (i // 256, i % 256),
        lambda i: "udp,tp_src=%d,tp_dst=%d" % (20000 + i, 53),
        lambda i: "tcp,nw_dst=13.%d.%d.0/28" % (i // 256, i % 256),
        lambda i: "udp,nw_dst=14.%d.%d.0/30" % (i // 256, i % 256),
        lambda i: "dl_src=02:10:%02x:%02x:00:00" % (i // 256, i % 256),
        lambda i: "dl_dst=02:20:%02x:%02x:00:00" % (i // 256, i % 256),
        lambda i: "udp,nw_src=15.%d.%d.%d,tp_dst=80" % (i // 256, i % 256, 1),
        lambda i: "tcp,nw_src=16.%d.%d.0/24,tp_dst=443" % (i // 256, i % 256),
        lambda i: "udp,nw_dst=17.%d.0.0/20,tp_src=%d" % (i % 256, 1000 + i // 256),
        lambda i: "ip,nw_proto=%d,nw_dst=18.%d.0.0/16" % (50 + i // 256, i % 256),
        lambda i: "udp,nw_src=19.%d.%d.0/26,nw_dst=19.0.0.0/8" % (i // 256, i % 256),
        lambda i: "tcp,tp_src=%d" % (i + 1),
        lambda i: "udp,nw_dst=20.%d.%d.128/25" % (i // 256, i % 256),
        lambda i: "dl_vlan=%d" % (1 + i % 4000) if i < 4000 else "dl_vlan=%d,dl_vlan_pcp=1" % (1 + i % 4000),
        lambda i: "udp,nw_src=21.%d.%d.%d,nw_dst=22.0.0.%d" % (i // 256, i % 256, 1, i % 200),
    ]
    shapes = shapes[:max(0, n_masks - 1)]
    per = (total - 2) // len(shapes) if shapes else 0
    flows = []
    for s, shape in enumerate(shapes):
        for i in range(per):
            flows.append("priority=%d,%s,actions=drop" % (100 + s, shape(i)))
    while shapes and len(flows) < total - 2:
        flows.append("priority=99,udp,nw_dst=23.0.%d.%d,actions=drop" % (len(flows) // 256 % 256, len(flows) % 256))
    # the streams' destinations: DST_BASE and up, a million of them at most
    flows.append("priority=10,in_port=%s,udp,nw_dst=10.64.0.0/10,actions=output:%s" % (p0, p1))
    flows.append("priority=10,in_port=%s,udp,nw_dst=10.64.0.0/10,actions=output:%s" % (p1, p0))
    return flows


# The flow-count sweep: streams per direction, and the rule set that goes with
# them (flows, masks): more streams, more rules of more shapes.
SWEEP = {1: (2, 1), 100: (1000, 5), 10000: (20000, 10), 100000: (100000, 20), 1000000: (100000, 20)}


def scenario_flows(scenario, p0, p1):
    if scenario.startswith("p2p") or scenario == "updates":
        return ["in_port=%s,actions=output:%s" % (p0, p1), "in_port=%s,actions=output:%s" % (p1, p0)]
    if scenario == "normal":
        return ["actions=NORMAL"]
    if scenario.startswith("sweep-"):
        total, masks = SWEEP[int(scenario.split("-")[1])]
        return wildcard_flows(p0, p1, total, masks)
    return wildcard_flows(p0, p1)


def scenario_streams(scenario):
    if scenario == "wildcard":
        return STREAMS
    if scenario.startswith("sweep-"):
        return int(scenario.split("-")[1])
    return 1


class Generator:
    """pswitch-pktgen on GEN_CORE over two virtio-user ports."""

    def __init__(self, work, build, socks, server=False, streams=1, size="64"):
        self.work = work
        self.base = [os.path.join(build, "perf", "pswitch-pktgen"), "--core", str(GEN_CORE),
                     "--sample", str(SAMPLE),
                     "--file-prefix", "psw-perf-gen", "--no-progress", "--flows", str(streams),
                     "--dst-ip", DST_BASE,
                     "--size", size]
        if VIRTIO_ARGS:
            self.base += ["--virtio-args", VIRTIO_ARGS]
        for sock, mac in zip(socks, (MAC0, MAC1)):
            self.base += ["--port", "%s,mac=%s%s" % (sock, mac, ",server" if server else "")]
        self.cmd = None

    def start(self, *args):
        self.out = os.path.join(self.work, "gen.json")
        if os.path.exists(self.out):
            os.unlink(self.out)
        self.cmd = self.base + list(args) + ["--json", self.out]
        self.log = open(os.path.join(self.work, "gen.log"), "w")
        self.proc = subprocess.Popen(self.cmd, stdout=self.log, stderr=subprocess.STDOUT)

    def wait(self, timeout):
        try:
            self.proc.wait(timeout=timeout)
        finally:
            kill(self.proc)
            self.log.close()
        with open(self.out) as f:
            return json.load(f)


class TestpmdIO:
    name = "testpmd-io"
    add_flow = del_flow_strict = None

    def __init__(self, work):
        self.work = work
        self.socks = [os.path.join(work, "v%d.sock" % i) for i in range(2)]

    def supports(self, scenario):
        return scenario.startswith("p2p")

    def start(self, scenario):
        self.log = open(os.path.join(self.work, "testpmd.log"), "w")
        cmd = ["dpdk-testpmd", "-l", "%d,%d" % (GEN_CORE, DUT_CORE), "--main-lcore", str(GEN_CORE),
               "--no-pci", "--in-memory", "--socket-mem", "512", "--file-prefix", "psw-perf-dut"]
        cmd += ["--vdev=net_vhost%d,iface=%s" % (i, s) for i, s in enumerate(self.socks)]
        cmd += ["--", "--forward-mode=io", "--nb-cores=1", "--record-core-cycles", "--no-mlockall",
                "--stats-period=100", "--txd=1024", "--rxd=1024"]
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(100):
            if all(os.path.exists(s) for s in self.socks):
                break
            time.sleep(0.1)
        return False  # the generator is the client

    def warm(self):
        pass

    def cycles(self):
        return None

    def stop(self):
        kill(self.proc)
        self.log.close()
        with open(os.path.join(self.work, "testpmd.log")) as f:
            m = re.findall(r"CPU cycles/packet=([\d.]+)", f.read())
        return float(m[-1]) if m else None


class Pswitch:
    def __init__(self, work, build, name="pswitch"):
        self.work = work
        self.build = build
        self.name = name
        # its sockets in its run directory, where pswitchd makes them
        self.run = os.path.join(work, name)
        self.socks = [os.path.join(self.run, "v%d.sock" % i) for i in range(2)]

    def supports(self, scenario):
        return True

    def ctl(self, *args, **kw):
        return subprocess.run([os.path.join(self.build, "ctl", "pswitchctl"), "--socket",
                               os.path.join(self.run, "ctl.sock")] + list(args),
                              check=True, capture_output=True, text=True, **kw)

    def start(self, scenario):
        os.makedirs(self.run, exist_ok=True)
        self.log = open(os.path.join(self.work, self.name + ".log"), "w")
        self.cmd = [os.path.join(self.build, "pswitchd"), "--pmd-cores", str(DUT_CORE), "--control-core",
                    str(GEN_CORE), "--hugepages", "yes", "--memory", "1024", "--no-restore",
                    "--run-dir", self.run, "--control-socket", os.path.join(self.run, "ctl.sock"),
                    "--file-prefix", "psw-perf-dut"] + PSWITCHD_ARGS
        self.proc = subprocess.Popen(self.cmd, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(200):
            try:
                self.ctl("version")
                break
            except Exception:
                time.sleep(0.1)
        for i, s in enumerate(self.socks):
            self.ctl("add-port", "p%d" % i, "vhost-user", "path=" + s)
        path = os.path.join(self.work, "flows.txt")
        with open(path, "w") as f:
            f.write("\n".join(scenario_flows(scenario, "p0", "p1")) + "\n")
        t = time.time()
        self.ctl("add-flows", path, timeout=300)
        self.install_s = time.time() - t
        return False

    def warm(self):
        self.ctl("pmd-stats-clear")

    def add_flow(self, flow):
        self.ctl("add-flow", flow + ",actions=drop")

    def del_flow_strict(self, flow):
        self.ctl("del-flows", "--strict", flow)

    def cycles(self):
        import json
        st = json.loads(self.ctl("--json", "pmd-stats").stdout)[0]
        self.emc = st["emc_hit_ratio"]
        return st["cycles_per_packet"]

    def stop(self):
        c = self.cycles()
        try:
            self.ctl("stop")
            self.proc.wait(timeout=30)
        except Exception:
            kill(self.proc)
        self.log.close()
        return c


class Ovs:
    name = "ovs-dpdk"
    VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"

    def __init__(self, work):
        self.work = work
        self.dir = os.path.join(work, "ovs")
        self.socks = [os.path.join(self.dir, "v%d.sock" % i) for i in range(2)]

    @classmethod
    def available(cls):
        return os.path.exists(cls.VSWITCHD) and shutil.which("ovsdb-tool") is not None

    def supports(self, scenario):
        return True

    def env(self):
        e = dict(os.environ)
        e.update(OVS_RUNDIR=self.dir, OVS_DBDIR=self.dir, OVS_LOGDIR=self.dir, OVS_PKGDATADIR="/usr/share/openvswitch")
        return e

    def sh(self, *args, **kw):
        return subprocess.run(list(args), check=True, capture_output=True, text=True, env=self.env(), **kw)

    def vsctl(self, *args):
        return self.sh("ovs-vsctl", "--db=unix:" + os.path.join(self.dir, "db.sock"), "--no-wait", *args)

    def appctl(self, *args):
        ctl = [f for f in os.listdir(self.dir) if f.startswith("ovs-vswitchd") and f.endswith(".ctl")]
        return self.sh("ovs-appctl", "-t", os.path.join(self.dir, ctl[0]), *args)

    def start(self, scenario):
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        db = os.path.join(self.dir, "conf.db")
        self.sh("ovsdb-tool", "create", db, "/usr/share/openvswitch/vswitch.ovsschema")
        self.dblog = open(os.path.join(self.dir, "ovsdb.out"), "w")
        self.db = subprocess.Popen(["ovsdb-server", "--remote=punix:" + os.path.join(self.dir, "db.sock"),
                                    "--pidfile=" + os.path.join(self.dir, "ovsdb.pid"), db],
                                   stdout=self.dblog, stderr=subprocess.STDOUT, env=self.env())
        for _ in range(100):
            if os.path.exists(os.path.join(self.dir, "db.sock")):
                break
            time.sleep(0.1)
        self.vsctl("init")
        self.vsctl("set", "Open_vSwitch", ".", "other_config:dpdk-init=true",
                   "other_config:pmd-cpu-mask=0x%x" % (1 << DUT_CORE),
                   "other_config:dpdk-lcore-mask=0x%x" % (1 << GEN_CORE),
                   "other_config:dpdk-socket-mem=512",
                   "other_config:dpdk-extra=--no-pci --file-prefix=psw-perf-ovs")
        self.log = open(os.path.join(self.dir, "vswitchd.out"), "w")
        self.proc = subprocess.Popen([self.VSWITCHD, "unix:" + os.path.join(self.dir, "db.sock"),
                                      "--pidfile=" + os.path.join(self.dir, "vswitchd.pid"),
                                      "--log-file=" + os.path.join(self.dir, "vswitchd.log")],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=self.env())
        for _ in range(300):
            if any(f.endswith(".ctl") and f.startswith("ovs-vswitchd") for f in os.listdir(self.dir)):
                break
            time.sleep(0.1)
        time.sleep(1)
        self.sh("ovs-vsctl", "--db=unix:" + os.path.join(self.dir, "db.sock"), "add-br", "br0", "--", "set",
                "bridge", "br0", "datapath_type=netdev")
        for i, s in enumerate(self.socks):
            self.sh("ovs-vsctl", "--db=unix:" + os.path.join(self.dir, "db.sock"), "add-port", "br0",
                    "p%d" % i, "--", "set", "Interface", "p%d" % i, "type=dpdkvhostuserclient",
                    "options:vhost-server-path=" + s, "ofport_request=%d" % (i + 1))
        self.sh("ovs-ofctl", "del-flows", "br0")
        path = os.path.join(self.work, "ovs-flows.txt")
        with open(path, "w") as f:
            f.write("\n".join(scenario_flows(scenario, "1", "2")) + "\n")
        t = time.time()
        self.sh("ovs-ofctl", "add-flows", "br0", path, timeout=600)
        self.install_s = time.time() - t
        return True  # OVS is the vhost client: the generator serves

    def warm(self):
        self.appctl("dpif-netdev/pmd-stats-clear")

    def add_flow(self, flow):
        self.sh("ovs-ofctl", "add-flow", "br0", flow + ",actions=drop")

    def del_flow_strict(self, flow):
        self.sh("ovs-ofctl", "--strict", "del-flows", "br0", flow)

    def cycles(self):
        out = self.appctl("dpif-netdev/pmd-stats-show").stdout
        m = re.search(r"avg processing cycles per packet:\s+([\d.]+)", out)
        return float(m.group(1)) if m else None

    def stop(self):
        c = None
        try:
            c = self.cycles()
        except Exception:
            pass
        kill(self.proc, signal.SIGTERM)
        kill(self.db, signal.SIGTERM)
        self.log.close()
        self.dblog.close()
        return c


def ensure_packages():
    """Open vSwitch with DPDK and matplotlib, from Debian, when missing."""
    missing = [p for p, probe in (("openvswitch-switch-dpdk", Ovs.VSWITCHD),
                                  ("python3-matplotlib", "/usr/lib/python3/dist-packages/matplotlib"))
               if not os.path.exists(probe)]
    if missing:
        log("installing " + " ".join(missing))
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "install", "-y", "-qq"] + missing, env=env, check=False,
                       stdout=subprocess.DEVNULL)


def hugepage_files_cleanup():
    for d in ("/dev/hugepages", "/var/run/dpdk"):
        if os.path.isdir(d):
            for f in os.listdir(d):
                if f.startswith("psw-perf"):
                    p = os.path.join(d, f)
                    shutil.rmtree(p, ignore_errors=True) if os.path.isdir(p) else os.unlink(p)


def measure(system, scenario, seconds, warmup, work, build, trial, resolution="2"):
    streams = scenario_streams(scenario)
    size = "imix" if scenario.endswith("imix") else "64"
    hugepage_files_cleanup()
    server_gen = system.start(scenario)
    running = True
    gen = Generator(work, build, system.socks, server=server_gen, streams=streams, size=size)
    result = {"install_s": getattr(system, "install_s", None)}
    if scenario == "wildcard":
        result["change_ms"] = flow_change_ms(system)
    try:
        gen.start("--warmup", str(warmup), "--duration", str(seconds))
        # the generator waits for its links, then warms up: clear the
        # switch's counters when the measured part begins
        time.sleep(warmup + 1.5)
        system.warm()
        flat = gen.wait(timeout=seconds + warmup + 120)
        result["cycles"] = system.cycles()
        if result["cycles"] is None:
            # testpmd reports its cycles when it exits: take them for the
            # flat-out run alone, and start it again for the search
            result["cycles"] = system.stop()
            running = False
        result["emc"] = getattr(system, "emc", None)
        result["mpps"] = flat["rx_mpps"]
        result["flat"] = flat
        if trial and not scenario.startswith("sweep-"):
            if not running:
                hugepage_files_cleanup()
                system.start(scenario)
                running = True
            gen.start("--rfc2544", "--trial", str(trial), "--resolution", resolution)
            rfc = gen.wait(timeout=600)["rfc2544"]
            result["ndr"] = rfc["ndr_mpps"]
            result["pdr"] = rfc["pdr_mpps"]
            result["p99_us"] = rfc["ndr"]["latency_ns"]["p99"] / 1000.0
        if scenario == "updates" and "ndr" in result:
            result["updates"] = updates_under_load(system, gen, result["ndr"], seconds)
        result["gen_cmd"] = " ".join(gen.cmd)
    finally:
        if running:
            system.stop()
    return result


def flow_change_ms(system, n=10):
    """Median milliseconds to add one flow to the installed ones, and to
    delete it again (--strict), each through the switch's CLI as an operator
    would run it: the CLI's own start is part of both systems' figure."""
    add, delete = [], []
    for i in range(n):
        flow = "priority=600,udp,nw_src=172.30.0.%d,tp_dst=9" % i
        t = time.time()
        system.add_flow(flow)
        add.append(1e3 * (time.time() - t))
        t = time.time()
        system.del_flow_strict(flow)
        delete.append(1e3 * (time.time() - t))
    return statistics.median(add), statistics.median(delete)


def updates_under_load(system, gen, ndr_mpps, seconds, per_second=200):
    """Forwards at 80% of the NDR (both ports together) while flows that the
    traffic does not hit are added and removed, one at a time."""
    rate = ndr_mpps * 1e6 * 0.8 / 2
    gen.start("--rate", str(int(rate)), "--duration", str(seconds))
    time.sleep(1.5)
    mods, t0 = 0, time.time()
    while time.time() - t0 < seconds - 1 and gen.proc.poll() is None:
        flow = "priority=500,udp,nw_src=172.31.%d.%d,tp_dst=%d" % (mods // 256 % 256, mods % 256, 7000)
        system.add_flow(flow)
        system.del_flow_strict(flow)
        mods += 2
        delay = t0 + mods / per_second - time.time()
        if delay > 0:
            time.sleep(delay)
    rep = gen.wait(timeout=seconds + 60)
    return {"offered_mpps": rate * 2 / 1e6, "flow_mods_per_s": mods / (time.time() - t0),
            "loss_percent": rep["loss_percent"], "lost": rep["lost"],
            "p99_us": rep["latency_ns"]["p99"] / 1000.0, "max_us": rep["latency_ns"]["max"] / 1000.0}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--duration", type=int)
    ap.add_argument("--rounds", type=int, help="interleaved repetitions; the median is reported")
    ap.add_argument("--trial", type=float, help="RFC 2544 trial length in seconds (0: no search)")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--systems", default="testpmd-io,pswitch,ovs-dpdk")
    ap.add_argument("--virtio-args", default="",
                    help="extra virtio-user devargs for the generator's ports (packed_vq=1,in_order=1)")
    ap.add_argument("--pswitchd-args", default="",
                    help="extra pswitchd options, e.g. '--emc-entries 32768'")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--baseline", metavar="BUILD",
                    help="also run the pswitchd of another build (a commit before), as pswitch-before, "
                         "and report pswitch against it round by round")
    ap.add_argument("--out", default=os.path.join(ROOT, "perf", "RESULTS.md"))
    args = ap.parse_args()
    global VIRTIO_ARGS, PSWITCHD_ARGS
    VIRTIO_ARGS = args.virtio_args
    PSWITCHD_ARGS = args.pswitchd_args.split()
    seconds = args.duration or (3 if args.quick else 5)
    warmup = 1 if args.quick else 2
    trial = args.trial if args.trial is not None else (0.5 if args.quick else 2)
    resolution = "5" if args.quick else "2"
    work = tempfile.mkdtemp(prefix="psw-perf-")
    systems = []
    for name in args.systems.split(","):
        if name == "testpmd-io":
            systems.append(TestpmdIO(work))
        elif name == "pswitch":
            systems.append(Pswitch(work, args.build))
            if args.baseline:
                systems.append(Pswitch(work, os.path.abspath(args.baseline), "pswitch-before"))
        elif name == "ovs-dpdk":
            if Ovs.available():
                systems.append(Ovs(work))
            else:
                log("Open vSwitch with DPDK is not installed (openvswitch-switch-dpdk): skipped")
    rounds = args.rounds or (1 if args.quick else 2)
    ensure_packages()
    runs = {}
    # Rounds interleave the systems, so that a slow spell of this shared
    # machine hits all of them rather than one.
    scenarios = []
    for sc in args.scenarios.split(","):
        points = (1, 10000, 1000000) if args.quick else SWEEP
        scenarios += ["sweep-%d" % n for n in points] if sc == "sweep" else [sc]
    for rnd in range(rounds):
        # Which system runs first matters on this machine (the first run
        # after others is often faster or slower): rotate the order.
        order = systems[rnd % len(systems):] + systems[:rnd % len(systems)]
        for scenario in scenarios:
            for system in order:
                if not system.supports(scenario):
                    continue
                r = measure(system, scenario, seconds, warmup, work, args.build, trial, resolution)
                runs.setdefault((scenario, system.name), []).append(r)
                log("round %d  %-9s %-11s %6.2f Mpps flat out, NDR %s, PDR %s, %s cycles/packet" % (
                    rnd + 1, scenario, system.name, r["mpps"], "%.2f" % r["ndr"] if "ndr" in r else "-",
                    "%.2f" % r["pdr"] if "pdr" in r else "-",
                    "%.0f" % r["cycles"] if r["cycles"] else "-"))
    results = {}
    for key, rs in runs.items():
        # the round nearest the median carries the details (latency, EMC);
        # the figures themselves are medians (the mean of the middle two
        # when the count is even)
        mid = statistics.median(r["mpps"] for r in rs)
        med = min(rs, key=lambda r: abs(r["mpps"] - mid))
        cyc = [r["cycles"] for r in rs if r["cycles"]]
        results[key] = dict(med, mpps=mid, cycles=statistics.median(cyc) if cyc else None,
                            all=[r["mpps"] for r in rs], all_cycles=[r["cycles"] for r in rs])
        for k in ("ndr", "pdr", "p99_us"):
            v = [r[k] for r in rs if k in r]
            if v:
                results[key][k] = statistics.median(v)
    args.rounds = rounds
    shutil.rmtree(work, ignore_errors=True)
    write_results(args, results, seconds, warmup, trial)


def draw_plots(args, results, sweep):
    """PNG plots beside the results: throughput against streams, and latency."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("python3-matplotlib is not installed: no plots")
        return []
    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    made = []
    if sweep:
        fig, ax = plt.subplots(figsize=(7, 4))
        for name in ("pswitch", "ovs-dpdk"):
            pts = [(n, results[("sweep-%d" % n, name)]["mpps"]) for n in sweep if ("sweep-%d" % n, name) in results]
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=name)
        ax.set_xscale("log")
        ax.set_xlabel("streams per direction (rule sets grow with them)")
        ax.set_ylabel("Mpps, flat out")
        ax.set_title("Throughput against flow count (64 B)")
        ax.grid(True, alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, "sweep.png"))
        made.append("sweep.png")
    lat = [(k, r) for k, r in results.items() if "flat" in r and not k[0].startswith("sweep-")]
    if lat:
        fig, ax = plt.subplots(figsize=(8, 4))
        labels, qs = [], []
        for (sc, name), r in sorted(lat):
            l = r["flat"]["latency_ns"]
            labels.append("%s\n%s" % (sc, name))
            qs.append([l["p50"] / 1e3, l["p99"] / 1e3, l["p99.9"] / 1e3])
        x = range(len(labels))
        for i, q in enumerate(("p50", "p99", "p99.9")):
            ax.bar([v + (i - 1) * 0.27 for v in x], [row[i] for row in qs], width=0.27, label=q)
        ax.set_xticks(list(x))
        ax.set_xticklabels(labels, fontsize=7)
        ax.set_ylabel("latency, us (flat out: queues full)")
        ax.set_yscale("log")
        ax.set_title("Latency distribution under saturation")
        ax.legend()
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, "latency.png"))
        made.append("latency.png")
    return made


def tsc_hz():
    """The TSC's rate when the kernel reports a constant one (cpu MHz is
    then the TSC's), else None."""
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
    except OSError:
        return None
    flags = re.search(r"^flags\s*:(.*)$", info, re.M)
    mhz = re.search(r"^cpu MHz\s*:\s*([\d.]+)", info, re.M)
    if not flags or not mhz or "constant_tsc" not in flags.group(1).split() or \
            "tsc_known_freq" not in flags.group(1).split():
        return None
    return float(mhz.group(1)) * 1e6


def ratio(a, b, key):
    if a and b and a.get(key) and b.get(key):
        return "%.2f" % (a[key] / b[key])
    return ""


def per_round(a, b, key):
    """Median of a's per-round figures over b's, and the rounds' ratios."""
    pairs = [(x, y) for x, y in zip(a[key], b[key]) if x and y]
    if not pairs or len(a[key]) != len(b[key]):
        return None, []
    ratios = [x / y for x, y in pairs]
    return statistics.median(ratios), ratios


def wildcard_line(results, pw):
    """The wildcard scenario against pswitch's single-flow rates: one flow
    per direction through the exact-match cache (sweep-1, the same path with
    one stream), and the port flows of p2p (no lookup at all). Rates where
    the generator keeps the switch busy; busy cycles per packet as the
    switch's own capacity, which the generator cannot cap: with 10,000
    streams it rewrites most frames it sends, and slows down."""
    parts = []
    hz = tsc_hz()
    for key, label in (("sweep-1", "one flow through the cache (sweep-1)"), ("p2p", "port flows (p2p)")):
        base = results.get((key, "pswitch"))
        if not base:
            continue
        rate, rates = per_round(pw, base, "all")
        cap, caps = per_round(base, pw, "all_cycles")
        if rate is None:
            continue
        parts.append("%s: rate %.0f%% (%s)%s" % (
            label, 100 * rate, " ".join("%.0f" % (100 * r) for r in rates),
            ", capacity by busy cycles per packet %.0f%% (%s)" % (
                100 * cap, " ".join("%.0f" % (100 * c) for c in caps)) if cap else ""))
    busy = ""
    if hz and pw.get("all_cycles"):
        shares = [100 * m * 1e6 * c / hz for m, c in zip(pw["all"], pw["all_cycles"]) if c]
        if shares:
            busy = " Its core was busy %.0f%% of the time (median of rounds)." % statistics.median(shares)
    return ("- pswitch with 100,000 wildcard flows and 10,000 streams per direction, against its "
            "single-flow figures, median of per-round ratios: %s (exact-match cache hit ratio %.0f%%; "
            "the flows took %.1f s to install).%s" % (
                "; ".join(parts) if parts else "no single-flow run", 100 * (pw.get("emc") or 0),
                pw.get("install_s") or 0, busy))


def write_results(args, results, seconds, warmup, trial):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = re.search(r"model name\s*:\s*(.*)", f.read()).group(1)
    except Exception:
        pass
    lines = ["| scenario | system | Mpps flat out (each round) | NDR Mpps | PDR Mpps | p99 latency at NDR | "
             "busy cycles/packet | pswitch / testpmd (flat, NDR) | pswitch / OVS (flat, NDR) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for scenario in SCENARIOS:
        for sysname in ("testpmd-io", "pswitch", "ovs-dpdk"):
            r = results.get((scenario, sysname))
            if r is None or scenario in ("updates", "sweep"):
                continue
            vs_t = vs_o = ""
            if sysname == "pswitch":
                t, o = results.get((scenario, "testpmd-io")), results.get((scenario, "ovs-dpdk"))
                vs_t = " / ".join(x for x in (ratio(r, t, "mpps"), ratio(r, t, "ndr")) if x)
                vs_o = " / ".join(x for x in (ratio(r, o, "mpps"), ratio(r, o, "ndr")) if x)
            lines.append("| %s | %s | %.2f (%s) | %s | %s | %s | %s | %s | %s |" % (
                scenario, sysname, r["mpps"], " ".join("%.2f" % x for x in r["all"]),
                "%.2f" % r["ndr"] if "ndr" in r else "-", "%.2f" % r["pdr"] if "pdr" in r else "-",
                "%.0f us" % r["p99_us"] if "p99_us" in r else "-",
                "%.0f" % r["cycles"] if r["cycles"] else "-", vs_t, vs_o))
    extra = []
    p1 = results.get(("p2p", "pswitch"))
    pw = results.get(("wildcard", "pswitch"))
    tp = results.get(("p2p", "testpmd-io"))
    if pw:
        extra.append(wildcard_line(results, pw))
    if p1 and tp and p1["cycles"] and tp["cycles"]:
        extra.append("- busy cycles per packet, pswitch / testpmd io (p2p): %.2f." % (p1["cycles"] / tp["cycles"]))
    ov = results.get(("p2p", "ovs-dpdk"))
    if ov and tp and ov["cycles"] and tp["cycles"]:
        extra.append("- busy cycles per packet, Open vSwitch / testpmd io (p2p): %.2f: the most a switch "
                     "could gain over Open vSwitch in this run without doing less than testpmd io." % (
                         ov["cycles"] / tp["cycles"]))
    # A switch's rate is its own only when its core is busy all the time: a
    # core busy for less waited for the generator, and then every system
    # shows the generator's pace, whatever it spends a packet.
    hz = tsc_hz()
    shares = [(label, results.get(("p2p", name))) for name, label in
              (("testpmd-io", "testpmd io"), ("pswitch", "pswitch"), ("ovs-dpdk", "Open vSwitch"))]
    shares = [(label, [100 * m * 1e6 * c / hz for m, c in zip(r["all"], r["all_cycles"]) if c])
              for label, r in shares if r and hz]
    shares = ["%s %.0f%% (%s)" % (label, statistics.median(x), " ".join("%.0f" % y for y in x))
              for label, x in shares if x]
    if shares:
        extra.append("- share of the switch core's time spent busy, p2p flat out, median of rounds (rate x "
                     "busy cycles per packet / TSC rate): %s. Under 100%%, the core waited for frames: "
                     "the generator, not the switch, set the pace." % ", ".join(shares))
    # Systems measured next to each other in one round share that round's
    # state of the machine: the median of per-round ratios cancels much of
    # the drift between rounds that the medians of each system keep.
    for scenario, mine in (("p2p", "pswitch"), ("p2p", "testpmd-io"), ("p2p-imix", "pswitch"),
                           ("normal", "pswitch"), ("wildcard", "pswitch")):
        p = results.get((scenario, mine))
        for other, label in (("testpmd-io", "testpmd io"), ("ovs-dpdk", "Open vSwitch")):
            o = results.get((scenario, other))
            if other == mine or not p or not o or len(p["all"]) != len(o["all"]):
                continue
            rates = [a / b for a, b in zip(p["all"], o["all"]) if b]
            cyc = [b / a for a, b in zip(p["all_cycles"], o["all_cycles"]) if a and b]
            if not rates:
                continue
            cyc_text = ""
            if cyc:
                cyc_text = ", busy cycles per packet %.2f (%s)" % (
                    1 / statistics.median(cyc), " ".join("%.2f" % (1 / x) for x in cyc))
            note = ""
            if mine == "testpmd-io":
                # the limit's own lead: how far ahead of Open vSwitch a
                # switch can be here while doing no less than testpmd io
                note = ": the limit's own lead over Open vSwitch in this run"
            extra.append("- %s, %s / %s, median of per-round ratios: rate %.2f (%s)%s%s." % (
                scenario, "testpmd io" if mine == "testpmd-io" else mine, label,
                statistics.median(rates), " ".join("%.2f" % x for x in rates), cyc_text, note))
    # A change's cost, side by side with the build before it in each round.
    for scenario in SCENARIOS:
        p, b = results.get((scenario, "pswitch")), results.get((scenario, "pswitch-before"))
        if not p or not b or len(p["all"]) != len(b["all"]):
            continue
        rates = [x / y for x, y in zip(p["all"], b["all"]) if y]
        cyc = [x / y for x, y in zip(p["all_cycles"], b["all_cycles"]) if x and y]
        if rates:
            extra.append("- %s, pswitch / the build before (%s), median of per-round ratios: rate %.2f (%s)%s." % (
                scenario, args.baseline, statistics.median(rates), " ".join("%.2f" % x for x in rates),
                ", busy cycles per packet %.2f (%s)" % (statistics.median(cyc), " ".join("%.2f" % x for x in cyc))
                if cyc else ""))
    ow = results.get(("wildcard", "ovs-dpdk"))
    if ow and ow.get("install_s"):
        extra.append("- Open vSwitch took %.1f s to install the same 100,000 flows (ovs-ofctl add-flows)." % ow["install_s"])
    changes = ["%s %.1f / %.1f ms" % (name, r["change_ms"][0], r["change_ms"][1])
               for name, r in (("pswitch", pw), ("Open vSwitch", ow)) if r and r.get("change_ms")]
    if changes:
        extra.append("- One flow added to the 100,000 and deleted again (`add-flow`, `del-flows --strict`; "
                     "median of 10, each command's own start included): %s." % ", ".join(changes))
    sweep = sorted({int(k[0].split("-")[1]) for k in results if k[0].startswith("sweep-")})
    if sweep:
        extra += ["", "Flow-count sweep (flat-out Mpps):", "",
                  "| streams per direction | flows / masks | pswitch | ovs-dpdk | pswitch / OVS | pswitch EMC hit ratio |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for n in sweep:
            p, o = results.get(("sweep-%d" % n, "pswitch")), results.get(("sweep-%d" % n, "ovs-dpdk"))
            extra.append("| %d | %d / %d | %s | %s | %s | %s |" % (
                n, SWEEP[n][0], SWEEP[n][1], "%.2f" % p["mpps"] if p else "-", "%.2f" % o["mpps"] if o else "-",
                ratio(p, o, "mpps"), "%.0f%%" % (100 * p["emc"]) if p and p.get("emc") is not None else "-"))
    upd = [(k[1], r["updates"]) for k, r in results.items() if k[0] == "updates" and "updates" in r]
    if upd:
        extra += ["", "Updates under load:", "",
                  "| system | offered Mpps | flow mods/s | loss | p99 latency | max latency |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for name, u in sorted(upd):
            extra.append("| %s | %.2f | %.0f | %.3f%% (%d) | %.0f us | %.0f us |" % (
                name, u["offered_mpps"], u["flow_mods_per_s"], u["loss_percent"], u["lost"], u["p99_us"],
                u["max_us"]))
    plots = draw_plots(args, results, sweep)
    if plots:
        extra += ["", "Plots: " + ", ".join("[%s](%s)" % (p, p) for p in plots) + "."]
    gen = next((r.get("gen_cmd") for r in results.values() if r.get("gen_cmd")), "")
    text = """# Performance results

Measured by `perf/compare.py%s` on %s UTC.

Machine: %s, %d cores, Linux %s. Generator: `pswitch-pktgen` on core %d
through two virtio-user ports (hugepages); each switch has one PMD on core %d.
Per scenario and system: a flat-out run of %d s after a %d s warm-up (the
saturated receive rate, both directions summed, and the switch's busy cycles
per packet), then an RFC 2544 binary search with %s s trials for the no-drop
rate (NDR) and the rate with at most 0.5%% loss (PDR). %d interleaved
round(s): every round runs every system, in an order that rotates from round
to round, and the table gives medians (each round's flat-out rate beside them). Cycles
per packet are what each switch reports of its busy cycles (pswitch:
`pswitchctl pmd-stats`; testpmd: `--record-core-cycles`; Open vSwitch:
`dpif-netdev/pmd-stats-show`). The generator stamps one frame in %d with a
sequence number and send time (latency and order come from those) and sends
the others again from buffers that still hold them (`--sample`), so that it
spends less on a frame than the switches do: until 2026-11-29 it rewrote every
frame, which took back
from the switch's core the cache lines that core had just read, and every
system ran at the generator's pace (testpmd io then showed about 550 busy
cycles per packet, and Open vSwitch the same). Figures from this 2-core
machine compare systems with each other, not with line rate: read the ratios.
Runs on this shared machine vary by +-30%% and more from one minute to the
next (the same system back to back: 4.3 and 7.7 Mpps), which is why rounds
interleave the systems and the ratios are taken within a round; a single
descheduling of the generator on core 0 loses packets, which makes the
no-drop rate of short trials the least stable figure.

Most of every switch's busy cycles go to librte_vhost (the copies to and from
the pods' memory), which all three pay alike. On top of them, per frame,
pswitch parses the frame (to drop malformed ones) and, for a port whose table-0
flow matches in_port alone and outranks every other shape (p2p, and the lone
`actions=NORMAL`), takes that flow without a lookup, as Open vSwitch's simple
match does; otherwise it looks the frame up in its exact-match cache
(262,144 entries per PMD by default, `--emc-entries`: 100,000 streams each
way fit). Beyond the cache (a million streams) every packet takes the
20-subtable classifier, which looks up the misses of a burst together,
prefetching each subtable's buckets for all of them before comparing (as Open
vSwitch's dpcls does), while Open vSwitch's megaflow cache, whose masks its
prefix tracking keeps coarse, covers the streams with few subtable lookups.
`pswitchctl pmd-stats` shows port flow hits, cache hits and the subtables
searched per classifier lookup.

The issue's targets: p2p at least 85%% of testpmd io's rate with busy cycles
per packet within 1.2x of testpmd's, and 1.5x Open vSwitch's rate; NORMAL 2x
Open vSwitch's; 100,000 wildcard flows at 60%% of the single-flow rate. They
are read off the per-round ratios below. Two lines there bound what the
"x Open vSwitch" targets can show on this machine: testpmd io's own lead over
Open vSwitch (no switch that uses the same vhost library for its copies and
does at least what testpmd io does can lead by more), and each system's busy
share of its core (under 100%%, it waited for the one-core generator, and
its rate is the generator's pace as much as its own).

%s

%s

Scenarios:
%s

Commands: every command line is built in `perf/compare.py` (`Generator`,
`TestpmdIO.start`, `Pswitch.start`, `Ovs.start`); the last generator command was
`%s`.
""" % (" --quick" if args.quick else "", datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), cpu,
       os.cpu_count(), platform.release(), GEN_CORE, DUT_CORE, seconds, warmup, trial, args.rounds,
       SAMPLE, "\n".join(lines), "\n".join(extra), "\n".join("- %s: %s" % kv for kv in SCENARIOS.items()), gen)
    # sections other benchmarks keep in the same file (perf/cni_bench.py), and
    # measurements of single knobs written by hand, stay
    if os.path.exists(args.out):
        with open(args.out) as f:
            old = f.read()
        for begin, end in (("<!-- cni-bench:begin -->", "<!-- cni-bench:end -->"),
                           ("<!-- knobs:begin -->", "<!-- knobs:end -->")):
            if begin in old and end in old:
                text += "\n" + old[old.index(begin):old.index(end) + len(end)] + "\n"
    with open(args.out, "w") as f:
        f.write(text)
    log("\n" + "\n".join(lines) + "\n" + "\n".join(extra))
    log("written to " + args.out)


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("perf/compare.py: run as root")
    main()
