# SPDX-License-Identifier: BSD-3-Clause
"""A Kubernetes API server for the suite: what kube-apiserver speaks for
Pods, Namespaces, Nodes and NetworkPolicies, over HTTPS with a CA the test
makes, bearer tokens and client certificates; discovery; list with
pagination; watch with bookmarks and 410 Gone; create, update, patch (JSON
merge, strategic merge, JSON patch, server-side apply) and delete. The real
kubectl and the official Python client drive it (test_kube_apiserver.py
proves it), so what pswitchd reads from it is what a cluster sends.

It stands in for the kubelet too: a Pod's status (phase, podIPs) is kept as
it is created, and /status takes updates.

The test owns it in-process and has knobs a real cluster only has by
accident: compact() loses history (a resume gets 410), drop_watches() cuts
every stream, inject() writes raw bytes into them, stall makes it stop
answering, tokens are changed at will.

Run alone (for the demo and perf/): python3 kube_apiserver.py DIR --port N
writes DIR/kubeconfig and serves until killed."""

import base64
import bisect
import copy
import datetime
import http.server
import ipaddress
import itertools
import json
import os
import select
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# resource -> (group/version path, kind, namespaced, shortNames)
RESOURCES = {
    "pods": ("api/v1", "Pod", True, ["po"]),
    "namespaces": ("api/v1", "Namespace", False, ["ns"]),
    "nodes": ("api/v1", "Node", False, ["no"]),
    "networkpolicies": ("apis/networking.k8s.io/v1", "NetworkPolicy", True, ["netpol"]),
}
KIND_RESOURCE = {v[1]: k for k, v in RESOURCES.items()}
# lists merged by key in a strategic merge patch (the fields these kinds have)
MERGE_KEYS = {"containers": "name", "initContainers": "name", "ports": "containerPort",
              "env": "name", "volumes": "name", "volumeMounts": "mountPath",
              "podIPs": "ip", "addresses": "type", "conditions": "type",
              "containerStatuses": "name", "hostIPs": "ip", "taints": "key"}


# ---- certificates -------------------------------------------------------

def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(k):
    return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption())


def _cert(subject_cn, key, issuer_cert, issuer_key, ca=False, san=None, org=None):
    now = datetime.datetime.utcnow()
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, subject_cn)]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    name = x509.Name(attrs)
    b = (x509.CertificateBuilder().subject_name(name)
         .issuer_name(issuer_cert.subject if issuer_cert else name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(minutes=5))
         .not_valid_after(now + datetime.timedelta(days=2))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if san:
        b = b.add_extension(x509.SubjectAlternativeName(san), critical=False)
    return b.sign(issuer_key or key, hashes.SHA256())


class Pki:
    """A cluster CA, the server's certificate, and client certificates."""

    def __init__(self, directory, name="test-cluster-ca"):
        self.dir = directory
        self.ca_key = _key()
        self.ca = _cert(name, self.ca_key, None, None, ca=True)
        self.ca_pem = self.ca.public_bytes(serialization.Encoding.PEM)
        self.ca_file = self._write("ca.crt", self.ca_pem)
        k = _key()
        c = _cert("kube-apiserver", k, self.ca, self.ca_key,
                  san=[x509.DNSName("localhost"),
                       x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        self.server_cert = self._write("apiserver.crt", c.public_bytes(serialization.Encoding.PEM))
        self.server_key = self._write("apiserver.key", _pem_key(k))

    def _write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def client(self, cn, org=None):
        """A client certificate and key (PEM bytes) for user 'cn'."""
        k = _key()
        c = _cert(cn, k, self.ca, self.ca_key, org=org)
        return c.public_bytes(serialization.Encoding.PEM), _pem_key(k)


# ---- patches ------------------------------------------------------------

def merge_patch(target, patch):
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def strategic_merge_patch(target, patch, field=None):
    """Kubernetes' strategic merge patch, for the fields these kinds have:
    maps merge, lists with a merge key merge by it, other lists replace;
    $patch: delete/replace, $setElementOrder and $retainKeys are honoured
    as far as ordering does not matter."""
    if isinstance(patch, list):
        key = MERGE_KEYS.get(field)
        if key is None or not isinstance(target, list):
            return [p for p in copy.deepcopy(patch) if not (isinstance(p, dict) and "$patch" in p)]
        out = copy.deepcopy(target)
        for p in patch:
            if not isinstance(p, dict) or key not in p:
                continue
            idx = next((i for i, t in enumerate(out) if isinstance(t, dict) and t.get(key) == p[key]), None)
            if p.get("$patch") == "delete":
                if idx is not None:
                    del out[idx]
            elif idx is None:
                out.append(strategic_merge_patch({}, p))
            else:
                out[idx] = strategic_merge_patch(out[idx], p)
        return out
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: v for k, v in copy.deepcopy(patch).items() if k != "$patch"}
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if k.startswith("$setElementOrder/") or k in ("$retainKeys", "$patch"):
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            f = k.split("/", 1)[1]
            out[f] = [x for x in out.get(f, []) if x not in v]
        elif v is None:
            out.pop(k, None)
        else:
            out[k] = strategic_merge_patch(out.get(k), v, k)
    return out


def json_patch(target, ops):
    """RFC 6902: add, remove, replace, test."""
    doc = copy.deepcopy(target)
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent = doc
        for p in parts[:-1]:
            parent = parent[int(p)] if isinstance(parent, list) else parent[p]
        last = parts[-1]
        if op["op"] == "test":
            cur = parent[int(last)] if isinstance(parent, list) else parent.get(last)
            if cur != op["value"]:
                raise ValueError("test failed at " + op["path"])
        elif op["op"] == "remove":
            del parent[int(last) if isinstance(parent, list) else last]
        elif op["op"] in ("add", "replace"):
            if isinstance(parent, list):
                if last == "-":
                    parent.append(op["value"])
                elif op["op"] == "add":
                    parent.insert(int(last), op["value"])
                else:
                    parent[int(last)] = op["value"]
            else:
                parent[last] = op["value"]
        else:
            raise ValueError("unsupported op " + op["op"])
    return doc


# ---- the server ---------------------------------------------------------

class ApiError(Exception):
    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details


def status_object(code, reason, message, details=None):
    s = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
         "message": message, "reason": reason, "code": code}
    if details:
        s["details"] = details
    return s


def _now():
    return datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_bool(v):
    """As Go's strconv.ParseBool, which the apiserver's query parameters use."""
    return v in ("1", "t", "T", "true", "TRUE", "True")


def label_selector_matches(sel, labels):
    for term in filter(None, (t.strip() for t in sel.split(","))):
        if "!=" in term:
            k, v = term.split("!=", 1)
            if labels.get(k.strip()) == v.strip():
                return False
        elif "==" in term or "=" in term:
            k, v = term.replace("==", "=").split("=", 1)
            if labels.get(k.strip()) != v.strip():
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


def field_selector_matches(sel, obj):
    fields = {"metadata.name": obj["metadata"].get("name"),
              "metadata.namespace": obj["metadata"].get("namespace"),
              "spec.nodeName": obj.get("spec", {}).get("nodeName")}
    for term in filter(None, (t.strip() for t in sel.split(","))):
        neg = "!=" in term
        k, v = term.replace("!=", "=").replace("==", "=").split("=", 1)
        if k not in fields:
            raise ApiError(400, "BadRequest", "field label not supported: " + k)
        if (fields[k] == v) == neg:
            return False
    return True


class Store:
    """The objects, their resourceVersions and the event history that
    watches resume from."""

    def __init__(self):
        self.lock = threading.Condition()
        self.rv = 100
        self.objects = {r: {} for r in RESOURCES}   # resource -> (ns, name) -> obj
        self.history = []                           # (rv, resource, type, obj)
        self.compacted = self.rv                    # events at or before this are gone
        self.epoch = 0                              # bumped when watches must end

    def _record(self, res, typ, obj):
        self.history.append((int(obj["metadata"]["resourceVersion"]), res, typ, copy.deepcopy(obj)))
        if len(self.history) > 200000:
            drop = len(self.history) - 150000
            self.compacted = self.history[drop - 1][0]
            del self.history[:drop]
        self.lock.notify_all()

    def next_rv(self):
        self.rv += 1
        return str(self.rv)

    def get(self, res, ns, name):
        o = self.objects[res].get((ns, name))
        if o is None:
            raise ApiError(404, "NotFound", '%s "%s" not found' % (res, name),
                           {"name": name, "kind": res})
        return o

    def create(self, res, ns, obj):
        kind, namespaced = RESOURCES[res][1], RESOURCES[res][2]
        if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
            raise ApiError(400, "BadRequest", "the object has no metadata")
        md = obj["metadata"]
        if obj.get("kind", kind) != kind:
            raise ApiError(400, "BadRequest", "kind %s is not %s" % (obj.get("kind"), kind))
        name = md.get("name")
        if not name and md.get("generateName"):
            name = md["generateName"] + uuid.uuid4().hex[:5]
        if not name:
            raise ApiError(422, "Invalid", "metadata.name: Required value")
        if namespaced:
            if md.get("namespace") not in (None, "", ns):
                raise ApiError(400, "BadRequest", "the namespace of the object does not match the request")
        else:
            ns = ""
        with self.lock:
            if namespaced and ("", ns) not in self.objects["namespaces"]:
                raise ApiError(404, "NotFound", 'namespaces "%s" not found' % ns,
                               {"name": ns, "kind": "namespaces"})
            if (ns, name) in self.objects[res]:
                raise ApiError(409, "AlreadyExists", '%s "%s" already exists' % (res, name),
                               {"name": name, "kind": res})
            o = copy.deepcopy(obj)
            o["kind"], o["apiVersion"] = kind, RESOURCES[res][0].split("/", 1)[1]
            md = o["metadata"]
            md["name"] = name
            if namespaced:
                md["namespace"] = ns
            else:
                md.pop("namespace", None)
            md["uid"] = md.get("uid") or str(uuid.uuid4())
            md["creationTimestamp"] = _now()
            md["resourceVersion"] = self.next_rv()
            md.pop("generateName", None)
            if res == "namespaces":
                md.setdefault("labels", {})["kubernetes.io/metadata.name"] = name
                o.setdefault("status", {"phase": "Active"})
            if res == "pods":
                o.setdefault("status", {}).setdefault("phase", "Pending")
            self.objects[res][(ns, name)] = o
            self._record(res, "ADDED", o)
            return copy.deepcopy(o)

    def update(self, res, ns, name, obj, subresource=None):
        with self.lock:
            cur = self.get(res, ns, name)
            if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
                raise ApiError(400, "BadRequest", "the object has no metadata")
            want = obj["metadata"].get("resourceVersion")
            if want and want != cur["metadata"]["resourceVersion"]:
                raise ApiError(409, "Conflict", "Operation cannot be fulfilled on %s \"%s\": the object "
                               "has been modified; please apply your changes to the latest version "
                               "and try again" % (res, name), {"name": name, "kind": res})
            o = copy.deepcopy(obj)
            if subresource == "status":
                new = copy.deepcopy(cur)
                new["status"] = o.get("status", {})
                o = new
            for k in ("uid", "creationTimestamp", "namespace", "name"):
                if k in cur["metadata"]:
                    o["metadata"][k] = cur["metadata"][k]
            o["kind"], o["apiVersion"] = cur["kind"], cur["apiVersion"]
            if res == "namespaces":
                o["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = name
            strip = lambda x: {k: v for k, v in x.items() if k != "metadata"} | \
                {"metadata": {k: v for k, v in x["metadata"].items() if k != "resourceVersion"}}
            if strip(o) == strip(cur):
                return copy.deepcopy(cur)      # no change, no event
            o["metadata"]["resourceVersion"] = self.next_rv()
            self.objects[res][(ns, name)] = o
            self._record(res, "MODIFIED", o)
            return copy.deepcopy(o)

    def delete(self, res, ns, name):
        with self.lock:
            cur = self.get(res, ns, name)
            del self.objects[res][(ns, name)]
            o = copy.deepcopy(cur)
            o["metadata"]["resourceVersion"] = self.next_rv()
            self._record(res, "DELETED", o)
            return o

    def list(self, res, ns):
        """The objects (shared, not copied: a change replaces an object,
        never edits it) in key order, and the version they are at."""
        with self.lock:
            items = [o for (ons, _), o in sorted(self.objects[res].items()) if ns is None or ons == ns]
            return items, str(self.rv)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pswitch-test-apiserver"

    def log_message(self, fmt, *args):
        if self.server.api.verbose:
            sys.stderr.write("apiserver: " + fmt % args + "\n")

    # -- plumbing --
    def _send(self, code, body, ctype="application/json"):
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, e):
        self._send(e.code, status_object(e.code, e.reason, e.message, e.details))

    def _read_body(self):
        """The request's body, read whole (also when a verb ignores it, so
        that the connection stays in step): Content-Length or chunked."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or ""):
            out = b""
            while True:
                n = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(n)
                self.rfile.readline()
                if len(out) > 3 * 1024 * 1024:
                    self.close_connection = True
                    return None
        n = int(self.headers.get("Content-Length") or 0)
        if n > 3 * 1024 * 1024:
            self.close_connection = True
            return None
        return self.rfile.read(n) if n else b""

    def _body(self):
        raw = self._raw
        if raw is None:
            raise ApiError(413, "RequestEntityTooLarge", "request entity too large")
        ctype = (self.headers.get("Content-Type") or "application/json").split(";")[0].strip()
        if ctype == "application/vnd.kubernetes.protobuf":
            raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown "
                           "format - accepted media types include: application/json, "
                           "application/yaml (this test server speaks JSON only)")
        try:
            if ctype == "application/apply-patch+yaml":
                import yaml
                return yaml.safe_load(raw), ctype
            return json.loads(raw or b"null"), ctype
        except Exception as e:
            raise ApiError(400, "BadRequest", "the body cannot be read: %s" % e)

    def _authenticate(self):
        api = self.server.api
        auth = self.headers.get("Authorization") or ""
        if auth.startswith("Bearer "):
            tok = auth[7:].strip()
            api.tokens_seen.append(tok)
            api.agents.append((self.headers.get("User-Agent") or "", tok))
            if tok in api.tokens:
                if api.tokens[tok] in api.forbidden_users:
                    raise ApiError(403, "Forbidden", 'pods is forbidden: User "%s" cannot list resource '
                                   '"pods" in API group "" at the cluster scope' % api.tokens[tok])
                return api.tokens[tok]
            raise ApiError(401, "Unauthorized", "Unauthorized")
        cert = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
        if cert:
            for rdn in cert.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        if v in api.forbidden_users:
                            raise ApiError(403, "Forbidden", 'User "%s" cannot list resource' % v)
                        return v
        raise ApiError(401, "Unauthorized", "Unauthorized")

    def _route(self):
        """(resource, namespace or None, name or None, subresource or None),
        or a discovery document."""
        u = urllib.parse.urlsplit(self.path)
        self.query = {k: v[-1] for k, v in urllib.parse.parse_qs(u.query, keep_blank_values=True).items()}
        p = [x for x in u.path.split("/") if x]
        disc = self.server.api.discovery(p)
        if disc is not None:
            return disc
        if p[:2] == ["api", "v1"]:
            rest, gv = p[2:], "api/v1"
        elif p[:3] == ["apis", "networking.k8s.io", "v1"]:
            rest, gv = p[3:], "apis/networking.k8s.io/v1"
        else:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        ns = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            ns, rest = rest[1], rest[2:]
        if not rest or rest[0] not in RESOURCES or RESOURCES[rest[0]][0] != gv:
            if ns is not None and not rest:
                return ("namespaces", None, ns, None)
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        res = rest[0]
        if ns is not None and not RESOURCES[res][2]:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if sub not in (None, "status"):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return (res, ns if RESOURCES[res][2] else "", name, sub) if name else (res, ns, None, None)

    def _handle(self, method):
        api = self.server.api
        self._raw = self._read_body()
        if api.verbose:
            sys.stderr.write("apiserver: %s %s %r\n" % (method, dict(self.headers), (self._raw or b"")[:200]))
        try:
            api.requests.append((method, self.path))
            while api.stall and not api.stopping:
                time.sleep(0.05)
            self._authenticate()
            r = self._route()
            if isinstance(r, dict):
                if method != "GET":
                    raise ApiError(405, "MethodNotAllowed", "the server does not allow this method")
                return self._send(200, r)
            res, ns, name, sub = r
            getattr(self, "_" + method.lower())(res, ns, name, sub)
        except ApiError as e:
            self._error(e)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_PATCH(self):
        self._handle("PATCH")

    def do_DELETE(self):
        self._handle("DELETE")

    # -- verbs --
    def _get(self, res, ns, name, sub):
        st = self.server.api.store
        if name is not None:
            return self._send(200, st.get(res, ns, name))
        if parse_bool(self.query.get("watch")):
            return self._watch(res, ns)
        ls, fs = self.query.get("labelSelector"), self.query.get("fieldSelector")
        limit = int(self.query.get("limit") or 0)
        start = 0
        cont = self.query.get("continue")
        snap_key = None
        if cont:
            try:
                c = json.loads(base64.urlsafe_b64decode(cont.encode()))
                start, rv = int(c["start"]), c["rv"]
            except Exception:
                raise ApiError(400, "BadRequest", "continue key is not valid")
            if int(rv) < st.compacted:
                raise ApiError(410, "Expired", "The provided continue parameter is too old to display "
                               "a consistent list result. You can start a new list without the "
                               "continue parameter.")
            snap_key = (res, ns, ls, fs, rv)
            items = self.server.api.snapshots.get(snap_key)
            if items is None:
                # a consistent page without the snapshot: objects as of the
                # list's version (those changed since are left out)
                items, _ = st.list(res, ns)
                items = [o for o in items if int(o["metadata"]["resourceVersion"]) <= int(rv)]
        else:
            items, rv = st.list(res, ns)
        if snap_key is None or snap_key not in self.server.api.snapshots:
            items = [o for o in items if (not ls or label_selector_matches(ls, o["metadata"].get("labels") or {}))
                     and (not fs or field_selector_matches(fs, o))]
        md = {"resourceVersion": rv}
        page = items[start:start + limit] if limit else items[start:]
        if limit and start + limit < len(items):
            # the list as of its version, for the pages that follow (as
            # etcd serves them at the list's revision)
            snaps = self.server.api.snapshots
            snaps[(res, ns, ls, fs, rv)] = items
            while len(snaps) > 16:
                snaps.pop(next(iter(snaps)))
            md["continue"] = base64.urlsafe_b64encode(json.dumps(
                {"start": start + limit, "rv": rv}).encode()).decode()
            md["remainingItemCount"] = len(items) - start - limit
        kind = RESOURCES[res][1]
        self.server.api.lists.append(res)
        self._send(200, {"kind": kind + "List", "apiVersion": RESOURCES[res][0].split("/", 1)[1],
                         "metadata": md, "items": page})

    def _watch(self, res, ns):
        api, st = self.server.api, self.server.api.store
        rv = self.query.get("resourceVersion") or ""
        bookmarks = parse_bool(self.query.get("allowWatchBookmarks"))
        timeout = float(self.query.get("timeoutSeconds") or api.max_watch_s)
        timeout = min(timeout, api.max_watch_s)
        ls, fs = self.query.get("labelSelector"), self.query.get("fieldSelector")

        def match(o):
            return ((ns is None or o["metadata"].get("namespace", "") == ns) and
                    (not ls or label_selector_matches(ls, o["metadata"].get("labels") or {})) and
                    (not fs or field_selector_matches(fs, o)))

        with st.lock:
            if rv not in ("", "0") and int(rv) < st.compacted:
                if api.gone_as_status:
                    raise ApiError(410, "Expired", "too old resource version: %s (%d)" % (rv, st.compacted))
                initial = [("ERROR", status_object(410, "Expired", "too old resource version: %s (%d)"
                                                   % (rv, st.compacted)))]
                pos = None
            elif rv in ("", "0"):
                items, cur = st.list(res, ns)
                initial = [("ADDED", o) for o in items if match(o)]
                pos = int(cur)
            else:
                initial, pos = [], int(rv)
            epoch = st.epoch
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        api.watches.append((res, rv, bookmarks))
        chunk = lambda b: self.wfile.write(b"%x\r\n%s\r\n" % (len(b), b))
        try:
            for typ, o in initial:
                chunk(json.dumps({"type": typ, "object": o}).encode() + b"\n")
            if pos is None:
                chunk(b"")
                return
            deadline = time.monotonic() + timeout
            last_bm = time.monotonic()
            while not api.stopping:
                out = []
                with st.lock:
                    if st.epoch != epoch:
                        self.close_connection = True
                        return          # cut without the last chunk: a dropped stream
                    # the history is in version order: start after 'pos'
                    first = bisect.bisect_right(st.history, pos, key=lambda e: e[0])
                    for erv, eres, typ, o in itertools.islice(st.history, first, None):
                        if eres == res:
                            if match(o):
                                out.append(json.dumps({"type": typ, "object": o}).encode() + b"\n")
                    if st.history:
                        pos = max(pos, st.history[-1][0])
                    # a client sends nothing on a watch: readable is closing
                    if select.select([self.connection], [], [], 0)[0]:
                        self.close_connection = True
                        return
                    # injected bytes go to the first stream of their resource
                    # that reads them, once
                    mine = [i for i in api.injected if i[0] in (None, res)]
                    for i in mine:
                        api.injected.remove(i)
                        out.append(i[1])
                    if not out:
                        st.lock.wait(0.1)
                for line in out:
                    if api.split_events and len(line) > 4:
                        # one event over two chunks, some time apart
                        chunk(line[:len(line) // 2])
                        self.wfile.flush()
                        time.sleep(0.02)
                        chunk(line[len(line) // 2:])
                    else:
                        chunk(line)
                self.wfile.flush()
                now = time.monotonic()
                if bookmarks and api.bookmark_s and now - last_bm >= api.bookmark_s:
                    last_bm = now
                    with st.lock:
                        if st.epoch != epoch:
                            # dropped meanwhile: a bookmark now would tell the
                            # client a version past a compaction it must see
                            self.close_connection = True
                            return
                        pos = max(pos, st.rv)
                    chunk(json.dumps({"type": "BOOKMARK", "object": {
                        "kind": RESOURCES[res][1], "apiVersion": RESOURCES[res][0].split("/", 1)[1],
                        "metadata": {"resourceVersion": str(pos),
                                     "annotations": {"k8s.io/initial-events-end": "true"}}}}).encode() + b"\n")
                    api.bookmarks_sent += 1
                    self.wfile.flush()
                if now >= deadline:
                    break
            chunk(b"")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True

    def _post(self, res, ns, name, sub):
        if name is not None:
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method")
        obj, _ = self._body()
        if RESOURCES[res][2] and ns is None:
            ns = (obj.get("metadata") or {}).get("namespace") or "default"
        self._send(201, self.server.api.store.create(res, ns, obj))

    def _put(self, res, ns, name, sub):
        if name is None:
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method")
        obj, _ = self._body()
        self._send(200, self.server.api.store.update(res, ns, name, obj, sub))

    def _patch(self, res, ns, name, sub):
        st = self.server.api.store
        if name is None:
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method")
        patch, ctype = self._body()
        with st.lock:
            try:
                cur = st.get(res, ns, name)
            except ApiError:
                if ctype != "application/apply-patch+yaml":
                    raise
                patch.setdefault("metadata", {})["name"] = name
                return self._send(201, st.create(res, ns, patch))
            try:
                if ctype == "application/json-patch+json":
                    new = json_patch(cur, patch)
                elif ctype == "application/merge-patch+json":
                    new = merge_patch(cur, patch)
                elif ctype in ("application/strategic-merge-patch+json", "application/apply-patch+yaml"):
                    new = strategic_merge_patch(cur, patch)
                else:
                    raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an "
                                   "unknown format: " + ctype)
            except (ValueError, KeyError, IndexError, TypeError) as e:
                raise ApiError(422, "Invalid", "the patch cannot be applied: %s" % e)
            if isinstance(new.get("metadata"), dict):
                new["metadata"].pop("resourceVersion", None)
            self._send(200, st.update(res, ns, name, new, sub))

    def _delete(self, res, ns, name, sub):
        if name is None:
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method")
        self._send(200, self.server.api.store.delete(res, ns, name))


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def get_request(self):
        sock, addr = self.socket.accept()
        try:
            return self.api.tls.wrap_socket(sock, server_side=True), addr
        except (ssl.SSLError, OSError):
            self.api.tls_failures += 1
            sock.close()
            raise


class ApiServer:
    """The server, on 127.0.0.1 at a port of its own, in a thread."""

    def __init__(self, directory, port=0, verbose=False):
        self.dir = directory
        self.pki = Pki(directory)
        self.store = Store()
        self.verbose = verbose
        self.tokens = {}            # token -> user
        self.forbidden_users = set()
        self.tokens_seen, self.requests, self.watches, self.lists = [], [], [], []
        self.agents = []            # (User-Agent, token) of each request with a token
        self.injected = []          # (resource or None, raw bytes) for the next watch to read
        self.stall = False
        self.stopping = False
        self.gone_as_status = False # 410 as an HTTP status, not an ERROR event
        self.split_events = False   # every event split over two chunks
        self.bookmark_s = 1.0
        self.max_watch_s = 1800.0
        self.tls_failures = 0
        self.bookmarks_sent = 0
        self.snapshots = {}         # a paginated list's objects, by (resource, ns, selectors, rv)
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(self.pki.server_cert, self.pki.server_key)
        self.tls.load_verify_locations(self.pki.ca_file)
        self.tls.verify_mode = ssl.CERT_OPTIONAL
        self.httpd = _Server(("127.0.0.1", port), Handler, bind_and_activate=True)
        self.httpd.api = self
        self.port = self.httpd.server_address[1]
        self.url = "https://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                       daemon=True)
        self.thread.start()

    def stop(self):
        self.stopping = True
        self.drop_watches()
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- knobs --
    def drop_watches(self):
        with self.store.lock:
            self.store.epoch += 1
            self.store.lock.notify_all()

    def compact(self, drop_watches=False):
        """Loses the history: a watch resumed from before now gets 410. With
        'drop_watches', the open watches end in the same instant, so that none
        can pass on a version (a bookmark) from after the compaction first."""
        with self.store.lock:
            self.store.compacted = self.store.rv + 1
            self.store.rv += 1
            self.store.history.clear()
            if drop_watches:
                self.store.epoch += 1
            self.store.lock.notify_all()

    def inject(self, raw, resource=None):
        with self.store.lock:
            self.injected.append((resource, raw))
            self.store.lock.notify_all()

    # -- clients --
    def kubeconfig(self, path, token=None, cert=None, ca_pem=None, user="test", token_file=None,
                   insecure=False):
        """Writes a kubeconfig for this server: a token, a token file or a
        client certificate ((cert_pem, key_pem)), and the CA (another's
        'ca_pem' for the wrong-CA case)."""
        b64 = lambda b: base64.b64encode(b).decode()
        u = {}
        if token:
            u["token"] = token
        if token_file:
            u["tokenFile"] = token_file
        if cert:
            u["client-certificate-data"], u["client-key-data"] = b64(cert[0]), b64(cert[1])
        cluster = {"server": self.url}
        if insecure:
            cluster["insecure-skip-tls-verify"] = True
        else:
            cluster["certificate-authority-data"] = b64(ca_pem or self.pki.ca_pem)
        cfg = {"apiVersion": "v1", "kind": "Config", "current-context": "test",
               "clusters": [{"name": "test", "cluster": cluster}],
               "users": [{"name": user, "user": u}],
               "contexts": [{"name": "test", "context": {"cluster": "test", "user": user}}]}
        with open(path, "w") as f:
            json.dump(cfg, f, indent=1)
        return path

    def openapi_v3(self, gv):
        """Just enough OpenAPI v3 for kubectl to see that PATCH takes
        fieldValidation: it then validates on the server (which keeps
        unknown fields as they are) instead of downloading schemas."""
        paths = {}
        for r, v in RESOURCES.items():
            if v[0] != gv:
                continue
            group, version = (gv.split("/")[1:] + ["v1"])[:2] if gv.startswith("apis/") else ("", "v1")
            base = "/" + gv + ("/namespaces/{namespace}" if v[2] else "") + "/" + r + "/{name}"
            paths[base] = {"patch": {
                "x-kubernetes-group-version-kind": {"group": group, "version": version, "kind": v[1]},
                "x-kubernetes-action": "patch",
                "parameters": [{"name": "fieldValidation", "in": "query", "schema": {"type": "string"}},
                               {"name": "fieldManager", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "OK"}}}}
        return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.0"},
                "paths": paths, "components": {}}

    def discovery(self, p):
        groups = {"kind": "APIGroupList", "apiVersion": "v1", "groups": [{
            "name": "networking.k8s.io",
            "versions": [{"groupVersion": "networking.k8s.io/v1", "version": "v1"}],
            "preferredVersion": {"groupVersion": "networking.k8s.io/v1", "version": "v1"}}]}
        if p == ["version"]:
            return {"major": "1", "minor": "32", "gitVersion": "v1.32.0-pswitch-test",
                    "platform": "linux/amd64", "goVersion": "go1.23"}
        if p == ["api"]:
            return {"kind": "APIVersions", "versions": ["v1"],
                    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                    "serverAddress": "127.0.0.1:%d" % self.port}]}
        if p == ["apis"]:
            return groups
        if p == ["openapi", "v3"]:
            return {"paths": {gv: {"serverRelativeURL": "/openapi/v3/%s?hash=pswitch" % gv}
                              for gv in ("api/v1", "apis/networking.k8s.io/v1")}}
        if p[:2] == ["openapi", "v3"] and "/".join(p[2:]) in ("api/v1", "apis/networking.k8s.io/v1"):
            return self.openapi_v3("/".join(p[2:]))
        if p == ["apis", "networking.k8s.io"]:
            g = dict(groups["groups"][0])
            g.update({"kind": "APIGroup", "apiVersion": "v1"})
            return g
        for gv in ("api/v1", "apis/networking.k8s.io/v1"):
            if p == gv.split("/"):
                res = [{"name": r, "singularName": v[1].lower(), "namespaced": v[2], "kind": v[1],
                        "shortNames": v[3],
                        "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}
                       for r, v in RESOURCES.items() if v[0] == gv]
                res += [{"name": r + "/status", "singularName": "", "namespaced": v[2], "kind": v[1],
                         "verbs": ["get", "patch", "update"]}
                        for r, v in RESOURCES.items() if v[0] == gv and r != "networkpolicies"]
                return {"kind": "APIResourceList", "apiVersion": "v1",
                        "groupVersion": gv.split("/", 1)[1], "resources": res}
        return None


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--token", default="pswitch-demo-token")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    srv = ApiServer(a.dir, a.port, verbose=a.v)
    srv.tokens[a.token] = "pswitch"
    srv.kubeconfig(os.path.join(a.dir, "kubeconfig"), token=a.token)
    print(srv.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.stop()


if __name__ == "__main__":
    main()
