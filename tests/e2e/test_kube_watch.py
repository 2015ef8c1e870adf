# SPDX-License-Identifier: BSD-3-Clause
"""pswitchd following an API server (the suite's, kube_apiserver.py) over
HTTPS: the initial list, then watches; objects changed through kubectl;
streams dropped mid-way, history lost (410, as an ERROR event and as an
HTTP status), bookmarks, a bad token fixed, a wrong CA, a rotated token
file, a client certificate, malformed and split events, a server that
stops answering. After each, what pswitchd holds equals the server's
state, read with the official Python client."""

import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from cni_util import CniTest, run_plugin
from harness import SwitchTest, wait_for
from kube_apiserver import ApiServer

NODE = "node-a"
KUBECTL = shutil.which("kubectl")



def ns_obj(name, labels=None):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}}


def node_obj(name, cidr, ip):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
            "spec": {"podCIDR": cidr, "podCIDRs": [cidr]},
            "status": {"addresses": [{"type": "InternalIP", "address": ip}]}}


def pod_obj(name, ns="web", node=NODE, ip=None, labels=None):
    p = {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": name, "namespace": ns, "labels": labels or {"app": name}},
         "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox",
                                                     "ports": [{"name": "http", "containerPort": 8080}]}]},
         "status": {"phase": "Running"}}
    if ip:
        p["status"]["podIPs"] = [{"ip": ip}]
    return p


def netpol_obj(name, ns="web"):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"podSelector": {"matchLabels": {"app": "front"}}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": [{"podSelector": {}}], "ports": [{"port": "http"}]}]}}


class WatchTest(SwitchTest):
    """A test API server with a small cluster, and pswitchd watching it."""

    AUTH = "token"
    START = True

    def setUp(self):
        self.kdir = tempfile.mkdtemp(prefix="psw-kube-")
        self.api = ApiServer(self.kdir)
        self.api.tokens["admin"] = "admin"
        self.api.tokens["node-token"] = "system:node:node-a"
        self.admin_cfg = self.api.kubeconfig(os.path.join(self.kdir, "admin.kubeconfig"), token="admin")
        from kubernetes import client, config
        config.load_kube_config(config_file=self.admin_cfg)
        self.v1 = client.CoreV1Api()
        self.net = client.NetworkingV1Api()
        self.seed()
        self.kubeconfig = os.path.join(self.kdir, "node.kubeconfig")
        if self.AUTH == "token":
            self.api.kubeconfig(self.kubeconfig, token="node-token")
        if self.START:
            self.start()

    def start(self, extra=()):
        self.EXTRA = ("--kubeconfig", self.kubeconfig, "--node-name", NODE,
                      "--kube-watch-timeout", "3") + tuple(extra)
        super().setUp()

    def tearDown(self):
        try:
            if hasattr(self, "sw"):
                super().tearDown()
        finally:
            self.api.stop()
            shutil.rmtree(self.kdir, ignore_errors=True)

    def seed(self):
        self.v1.create_namespace(ns_obj("web", {"team": "blue"}))
        self.v1.create_namespace(ns_obj("db"))
        self.v1.create_node(node_obj("node-a", "10.244.1.0/24", "192.168.50.1"))
        self.v1.create_node(node_obj("node-b", "10.244.2.0/24", "192.168.50.2"))
        for i in range(6):
            self.v1.create_namespaced_pod("web", pod_obj("p%d" % i, ip="10.244.1.%d" % (10 + i),
                                                         node="node-a" if i % 2 else "node-b"))
        self.v1.create_namespaced_pod("db", pod_obj("pg", ns="db", ip="10.244.2.7", node="node-b"))
        self.net.create_namespaced_network_policy("web", netpol_obj("front-in"))

    # -- the two sides --
    def server_pods(self):
        out = {}
        for p in self.v1.list_pod_for_all_namespaces().items:
            out["%s/%s" % (p.metadata.namespace, p.metadata.name)] = {
                "uid": p.metadata.uid, "rv": p.metadata.resource_version,
                "labels": p.metadata.labels or {}, "node": p.spec.node_name,
                "ips": sorted(i.ip for i in (p.status.pod_i_ps or [])), "phase": p.status.phase}
        return out

    def switch_pods(self):
        out = {}
        for p in self.sw.j("pods", "--all"):
            if not p.get("known"):
                continue
            out["%s/%s" % (p["namespace"], p["name"])] = {
                "uid": p["uid"], "rv": p["resourceVersion"], "labels": p["labels"], "node": p["node"],
                "ips": sorted(p["ips"]), "phase": p["phase"]}
        return out

    def server_others(self):
        return {"nodes": sorted((n.metadata.name, n.metadata.resource_version)
                                for n in self.v1.list_node().items),
                "namespaces": sorted((n.metadata.name, json.dumps(n.metadata.labels, sort_keys=True))
                                     for n in self.v1.list_namespace().items)}

    def switch_others(self):
        return {"nodes": sorted((n["name"], n["resourceVersion"]) for n in self.sw.j("nodes")),
                "namespaces": sorted((n["name"], json.dumps(n["labels"], sort_keys=True))
                                     for n in self.sw.j("namespaces"))}

    def status(self):
        return self.sw.j("cluster")["source"]

    def assert_equal_to_server(self, timeout=20):
        ok = wait_for(lambda: self.switch_pods() == self.server_pods() and
                      self.switch_others() == self.server_others(), timeout)
        if not ok:
            self.assertEqual(self.switch_pods(), self.server_pods())
            self.assertEqual(self.switch_others(), self.server_others())
            self.fail("not equal to the server")

    def kubectl(self, *args, input=None):
        r = subprocess.run([KUBECTL, "--kubeconfig", self.admin_cfg] + list(args), input=input,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout


class Sync(WatchTest):
    def test_initial_sync_and_identity(self):
        self.assert_equal_to_server()
        st = self.status()
        self.assertEqual(st["source"], "api")
        self.assertEqual(st["server"], self.api.url)
        self.assertEqual(st["auth"], "bearer token")
        for r in ("pods", "namespaces", "nodes", "networkpolicies"):
            self.assertTrue(st["kinds"][r]["synced"], r)
            self.assertEqual(st["kinds"][r]["state"], "watching", r)
        objects = self.sw.j("cluster")["objects"]
        self.assertEqual(objects["networkpolicies"]["objects"], 1)
        self.assertEqual(self.sw.j("cluster")["pod_cidrs"], ["10.244.1.0/24"])
        # local pods by default, all with --all
        local = {p["name"] for p in self.sw.j("pods")}
        self.assertEqual(local, {"p1", "p3", "p5"})
        # pswitchd says who it is, and never sent the admin's token
        mine = {tok for ua, tok in self.api.agents if ua.startswith("pswitchd/")}
        self.assertEqual(mine, {"node-token"})
        # lists were paginated from the start, watches resumed from the list
        self.assertIn("pods", self.api.lists)
        self.assertTrue(any(w[0] == "pods" and w[1] not in ("", "0") and w[2] for w in self.api.watches))

    @unittest.skipIf(KUBECTL is None, "kubectl is not installed")
    def test_changes_through_kubectl(self):
        self.assert_equal_to_server()
        self.kubectl("apply", "-f", "-", input=json.dumps(pod_obj("new", ip="10.244.1.99")))
        self.kubectl("label", "pod", "-n", "web", "p1", "tier=gold")
        self.kubectl("label", "ns", "db", "env=prod")
        self.kubectl("delete", "pod", "-n", "web", "p2")
        self.kubectl("delete", "networkpolicy", "-n", "web", "front-in")
        self.assert_equal_to_server()
        pods = self.switch_pods()
        self.assertEqual(pods["web/p1"]["labels"], {"app": "p1", "tier": "gold"})
        self.assertNotIn("web/p2", pods)
        self.assertEqual(pods["web/new"]["ips"], ["10.244.1.99"])
        self.assertTrue(wait_for(lambda: self.sw.j("cluster")["objects"]["networkpolicies"]["objects"] == 0))
        ev = self.status()["kinds"]["pods"]["events"]
        self.assertGreaterEqual(ev["ADDED"], 1)
        self.assertGreaterEqual(ev["MODIFIED"], 1)
        self.assertGreaterEqual(ev["DELETED"], 1)

    def test_a_relist_after_a_page_of_many(self):
        # more pods than a page holds: the list takes several pages
        for i in range(1100):
            self.api.store.create("pods", "db", pod_obj("bulk%d" % i, ns="db", node="node-b"))
        self.api.compact(drop_watches=True)
        ok = wait_for(lambda: len(self.switch_pods()) == len(self.server_pods()), 60)
        self.assertTrue(ok, json.dumps(self.status()["kinds"]["pods"]) + repr(self.api.requests[-6:]))
        self.assert_equal_to_server(60)
        pages = [r for r in self.api.requests if r[1].startswith("/api/v1/pods?limit=500&continue=")]
        self.assertGreaterEqual(len(pages), 2)


class Streams(WatchTest):
    def test_dropped_streams_resume_from_the_last_version(self):
        self.assert_equal_to_server()
        before = self.status()["kinds"]["pods"]["lists"]
        for i in range(3):
            self.api.drop_watches()
            self.v1.patch_namespaced_pod("p0", "web", {"metadata": {"labels": {"round": str(i)}}})
            self.v1.delete_namespaced_pod("p%d" % (i + 1), "web")
        self.assert_equal_to_server()
        st = self.status()["kinds"]["pods"]
        self.assertEqual(st["lists"], before, "a resumed watch needs no new list")
        self.assertGreater(st["watches"], 1)

    def test_lost_history_relists_and_deletes_what_vanished(self):
        self.assert_equal_to_server()
        # history lost while pswitchd's streams are cut: the resume gets
        # 410 as an ERROR event, then (second round) as an HTTP status
        for as_status in (False, True):
            self.api.gone_as_status = as_status
            self.api.stall = True
            self.api.drop_watches()
            self.api.store.delete("pods", "web", "p%d" % (4 if as_status else 5))
            self.api.store.create("pods", "web", pod_obj("after-%d" % as_status, ip="10.244.1.%d" % (50 + as_status)))
            self.api.store.update("nodes", "", "node-b", dict(self.api.store.get("nodes", "", "node-b"),
                                                              spec={"podCIDRs": ["10.244.9.0/24"]}))
            self.api.compact()
            self.api.stall = False
            self.assert_equal_to_server()
        st = self.status()["kinds"]["pods"]
        self.assertGreaterEqual(st["relists"], 2)
        self.assertEqual(self.sw.j("nodes")[1]["podCIDRs"], ["10.244.9.0/24"])

    def test_bookmarks_move_the_version(self):
        self.api.bookmark_s = 0.3
        self.assert_equal_to_server()
        # a change of another kind moves the cluster's version; bookmarks
        # bring it to the pods' watch without an event
        self.v1.patch_namespace("db", {"metadata": {"labels": {"x": "1"}}})
        rv = str(self.api.store.rv)
        self.assertTrue(wait_for(lambda: self.status()["kinds"]["pods"]["resourceVersion"] == rv),
                        self.status()["kinds"]["pods"])
        self.assertGreater(self.status()["kinds"]["pods"]["events"]["BOOKMARK"], 0)

    def test_malformed_truncated_and_split_events(self):
        self.assert_equal_to_server()
        bad = [b"{this is not json\n",
               json.dumps({"type": "ADDED", "object": {"metadata": {"namespace": "web"}}}).encode() + b"\n",
               json.dumps({"type": "WHAT", "object": {}}).encode() + b"\n",
               json.dumps({"type": "MODIFIED", "object": {"kind": "Pod", "metadata": {
                   "name": "p0", "namespace": "web", "labels": "not a map"}}}).encode() + b"\n",
               b'{"type": "ADDED", "object": {"metadata": {"name": "trunc'  # cut: the stream ends
               ]
        for n, raw in enumerate(bad, 1):
            self.api.inject(raw, "pods")
            if n == len(bad):
                time.sleep(0.5)
                self.api.drop_watches()
            self.assertTrue(wait_for(lambda: self.status()["kinds"]["pods"]["bad_events"] >= min(n, 4)),
                            self.status()["kinds"]["pods"])
        self.assertIn("watch", self.status()["kinds"]["pods"]["last_error"])
        # every event split over two chunks, some time apart
        self.api.split_events = True
        self.v1.patch_namespaced_pod("p0", "web", {"metadata": {"labels": {"split": "yes"}}})
        self.v1.create_namespaced_pod("web", pod_obj("split", ip="10.244.1.77"))
        self.assert_equal_to_server()
        self.assertTrue(self.sw.alive())
        self.assertEqual(self.switch_pods()["web/p0"]["labels"]["split"], "yes")

    def test_a_server_that_stops_answering(self):
        self.assert_equal_to_server()
        self.api.stall = True          # new requests hang; open streams carry on
        self.api.drop_watches()        # streams end: the resumes hang
        self.api.store.create("pods", "web", pod_obj("while-stalled", ip="10.244.1.88"))
        time.sleep(2)
        self.assertTrue(self.sw.alive())
        self.sw.j("show")              # the control socket still answers
        self.api.stall = False
        self.assert_equal_to_server(40)


class Auth(WatchTest):
    AUTH = "custom"
    START = False

    def test_401_then_fixed_token(self):
        self.api.kubeconfig(self.kubeconfig, token="later-token")
        self.start()
        self.assertTrue(wait_for(lambda: "401" in self.status()["last_error"]), self.status())
        self.assertIn("Unauthorized", self.status()["last_error"])
        self.assertGreater(self.status()["auth_failures"], 0)
        self.assertEqual(self.switch_pods(), {})
        self.api.tokens["later-token"] = "system:node:node-a"
        self.assert_equal_to_server(40)
        self.assertNotIn("later-token", self.sw.read_log(), "the token is never logged")

    def test_403_then_granted(self):
        # RBAC not there yet: the reason is logged, and access once granted
        # is picked up by itself
        self.api.forbidden_users.add("system:node:node-a")
        self.api.kubeconfig(self.kubeconfig, token="node-token")
        self.start()
        self.assertTrue(wait_for(lambda: "403" in self.status()["last_error"]), self.status())
        self.assertIn("cannot list resource", self.status()["last_error"])
        self.assertIn("Forbidden", self.sw.read_log())
        self.api.forbidden_users.clear()
        self.assert_equal_to_server(40)

    def test_wrong_ca_is_refused(self):
        from kube_apiserver import Pki
        other = tempfile.mkdtemp(prefix="psw-otherca-")
        try:
            self.api.kubeconfig(self.kubeconfig, token="node-token", ca_pem=Pki(other, "other-ca").ca_pem)
            self.start()
            self.assertTrue(wait_for(lambda: "certificate" in self.status()["last_error"].lower()),
                            self.status())
            self.assertEqual(self.switch_pods(), {})
            self.assertFalse(self.status()["kinds"]["pods"]["synced"])
            self.assertIn("API server request failed", self.sw.read_log())
        finally:
            shutil.rmtree(other, ignore_errors=True)

    def test_a_rotated_token_file(self):
        tf = os.path.join(self.kdir, "token")
        with open(tf, "w") as f:
            f.write("rot-1\n")
        self.api.tokens["rot-1"] = "system:node:node-a"
        self.api.kubeconfig(self.kubeconfig, token_file=tf)
        self.start()
        self.assert_equal_to_server()
        # rotation: the old token stops working, the file holds the new one
        with open(tf + ".new", "w") as f:
            f.write("rot-2\n")
        os.rename(tf + ".new", tf)
        self.api.tokens["rot-2"] = "system:node:node-a"
        del self.api.tokens["rot-1"]
        self.api.drop_watches()
        self.v1.create_namespaced_pod("web", pod_obj("rotated", ip="10.244.1.66"))
        self.assert_equal_to_server(40)
        self.assertGreaterEqual(self.status()["token_reloads"], 1)
        self.assertIn("rot-2", self.api.tokens_seen)

    def test_client_certificate(self):
        cert = self.api.pki.client("system:node:node-a", org="system:nodes")
        self.api.kubeconfig(self.kubeconfig, cert=cert)
        self.start()
        self.assert_equal_to_server()
        self.assertEqual(self.status()["auth"], "client certificate")

    def test_insecure_skip_tls_verify_is_loud(self):
        self.api.kubeconfig(self.kubeconfig, token="node-token", insecure=True)
        self.start()
        self.assert_equal_to_server()
        self.assertTrue(self.status()["insecure"])
        self.assertIn("NOT verified", self.sw.read_log())

    def test_in_cluster(self):
        sa = "/var/run/secrets/kubernetes.io/serviceaccount"
        if os.path.exists(sa):
            self.skipTest("this machine has a service account of its own")
        made = []
        d = sa
        while not os.path.exists(d):
            made.append(d)
            d = os.path.dirname(d)
        os.makedirs(sa)
        saved = {k: os.environ.get(k) for k in ("KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT")}
        try:
            shutil.copy(self.api.pki.ca_file, os.path.join(sa, "ca.crt"))
            with open(os.path.join(sa, "token"), "w") as f:
                f.write("node-token")
            os.environ["KUBERNETES_SERVICE_HOST"] = "127.0.0.1"
            os.environ["KUBERNETES_SERVICE_PORT"] = str(self.api.port)
            self.EXTRA = ("--node-name", NODE, "--kube-watch-timeout", "3")
            SwitchTest.setUp(self)
            self.assert_equal_to_server()
            self.assertIn("in-cluster", self.status()["from"])
            self.assertEqual(self.status()["server"], "https://127.0.0.1:%d" % self.api.port)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            shutil.rmtree(made[-1], ignore_errors=True)

    def test_bad_kubeconfig_is_a_clear_error(self):
        with open(self.kubeconfig, "w") as f:
            f.write("apiVersion: v1\nkind: Config\ncurrent-context: nowhere\n")
        from harness import Switch
        with self.assertRaises(RuntimeError) as e:
            self.sw = Switch(extra=("--kubeconfig", self.kubeconfig, "--node-name", NODE))
        self.assertIn("no current context", str(e.exception))
        with self.assertRaises(RuntimeError) as e:
            Switch(extra=("--kubeconfig", self.admin_cfg, "--manifests", self.kdir))
        self.assertIn("give one", str(e.exception))


class PodBinding(CniTest):
    """pswitch-cni's pods bound to Pods the API server holds."""

    def setUp(self):
        self.kdir = tempfile.mkdtemp(prefix="psw-kube-")
        self.api = ApiServer(self.kdir)
        self.api.tokens["node-token"] = "system:node:node-a"
        kc = self.api.kubeconfig(os.path.join(self.kdir, "node.kubeconfig"), token="node-token")
        self.api.store.create("namespaces", "", ns_obj("web"))
        self.EXTRA = ("--kubeconfig", kc, "--node-name", NODE, "--pod-detach-grace", "2",
                      "--kube-watch-timeout", "3")
        super().setUp()

    def tearDown(self):
        try:
            super().tearDown()
        finally:
            self.api.stop()
            shutil.rmtree(self.kdir, ignore_errors=True)

    def attach(self, name):
        uid = self.api.store.get("pods", "web", name)["metadata"]["uid"]
        r, ns, cid = self.add(args="IgnoreUnknown=1;K8S_POD_NAMESPACE=web;K8S_POD_NAME=%s;K8S_POD_UID=%s"
                              % (name, uid))
        self.assertEqual(r.rc, 0, r)
        return ns, cid

    def test_deleted_in_the_api_without_a_del(self):
        self.api.store.create("pods", "web", pod_obj("front", labels={"app": "front"}))
        self.assertTrue(wait_for(lambda: self.sw.j("pods")))
        ns, cid = self.attach("front")
        p = [x for x in self.sw.j("pods") if x.get("port")][0]
        self.assertEqual((p["namespace"], p["name"], p["known"], p["labels"]),
                         ("web", "front", True, {"app": "front"}))
        self.api.store.delete("pods", "web", "front")
        self.assertTrue(wait_for(lambda: self.sw.port(p["port"]) is None, timeout=15))
        self.assertEqual(self.sw.j("cluster")["pods_detached"], 1)
        d = run_plugin("DEL", self.conf(), cid=cid, netns=ns.path)
        self.assertEqual(d.rc, 0, d)
        self.assertNothingLeft()

    def test_a_pod_replaced_under_the_same_name(self):
        # a StatefulSet's pod comes back with the same name and another
        # UID: the old sandbox's port is the old Pod's, and goes
        self.api.store.create("pods", "web", pod_obj("db-0"))
        self.assertTrue(wait_for(lambda: self.sw.j("pods")))
        ns, cid = self.attach("db-0")
        port = [x for x in self.sw.j("pods") if x.get("port")][0]["port"]
        self.api.store.delete("pods", "web", "db-0")
        self.api.store.create("pods", "web", pod_obj("db-0"))
        self.assertTrue(wait_for(lambda: self.sw.port(port) is None, timeout=15))
        d = run_plugin("DEL", self.conf(), cid=cid, netns=ns.path)
        self.assertEqual(d.rc, 0, d)
        self.assertNothingLeft()


if __name__ == "__main__":
    unittest.main()
