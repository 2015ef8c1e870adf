#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""CNI attach and detach latency, measured the way a runtime sees it: the
wall time of each pswitch-cni run (exec, IPAM delegation to host-local,
veth or vhost-user socket, pswitchd's port and flows).

For each kind (kernel, dpdk) it fills the node to 250 pods one at a time,
then churns 100 pods (DEL one, ADD one) with 250 attached, then attaches
with 4 runners in parallel (as kubelet starts pods), then detaches all.
The standard bridge plugin (a Linux bridge, same host-local IPAM) is
measured in the same run as the reference for kernel pods.

    perf/cni_bench.py [--pods 250] [--out perf/RESULTS.md]
"""

import argparse
import concurrent.futures
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from results_file import replace_section  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.abspath(os.environ.get("PSW_BUILD", os.path.join(ROOT, "build")))
PLUGIN = os.path.join(BUILD, "cni", "pswitch-cni")
PSWITCHD = os.path.join(BUILD, "pswitchd")
BEGIN, END = "<!-- cni-bench:begin -->", "<!-- cni-bench:end -->"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


class Bench:
    def __init__(self, pods):
        self.pods = pods
        self.tmp = tempfile.mkdtemp(prefix="psw-cni-bench-")
        self.sock = os.path.join(self.tmp, "psw.sock")
        self.netns = []
        self.proc = None

    def start_switch(self):
        self.log = open(os.path.join(self.tmp, "pswitchd.log"), "w")
        self.proc = subprocess.Popen([PSWITCHD, "--run-dir", self.tmp, "--control-socket", self.sock,
                                      "--file-prefix", "psw-cni-bench", "--pmd-cores", "1",
                                      "--control-core", "0", "--memory", "512", "--no-restore"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(300):
            if os.path.exists(self.sock):
                return
            time.sleep(0.1)
        raise RuntimeError("pswitchd did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=60)
        for ns in self.netns:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def make_netns(self):
        for i in range(self.pods + 100):
            name = "psw-bench-%d" % i
            subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
            self.netns.append(name)

    def conf(self, kind):
        if kind == "bridge":
            return {"cniVersion": "1.0.0", "name": "bench-bridge", "type": "bridge", "bridge": "pswbench0",
                    "isGateway": True,
                    "ipam": {"type": "host-local", "subnet": "10.60.0.0/16",
                             "dataDir": os.path.join(self.tmp, "ipam")}}
        return {"cniVersion": "1.0.0", "name": "bench-" + kind, "type": "pswitch", "kind": kind,
                "socket": self.sock, "stateDir": os.path.join(self.tmp, "state"),
                "vhost": {"socketDir": os.path.join(self.tmp, "vhu")},
                "ipam": {"type": "host-local", "subnet": "10.61.0.0/16",
                         "dataDir": os.path.join(self.tmp, "ipam")}}

    def run(self, command, kind, i):
        binary = "/usr/lib/cni/bridge" if kind == "bridge" else PLUGIN
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "CNI_COMMAND": command,
               "CNI_CONTAINERID": "bench-%s-%d" % (kind, i), "CNI_NETNS": "/var/run/netns/" + self.netns[i],
               "CNI_IFNAME": "eth0", "CNI_PATH": "/usr/lib/cni"}
        t0 = time.perf_counter()
        r = subprocess.run([binary], input=json.dumps(self.conf(kind)), env=env, capture_output=True,
                           text=True)
        dt = time.perf_counter() - t0
        if r.returncode != 0:
            raise RuntimeError("%s %s %d failed: %s %s" % (command, kind, i, r.stdout, r.stderr))
        return dt * 1000.0

    def measure(self, kind):
        res = {}
        n = self.pods
        t0 = time.perf_counter()
        fill = [self.run("ADD", kind, i) for i in range(n)]
        res["fill_s"] = time.perf_counter() - t0
        res["add_fill"] = fill
        # churn with the node full
        add, dele = [], []
        for k in range(100):
            dele.append(self.run("DEL", kind, k))
            add.append(self.run("ADD", kind, k))
        res["add_full"], res["del_full"] = add, dele
        # detach everything, then attach in parallel as kubelet would
        res["del_all"] = [self.run("DEL", kind, i) for i in range(n)]
        t0 = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            par = list(ex.map(lambda i: self.run("ADD", kind, i), range(n)))
        res["parallel_s"] = time.perf_counter() - t0
        res["add_parallel"] = par
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            list(ex.map(lambda i: self.run("DEL", kind, i), range(n)))
        return res


def summary(kind, r, pods):
    return {
        "kind": kind,
        "add_p50": statistics.median(r["add_fill"]), "add_p99": pct(r["add_fill"], 99),
        "add_full_p50": statistics.median(r["add_full"]), "add_full_p99": pct(r["add_full"], 99),
        "del_full_p50": statistics.median(r["del_full"]), "del_full_p99": pct(r["del_full"], 99),
        "del_p50": statistics.median(r["del_all"]), "del_p99": pct(r["del_all"], 99),
        "seq_rate": pods / r["fill_s"], "par_rate": pods / r["parallel_s"],
        "par_p50": statistics.median(r["add_parallel"]), "par_p99": pct(r["add_parallel"], 99),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pods", type=int, default=250)
    ap.add_argument("--out", default=os.path.join(ROOT, "perf", "RESULTS.md"))
    args = ap.parse_args()
    b = Bench(args.pods)
    rows = []
    try:
        b.make_netns()
        b.start_switch()
        for kind in ("bridge", "kernel", "dpdk"):
            log("measuring %s pods" % kind)
            rows.append(summary(kind, b.measure(kind), args.pods))
            log(json.dumps(rows[-1]))
    finally:
        b.stop()
        subprocess.run(["ip", "link", "del", "pswbench0"], capture_output=True)
    names = {"bridge": "bridge plugin (Linux bridge, reference)", "kernel": "pswitch-cni kernel pod (veth)",
             "dpdk": "pswitch-cni DPDK pod (vhost-user)"}
    lines = ["| plugin | ADD p50 / p99 (filling to %d) | ADD p50 / p99 (%d attached) | DEL p50 / p99 (%d attached) "
             "| pods/s, one at a time | pods/s, 4 in parallel |" % (args.pods, args.pods, args.pods),
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append("| %s | %.1f / %.1f ms | %.1f / %.1f ms | %.1f / %.1f ms | %.0f | %.0f |" % (
            names[r["kind"]], r["add_p50"], r["add_p99"], r["add_full_p50"], r["add_full_p99"],
            r["del_full_p50"], r["del_full_p99"], r["seq_rate"], r["par_rate"]))
    section = """%s
## CNI attach and detach (perf/cni_bench.py)

Measured %s UTC on this machine (%d cores, kernel %s) with `perf/cni_bench.py --pods %d`:
each figure is the wall time of one plugin run as a runtime sees it (exec, IPAM
through host-local, veth or vhost-user socket, pswitchd's port, flows and MAC
entry). The node is filled to %d pods one at a time; then 100 pods are churned
(DEL one, ADD one) with %d attached; then all are attached again by 4 runners in
parallel. The standard `bridge` plugin with the same IPAM is measured in the same
run as the reference for what a kernel pod costs without pswitch.

%s

Ratios: a pswitch kernel pod's ADD takes %.2fx the bridge plugin's (p50, node
full); a DPDK pod's %.2fx.
%s""" % (BEGIN, datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), os.cpu_count(), platform.release(),
         args.pods, args.pods, args.pods, "\n".join(lines),
         rows[1]["add_full_p50"] / rows[0]["add_full_p50"], rows[2]["add_full_p50"] / rows[0]["add_full_p50"],
         END)
    replace_section(args.out, BEGIN, END, section)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
