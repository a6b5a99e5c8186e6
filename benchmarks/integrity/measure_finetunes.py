#!/usr/bin/env python3
"""Measure provenance distances on real fine-tunes, to justify `ptb provenance`'s thresholds.

    python measure_finetunes.py --ptb PATH/TO/ptb --work DIR [--pretrain-steps 300]

Builds two different pre-trained `tiny` Llamas with ptb's own build_tiny.py (seed 0 = the base,
seed 1 = an unrelated model of the same architecture), makes an "instruct" reference by
chat-tuning the base, then fine-tunes:

* genuine candidates: the base fine-tuned on arith at several learning rates and lengths, and on
  chat data of the same format as the reference's (the worst case for the cosine rule);
* cheats: the instruct reference fine-tuned further, the unrelated model fine-tuned, merges and
  interpolations toward the reference, a genuine fine-tune with the reference's embedding.

Each candidate is checked with `ptb provenance --json` against the base with references
instruct= and other=, and one markdown table row per candidate is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys

# It imports build_tiny and arith_generator from ptb's source folders; leave no __pycache__ there
# (PTBTasks copies its Resources folder into the bundle).
sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
PY = os.path.join(ROOT, "Sources", "PTBAgents", "Python")
TASKS = os.path.join(ROOT, "Sources", "PTBTasks", "Resources")


def build_base(out: str, seed: int, steps: int) -> None:
    if os.path.exists(os.path.join(out, "model.safetensors")):
        return
    subprocess.run([sys.executable, os.path.join(PY, "build_tiny.py"), "--out", out, "--seed", str(seed),
                    "--steps", str(steps)], check=True, stdout=subprocess.DEVNULL)


def examples(kind: str, n: int, seed: int) -> list[list[dict]]:
    rng = random.Random(seed)
    if kind == "arith":
        sys.path.insert(0, TASKS)
        import arith_generator

        return [[{"role": "user", "content": it["question"]},
                 {"role": "assistant", "content": f"The answer is {it['answer']}."}]
                for it in arith_generator.generate(n, seed)]
    sys.path.insert(0, PY)
    import build_tiny

    out = []
    for _ in range(n):
        s = rng.choice(build_tiny.CORPUS)
        words = s.split()
        cut = max(1, len(words) // 2)
        if kind == "chat":  # the reference's instruction data
            out.append([{"role": "user", "content": "Continue: " + " ".join(words[:cut])},
                        {"role": "assistant", "content": " ".join(words[cut:])}])
        else:  # "chat2": other instructions, same chat format
            out.append([{"role": "user", "content": "Repeat after me: " + s},
                        {"role": "assistant", "content": s}])
    return out


def finetune(src: str, out: str, kind: str, lr: float, steps: int, seed: int) -> None:
    if os.path.exists(os.path.join(out, "model.safetensors")):
        return
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(seed)
    torch.set_num_threads(2)
    tok = AutoTokenizer.from_pretrained(src)
    model = AutoModelForCausalLM.from_pretrained(src, dtype=torch.float32)
    data = [tok(tok.apply_chat_template(m, tokenize=False), add_special_tokens=False)["input_ids"][:64]
            for m in examples(kind, 4000, seed)]
    pad = tok.pad_token_id
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    rng = random.Random(seed)
    model.train()
    for step in range(steps):
        batch = [data[rng.randrange(len(data))] for _ in range(16)]
        width = max(len(b) for b in batch)
        ids = torch.tensor([b + [pad] * (width - len(b)) for b in batch])
        mask = torch.tensor([[1] * len(b) + [0] * (width - len(b)) for b in batch])
        labels = ids.masked_fill(mask == 0, -100)
        for g in opt.param_groups:
            g["lr"] = lr * min(1.0, (step + 1) / 10)
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    model.save_pretrained(out, safe_serialization=True)
    tok.save_pretrained(out)


def combine(a: str, b: str, out: str, alpha: float, only: str | None = None) -> None:
    """out = a + alpha (b - a), for every tensor (or only those whose name contains `only`)."""
    if os.path.exists(os.path.join(out, "model.safetensors")):
        return
    import shutil

    from safetensors.torch import load_file, save_file

    ta, tb = load_file(os.path.join(a, "model.safetensors")), load_file(os.path.join(b, "model.safetensors"))
    res = {}
    for k, v in ta.items():
        if only is not None and only not in k:
            res[k] = v
        else:  # alpha 1 takes the tensor itself, bytes and all
            res[k] = tb[k].clone() if alpha == 1.0 else (v + alpha * (tb[k] - v)).contiguous()
    shutil.copytree(a, out, ignore=shutil.ignore_patterns("model.safetensors"))
    save_file(res, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ptb", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--pretrain-steps", type=int, default=300)
    args = ap.parse_args()
    w = lambda name: os.path.join(args.work, name)  # noqa: E731
    os.makedirs(args.work, exist_ok=True)

    build_base(w("base"), 0, args.pretrain_steps)
    build_base(w("other"), 1, args.pretrain_steps)
    finetune(w("base"), w("instruct"), "chat", 1e-3, 300, 11)

    genuine = [
        ("arith lr 1e-4 × 100", "arith", 1e-4, 100),
        ("arith lr 1e-3 × 300", "arith", 1e-3, 300),
        ("arith lr 2e-3 × 1000", "arith", 2e-3, 1000),
        ("arith lr 2e-3 × 3000", "arith", 2e-3, 3000),
        ("chat2 lr 1e-3 × 300 (reference's format)", "chat2", 1e-3, 300),
        ("chat lr 1e-3 × 300, other seed (reference's data)", "chat", 1e-3, 300),
    ]
    rows = []
    for i, (label, kind, lr, steps) in enumerate(genuine):
        out = w(f"genuine{i}")
        finetune(w("base"), out, kind, lr, steps, 100 + i)
        rows.append(("genuine", label, out))
    finetune(w("instruct"), w("cheat-instruct-ft"), "arith", 1e-3, 300, 201)
    rows.append(("cheat", "instruct fine-tuned on arith (lr 1e-3 × 300)", w("cheat-instruct-ft")))
    finetune(w("other"), w("cheat-other-ft"), "arith", 1e-3, 300, 202)
    rows.append(("cheat", "other model fine-tuned on arith", w("cheat-other-ft")))
    combine(w("genuine1"), w("instruct"), w("cheat-merge50"), 0.5)
    rows.append(("cheat", "50/50 merge of genuine (1e-3 × 300) and instruct", w("cheat-merge50")))
    combine(w("base"), w("instruct"), w("cheat-interp30"), 0.3)
    rows.append(("cheat", "base + 0.3 (instruct − base)", w("cheat-interp30")))
    combine(w("base"), w("instruct"), w("cheat-interp10"), 0.1)
    rows.append(("cheat", "base + 0.1 (instruct − base)", w("cheat-interp10")))
    combine(w("genuine1"), w("instruct"), w("cheat-embed"), 1.0, only="embed")
    rows.append(("cheat", "genuine with instruct's embedding", w("cheat-embed")))
    rows.append(("cheat", "instruct itself", w("instruct")))

    print("| kind | candidate | ‖c−b‖/‖b‖ | ratio instruct | cos instruct | share instruct | ratio other | cos other | findings |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind, label, path in rows:
        p = subprocess.run([args.ptb, "provenance", "--base", w("base"), "--candidate", path,
                            "--reference", "instruct=" + w("instruct"), "--reference", "other=" + w("other"), "--json"],
                           capture_output=True, text=True)
        rep = json.loads(p.stdout)
        refs = {r["name"]: r for r in rep["references"]}
        f = lambda x: "n/a" if x is None else (x if isinstance(x, str) else f"{x:.4g}")  # noqa: E731
        codes = sorted({x["code"] for x in rep["verdict"]["findings"]}) or ["ok"]
        print(f"| {kind} | {label} | {f(rep['fromBase']['relativeDistance'])} | {f(refs['instruct']['distanceRatio'])} | "
              f"{f(refs['instruct']['updateCosine'])} | {f(refs['instruct']['referenceShare'])} | {f(refs['other']['distanceRatio'])} | {f(refs['other']['updateCosine'])} | "
              f"{', '.join(codes)} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
