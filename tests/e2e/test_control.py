# SPDX-License-Identifier: BSD-3-Clause
"""pswitchctl and the control socket: every command, its errors, and
messages a client should never send."""

import json
import os
import re
import socket
import stat
import subprocess
import time
import unittest

from harness import PSWITCHD, Switch, SwitchTest


class Cli(SwitchTest):
    PORTS = ("a", "b")

    def err(self, *args):
        r = self.sw.ctl(*args, check=False)
        self.assertEqual(r.returncode, 1, "'%s' should fail" % " ".join(args))
        self.assertTrue(r.stderr.startswith("pswitchctl: "), r.stderr)
        return r.stderr

    def test_errors_are_sentences(self):
        self.assertIn("unknown port 'zz'", self.err("add-flow", "in_port=zz,actions=drop"))
        self.assertIn("needs actions", self.err("add-flow", "in_port=a"))
        self.assertIn("no port 'zz'", self.err("del-port", "zz"))
        self.assertIn("port 'a' exists", self.err("add-port", "a", "vhost-user"))
        self.assertIn("unknown port type 'bogus'", self.err("add-port", "c", "bogus"))
        self.assertIn("needs path=", self.err("add-port", "c", "vhost-user-client"))
        self.assertIn("bad port name", self.err("add-port", "a/b", "vhost-user"))
        self.assertIn("bad port name", self.err("add-port", "123", "vhost-user"))
        self.assertIn("longer than a unix socket allows", self.err("add-port", "c", "vhost-user", "path=/" + "x" * 120))
        self.assertIn("cannot create device", self.err("add-port", "c", "dpdk", "devargs=net_nonexistent0"))
        self.assertIn("queues must be", self.err("add-port", "c", "vhost-user", "queues=0"))
        self.assertIn("no PMD runs on core 7", self.err("pmd-rxq-pin", "a", "0", "7"))
        self.assertIn("no rx queue 3", self.err("pmd-rxq-pin", "a", "3", "1"))
        self.assertIn("unknown command", self.err("frobnicate"))
        self.assertIn("bad MAC", self.err("fdb-add", "a", "zz:zz"))
        self.assertIn("needs in_port", self.err("trace", "tcp"))
        # nothing was half done
        self.assertEqual([p["name"] for p in self.sw.j("show")["ports"]], ["a", "b"])
        self.assertEqual(self.sw.flows(), [])

    def test_dump_and_delete_filters(self):
        flows = ["table=0,priority=10,in_port=a,actions=output:b",
                 "table=0,priority=20,in_port=a,tcp,tp_dst=80,actions=output:b",
                 "table=0,cookie=0x55,priority=30,in_port=b,udp,actions=output:a",
                 "table=2,priority=10,in_port=a,tcp,actions=drop"]
        for f in flows:
            self.sw.ctl("add-flow", f)
        self.assertEqual(len(self.sw.flows()), 4)
        self.assertEqual(len(self.sw.flows("2")), 1)
        self.assertEqual(len(self.sw.flows("tcp")), 2)
        self.assertEqual(len(self.sw.flows("in_port=a")), 3)
        self.assertEqual(len(self.sw.flows("cookie=0x55/-1")), 1)
        text = self.sw.ctl("dump-flows").stdout
        self.assertIn("priority=20,in_port=a,tcp,tp_dst=80 actions=output:b", text)
        self.assertIn("cookie=0x55", text)
        # strict needs the exact match and priority; loose takes all it covers
        self.assertEqual(self.sw.j("del-flows", "--strict", "in_port=a")["deleted"], 0)
        self.assertEqual(self.sw.j("del-flows", "--strict", "priority=10,in_port=a")["deleted"], 1)
        self.assertEqual(self.sw.j("del-flows", "table=0,tcp")["deleted"], 1)
        self.assertEqual([f["table"] for f in self.sw.flows()], [0, 2])
        # same table, match and priority: replaced, counters restart
        self.sw.ctl("add-flow", "table=2,priority=10,in_port=a,tcp,actions=output:b")
        self.assertEqual(self.sw.flows("2")[0]["actions"], "output:b")
        self.assertEqual(self.sw.j("del-flows")["deleted"], 2)

    def test_trace(self):
        self.sw.ctl("add-flow", "table=0,priority=10,in_port=a,tcp,actions=mod_vlan_vid:5,goto_table:3")
        self.sw.ctl("add-flow", "table=3,priority=10,dl_vlan=5,actions=output:b")
        t = self.sw.j("trace", "in_port=a,tcp,nw_dst=10.0.0.1,tp_dst=22")
        self.assertEqual([s["table"] for s in t["steps"]], [0, 3])
        self.assertEqual([o["port"] for o in t["outputs"]], ["b"])
        self.assertEqual(t["verdict"], "forwarded")
        t = self.sw.j("trace", "in_port=a,udp")
        self.assertEqual(t["steps"], [])
        self.assertEqual(t["verdict"], "dropped: no_flow")
        text = self.sw.ctl("trace", "in_port=a,tcp").stdout
        self.assertIn("table 3", text)
        self.assertIn("Outputs: b(2)", text)
        # trace counts nothing
        self.assertEqual(sum(f["n_packets"] for f in self.sw.flows()), 0)

    def test_rxq_assignment_and_pinning(self):
        self.sw.ctl("add-port", "m", "vhost-user", "queues=4")
        self.assertEqual(self.sw.port("m")["rxqs"], 4)
        rxqs = self.sw.j("pmd-rxq-show")
        self.assertEqual(len(rxqs), 1)
        self.assertEqual(sorted((q["port"], q["queue"]) for q in rxqs[0]["rxqs"]),
                         [("a", 0), ("b", 0), ("m", 0), ("m", 1), ("m", 2), ("m", 3)])
        rxqs = self.sw.j("pmd-rxq-pin", "m", "2", "1")
        pinned = [q for q in rxqs[0]["rxqs"] if q["pinned"]]
        self.assertEqual([(q["port"], q["queue"]) for q in pinned], [("m", 2)])
        self.assertIn("(pinned)", self.sw.ctl("pmd-rxq-show").stdout)
        self.sw.ctl("pmd-rxq-unpin", "m", "2")
        self.assertFalse(any(q["pinned"] for q in self.sw.j("pmd-rxq-rebalance")[0]["rxqs"]))

    def test_stats_clear_and_json(self):
        st = self.sw.j("pmd-stats")
        self.assertEqual(len(st), 1)
        self.assertEqual(st[0]["core"], 1)
        for key in ("packets", "emc_hits", "classifier_hits", "misses", "cycles_per_packet",
                    "idle_ratio", "busy_cycles"):
            self.assertIn(key, st[0])
        self.sw.ctl("pmd-stats-clear")
        self.assertEqual(self.sw.j("pmd-stats")[0]["iterations"] < st[0]["iterations"] + 10**9, True)
        drops = self.sw.j("drop-stats")
        self.assertIn("no_flow", drops["total"])
        self.assertEqual(drops["pmds"][0]["core"], 1)
        self.assertEqual(self.sw.j("version")["version"], self.sw.j("show")["version"])

    def test_flow_timeouts(self):
        self.sw.ctl("add-flow", "hard_timeout=1,in_port=a,actions=output:b")
        self.sw.ctl("add-flow", "idle_timeout=1,in_port=b,actions=output:a")
        self.sw.ctl("add-flow", "priority=1,actions=drop")
        self.assertEqual(len(self.sw.flows()), 3)
        deadline = time.time() + 10
        while len(self.sw.flows()) > 1 and time.time() < deadline:
            time.sleep(0.2)
        self.assertEqual([f["priority"] for f in self.sw.flows()], [1])


class ControlSocket(SwitchTest):
    def call_raw(self, data, read=True):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(self.sw.sock)
        s.sendall(data)
        out = b""
        if read:
            while out.count(b"\n") < data.count(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        s.close()
        return [json.loads(l) for l in out.decode().splitlines()]

    def test_socket_is_root_only(self):
        self.assertEqual(stat.S_IMODE(os.stat(self.sw.sock).st_mode), 0o600)

    def test_bad_messages_get_errors_and_the_connection_lives(self):
        replies = self.call_raw(b'not json\n[1,2]\n{"nocommand":1}\n{"command":"nope"}\n'
                                b'{"command":"add-flow","flow":5}\n{"command":"add-flows","flows":[1]}\n'
                                b'{"command":"add-port","name":{"x":1},"type":"vhost-user"}\n'
                                b'{"command":"pmd-rxq-pin","port":"a"}\n'
                                b'{"command":"fdb-add","mac":"02:00:00:00:00:01","port":"a","vlan":"x"}\n'
                                b'{"command":"version"}\n')
        self.assertEqual(len(replies), 10)
        for r in replies[:9]:
            self.assertLess(r["status"], 0, r)
            self.assertTrue(r["error"])
        self.assertEqual(replies[9]["status"], 0)

    def test_oversized_message_is_refused(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.sw.sock)
        chunk = b"x" * (1 << 20)
        try:
            for _ in range(80):
                s.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        s.settimeout(10)
        try:
            data = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            data = b""
        s.close()
        if data:
            self.assertEqual(json.loads(data.splitlines()[0])["status"], -90)  # EMSGSIZE
        self.assertEqual(self.sw.j("version")["version"], "0.1.0")

    def test_many_clients(self):
        socks = []
        for _ in range(100):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(self.sw.sock)
            socks.append(s)
        time.sleep(0.5)
        for s in socks:
            s.close()
        self.assertEqual(self.sw.j("version")["version"], "0.1.0")


class Daemon(unittest.TestCase):
    def test_ports_come_back_after_a_restart(self):
        sw = Switch(restore=True)
        try:
            sw.ctl("add-port", "a", "vhost-user")
            sw.ctl("add-port", "b", "vhost-user", "tag=20", "queues=2")
            sw.ctl("del-port", "a")
            sw.ctl("add-port", "c", "vhost-user-client", "path=" + os.path.join(sw.dir, "c.sock"))
            sw.stop()
            sw2 = Switch(run_dir=sw.dir, restore=True, log_name="second.log")
            ports = {p["name"]: p for p in sw2.j("show")["ports"]}
            self.assertEqual(sorted(ports), ["b", "c"])
            self.assertEqual((ports["b"]["ofport"], ports["b"]["tag"], ports["b"]["rxqs"]), (2, 20, 2))
            self.assertEqual(ports["c"]["type"], "vhost-user-client")
            sw2.stop()
        finally:
            sw.cleanup()

    def test_config_file(self):
        sw = None
        d = os.path.join("/tmp", "psw-cfg-%d" % os.getpid())
        os.makedirs(d, exist_ok=True)
        cfg = os.path.join(d, "pswitchd.json")
        with open(cfg, "w") as f:
            json.dump({"fdb_age": 60, "v": 2, "ports": [{"name": "p1", "type": "vhost-user"},
                                                       {"name": "p2", "type": "vhost-user"}],
                       "flows": ["in_port=p1,actions=output:p2", "in_port=p2,actions=output:p1"]}, f)
        try:
            sw = Switch(extra=["--config", cfg])
            self.assertEqual(len(sw.flows()), 2)
            self.assertEqual(sw.j("fdb-show")["aging_time"], 60)
        finally:
            if sw:
                sw.cleanup()

    def test_bad_options_and_config(self):
        cases = [(["--pmd-cores", "x"], "bad --pmd-cores"),
                 (["--pmd-cores", "0,0"], "bad --pmd-cores"),
                 (["--pmd-rxq-isolate", "maybe"], "yes or no"),
                 (["--pmd-load-interval", "0"], "1 to 3600"),
                 (["--pmd-auto-lb-load-threshold", "0"], "1 to 100"),
                 (["--pmd-auto-lb-improvement-threshold", "101"], "0 to 100"),
                 (["--logging-format", "xml"], "text or json"),
                 (["--config", "/nonexistent.json"], "cannot read config"),
                 (["--memory", "1"], "at least 64"),
                 (["--emc-entries", "3000"], "power of two"),
                 (["--emc-entries", "512"], "power of two from 1024")]
        for args, why in cases:
            r = subprocess.run([PSWITCHD] + args, capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(why, r.stderr)
        with open("/tmp/psw-bad-%d.json" % os.getpid(), "w") as f:
            f.write('{"pmd_cores": "1", "bogus": 1}')
        r = subprocess.run([PSWITCHD, "--config", f.name], capture_output=True, text=True, timeout=30)
        self.assertIn("unknown key 'bogus'", r.stderr)
        with open(f.name, "w") as f:
            f.write('{"pmd_auto_lb": "yes"}')
        r = subprocess.run([PSWITCHD, "--config", f.name], capture_output=True, text=True, timeout=30)
        self.assertIn("bad value for 'pmd_auto_lb'", r.stderr)
        os.unlink(f.name)

    def test_emc_size_and_memory(self):
        # a cache that fits the streams: the second pass hits every time
        sw = Switch(extra=["--emc-entries", "4096"])
        try:
            self.assertEqual(sw.j("pmd-stats")[0]["emc_entries"], 4096)
            self.assertIn("of 4096 entries", sw.ctl("pmd-stats").stdout)
        finally:
            sw.cleanup()
        # one that does not fit the memory: a clear error at start
        r = subprocess.run([PSWITCHD, "--memory", "64", "--emc-entries", str(1 << 20), "--pmd-cores", "1",
                            "--control-core", "0"], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertIn("1 PMD(s) with --emc-entries 1048576 need 184 MB, more than half of --memory 64",
                      r.stderr)

    def test_log_formats(self):
        sw = Switch(extra=["--logging-format", "json", "-v", "4"])
        try:
            sw.ctl("add-port", "a", "vhost-user")
            sw.ctl("add-flow", "in_port=zz,actions=drop", check=False)
        finally:
            sw.stop()
        lines = sw.read_log().splitlines()
        sw.cleanup()
        self.assertGreater(len(lines), 3)
        msgs = []
        for line in lines:
            rec = json.loads(line)
            self.assertIsInstance(rec["ts"], float)
            self.assertIsInstance(rec["v"], int)
            msgs.append(rec["msg"])
        self.assertIn("port added", msgs)
        self.assertIn("request failed", msgs)
        sw = Switch()
        sw.ctl("add-port", "a", "vhost-user")
        sw.stop()
        klog = re.compile(r'^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ [\w.]+:\d+\] "[^"]*"( \w+=("[^"]*"|\S+))*$')
        for line in sw.read_log().splitlines():
            self.assertRegex(line, klog)
        sw.cleanup()
