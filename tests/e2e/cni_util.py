# SPDX-License-Identifier: BSD-3-Clause
"""Running pswitch-cni exactly as a container runtime does: CNI_* variables,
the network configuration on stdin, the result or error object on stdout."""

import json
import os
import shutil
import subprocess
import tempfile
import uuid

from harness import BUILD, SLOW, Switch, SwitchTest

PLUGIN = os.path.join(BUILD, "cni", "pswitch-cni")
CNI_PATH = "/usr/lib/cni"


class CniResult:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.json = json.loads(proc.stdout) if proc.stdout.strip() else None

    def __repr__(self):
        return "rc=%d stdout=%s stderr=%s" % (self.rc, self.stdout, self.stderr[-2000:])


def run_plugin(command, conf, cid=None, netns=None, ifname="eth0", args=None, env=None,
               raw_stdin=None, path=CNI_PATH, plugin=PLUGIN):
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            e[k] = os.environ[k]
    if command is not None:
        e["CNI_COMMAND"] = command
    if cid is not None:
        e["CNI_CONTAINERID"] = cid
    if netns is not None:
        e["CNI_NETNS"] = netns
    if ifname is not None:
        e["CNI_IFNAME"] = ifname
    if path is not None:
        e["CNI_PATH"] = path
    if args is not None:
        e["CNI_ARGS"] = args
    if env:
        e.update(env)
    stdin = raw_stdin if raw_stdin is not None else json.dumps(conf)
    p = subprocess.run([plugin], input=stdin, env=e, capture_output=True, text=True,
                       timeout=60 * SLOW)
    return CniResult(p)


def sh(*args, check=True):
    return subprocess.run(list(args), check=check, capture_output=True, text=True)


class Netns:
    """A named network namespace, as runtimes make for a pod sandbox."""

    def __init__(self):
        self.name = "psw-cni-%s" % uuid.uuid4().hex[:8]
        sh("ip", "netns", "add", self.name)
        self.path = "/var/run/netns/" + self.name

    def run(self, *args, check=True, timeout=30):
        return subprocess.run(["ip", "netns", "exec", self.name] + list(args), check=check,
                              capture_output=True, text=True, timeout=timeout * SLOW)

    def delete(self):
        sh("ip", "netns", "del", self.name, check=False)


def host_links(prefix=("psw", "vhu")):
    out = sh("ip", "-o", "link").stdout
    names = []
    for line in out.splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        if name.startswith(prefix):
            names.append(name)
    return names


class CniTest(SwitchTest):
    """A private pswitchd, a private state and IPAM directory, and helpers
    to check that nothing of an attachment is left."""

    KIND = "kernel"
    VERSION = "1.0.0"

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="psw-cni-", dir=self.sw.dir)
        self.netns = []
        self.before_links = set(host_links())

    def tearDown(self):
        for ns in self.netns:
            ns.delete()
        for link in set(host_links()) - self.before_links:
            sh("ip", "link", "del", link, check=False)
        super().tearDown()

    def conf(self, version=None, kind=None, **extra):
        c = {
            "cniVersion": version or self.VERSION,
            "name": "podnet",
            "type": "pswitch",
            "kind": kind or self.KIND,
            "socket": self.sw.sock,
            "stateDir": os.path.join(self.tmp, "state"),
            "vhost": {"socketDir": os.path.join(self.tmp, "vhu")},
            "ipam": {"type": "host-local", "subnet": "10.77.0.0/24",
                     "dataDir": os.path.join(self.tmp, "ipam"),
                     "routes": [{"dst": "0.0.0.0/0"}]},
        }
        c.update(extra)
        return c

    def new_netns(self):
        ns = Netns()
        self.netns.append(ns)
        return ns

    def add(self, conf=None, ns=None, cid=None, ifname="eth0", **kw):
        ns = ns or self.new_netns()
        cid = cid or uuid.uuid4().hex
        r = run_plugin("ADD", conf or self.conf(), cid=cid, netns=ns.path, ifname=ifname, **kw)
        return r, ns, cid

    def leases(self, conf=None):
        d = os.path.join((conf or self.conf())["ipam"]["dataDir"], "podnet")
        if not os.path.isdir(d):
            return []
        return [f for f in os.listdir(d) if f[0].isdigit()]

    def records(self):
        d = os.path.join(self.tmp, "state", "podnet")
        return [f for f in os.listdir(d) if f.endswith(".json")] if os.path.isdir(d) else []

    def pod_ports(self):
        return [p for p in self.sw.j("show")["ports"] if "cni" in p.get("options", {})]

    def assertNothingLeft(self):
        self.assertEqual(self.pod_ports(), [])
        self.assertEqual(set(host_links()) - self.before_links, set())
        self.assertEqual(self.leases(), [])
        self.assertEqual(self.records(), [])
        self.assertEqual([f for f in self.sw.flows() if f["cookie"] >> 40 == 0x505357], [])
        vhu = os.path.join(self.tmp, "vhu")
        self.assertEqual(os.listdir(vhu) if os.path.isdir(vhu) else [], [])

    def assertCniError(self, r, code, words):
        self.assertEqual(r.rc, 1, r)
        self.assertIsNotNone(r.json, r)
        self.assertEqual(r.json["code"], code, r)
        self.assertIn(words, r.json["msg"], r)
        self.assertIn("cniVersion", r.json)
