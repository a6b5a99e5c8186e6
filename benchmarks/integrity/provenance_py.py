#!/usr/bin/env python3
"""The provenance comparison of `ptb provenance` (no references), written plainly in Python.

    python provenance_py.py BASE_DIR CANDIDATE_DIR

For every tensor of the candidate: load it and the base's with safetensors (torch, since numpy
has no bf16), convert to float32 numpy, and accumulate Σ(c−b)² and Σb² (BLAS dot products, then
Python floats); check byte identity. Prints the overall relative distance ‖c−b‖/‖b‖, the number
of identical tensors and the per-tensor distances' maximum. This is the baseline that the
benchmark times `ptb provenance` against.
"""

import json
import os
import sys

import numpy as np
import torch
from safetensors import safe_open


def locate(d: str) -> dict:
    idx = os.path.join(d, "model.safetensors.index.json")
    if os.path.exists(idx):
        with open(idx) as f:
            return {k: os.path.join(d, v) for k, v in json.load(f)["weight_map"].items()}
    path = os.path.join(d, "model.safetensors")
    with safe_open(path, framework="pt") as f:
        return {k: path for k in f.keys()}


def main() -> None:
    base, cand = locate(sys.argv[1]), locate(sys.argv[2])
    handles = {}

    def get(path, name):
        if path not in handles:
            handles[path] = safe_open(path, framework="pt")
        return handles[path].get_tensor(name)

    dd = bb = 0.0
    identical = 0
    worst = 0.0
    for name, cpath in sorted(cand.items(), key=lambda kv: (kv[1], kv[0])):
        if name not in base:
            continue
        ct, bt = get(cpath, name), get(base[name], name)
        if ct.shape != bt.shape:
            continue
        if ct.dtype == bt.dtype and torch.equal(ct.reshape(-1).view(torch.uint8), bt.reshape(-1).view(torch.uint8)):
            identical += 1
        c = ct.float().numpy().ravel()
        b = bt.float().numpy().ravel()
        d = c - b
        tdd, tbb = float(np.dot(d, d)), float(np.dot(b, b))
        dd += tdd
        bb += tbb
        if tbb > 0:
            worst = max(worst, (tdd / tbb) ** 0.5)
    print(f"relative distance {(dd / bb) ** 0.5:.6g}; identical tensors {identical}; max per-tensor {worst:.6g}")


if __name__ == "__main__":
    main()
