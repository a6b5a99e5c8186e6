#!/usr/bin/env python3
"""Time `ptb provenance` and `ptb scan` against the plain Python implementations.

    python bench.py provenance [--ptb .build/release/ptb] [--work /tmp/ptb-bench] [--runs 3]
    python bench.py scan       [--ptb .build/release/ptb] [--work /tmp/ptb-bench] [--runs 3] [--corpus synthetic|real]

Generates the data on first use (make_checkpoints.py: a base/candidate pair per dtype, ≈1.7 GB
each pair; make_corpus.py: ≈500 MB of JSONL/text/CSV), reads every file once to warm the page
cache, then runs each program `--runs` times and reports the best wall time, the CPU time
(user+sys) of that run, throughput and the ratio. Build ptb first:
`swift build -c release --product ptb`.

Throughput: provenance = tensor bytes read (base + candidate) per second, also shown per
candidate byte; scan = bytes scanned per second, and per CPU-second ("per core").
"""

import argparse
import glob
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = sys.executable


def warm(paths):
    for p in paths:
        with open(p, "rb") as f:
            while f.read(1 << 24):
                pass


def timed(cmd, env=None):
    """(wall seconds, cpu seconds, stdout) of one run of cmd."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode not in (0, 1):
        sys.exit(f"{cmd} failed ({p.returncode}): {p.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, p.stdout


def best(cmd, runs, env=None):
    results = [timed(cmd, env) for _ in range(runs)]
    return min(results, key=lambda r: r[0])


def load():
    return os.getloadavg()[0]


def provenance(args):
    root = os.path.join(args.work, "ckpt")
    subprocess.run([PY, os.path.join(HERE, "make_checkpoints.py"), "--out", root], check=True)
    for dtype in ("bf16", "f32"):
        base, cand = os.path.join(root, dtype, "base"), os.path.join(root, dtype, "candidate")
        files = glob.glob(os.path.join(base, "*.safetensors")) + glob.glob(os.path.join(cand, "*.safetensors"))
        warm(files)
        total = sum(os.path.getsize(f) for f in files)
        cand_bytes = sum(os.path.getsize(f) for f in glob.glob(os.path.join(cand, "*.safetensors")))
        print(f"\n{dtype}: base + candidate = {total / 1e9:.2f} GB ({cand_bytes / 1e9:.2f} GB candidate); load {load():.1f}")
        rows = []
        for jobs in (1, 2):
            w, c, out = best([args.ptb, "provenance", "--base", base, "--candidate", cand, "--json", "--jobs", str(jobs)], args.runs)
            d = json.loads(out)["fromBase"]["relativeDistance"]
            rows.append((f"ptb --jobs {jobs}", w, c, d))
        w, c, out = best([PY, os.path.join(HERE, "provenance_py.py"), base, cand], max(1, args.runs - 1))
        rows.append(("python (numpy/safetensors)", w, c, float(out.split()[2].rstrip(";"))))
        py = rows[-1][1]
        for name, w, c, d in rows:
            print(f"  {name:28s} wall {w:7.3f} s  cpu {c:7.3f} s  {total / 1e9 / w:6.2f} GB/s ({cand_bytes / 1e9 / w:5.2f} GB/s of candidate)"
                  f"  ×{py / w:5.1f} vs python  distance {d:.6g}")
    print(f"load average after: {load():.1f}")


def real_corpus(root, shared):
    """Real benchmark files from ../shared/data, each repeated to ~25 MB: Arena-Hard answers (raw
    UTF-8, much of it Chinese, markdown, `\\n` escapes) and HealthBench (ASCII with `\\uXXXX`
    escapes everywhere). Both scanners find nothing in them; they measure the slow paths."""
    sources = [os.path.join(shared, "arenahardwriting", "baseline-Qwen3-1.7B.jsonl"),
               os.path.join(shared, "healthbench", "healthbench-easy-245.jsonl")]
    missing = [s for s in sources if not os.path.exists(s)]
    if missing:
        sys.exit(f"--corpus real needs {missing} (the project's ../shared/data)")
    os.makedirs(root, exist_ok=True)
    for k in range(8):
        path = os.path.join(root, f"part-{k:03d}.jsonl")
        if os.path.exists(path):
            continue
        data = open(sources[k % 2], "rb").read()
        with open(path + ".tmp", "wb") as f:
            for _ in range(max(1, (25 << 20) // len(data))):
                f.write(data)
        os.replace(path + ".tmp", path)


def scan(args):
    if args.corpus == "real":
        root = os.path.join(args.work, "corpus-real")
        real_corpus(root, args.shared)
        planted = []
    else:
        root = os.path.join(args.work, "corpus")
        subprocess.run([PY, os.path.join(HERE, "make_corpus.py"), "--out", root], check=True)
        planted = json.load(open(os.path.join(root, "planted.json")))
    files = sorted(glob.glob(os.path.join(root, "part-*")))
    warm(files)
    total = sum(os.path.getsize(f) for f in files)
    print(f"\ncorpus ({args.corpus}): {len(files)} files, {total / 1e6:.0f} MB, {len(planted)} planted test items; load {load():.1f}")
    rows = []
    for jobs in (1, 2):
        w, c, out = best([args.ptb, "scan", "--task", "arith", "--json", "--jobs", str(jobs), *files], args.runs)
        rows.append((f"ptb scan --jobs {jobs}", w, c, len(json.loads(out)["hits"])))
    # Best of two: Python's time varies by ±15% between runs on this VM.
    w, c, out = best([PY, os.path.join(HERE, "scan_py.py"), *files], min(2, args.runs))
    rows.append(("python 13-gram", w, c, len(out.splitlines())))
    py_wall, py_cpu = rows[-1][1], rows[-1][2]
    for name, w, c, hits in rows:
        print(f"  {name:22s} wall {w:7.2f} s  cpu {c:7.2f} s  {total / 1e6 / w:7.1f} MB/s  {total / 1e6 / c:7.1f} MB/s per CPU-second"
              f"  ×{py_wall / w:6.1f} vs python (wall)  ×{py_cpu / c:6.1f} (per core)  hits {hits}")
    print(f"load average after: {load():.1f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["provenance", "scan"])
    ap.add_argument("--ptb", default=os.path.join(HERE, "..", "..", ".build", "release", "ptb"))
    ap.add_argument("--work", default="/tmp/ptb-bench")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--corpus", choices=["synthetic", "real"], default="synthetic",
                    help="scan: the generated arith-like corpus, or real benchmark files repeated")
    ap.add_argument("--shared", default=os.path.join(HERE, "..", "..", "..", "shared", "data"))
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores; ptb {args.ptb}")
    {"provenance": provenance, "scan": scan}[args.what](args)


if __name__ == "__main__":
    main()
