# SPDX-License-Identifier: BSD-3-Clause
"""Flow table changes against a model: random sequences of add-flow,
add-flows, del-flows and mod-flows (strict and loose), after each of which
dump-flows must list exactly the model's flows and trace must find, for
random packets, the flow the model says wins. pswitchd rebuilds only the
subtables a change touches, so trace checks the tables it publishes, not
just the list it keeps."""

import ipaddress
import os
import random

from harness import SwitchTest

ACTIONS = ("output:a", "output:b", "drop")
PORTS_L4 = (53, 80)


def shape_a(r):
    # udp to a /24; priorities 10 and 40
    return (r.choice((10, 40)), "udp,nw_dst=10.0.%d.0/24" % r.randrange(4))


def shape_b(r):
    # udp to a /24 and one port; priorities 20 and 50
    return (r.choice((20, 50)), "udp,nw_dst=10.0.%d.0/24,tp_dst=%d" % (r.randrange(4), r.choice(PORTS_L4)))


def shape_c(r):
    # tcp to one port; priorities 30 and 60
    return (r.choice((30, 60)), "tcp,tp_dst=%d" % r.choice(PORTS_L4))


SHAPES = (shape_a, shape_b, shape_c)


def matches(match, pkt):
    """Whether a flow of one of the shapes matches pkt = (proto, dst, port).
    Priorities of different shapes differ, so no packet meets two flows of
    one priority and the winner is always defined."""
    proto, dst, port = pkt
    fields = dict(f.split("=") if "=" in f else (f, None) for f in match.split(","))
    if ("udp" in fields) != (proto == "udp"):
        return False
    if "nw_dst" in fields and ipaddress.ip_address(dst) not in ipaddress.ip_network(fields["nw_dst"]):
        return False
    return "tp_dst" not in fields or int(fields["tp_dst"]) == port


class Model(SwitchTest):
    PORTS = ("a", "b")

    def setUp(self):
        super().setUp()
        self.flows = {}   # (table, priority, match) -> actions
        self.rand = random.Random(int(os.environ.get("PSW_SEED", "2026")))

    def random_flow(self):
        prio, match = self.rand.choice(SHAPES)(self.rand)
        return self.rand.choice((0, 0, 0, 1)), prio, match

    def text(self, table, prio, match, actions=None):
        s = "table=%d,priority=%d,%s" % (table, prio, match)
        return s + (",actions=" + actions if actions else "")

    def loose_filter(self):
        """A loose filter and what it selects: every flow at least as
        specific."""
        kind = self.rand.randrange(3)
        if kind == 0:
            port = self.rand.choice(PORTS_L4)
            return "udp,tp_dst=%d" % port, lambda k: ("udp" in k[2] and "tp_dst=%d" % port in k[2])
        if kind == 1:
            net = self.rand.randrange(4)
            return ("udp,nw_dst=10.0.%d.0/24" % net,
                    lambda k: "nw_dst=10.0.%d.0/24" % net in k[2])
        return "table=1", lambda k: k[0] == 1

    def step(self):
        op = self.rand.randrange(6)
        if op == 0:
            k = self.random_flow()
            a = self.rand.choice(ACTIONS)
            self.sw.ctl("add-flow", self.text(*k, a))
            self.flows[k] = a
        elif op == 1:
            # a batch, with repeats: the last of one identity wins
            batch = [(self.random_flow(), self.rand.choice(ACTIONS)) for _ in range(self.rand.randrange(1, 8))]
            path = os.path.join(self.sw.dir, "batch")
            with open(path, "w") as f:
                f.write("".join(self.text(*k, a) + "\n" for k, a in batch))
            self.sw.ctl("add-flows", path)
            for k, a in batch:
                self.flows[k] = a
        elif op == 2:
            k = self.random_flow()
            n = self.sw.j("del-flows", "--strict", self.text(*k))["deleted"]
            self.assertEqual(n, 1 if k in self.flows else 0)
            self.flows.pop(k, None)
        elif op == 3:
            k = self.random_flow()
            a = self.rand.choice(ACTIONS)
            n = self.sw.j("mod-flows", "--strict", self.text(*k, a))["modified"]
            self.assertEqual(n, 1 if k in self.flows else 0)
            if k in self.flows:
                self.flows[k] = a
        elif op == 4:
            filt, sel = self.loose_filter()
            a = self.rand.choice(ACTIONS)
            n = self.sw.j("mod-flows", filt + ",actions=" + a)["modified"]
            chosen = [k for k in self.flows if sel(k)]
            self.assertEqual(n, len(chosen), filt)
            for k in chosen:
                self.flows[k] = a
        else:
            filt, sel = self.loose_filter()
            n = self.sw.j("del-flows", filt)["deleted"]
            chosen = [k for k in self.flows if sel(k)]
            self.assertEqual(n, len(chosen), filt)
            for k in chosen:
                del self.flows[k]

    def check(self):
        got = {(f["table"], f["priority"], f["match"].split(",", 1)[1]): f["actions"] for f in self.sw.flows()}
        self.assertEqual(got, self.flows)
        for _ in range(3):
            pkt = (self.rand.choice(("udp", "tcp")), "10.0.%d.%d" % (self.rand.randrange(5), self.rand.randrange(1, 255)),
                   self.rand.choice(PORTS_L4))
            t = self.sw.j("trace", "in_port=a,%s,nw_dst=%s,tp_dst=%d" % pkt)
            hits = [(k, a) for k, a in self.flows.items() if k[0] == 0 and matches(k[2], pkt)]
            want = max(hits, key=lambda h: h[0][1]) if hits else None
            if want is None:
                self.assertEqual(t["steps"], [], (pkt, t))
            else:
                step = t["steps"][0]
                self.assertEqual((step["priority"], step["match"].split(",", 1)[1], step["actions"]),
                                 (want[0][1], want[0][2], want[1]), (pkt, t))

    def test_random_changes_agree_with_the_model(self):
        for _ in range(150):
            self.step()
            self.check()
        self.assertTrue(self.sw.alive())
