#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The watcher at cluster scale, against the suite's API server
(tests/e2e/kube_apiserver.py, real list/watch over HTTPS): a synthetic
cluster of NODES nodes, PODS pods, NAMESPACES namespaces and POLICIES
NetworkPolicies, at 10% and at 100% of the pods, for how memory and apply
time grow.

For each size it measures: the initial list and sync (pswitchd started
until every kind is synced with the server's counts), pswitchd's resident
memory after the sync less that of an empty cluster (the object model),
pswitchd's own time per event (line read to change published, from
`pswitchctl cluster`: p50, p99), and the events per second it sustains
(EVENTS pod label changes written as fast as the server takes them, until
pswitchd's resourceVersion reaches the last).

    perf/watch_bench.py [--pods 150000] [--nodes 1500] [--namespaces 2000]
                        [--policies 10000] [--events 20000] [--out perf/RESULTS.md]
"""

import argparse
import datetime
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "perf"))
from kube_apiserver import ApiServer  # noqa: E402
from results_file import replace_section  # noqa: E402

BUILD = os.path.abspath(os.environ.get("PSW_BUILD", os.path.join(ROOT, "build")))
PSWITCHD = os.path.join(BUILD, "pswitchd")
PSWITCHCTL = os.path.join(BUILD, "ctl", "pswitchctl")
BEGIN, END = "<!-- watch-bench:begin -->", "<!-- watch-bench:end -->"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def populate(api, nodes, pods, namespaces, policies):
    """A cluster shaped like a real one: pods spread over nodes and
    namespaces, a few labels each, named ports, one IP."""
    st = api.store
    for i in range(namespaces):
        st.create("namespaces", "", {"metadata": {"name": "ns%d" % i, "labels": {
            "team": "t%d" % (i % 50), "env": ("prod", "dev", "test")[i % 3]}}})
    for i in range(nodes):
        st.create("nodes", "", {"metadata": {"name": "node%d" % i}, "spec": {
            "podCIDRs": ["10.%d.%d.0/24" % (64 + i // 256, i % 256)]},
            "status": {"addresses": [{"type": "InternalIP", "address": "192.168.%d.%d" % (i // 250, i % 250 + 1)}]}})
    for i in range(pods):
        n = i % nodes
        st.create("pods", "ns%d" % (i % namespaces), {
            "metadata": {"name": "pod-%d" % i, "labels": {"app": "app%d" % (i % 500), "tier": ("web", "db", "cache")[i % 3],
                                                        "pod-template-hash": "%08x" % (i // 5)}},
            "spec": {"nodeName": "node%d" % n, "containers": [{"name": "c", "image": "x",
                                                              "ports": [{"name": "http", "containerPort": 8080}]}]},
            "status": {"phase": "Running", "podIPs": [{"ip": "10.%d.%d.%d" % (64 + n // 256, n % 256, 2 + (i // nodes) % 250)}]}})
    for i in range(policies):
        st.create("networkpolicies", "ns%d" % (i % namespaces), {
            "metadata": {"name": "np%d" % i},
            "spec": {"podSelector": {"matchLabels": {"app": "app%d" % (i % 500)}}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "t%d" % (i % 50)}}},
                                           {"podSelector": {"matchLabels": {"tier": "web"}}}],
                                  "ports": [{"port": "http", "protocol": "TCP"}]}]}})


class Daemon:
    def __init__(self, tmp, kubeconfig):
        self.sock = os.path.join(tmp, "ctl.sock")
        self.log = open(os.path.join(tmp, "pswitchd.log"), "w")
        self.proc = subprocess.Popen([PSWITCHD, "--run-dir", tmp, "--control-socket", self.sock,
                                      "--file-prefix", "psw-watch-bench", "--pmd-cores", "1",
                                      "--control-core", "0", "--memory", "256", "--no-restore",
                                      "--no-huge", "--kubeconfig", kubeconfig, "--node-name", "node0"],
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def cluster(self):
        r = subprocess.run([PSWITCHCTL, "--socket", self.sock, "--json", "cluster"], capture_output=True,
                           text=True, timeout=120)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def stop(self):
        subprocess.run([PSWITCHCTL, "--socket", self.sock, "stop"], capture_output=True, timeout=60)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def synced(c, want):
    if c is None:
        return False
    kinds = c["source"]["kinds"]
    return all(kinds[k]["synced"] and c["objects"][k]["objects"] == n for k, n in want.items())


def measure(args, pods):
    tmp = tempfile.mkdtemp(prefix="psw-watch-bench-")
    api = ApiServer(tmp)
    api.bookmark_s = 0
    api.tokens["bench"] = "system:node:node0"
    kc = api.kubeconfig(os.path.join(tmp, "kubeconfig"), token="bench")
    row = {"pods": pods}
    try:
        # an empty cluster first: the daemon's own memory
        d = Daemon(tmp, kc)
        while not synced(d.cluster(), {"pods": 0}):
            time.sleep(0.1)
        base = rss_mb(d.proc.pid)
        d.stop()
        log("populating: %d pods" % pods)
        populate(api, args.nodes, pods, args.namespaces, args.policies)
        want = {"pods": pods, "nodes": args.nodes, "namespaces": args.namespaces,
                "networkpolicies": args.policies}
        t0 = time.monotonic()
        d = Daemon(tmp, kc)
        while not synced(d.cluster(), want):
            time.sleep(0.2)
        row["sync_s"] = time.monotonic() - t0
        row["rss_mb"] = rss_mb(d.proc.pid)
        row["model_mb"] = row["rss_mb"] - base
        log("synced in %.1f s, RSS %.0f MiB (%.0f for the objects)" % (row["sync_s"], row["rss_mb"], row["model_mb"]))
        # a burst of pod changes, as fast as the server takes them
        before = d.cluster()["source"]["apply"]["events"]
        t0 = time.monotonic()
        for i in range(args.events):
            k = random.randrange(pods)
            key = ("ns%d" % (k % args.namespaces), "pod-%d" % k)
            with api.store.lock:
                o = dict(api.store.objects["pods"][key])
                o["metadata"] = dict(o["metadata"], labels=dict(o["metadata"]["labels"], rev=str(i)))
                api.store.update("pods", key[0], key[1], o)
        last = str(api.store.rv)
        written = time.monotonic() - t0
        while d.cluster()["source"]["kinds"]["pods"]["resourceVersion"] != last:
            time.sleep(0.05)
        row["burst_s"] = time.monotonic() - t0
        row["write_s"] = written
        c = d.cluster()
        row["events"] = c["source"]["apply"]["events"] - before
        row["events_per_s"] = row["events"] / row["burst_s"]
        row.update({k: c["source"]["apply"][k] for k in ("p50_us", "p99_us", "max_us")})
        log("%d events in %.2f s (the server wrote them in %.2f s): apply p50 %.1f us, p99 %.1f us"
            % (row["events"], row["burst_s"], written, row["p50_us"], row["p99_us"]))
        d.stop()
    finally:
        api.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pods", type=int, default=150000)
    ap.add_argument("--nodes", type=int, default=1500)
    ap.add_argument("--namespaces", type=int, default=2000)
    ap.add_argument("--policies", type=int, default=10000)
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--out", default=os.path.join(ROOT, "perf", "RESULTS.md"))
    args = ap.parse_args()
    rows = [measure(args, args.pods // 10), measure(args, args.pods)]
    lines = ["| %d | %.1f | %.0f | %.0f | %.1f | %.1f | %.0f | %.0f |" % (
        r["pods"], r["sync_s"], r["rss_mb"], r["model_mb"], r["p50_us"], r["p99_us"], r["max_us"],
        r["events_per_s"]) for r in rows]
    section = """%s
## The watcher at cluster scale (perf/watch_bench.py)

Measured %s UTC on this machine (%d CPUs, Linux %s): the suite's API server
(Python, HTTPS, real list/watch) with %d nodes, %d namespaces, %d
NetworkPolicies and the pods below; pswitchd lists everything in pages of
500, then watches. *Sync*: from pswitchd's start until every kind is synced
with the server's counts. *RSS*: pswitchd's resident memory after the sync;
*objects*: less that with an empty cluster. *Apply*: pswitchd's own time per
pod event, from its line read to its change published (the last 4,096
events of a burst of %d label changes). *Events/s*: the burst's events over
the time until pswitchd's pods resourceVersion reached the last; the Python
server writing and sending them is most of it, so this is a floor of what
pswitchd sustains.

| pods | sync s | RSS MiB | objects MiB | apply p50 us | apply p99 us | apply max us | events/s |
| --- | --- | --- | --- | --- | --- | --- | --- |
%s

From %d to %d pods: sync time x%.1f, object memory x%.1f, apply p99 x%.2f.
%s""" % (BEGIN, datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), os.cpu_count(), platform.release(),
         args.nodes, args.namespaces, args.policies, args.events, "\n".join(lines),
         rows[0]["pods"], rows[1]["pods"], rows[1]["sync_s"] / rows[0]["sync_s"],
         rows[1]["model_mb"] / max(rows[0]["model_mb"], 0.1), rows[1]["p99_us"] / max(rows[0]["p99_us"], 0.001),
         END)
    replace_section(args.out, BEGIN, END, section)
    print(section)


if __name__ == "__main__":
    main()
