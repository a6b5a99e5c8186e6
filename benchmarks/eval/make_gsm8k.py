#!/usr/bin/env python3
"""Write a synthetic GSM8K-format train/test pair (the hub is unreachable here).

    python make_gsm8k.py --out DIR [--test 2000] [--train 200]

Each line is {"question", "answer"} with the answer's reasoning (calculator annotations
included) followed by "#### N", as in openai/gsm8k. Every fourth test item's answer is 42, the
number the benchmark's instant server always answers, so both harnesses must report accuracy
0.25 on the first 4·k items — a check that they scored what they were sent.
"""

import argparse
import json
import os
import random

NAMES = ["Natalia", "Weng", "Betty", "Julie", "James", "Albert", "Ken", "Alexis", "Tina", "Mark"]
THINGS = ["clips", "apples", "marbles", "stickers", "pencils", "cookies", "books", "shells"]


def item(rng, want=None):
    name, thing = rng.choice(NAMES), rng.choice(THINGS)
    a, b = rng.randint(2, 60), rng.randint(2, 60)
    if want is not None:
        a = rng.randint(1, want - 1)
        b = want - a
    total = a + b
    q = (f"{name} sold {thing} to {a} of her friends in April, and then she sold {thing} to {b} more "
         f"friends in May than she had planned at the start of the spring market. Each friend bought "
         f"exactly one bag of {thing}. How many bags of {thing} did {name} sell altogether in April and May?")
    reasoning = f"{name} sold {a} bags in April.\nIn May she sold {b} bags.\nAltogether {a}+{b} = <<{a}+{b}={total}>>{total} bags."
    return {"question": q, "answer": f"{reasoning}\n#### {total}"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--test", type=int, default=2000)
    ap.add_argument("--train", type=int, default=200)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(8)
    for split, n in (("train", args.train), ("test", args.test)):
        path = os.path.join(args.out, f"{split}.jsonl")
        with open(path, "w") as f:
            for i in range(n):
                want = 42 if split == "test" and i % 4 == 0 else None
                f.write(json.dumps(item(rng, want)) + "\n")
        print(f"wrote {n} items to {path}")


if __name__ == "__main__":
    main()
