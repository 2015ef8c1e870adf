# SPDX-License-Identifier: BSD-3-Clause
"""pswitch-cni under a real container runtime: podman with its CNI backend
runs the plugin for busybox containers on a pswitch network. Podman's
configuration, storage and networks here are private to the test."""

import json
import os
import shutil
import signal
import subprocess
import tarfile
import time

from cni_util import PLUGIN, CniTest, host_links, run_plugin
from harness import SLOW

NET = "psw-e2e"
IMAGE = "localhost/psw-busybox"


class Podman(CniTest):
    def setUp(self):
        super().setUp()
        t = self.tmp
        for d in ("bin", "net.d", "root", "runroot"):
            os.makedirs(os.path.join(t, d))
        os.symlink(PLUGIN, os.path.join(t, "bin", "pswitch"))
        self.containers_conf = os.path.join(t, "containers.conf")
        with open(self.containers_conf, "w") as f:
            f.write('[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=1000:1000"]\n'
                    '[network]\nnetwork_backend = "cni"\ncni_plugin_dirs = ["%s", "/usr/lib/cni"]\n'
                    'network_config_dir = "%s"\n' % (os.path.join(t, "bin"), os.path.join(t, "net.d")))
        conf = self.conf()
        plugin = {k: v for k, v in conf.items() if k not in ("cniVersion", "name")}
        with open(os.path.join(t, "net.d", NET + ".conflist"), "w") as f:
            json.dump({"cniVersion": "1.0.0", "name": NET, "plugins": [plugin]}, f)
        self.podman_env = dict(os.environ, CONTAINERS_CONF=self.containers_conf)
        self.import_image()

    def tearDown(self):
        self.podman("rm", "-a", "-f", "-t", "0", check=False)
        self.podman("system", "reset", "-f", check=False)
        super().tearDown()

    def podman(self, *args, check=True, timeout=120):
        r = subprocess.run(["podman", "--root", os.path.join(self.tmp, "root"),
                            "--runroot", os.path.join(self.tmp, "runroot"),
                            "--runtime", "runc", "--cgroup-manager", "cgroupfs",
                            "--events-backend", "none"] + list(args),
                           env=self.podman_env, capture_output=True, text=True,
                           timeout=timeout * SLOW)
        if check and r.returncode != 0:
            raise AssertionError("podman %s failed: %s" % (" ".join(args), r.stderr))
        return r

    def import_image(self):
        root = os.path.join(self.tmp, "rootfs")
        os.makedirs(os.path.join(root, "bin"))
        os.makedirs(os.path.join(root, "tmp"))
        shutil.copy("/bin/busybox", os.path.join(root, "bin", "busybox"))
        for tool in ("sh", "sleep", "cat", "md5sum", "head", "mkdir", "httpd", "wget", "ping"):
            os.symlink("busybox", os.path.join(root, "bin", tool))
        tar = os.path.join(self.tmp, "rootfs.tar")
        with tarfile.open(tar, "w") as tf:
            tf.add(root, arcname=".")
        self.podman("import", tar, IMAGE)

    # a conflist's name is the network; the plugin's state uses it
    def records(self):
        d = os.path.join(self.tmp, "state", NET)
        return [f for f in os.listdir(d) if f.endswith(".json")] if os.path.isdir(d) else []

    def leases(self, conf=None):
        d = os.path.join(self.tmp, "ipam", NET)
        return [f for f in os.listdir(d) if f[0].isdigit()] if os.path.isdir(d) else []

    def run_container(self, name):
        self.podman("run", "-d", "--name", name, "--network", NET, IMAGE, "sleep", "600")
        info = json.loads(self.podman("inspect", name).stdout)[0]
        net = info["NetworkSettings"]["Networks"][NET]
        return info["Id"], net["IPAddress"], net["MacAddress"]

    def test_containers_talk_tcp_through_pswitchd_and_rm_leaves_nothing(self):
        ida, ipa, maca = self.run_container("a")
        idb, ipb, macb = self.run_container("b")
        self.assertTrue(ipa.startswith("10.77.0.") and ipb.startswith("10.77.0."))
        ports = {p["options"]["cni"]["containerID"]: p for p in self.pod_ports()}
        self.assertEqual(set(ports), {ida, idb})
        self.assertEqual(ports[ida]["options"]["mac"], maca)
        self.assertEqual(len(self.records()), 2)
        self.assertEqual(len(self.leases()), 2)
        # 4 MiB over TCP (HTTP) from a to b, through pswitchd: the bytes arrive
        self.podman("exec", "a", "sh", "-c", "mkdir -p /www && head -c 4194304 /dev/urandom > /www/blob")
        self.podman("exec", "-d", "a", "httpd", "-f", "-p", "8080", "-h", "/www")
        sent = self.podman("exec", "a", "md5sum", "/www/blob").stdout.split()[0]
        got = None
        deadline = time.time() + 20 * SLOW
        while time.time() < deadline:
            r = self.podman("exec", "b", "wget", "-q", "-O", "/tmp/got", "http://%s:8080/blob" % ipa,
                            check=False, timeout=60)
            if r.returncode == 0:
                got = self.podman("exec", "b", "md5sum", "/tmp/got").stdout.split()[0]
                break
            time.sleep(0.2)  # httpd may not listen yet
        self.assertEqual(got, sent)
        rx = sum(p["stats"]["rx_packets"] for p in self.pod_ports())
        self.assertGreater(rx, 4194304 // 1500, "the bytes did not pass through pswitchd")
        self.podman("rm", "-f", "-t", "0", "a", "b")
        self.assertNothingLeft()

    def test_container_killed_without_del_is_cleaned_by_gc(self):
        idk, ipk, _ = self.run_container("kept")
        idg, ipg, _ = self.run_container("gone")
        info = json.loads(self.podman("inspect", "gone").stdout)[0]
        # conmon first, so nobody is left to run the cleanup (and so DEL)
        os.kill(info["State"]["ConmonPid"], signal.SIGKILL)
        os.kill(info["State"]["Pid"], signal.SIGKILL)
        time.sleep(0.5)
        self.assertEqual(len(self.pod_ports()), 2)
        # the runtime's GC: the attachments it still knows are valid
        conf = self.conf(version="1.1.0", name=NET)
        conf["cni.dev/valid-attachments"] = [{"containerID": idk, "ifname": "eth0"}]
        r = run_plugin("GC", conf, ifname=None)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual([p["options"]["cni"]["containerID"] for p in self.pod_ports()], [idk])
        self.assertEqual(len(self.leases()), 1)
        self.assertEqual(len(self.records()), 1)
        self.assertEqual(len(set(host_links()) - self.before_links), 1)
        # podman's own cleanup of the killed container later finds nothing
        # to do (its first rm may complain of the state conmon did not record)
        self.podman("rm", "-f", "-t", "0", "kept")
        if self.podman("rm", "-f", "-t", "0", "gone", check=False).returncode != 0:
            self.podman("rm", "-f", "-t", "0", "gone")
        self.assertNothingLeft()
