#!/usr/bin/env python3
"""Write a base/candidate pair of Llama-shaped safetensors checkpoints for the provenance benchmark.

    python make_checkpoints.py --out DIR [--layers-f32 3] [--layers-bf16 6]

DIR/f32/{base,candidate} and DIR/bf16/{base,candidate}: hidden 2048, intermediate 5632, vocab
32000 (≈0.88 GB per f32 checkpoint with 3 layers, ≈0.76 GB per bf16 checkpoint with 6 layers).
The candidate is the base plus 1% noise (a "fine-tune") and is written as two shards with a
model.safetensors.index.json, as transformers does for large models. Existing files are kept.
"""

import argparse
import json
import os

import torch
from safetensors.torch import save_file

HIDDEN, INTER, VOCAB = 2048, 5632, 32000


def tensors(layers: int, gen: torch.Generator) -> dict:
    t = {"model.embed_tokens.weight": torch.randn(VOCAB, HIDDEN, generator=gen) * 0.02,
         "lm_head.weight": torch.randn(VOCAB, HIDDEN, generator=gen) * 0.02 if layers > 4 else None,
         "model.norm.weight": torch.ones(HIDDEN)}
    t = {k: v for k, v in t.items() if v is not None}
    for i in range(layers):
        p = f"model.layers.{i}."
        for name in ["q_proj", "k_proj", "v_proj", "o_proj"]:
            t[p + f"self_attn.{name}.weight"] = torch.randn(HIDDEN, HIDDEN, generator=gen) * 0.02
        t[p + "mlp.gate_proj.weight"] = torch.randn(INTER, HIDDEN, generator=gen) * 0.02
        t[p + "mlp.up_proj.weight"] = torch.randn(INTER, HIDDEN, generator=gen) * 0.02
        t[p + "mlp.down_proj.weight"] = torch.randn(HIDDEN, INTER, generator=gen) * 0.02
        t[p + "input_layernorm.weight"] = torch.ones(HIDDEN)
        t[p + "post_attention_layernorm.weight"] = torch.ones(HIDDEN)
    return t


def config(layers: int) -> dict:
    return {"model_type": "llama", "hidden_size": HIDDEN, "intermediate_size": INTER, "num_hidden_layers": layers,
            "num_attention_heads": 16, "num_key_value_heads": 16, "vocab_size": VOCAB}


def write(dirname: str, t: dict, layers: int, shards: int) -> None:
    os.makedirs(dirname, exist_ok=True)
    with open(os.path.join(dirname, "config.json"), "w") as f:
        json.dump(config(layers), f)
    names = sorted(t)
    if shards == 1:
        save_file(t, os.path.join(dirname, "model.safetensors"), metadata={"format": "pt"})
        return
    weight_map = {}
    per = (len(names) + shards - 1) // shards
    for s in range(shards):
        fname = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        part = {n: t[n] for n in names[s * per:(s + 1) * per]}
        save_file(part, os.path.join(dirname, fname), metadata={"format": "pt"})
        weight_map.update({n: fname for n in part})
    with open(os.path.join(dirname, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": weight_map}, f)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--layers-f32", type=int, default=3)
    ap.add_argument("--layers-bf16", type=int, default=6)
    args = ap.parse_args()
    for dtype, layers in (("f32", args.layers_f32), ("bf16", args.layers_bf16)):
        root = os.path.join(args.out, dtype)
        if os.path.exists(os.path.join(root, "candidate", "model.safetensors.index.json")):
            continue
        gen = torch.Generator().manual_seed(0)
        base = tensors(layers, gen)
        cand = {k: (v + torch.randn(v.shape, generator=gen) * 0.0002) if k.endswith("proj.weight") or "embed" in k else v.clone()
                for k, v in base.items()}
        cast = torch.bfloat16 if dtype == "bf16" else torch.float32
        write(os.path.join(root, "base"), {k: v.to(cast).contiguous() for k, v in base.items()}, layers, 1)
        write(os.path.join(root, "candidate"), {k: v.to(cast).contiguous() for k, v in cand.items()}, layers, 2)
        print(f"wrote {root}", flush=True)


if __name__ == "__main__":
    main()
