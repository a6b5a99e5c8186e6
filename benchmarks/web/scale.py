#!/usr/bin/env python3
"""The web UI at scale: N run directories (default 10,000), every list page timed.

    python3 benchmarks/web/scale.py --ptb PTB [--runs 10000] [--dir /var/tmp/ptb-web-scale] [--keep]

Makes one real-looking run with `ptb web-fixture` (result, integrity report, usage, monitor,
broker log, samples, a 1 MB trace), then N copies of it with varied agent, task, model, sweep,
budget, state, scores and integrity verdict (small JSON files rewritten, big files hard-linked).
Starts `ptb serve` on it and prints, per page, the first request, the median and max of 5 more
(seconds, over loopback) and the size in bytes. Targets: every HTML page < 0.2 s and < 300 KB.
Not part of CI. Works against older ptb binaries too (pages they lack show their status).
"""
import argparse, json, os, random, shutil, statistics, subprocess, sys, time, urllib.error, urllib.request
from datetime import datetime, timedelta, timezone

AGENTS = ["claude", "codex", "gemini", "opencode", "aider", "qwen-coder", "swe-agent", "baseline-ft"]
TASKS = ["gsm8k", "humaneval", "aime2025", "bfcl", "gpqa"]
MODELS = ["Qwen/Qwen3-1.7B-Base", "Qwen/Qwen3-4B-Base", "google/gemma-3-4b-pt", "HuggingFaceTB/SmolLM3-3B-Base"]


def iso(d):
    return d.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_runs(ptb, root, n):
    fixture = os.path.join(root, "fixture")
    subprocess.run([ptb, "web-fixture", fixture, "--trace-mb", "1"], check=True, stdout=subprocess.DEVNULL)
    src = os.path.join(fixture, "runs", "alpha_humaneval_long")
    runs = os.path.join(root, "runs")
    os.makedirs(runs)
    manifest = json.load(open(os.path.join(src, "run.json")))
    result = json.load(open(os.path.join(src, "result.json")))
    integrity = json.load(open(os.path.join(src, "integrity.json")))
    big = [f for f in os.listdir(src) if f not in ("run.json", "result.json", "integrity.json")]
    rnd = random.Random(20)
    t0 = datetime(2026, 6, 1, tzinfo=timezone.utc)
    for i in range(n):
        agent, task, model = AGENTS[i % 8], TASKS[(i // 8) % 5], MODELS[(i // 40) % 4]
        sweep = f"sweep-{i // 448:02d}-{agent}"
        rid = f"{sweep}_{task}_{model.split('/')[-1]}_{i:05d}"
        d = os.path.join(runs, rid)
        os.makedirs(d)
        for f in big:
            s, t = os.path.join(src, f), os.path.join(d, f)
            if os.path.isdir(s):
                shutil.copytree(s, t, copy_function=os.link)
            else:
                os.link(s, t)
        created = t0 + timedelta(minutes=7 * i)
        hours = [1, 2, 5, 10][i % 4]
        state = "running" if i % 50 == 7 else "failed" if i % 20 == 3 else "done"
        m = json.loads(json.dumps(manifest))
        m["id"] = rid
        m["spec"].update(agent=agent, task=task, model=model, name=sweep, hours=hours)
        m["createdAt"] = iso(created)
        m["outcome"] = state
        if state == "running":
            for ph in ["collect", "integrity", "evaluate", "record"]:
                m["phases"][ph] = {"state": "pending", "attempts": 0}
            m["phases"]["agent"]["state"] = "running"
            m["phases"]["agent"].pop("endedAt", None)
            m["deadline"] = iso(created + timedelta(hours=hours))
            m.pop("exit", None)
        if state == "failed":
            m["failure"] = "evaluate: vLLM exited with status 1"
        json.dump(m, open(os.path.join(d, "run.json"), "w"))
        flagged = i % 33 == 5
        if state != "running":
            g = dict(integrity, flagged=flagged, reasons=["evaluator-tamper: flagged"] if flagged else [])
            json.dump(g, open(os.path.join(d, "integrity.json"), "w"))
            r = json.loads(json.dumps(result))
            r.update(id=rid, spec=m["spec"], outcome=state, integrityFlagged=flagged, createdAt=iso(created),
                     finishedAt=iso(created + timedelta(hours=hours)), agentSeconds=hours * 3600 * rnd.uniform(0.3, 1.0))
            r["finalScore"] = None if state == "failed" else {"accuracy": rnd.uniform(0.1, 0.8), "stderr": 0.02, "n": 100}
            r["scoreState"] = "eval-failed" if state == "failed" else "scored"
            r["baseScore"] = {"accuracy": rnd.uniform(0.05, 0.3), "stderr": 0.02, "n": 100}
            if state == "failed":
                r["failure"] = m["failure"]
            json.dump(r, open(os.path.join(d, "result.json"), "w"))
        if i % 100 == 0:
            open(os.path.join(d, "notes.md"), "w").write(f"learning-rate sweep note {i}: tried lr 1e-5\n")
    return runs, os.path.join(fixture, "home")


def fetch(url, accept=None):
    req = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            body, status = r.read(), r.status
    except urllib.error.HTTPError as e:
        body, status = e.read(), e.code
    return time.perf_counter() - t, len(body), status, body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ptb", required=True)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--dir", default="/var/tmp/ptb-web-scale")
    ap.add_argument("--reuse", action="store_true", help="keep an existing runs directory")
    a = ap.parse_args()
    runs = os.path.join(a.dir, "runs")
    if not (a.reuse and os.path.isdir(runs)):
        shutil.rmtree(a.dir, ignore_errors=True)
        os.makedirs(a.dir)
        t = time.perf_counter()
        runs, _ = make_runs(a.ptb, a.dir, a.runs)
        print(f"made {a.runs} runs in {time.perf_counter() - t:.1f} s")
    home = os.path.join(a.dir, "fixture", "home")
    log = open(os.path.join(a.dir, "serve.log"), "w")
    t = time.perf_counter()
    srv = subprocess.Popen([a.ptb, "serve", "--port", "0", "--runs-dir", runs, "--home", home, "--bootstrap", "200"], stdout=log, stderr=log)
    base = None
    try:
        for _ in range(3000):
            text = open(os.path.join(a.dir, "serve.log")).read()
            if "listening on" in text:
                base = text.split("listening on ")[1].split()[0].rstrip("/")
                break
            time.sleep(0.1)
        print(f"serve listening after {time.perf_counter() - t:.2f} s (includes the first index build)")
        ids = sorted(os.listdir(runs))
        one, two = ids[17], ids[18]
        running = next(i for n, i in enumerate(ids) if json.load(open(os.path.join(runs, i, "run.json")))["outcome"] == "running")
        cold, _, _, body = fetch(base + "/leaderboard.json")
        print(f"first leaderboard request (board built from every run's files): {cold:.2f} s")
        board = json.loads(body or b"{}")
        agent = next((r["agent"] for r in board.get("rows", []) if not r.get("baseline")), "codex")
        pages = [
            ("leaderboard", "/"), ("leaderboard by method", "/?group=method"), ("leaderboard JSON", "/leaderboard.json"),
            ("leaderboard page 2", "/?page=2"), ("runs page 1", "/runs"), ("runs page 100", "/runs?page=100"), ("runs last page", "/runs?page=200"),
            ("runs ?agent=codex", "/runs?agent=codex"), ("runs ?state=failed&integrity=flagged", "/runs?state=failed&integrity=flagged"),
            ("runs ?q=learning-rate (notes)", "/runs?q=learning-rate"), ("runs ?sort=final&task=gpqa", "/runs?sort=final&task=gpqa"),
            ("runs.json", "/runs.json"), ("sweeps", "/sweeps"), ("sweep", f"/sweep/{ids[0].split('_')[0]}"),
            ("agent", f"/agent/{agent}"), ("run", f"/run/{one}"), ("run (live)", f"/run/{running}"),
            ("run live JSON", f"/run/{running}/live"), ("compare 2 runs", f"/compare?ids={one},{two}"),
        ]
        print(f"{'page':40} {'status':>6} {'first':>8} {'median':>8} {'max':>8} {'bytes':>9}")
        for name, path in pages:
            first, size, status, _ = fetch(base + path)
            ts = [fetch(base + path)[0] for _ in range(5)]
            print(f"{name:40} {status:>6} {first:8.3f} {statistics.median(ts):8.3f} {max(ts):8.3f} {size:>9}")
        # Incremental refresh: change 10 runs, then see what the next refresh read.
        for rid in ids[:10]:
            os.utime(os.path.join(runs, rid, "run.json"))
        time.sleep(4)
        _, _, _, body = fetch(base + "/runs")
        text = body.decode()
        if "last refresh" in text:
            print("after touching 10 run.json files:", text.split("last refresh")[1].split("<")[0].strip(" :"))
    finally:
        srv.kill()
        srv.wait()


if __name__ == "__main__":
    main()
