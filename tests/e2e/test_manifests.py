# SPDX-License-Identifier: BSD-3-Clause
"""The cluster from --manifests: YAML and JSON files (several documents,
Lists) read into Pods, Namespaces, Nodes and NetworkPolicies, watched for
changes; bad files and bad objects reported, never taken half; pods bound
to the ports pswitch-cni attaches for them, and detached after a grace
period when their Pod is deleted without a DEL."""

import json
import os
import shutil
import tempfile
import time

from cni_util import CniTest, run_plugin
from harness import SwitchTest, wait_for

NODE = "node-a"

BASE_YAML = """
apiVersion: v1
kind: Namespace
metadata:
  name: web
  labels: {team: blue, "kubernetes.io/metadata.name": web}
---
apiVersion: v1
kind: Node
metadata: {name: node-a, uid: n-a, resourceVersion: "10"}
spec: {podCIDR: 10.244.1.0/24, podCIDRs: [10.244.1.0/24, "fd00:10:244:1::/64"]}
status:
  addresses:
  - {type: Hostname, address: node-a}
  - {type: InternalIP, address: 192.168.50.1}
---
apiVersion: v1
kind: Node
metadata: {name: node-b}
spec: {podCIDRs: [10.244.2.0/24]}
status: {addresses: [{type: InternalIP, address: 192.168.50.2}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: front
  namespace: web
  uid: uid-front
  labels: {app: front, tier: web}
spec:
  nodeName: node-a
  containers:
  - name: c
    ports:
    - {name: http, containerPort: 8080}
    - {containerPort: 53, protocol: UDP}
status:
  phase: Running
  podIPs: [{ip: 10.244.1.5}, {ip: "fd00:10:244:1::5"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ignored, namespace: web}
"""

LIST_JSON = {
    "apiVersion": "v1", "kind": "PodList",
    "items": [
        {"metadata": {"name": "db", "namespace": "web", "labels": {"app": "db"}},
         "spec": {"nodeName": "node-b", "containers": [{"name": "c"}]},
         "status": {"phase": "Pending", "podIP": "10.244.2.7"}},
    ],
}

POLICY = {
    "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
    "metadata": {"name": "db-from-front", "namespace": "web"},
    "spec": {"podSelector": {"matchLabels": {"app": "db"}},
             "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "front"}}}]}]},
}


def write(d, name, text):
    tmp = os.path.join(d, "." + name + ".tmp")
    with open(tmp, "w") as f:
        f.write(text if isinstance(text, str) else json.dumps(text))
    os.rename(tmp, os.path.join(d, name))



class Manifests(SwitchTest):
    def setUp(self):
        self.mdir = tempfile.mkdtemp(prefix="psw-manifests-")
        write(self.mdir, "base.yaml", BASE_YAML)
        write(self.mdir, "pods.json", LIST_JSON)
        write(self.mdir, "policy.json", POLICY)
        self.EXTRA = ("--manifests", self.mdir, "--node-name", NODE)
        super().setUp()

    def tearDown(self):
        super().tearDown()
        shutil.rmtree(self.mdir, ignore_errors=True)

    def pods(self):
        return {"%s/%s" % (p["namespace"], p["name"]): p for p in self.sw.j("pods", "--all")}

    def test_objects_are_read_as_they_are(self):
        pods = self.pods()
        self.assertEqual(sorted(pods), ["web/db", "web/front"])
        front = pods["web/front"]
        self.assertEqual(front["uid"], "uid-front")
        self.assertEqual(front["labels"], {"app": "front", "tier": "web"})
        self.assertEqual(front["ips"], ["10.244.1.5", "fd00:10:244:1::5"])
        self.assertEqual(front["ports"], [{"name": "http", "port": 8080, "protocol": "TCP"},
                                          {"name": "", "port": 53, "protocol": "UDP"}])
        self.assertEqual((front["phase"], front["node"], front["local"]), ("Running", NODE, True))
        self.assertEqual((pods["web/db"]["ips"], pods["web/db"]["local"]), (["10.244.2.7"], False))
        # without --all, this node's pods alone
        self.assertEqual([p["name"] for p in self.sw.j("pods")], ["front"])
        nodes = {n["name"]: n for n in self.sw.j("nodes")}
        self.assertEqual(nodes["node-a"]["podCIDRs"], ["10.244.1.0/24", "fd00:10:244:1::/64"])
        self.assertEqual(nodes["node-a"]["internalIPs"], ["192.168.50.1"])
        self.assertTrue(nodes["node-a"]["self"])
        self.assertFalse(nodes["node-b"]["self"])
        c = self.sw.j("cluster")
        self.assertEqual(c["node"], NODE)
        self.assertEqual(c["pod_cidrs"], ["10.244.1.0/24", "fd00:10:244:1::/64"])
        self.assertEqual({k: v["objects"] for k, v in c["objects"].items()},
                         {"pods": 2, "namespaces": 1, "nodes": 2, "networkpolicies": 1})
        self.assertEqual(c["source"]["bad_objects"], 0)
        text = self.sw.ctl("pods", "--all").stdout
        self.assertIn("web/front", text)
        self.assertIn("app=front,tier=web", text)

    def test_changes_follow_the_files(self):
        write(self.mdir, "base.yaml", BASE_YAML.replace("{app: front, tier: web}", "{app: front, tier: edge}"))
        self.assertTrue(wait_for(lambda: self.pods()["web/front"]["labels"]["tier"] == "edge"))
        extra = dict(LIST_JSON, items=[dict(LIST_JSON["items"][0], metadata={"name": "cache", "namespace": "web"})])
        write(self.mdir, "more.json", extra)
        self.assertTrue(wait_for(lambda: "web/cache" in self.pods()))
        os.unlink(os.path.join(self.mdir, "pods.json"))
        self.assertTrue(wait_for(lambda: "web/db" not in self.pods()))
        self.assertIn("web/cache", self.pods())
        counts = self.sw.j("cluster")["objects"]["pods"]
        self.assertEqual((counts["added"], counts["deleted"]), (3, 1))
        self.assertGreaterEqual(counts["updated"], 1)

    def test_a_bad_file_keeps_what_it_held(self):
        write(self.mdir, "pods.json", '{"kind": "PodList", "items": [')
        self.assertTrue(wait_for(lambda: "pods.json" in self.sw.j("cluster")["source"]["last_error"]))
        self.assertIn("web/db", self.pods())
        files = {f["file"]: f for f in self.sw.j("cluster")["source"]["files"]}
        self.assertIn("error", files["pods.json"])
        # YAML that expands itself is refused, and says where
        write(self.mdir, "bomb.yaml", "a: &x [1, 2]\nb: [*x, *x]\n")
        self.assertTrue(wait_for(lambda: "aliases" in self.sw.j("cluster")["source"]["last_error"]))
        write(self.mdir, "broken.yaml", "kind: Pod\nmetadata: {name: x\n")
        self.assertTrue(wait_for(lambda: "broken.yaml: line" in self.sw.j("cluster")["source"]["last_error"]))
        self.assertEqual(sorted(self.pods()), ["web/db", "web/front"])

    def test_bad_objects_are_left_out(self):
        bad = [
            {"kind": "Pod", "metadata": {"name": 5, "namespace": "web"}},
            {"kind": "Pod", "metadata": {"name": "noname-space"}},
            {"kind": "Pod", "metadata": {"name": "badip", "namespace": "web"},
             "status": {"podIPs": [{"ip": "10.0.0.300"}]}},
            {"kind": "Pod", "metadata": {"name": "badlabels", "namespace": "web", "labels": {"a": 1}}},
            {"kind": "Pod", "metadata": {"name": "badport", "namespace": "web"},
             "spec": {"containers": [{"ports": [{"containerPort": 70000}]}]}},
            {"kind": "Node", "metadata": {"name": "n"}, "spec": {"podCIDRs": ["10.0.0.1/24"]}},
            {"kind": "NetworkPolicy", "metadata": {"name": "p", "namespace": "web"}, "spec": []},
            {"kind": "Pod", "metadata": {"name": "UPPER", "namespace": "web"}},
            {"kind": "Pod", "metadata": {"name": "good", "namespace": "web"}},
        ]
        write(self.mdir, "bad.json", {"kind": "List", "items": bad})
        self.assertTrue(wait_for(lambda: "web/good" in self.pods()))
        self.assertEqual(self.sw.j("cluster")["source"]["bad_objects"], 8)
        self.assertEqual(sorted(self.pods()), ["web/db", "web/front", "web/good"])
        self.assertNotIn("n", [n["name"] for n in self.sw.j("nodes")])


class PodBinding(CniTest):
    def setUp(self):
        self.mdir = tempfile.mkdtemp(prefix="psw-manifests-")
        self.EXTRA = ("--manifests", self.mdir, "--node-name", NODE, "--pod-detach-grace", "2")
        super().setUp()

    def tearDown(self):
        super().tearDown()
        shutil.rmtree(self.mdir, ignore_errors=True)

    def pod_yaml(self, name, uid):
        return ("kind: Pod\nmetadata: {name: %s, namespace: default, uid: %s, labels: {app: %s}}\n"
                "spec: {nodeName: %s}\nstatus: {phase: Running}\n" % (name, uid, name, NODE))

    def test_a_pod_is_bound_and_detached_when_deleted_without_a_del(self):
        write(self.mdir, "p.yaml", self.pod_yaml("web1", "u-1"))
        self.assertTrue(wait_for(lambda: self.sw.j("pods")))
        r, ns, cid = self.add(args="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web1;K8S_POD_UID=u-1")
        self.assertEqual(r.rc, 0, r)
        pods = self.sw.j("pods")
        self.assertEqual(len(pods), 1)
        p = pods[0]
        self.assertEqual((p["name"], p["known"], p["labels"]), ("web1", True, {"app": "web1"}))
        self.assertTrue(p["port"].startswith("psw"))
        self.assertTrue(p["mac"])
        # a pod the API does not know keeps its port, and is reported
        r2, ns2, cid2 = self.add(args="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=ghost")
        self.assertEqual(r2.rc, 0, r2)
        ghost = [x for x in self.sw.j("pods") if x["name"] == "ghost"][0]
        self.assertFalse(ghost["known"])
        # the Pod goes from the API, no DEL comes: the port goes after the grace period
        os.unlink(os.path.join(self.mdir, "p.yaml"))
        self.assertTrue(wait_for(lambda: any("detach_in_s" in x for x in self.sw.j("pods"))))
        self.assertTrue(wait_for(lambda: self.sw.port(p["port"]) is None, timeout=10))
        self.assertEqual(self.sw.j("cluster")["pods_detached"], 1)
        self.assertIsNotNone(self.sw.port(ghost["port"]))
        # the runtime's DEL that comes late still succeeds
        d = run_plugin("DEL", self.conf(), cid=cid, netns=ns.path)
        self.assertEqual(d.rc, 0, d)
        d = run_plugin("DEL", self.conf(), cid=cid2, netns=ns2.path)
        self.assertEqual(d.rc, 0, d)
        self.assertNothingLeft()

    def test_a_pod_back_before_the_grace_period_keeps_its_port(self):
        write(self.mdir, "p.yaml", self.pod_yaml("web2", "u-2"))
        self.assertTrue(wait_for(lambda: self.sw.j("pods")))
        r, ns, cid = self.add(args="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web2;K8S_POD_UID=u-2")
        self.assertEqual(r.rc, 0, r)
        port = self.sw.j("pods")[0]["port"]
        os.unlink(os.path.join(self.mdir, "p.yaml"))
        self.assertTrue(wait_for(lambda: "detach_in_s" in self.sw.j("pods")[0]))
        write(self.mdir, "p.yaml", self.pod_yaml("web2", "u-2"))
        self.assertTrue(wait_for(lambda: "detach_in_s" not in self.sw.j("pods")[0]))
        time.sleep(3)
        self.assertIsNotNone(self.sw.port(port))
        # a DEL during a grace period: the port goes, the wait with it
        os.unlink(os.path.join(self.mdir, "p.yaml"))
        self.assertTrue(wait_for(lambda: "detach_in_s" in self.sw.j("pods")[0]))
        d = run_plugin("DEL", self.conf(), cid=cid, netns=ns.path)
        self.assertEqual(d.rc, 0, d)
        time.sleep(3)
        self.assertEqual(self.sw.j("cluster")["pods_detached"], 0)
        self.assertNothingLeft()
