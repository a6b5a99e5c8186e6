#!/usr/bin/env python3
"""Measure `duplicate-submission` distances on real fine-tunes, to justify its threshold.

    python measure_fingerprints.py --ptb PATH/TO/ptb --work DIR [--build-only]

Reuses measure_finetunes.py: the base is ptb's `tiny` (build_tiny.py, seed 0, 300 pre-training
steps). Honest pairs are independent fine-tunes of that base, the hardest ones being the same
recipe with another seed (the reference agent run twice). Cheats are one fine-tune ("A") copied
with Gaussian noise added to every tensor, noise std = eps × the tensor's RMS (so
‖noise‖/‖A‖ ≈ eps), in float32 and rounded to bf16, and scaled copies b + λ(A − b).
Each pair is compared with `ptb fingerprint compare --base BASE CANDIDATE OTHER --json`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import measure_finetunes as mf  # noqa: E402


def perturb(src: str, out: str, eps: float, seed: int, bf16: bool = False, scale_from: str | None = None,
            lam: float = 1.0) -> None:
    if os.path.exists(os.path.join(out, "model.safetensors")):
        return
    import torch
    from safetensors.torch import load_file, save_file

    g = torch.Generator().manual_seed(seed)
    t = load_file(os.path.join(src, "model.safetensors"))
    b = load_file(os.path.join(scale_from, "model.safetensors")) if scale_from else None
    res = {}
    for k, v in sorted(t.items()):
        v = v.float()
        if b is not None:
            v = b[k].float() + lam * (v - b[k].float())
        rms = v.pow(2).mean().sqrt()
        n = torch.randn(v.shape, generator=g) * (eps * rms)
        w = (v + n)
        res[k] = (w.to(torch.bfloat16) if bf16 else w).contiguous()
    shutil.copytree(src, out, ignore=shutil.ignore_patterns("model.safetensors"))
    save_file(res, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ptb")
    ap.add_argument("--work", required=True)
    ap.add_argument("--build-only", action="store_true")
    args = ap.parse_args()
    w = lambda name: os.path.join(args.work, name)  # noqa: E731
    os.makedirs(args.work, exist_ok=True)
    mf.build_base(w("base"), 0, 300)

    # Honest fine-tunes: (name, kind, lr, steps, seed).
    runs = [
        ("arith-1e-3x300-s100", "arith", 1e-3, 300, 100),
        ("arith-1e-3x300-s101", "arith", 1e-3, 300, 101),
        ("arith-1e-3x300-s102", "arith", 1e-3, 300, 102),
        ("arith-1e-4x100-s100", "arith", 1e-4, 100, 100),
        ("arith-1e-4x100-s101", "arith", 1e-4, 100, 101),
        ("arith-2e-3x1000-s100", "arith", 2e-3, 1000, 100),
        ("arith-2e-3x1000-s101", "arith", 2e-3, 1000, 101),
        ("chat-1e-3x300-s11", "chat", 1e-3, 300, 11),
        ("chat-1e-3x300-s12", "chat", 1e-3, 300, 12),
        ("chat2-1e-3x300-s13", "chat2", 1e-3, 300, 13),
    ]
    for name, kind, lr, steps, seed in runs:
        mf.finetune(w("base"), w(name), kind, lr, steps, seed)
        print("built", name, flush=True)

    honest = [
        ("same recipe, other seed (arith lr 1e-3 × 300)", "arith-1e-3x300-s101", "arith-1e-3x300-s100"),
        ("same recipe, other seed (arith lr 1e-3 × 300)", "arith-1e-3x300-s102", "arith-1e-3x300-s100"),
        ("same recipe, other seed (arith lr 1e-3 × 300)", "arith-1e-3x300-s102", "arith-1e-3x300-s101"),
        ("same recipe, other seed (arith lr 1e-4 × 100)", "arith-1e-4x100-s101", "arith-1e-4x100-s100"),
        ("same recipe, other seed (arith lr 2e-3 × 1000, reference agent's schedule)", "arith-2e-3x1000-s101", "arith-2e-3x1000-s100"),
        ("same recipe, other seed (chat lr 1e-3 × 300)", "chat-1e-3x300-s12", "chat-1e-3x300-s11"),
        ("longer run of the same recipe (arith 2e-3 × 1000 vs 1e-3 × 300)", "arith-2e-3x1000-s100", "arith-1e-3x300-s100"),
        ("shorter run of the same recipe (arith 1e-4 × 100 vs 1e-3 × 300)", "arith-1e-4x100-s100", "arith-1e-3x300-s100"),
        ("other data (chat vs arith)", "chat-1e-3x300-s11", "arith-1e-3x300-s100"),
        ("other data (chat2 vs chat)", "chat2-1e-3x300-s13", "chat-1e-3x300-s11"),
    ]
    cheats = []
    for a in ["arith-1e-3x300-s100", "arith-1e-4x100-s100"]:
        for eps in [1e-3, 3e-3, 1e-2, 3e-2, 1e-1]:
            for bf in [False, True]:
                name = f"cheat-{a}-eps{eps:g}{'-bf16' if bf else ''}"
                perturb(w(a), w(name), eps, 7, bf16=bf)
                cheats.append((f"copy of {a} + noise {eps:g}{' (bf16)' if bf else ''}", name, a))
        for lam in [0.5, 0.8, 1.2]:
            name = f"cheat-{a}-scaled{lam:g}"
            perturb(w(a), w(name), 1e-3, 8, scale_from=w("base"), lam=lam)
            cheats.append((f"b + {lam:g}(A − b) + noise 1e-3, A = {a}", name, a))
    if args.build_only:
        return 0

    print("| kind | candidate vs other run | ‖c−b‖/‖b‖ | ‖a−b‖/‖b‖ | distance ρ = ‖c−a‖/‖a−b‖ | update cos | share | verdict |")
    print("|---|---|---|---|---|---|---|---|")
    for kind, rows in [("honest", honest), ("cheat", cheats)]:
        for label, c, a in rows:
            p = subprocess.run([args.ptb, "fingerprint", "compare", "--base", w("base"), w(c), w(a), "--json"],
                               capture_output=True, text=True)
            if p.returncode not in (0, 1):  # 1: a match
                print(p.stderr, file=sys.stderr)
                return 1
            r = json.loads(p.stdout)[0]
            f = lambda x: "n/a" if x is None else f"{x:.4g}"  # noqa: E731
            print(f"| {kind} | {label} | {f(r.get('candidateFromBase'))} | {f(r.get('otherFromBase'))} | {f(r.get('distance'))} | "
                  f"{f(r.get('updateCosine'))} | {f(r.get('share'))} | {r['verdict']} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
