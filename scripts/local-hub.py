#!/usr/bin/env python3
"""A Hugging Face Hub on loopback, for tests and for clusters without the Hub: serves the
repositories of a directory with the parts of the Hub API that huggingface_hub's
snapshot_download / hf_hub_download use.

    python3 local-hub.py ROOT [--port 0] [--token T] [--cut-first-download] [--log FILE]

ROOT/models/<org>/<name>/…  and  ROOT/datasets/<org>/<name>/…  are repositories at revision
`main`; the commit is a hash of their files. ROOT/gated.txt lists repo ids (one a line) that
need `Authorization: Bearer T`. `--cut-first-download` ends the first GET of every file halfway
(to test resuming). The chosen port is printed as `PORT <n>` on stdout. Only standard library.
"""

import argparse
import hashlib
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit


class Hub:
    def __init__(self, root, token, cut, log):
        self.root = root
        self.token = token
        self.cut = cut
        self.cut_done = set()
        self.log = log
        self.lock = threading.Lock()
        gated = os.path.join(root, "gated.txt")
        self.gated = set(open(gated).read().split()) if os.path.exists(gated) else set()

    def repo_dir(self, kind, repo_id):
        d = os.path.join(self.root, kind, *repo_id.split("/"))
        if not os.path.isdir(d):
            return None
        # An org directory is not a repository: a repository holds files of its own.
        return d if any(os.path.isfile(os.path.join(d, n)) for n in os.listdir(d)) else None

    def files(self, d):
        out = []
        for base, dirs, names in os.walk(d):
            dirs.sort()
            for n in sorted(names):
                p = os.path.join(base, n)
                out.append(os.path.relpath(p, d))
        return out

    def sha256(self, p):
        h = hashlib.sha256()
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()

    def commit(self, d):
        h = hashlib.sha1()
        for rel in self.files(d):
            h.update(rel.encode() + b"\0" + self.sha256(os.path.join(d, rel)).encode())
        return h.hexdigest()

    def record(self, line):
        if self.log:
            with self.lock, open(self.log, "a") as f:
                f.write(line + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hub: Hub = None

    def log_message(self, fmt, *args):  # quiet: the test reads --log
        pass

    def send(self, status, body=b"", headers=None, head=False):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and body:
            self.wfile.write(body)

    def error(self, status, code, message, head=False):
        body = json.dumps({"error": message}).encode()
        self.send(status, body, {"Content-Type": "application/json", "X-Error-Code": code, "X-Error-Message": message}, head)

    def split_repo(self, kind, parts):
        """(repo_id, rest) for the longest repo id (org/name, else name) that exists."""
        for n in (2, 1):
            if len(parts) >= n and self.hub.repo_dir(kind, "/".join(parts[:n])):
                return "/".join(parts[:n]), parts[n:]
        return None, parts

    def authorized(self, repo_id):
        if repo_id not in self.hub.gated:
            return True
        return self.headers.get("Authorization", "") == f"Bearer {self.hub.token}"

    def resolve_rev(self, d, rev):
        c = self.hub.commit(d)
        return c if rev in ("main", c) else None

    def do_HEAD(self):
        self.route(head=True)

    def do_GET(self):
        self.route(head=False)

    def route(self, head):
        url = urlsplit(self.path)
        parts = [unquote(p) for p in url.path.split("/") if p]
        self.hub.record(f"{self.command} {url.path} range={self.headers.get('Range', '')}")
        if len(parts) >= 2 and parts[0] == "api" and parts[1] in ("models", "datasets"):
            return self.api(parts[1], parts[2:], url.query, head)
        kind = "models"
        if parts and parts[0] == "datasets":
            kind, parts = "datasets", parts[1:]
        repo_id, rest = self.split_repo(kind, parts)
        if repo_id and len(rest) >= 2 and rest[0] == "resolve":
            return self.resolve(kind, repo_id, rest[1], "/".join(rest[2:]), head)
        self.error(404, "EntryNotFound", "not found", head)

    def api(self, kind, parts, query, head):
        repo_id, rest = self.split_repo(kind, parts)
        if not repo_id:
            return self.error(401, "RepoNotFound", "Repository not found", head)
        if not self.authorized(repo_id):
            return self.error(401, "GatedRepo", f"Access to model {repo_id} is restricted. You must have access to it and be authenticated.", head)
        d = self.hub.repo_dir(kind, repo_id)
        rev = "main"
        if rest and rest[0] in ("revision", "tree") and len(rest) >= 2:
            rev = rest[1]
        commit = self.resolve_rev(d, rev)
        if commit is None:
            return self.error(404, "RevisionNotFound", f"Invalid rev id: {rev}", head)
        files = self.hub.files(d)
        if rest and rest[0] == "tree":
            out = []
            for rel in files:
                p = os.path.join(d, rel)
                sha = self.hub.sha256(p)
                out.append({"type": "file", "oid": hashlib.sha1(open(p, "rb").read()).hexdigest(), "size": os.path.getsize(p),
                            "path": rel, "lfs": {"oid": sha, "size": os.path.getsize(p), "pointerSize": 134}})
            dirs = sorted({os.path.dirname(r) for r in files if os.path.dirname(r)})
            out += [{"type": "directory", "oid": "0" * 40, "size": 0, "path": x} for x in dirs]
            body = json.dumps(out).encode()
        else:
            info = {"_id": repo_id, "id": repo_id, "sha": commit, "private": False, "disabled": False, "downloads": 0, "likes": 0,
                    "tags": [], "gated": "manual" if repo_id in self.hub.gated else False, "lastModified": "2026-01-01T00:00:00.000Z",
                    "siblings": [{"rfilename": r} for r in files]}
            if kind == "models":
                info["modelId"] = repo_id
            body = json.dumps(info).encode()
        self.send(200, body, {"Content-Type": "application/json"}, head)

    def resolve(self, kind, repo_id, rev, rel, head):
        if not self.authorized(repo_id):
            return self.error(401, "GatedRepo", f"Access to {repo_id} is restricted.", head)
        d = self.hub.repo_dir(kind, repo_id)
        commit = self.resolve_rev(d, rev)
        if commit is None:
            return self.error(404, "RevisionNotFound", f"Invalid rev id: {rev}", head)
        p = os.path.join(d, rel)
        if not rel or not os.path.isfile(p) or ".." in rel.split("/"):
            return self.error(404, "EntryNotFound", f"{rel} does not exist", head)
        size = os.path.getsize(p)
        headers = {"X-Repo-Commit": commit, "ETag": f'"{self.hub.sha256(p)}"', "Accept-Ranges": "bytes",
                   "Content-Type": "application/octet-stream"}
        start = 0
        rng = self.headers.get("Range", "")
        if rng.startswith("bytes="):
            first = rng[6:].split("-")[0]
            start = int(first) if first else 0
        if head:
            headers["Content-Length"] = str(size)
            return self.send(200, b"", headers, head=True)
        with open(p, "rb") as f:
            f.seek(start)
            data = f.read()
        key = (kind, repo_id, rel)
        cut = self.hub.cut and key not in self.hub.cut_done and len(data) > 1
        if cut:
            self.hub.cut_done.add(key)
        status = 206 if start else 200
        if start:
            headers["Content-Range"] = f"bytes {start}-{size - 1}/{size}"
        headers["Content-Length"] = str(len(data))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if cut:
            self.send_header("Connection", "close")
        self.end_headers()
        if cut:
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--token", default="")
    ap.add_argument("--cut-first-download", action="store_true")
    ap.add_argument("--log")
    a = ap.parse_args()
    Handler.hub = Hub(os.path.abspath(a.root), a.token, a.cut_first_download, a.log)
    server = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
