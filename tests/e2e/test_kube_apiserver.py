# SPDX-License-Identifier: BSD-3-Clause
"""The suite's API server (kube_apiserver.py) driven by the real clients:
kubectl (apply, get, get -w, label, delete) and the official Python client
(list with pagination, watch). What they accept from it is what the
watcher tests feed pswitchd."""

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

from kube_apiserver import ApiServer

KUBECTL = shutil.which("kubectl")

NS = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web", "labels": {"team": "blue"}}}


def pod(name, ns="web", labels=None, node="node-a", ip=None):
    p = {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": name, "namespace": ns, "labels": labels or {"app": name}},
         "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox",
                                                     "ports": [{"name": "http", "containerPort": 8080}]}]}}
    if ip:
        p["status"] = {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]}
    return p


class ApiServerTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="psw-kapi-")
        self.api = ApiServer(self.dir)
        self.api.tokens["admin-token"] = "admin"
        self.kubeconfig = self.api.kubeconfig(os.path.join(self.dir, "kubeconfig"), token="admin-token")

    def tearDown(self):
        self.api.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def kubectl(self, *args, input=None, check=True):
        r = subprocess.run([KUBECTL, "--kubeconfig", self.kubeconfig] + list(args), input=input,
                           capture_output=True, text=True, timeout=60)
        if check:
            self.assertEqual(r.returncode, 0, "kubectl %s: %s" % (" ".join(args), r.stderr))
        return r

    def apply(self, obj):
        return self.kubectl("apply", "-f", "-", input=json.dumps(obj))


@unittest.skipIf(KUBECTL is None, "kubectl is not installed")
class Kubectl(ApiServerTest):
    def test_apply_get_label_delete(self):
        self.apply(NS)
        self.apply(pod("front"))
        got = json.loads(self.kubectl("get", "pods", "-n", "web", "-o", "json").stdout)
        self.assertEqual([p["metadata"]["name"] for p in got["items"]], ["front"])
        uid = got["items"][0]["metadata"]["uid"]
        self.assertTrue(uid)
        # apply again with a label more: a strategic merge patch
        self.apply(pod("front", labels={"app": "front", "tier": "web"}))
        self.kubectl("label", "pod", "-n", "web", "front", "x=y")
        p = json.loads(self.kubectl("get", "pod", "-n", "web", "front", "-o", "json").stdout)
        self.assertEqual(p["metadata"]["labels"], {"app": "front", "tier": "web", "x": "y"})
        self.assertEqual(p["metadata"]["uid"], uid)
        self.assertEqual(p["spec"]["containers"][0]["ports"][0]["containerPort"], 8080)
        self.assertEqual(self.api.store.get("pods", "web", "front")["metadata"]["labels"]["x"], "y")
        self.kubectl("delete", "pod", "-n", "web", "front")
        r = self.kubectl("get", "pod", "-n", "web", "front", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('pods "front" not found', r.stderr)

    def test_errors_are_the_apiservers(self):
        r = self.kubectl("apply", "-f", "-", input=json.dumps(pod("orphan", ns="nowhere")), check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('namespaces "nowhere" not found', r.stderr)
        self.apply(NS)
        self.kubectl("create", "-f", "-", input=json.dumps(pod("a")))
        r = self.kubectl("create", "-f", "-", input=json.dumps(pod("a")), check=False)
        self.assertIn("AlreadyExists", r.stderr)
        bad = self.api.kubeconfig(os.path.join(self.dir, "bad"), token="wrong")
        r = subprocess.run([KUBECTL, "--kubeconfig", bad, "get", "pods", "-A"], capture_output=True,
                           text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Unauthorized", r.stderr)

    def test_get_watch_sees_changes(self):
        self.apply(NS)
        self.apply(pod("a"))
        w = subprocess.Popen([KUBECTL, "--kubeconfig", self.kubeconfig, "get", "pods", "-n", "web",
                              "-w", "-o", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        try:
            seen = []
            reader = threading.Thread(target=lambda: [seen.append(line) for line in w.stdout])
            reader.start()
            deadline = time.time() + 20
            while not any('"name": "a"' in s for s in seen) and time.time() < deadline:
                time.sleep(0.1)
            self.apply(pod("b"))
            self.kubectl("label", "pod", "-n", "web", "a", "changed=yes")
            deadline = time.time() + 20
            while time.time() < deadline and not (any('"name": "b"' in s for s in seen) and
                                                  any('"changed": "yes"' in s for s in seen)):
                time.sleep(0.1)
            out = "".join(seen)
            self.assertIn('"name": "b"', out)
            self.assertIn('"changed": "yes"', out)
        finally:
            w.kill()
            w.wait()
            reader.join(5)
        self.assertTrue(any(r[0] == "pods" and r[1] not in ("", "0") for r in self.api.watches),
                        "kubectl watched from its list's resourceVersion")


class PythonClient(ApiServerTest):
    def setUp(self):
        super().setUp()
        from kubernetes import client, config
        config.load_kube_config(config_file=self.kubeconfig)
        self.v1 = client.CoreV1Api()
        self.net = client.NetworkingV1Api()

    def test_create_list_paginated(self):
        self.v1.create_namespace(NS)
        for i in range(7):
            self.v1.create_namespaced_pod("web", pod("p%d" % i, ip="10.244.1.%d" % (i + 10)))
        names, cont, pages = [], None, 0
        while True:
            r = self.v1.list_pod_for_all_namespaces(limit=3, _continue=cont)
            names += [p.metadata.name for p in r.items]
            pages += 1
            cont = r.metadata._continue
            if not cont:
                break
        self.assertEqual(pages, 3)
        self.assertEqual(sorted(names), ["p%d" % i for i in range(7)])
        p = self.v1.read_namespaced_pod("p3", "web")
        self.assertEqual(p.status.pod_i_ps[0].ip, "10.244.1.13")
        self.net.create_namespaced_network_policy("web", {
            "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "deny"}, "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}})
        self.assertEqual([n.metadata.name for n in self.net.list_network_policy_for_all_namespaces().items],
                         ["deny"])

    def test_watch_from_a_version_bookmarks_and_gone(self):
        from kubernetes import watch
        self.v1.create_namespace(NS)
        rv = self.v1.list_namespaced_pod("web").metadata.resource_version
        self.v1.create_namespaced_pod("web", pod("a"))
        self.v1.patch_namespaced_pod("a", "web", {"metadata": {"labels": {"v": "2"}}})
        self.v1.delete_namespaced_pod("a", "web")
        self.api.bookmark_s = 0.2
        w = watch.Watch()
        events = []
        for ev in w.stream(self.v1.list_namespaced_pod, "web", resource_version=rv,
                           allow_watch_bookmarks=True, timeout_seconds=2):
            events.append((ev["type"], ev["object"].metadata.name if ev["type"] != "BOOKMARK" else None))
            if ev["type"] == "BOOKMARK":
                break
        self.assertEqual(events[:3], [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")])
        self.assertEqual(events[3][0], "BOOKMARK")
        # history lost: resuming from the old version is 410 Gone
        self.api.compact()
        from kubernetes.client.rest import ApiException
        with self.assertRaises(ApiException) as e:
            for ev in watch.Watch().stream(self.v1.list_namespaced_pod, "web", resource_version=rv,
                                           timeout_seconds=2):
                pass
        self.assertEqual(e.exception.status, 410)


if __name__ == "__main__":
    unittest.main()
