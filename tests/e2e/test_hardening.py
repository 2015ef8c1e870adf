# SPDX-License-Identifier: BSD-3-Clause
"""Port paths, port names and saved state, tried as an attacker and a
careless operator would: pswitchd removes no socket that is not its own,
writes nowhere but its own run directory, never loses saved state without
a word, and reads every name one way."""

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from harness import PSWITCHD, Switch, SwitchTest


def listening_socket(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(4)
    return s


def still_listens(path):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        c.connect(path)
        return True
    except OSError:
        return False
    finally:
        c.close()


class SocketPaths(SwitchTest):
    def err(self, *args):
        r = self.sw.ctl(*args, check=False)
        self.assertNotEqual(r.returncode, 0, args)
        return r.stderr

    def test_the_control_socket_is_no_port_path(self):
        self.assertIn("control socket", self.err("add-port", "hijack", "vhost-user",
                                                  "path=" + self.sw.sock))
        self.assertIn("control socket", self.err("add-port", "hijack", "vhost-user-client",
                                                  "path=" + self.sw.sock))
        # the same path written another way
        other = os.path.join(self.sw.dir, ".", "ctl.sock")
        self.assertIn("control socket", self.err("add-port", "hijack", "vhost-user",
                                                  "path=" + other))
        self.assertEqual(self.sw.j("version")["version"], "0.1.0")
        self.assertEqual(self.sw.j("show")["ports"], [])

    def test_another_process_socket_is_never_removed(self):
        path = os.path.join(self.sw.dir, "foreign.sock")
        s = listening_socket(path)
        try:
            self.assertIn("in use", self.err("add-port", "x", "vhost-user", "path=" + path))
            self.assertTrue(still_listens(path))
        finally:
            s.close()
        # nobody listens any more: a stale socket is taken over
        self.sw.ctl("add-port", "x", "vhost-user", "path=" + path)
        self.assertEqual(self.sw.port("x")["path"], os.path.realpath(path))

    def test_paths_outside_the_allowed_directories_are_refused(self):
        outside = tempfile.mkdtemp(prefix="psw-outside-")
        try:
            victim = os.path.join(outside, "victim.sock")
            s = listening_socket(victim)
            s.close()  # a stale socket: pswitchd would remove it if it could
            self.assertIn("outside the run directory",
                          self.err("add-port", "x", "vhost-user", "path=" + victim))
            self.assertTrue(os.path.exists(victim))
            # a symlink inside the run directory leads nowhere else
            os.symlink(outside, os.path.join(self.sw.dir, "link"))
            self.assertIn("outside the run directory",
                          self.err("add-port", "x", "vhost-user",
                                   "path=" + os.path.join(self.sw.dir, "link", "victim.sock")))
            self.assertTrue(os.path.exists(victim))
            self.assertIn("outside the run directory",
                          self.err("add-port", "x", "vhost-user-client", "path=/run/docker.sock"))
            self.assertIn("not absolute", self.err("add-port", "x", "vhost-user", "path=rel.sock"))
        finally:
            shutil.rmtree(outside)

    def test_a_socket_of_another_port_is_left_alone(self):
        self.sw.ctl("add-port", "vd", "vhost-user")
        path = self.sw.port("vd")["path"]
        before = os.stat(path)
        self.assertIn("belongs to another port",
                      self.err("add-port", "vd2", "vhost-user", "path=" + path))
        after = os.stat(path)
        self.assertEqual((before.st_ino, before.st_dev), (after.st_ino, after.st_dev))
        self.assertIsNone(self.sw.port("vd2"))
        self.sw.ctl("del-port", "vd")
        self.assertFalse(os.path.exists(path))


class SocketDirs(unittest.TestCase):
    def test_a_configured_socket_directory_is_allowed(self):
        pods = tempfile.mkdtemp(prefix="psw-pods-")
        sw = Switch(extra=["--vhost-socket-dir", pods])
        try:
            path = os.path.join(pods, "sub", "pod.sock")
            os.makedirs(os.path.dirname(path))
            sw.ctl("add-port", "p", "vhost-user", "path=" + path)
            self.assertTrue(os.path.exists(path))
            sw.ctl("del-port", "p")
            self.assertFalse(os.path.exists(path))
        finally:
            sw.cleanup()
            shutil.rmtree(pods)


class Names(SwitchTest):
    def test_names_are_checked_one_way(self):
        for name in (".", "..", ".hidden", "16", "0x10", "010", "", "a/b", "a b", "x" * 64):
            r = self.sw.ctl("add-port", name, "vhost-user", check=False)
            self.assertNotEqual(r.returncode, 0, name)
            self.assertIn("bad port name", r.stderr, name)
        self.sw.ctl("add-port", "1e3", "vhost-user")
        self.sw.ctl("add-port", "pod.eth0", "vhost-user")

    def test_a_number_always_means_a_number(self):
        self.sw.ctl("add-port", "a", "vhost-user", "ofport=5")
        self.sw.ctl("add-port", "b", "vhost-user", "ofport=16")
        self.sw.ctl("add-flow", "in_port=16,actions=output:5")
        self.assertEqual(self.sw.flows()[0]["match"], "priority=32768,in_port=b")
        self.assertEqual(self.sw.flows()[0]["actions"], "output:a")

    def test_options_of_another_type_or_without_their_owner(self):
        for args, word in ((["dpdk", "devargs=net_null0", "frames=64"], "frames"),
                           (["dpdk", "devargs=net_null0", "path=/x"], "path"),
                           (["dpdk", "devargs=net_null0", "iface=x"], "iface"),
                           (["vhost-user", "devargs=x"], "devargs"),
                           (["vhost-user", "ips=10.0.0.1/24"], "need mac"),
                           (["vhost-user", "port_security=maybe"], "need mac"),
                           (["vhost-user", "mac=02:00:00:00:00:01", "port_security=maybe"],
                            "port_security"),
                           (["vhost-user", "queues=0"], "queues"),
                           (["vhost-user", "queues=x"], "queues")):
            r = self.sw.ctl("add-port", "p", *args, check=False)
            self.assertNotEqual(r.returncode, 0, args)
            self.assertIn(word, r.stderr, args)
        self.assertEqual(self.sw.j("show")["ports"], [])
        r = self.sw.ctl("add-port", "p", "dpdk", "devargs=net_nosuch0", check=False)
        self.assertIn("no DPDK bus or driver knows it", r.stderr)


class RunDirectory(unittest.TestCase):
    def start_fails(self, run_dir):
        r = subprocess.run([PSWITCHD, "--run-dir", run_dir, "--control-socket",
                            os.path.join(run_dir, "ctl.sock"), "--no-huge", "--pmd-cores", "1",
                            "--control-core", "0", "--memory", "128"],
                           capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        return r.stdout + r.stderr

    def test_a_run_directory_others_may_write_is_refused(self):
        d = tempfile.mkdtemp(prefix="psw-rundir-")
        try:
            os.chmod(d, 0o777)
            self.assertIn("may be written by others", self.start_fails(d))
            os.chmod(d, 0o755)
            os.chown(d, pwd.getpwnam("nobody").pw_uid, -1)
            self.assertIn("belongs to user", self.start_fails(d))
        finally:
            shutil.rmtree(d)

    def test_a_planted_symlink_is_not_followed(self):
        victim_dir = tempfile.mkdtemp(prefix="psw-victim-")
        victim = os.path.join(victim_dir, "secret")
        with open(victim, "w") as f:
            f.write("secret\n")
        os.chmod(victim, 0o600)
        sw = Switch(restore=True)
        try:
            os.symlink(victim, os.path.join(sw.dir, "ports.json.tmp"))
            sw.ctl("add-port", "a", "vhost-user")
            with open(victim) as f:
                self.assertEqual(f.read(), "secret\n")
            saved = os.path.join(sw.dir, "ports.json")
            self.assertFalse(os.path.islink(saved))
            with open(saved) as f:
                self.assertEqual([p["name"] for p in json.load(f)], ["a"])
        finally:
            sw.cleanup()
            shutil.rmtree(victim_dir)


class SavedState(unittest.TestCase):
    CORRUPT = {
        "garbage": b"\x00\xffnot json at all",
        "truncated": b'[{"name": "a", "type": "vhost-user", "opt',
        "empty": b"",
        "nested": b"[" * 100000 + b"]" * 100000,
        "not a list": b'{"name": "x"}',
        "bad entry": b'[{"name": "ok", "type": "vhost-user"}, {"name": "..", "type": "vhost-user"}]',
    }

    def test_unreadable_state_is_kept_aside_and_reported(self):
        for what, content in self.CORRUPT.items():
            d = tempfile.mkdtemp(prefix="psw-state-")
            os.makedirs(os.path.join(d, "pending-del"))
            with open(os.path.join(d, "ports.json"), "wb") as f:
                f.write(content)
            sw = Switch(run_dir=d, restore=True)
            try:
                log = sw.read_log()
                self.assertIn("saved state cannot be used", log, what)
                self.assertIn("ports.json", log, what)
                aside = glob.glob(os.path.join(d, "ports.json.corrupt-*"))
                self.assertEqual(len(aside), 1, what)
                with open(aside[0], "rb") as f:
                    self.assertEqual(f.read(), content, what)
                names = [p["name"] for p in sw.j("show")["ports"]]
                self.assertEqual(names, ["ok"] if what == "bad entry" else [], what)
            finally:
                sw.cleanup()
