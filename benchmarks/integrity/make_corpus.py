#!/usr/bin/env python3
"""Write ~500 MB of training-data-like files for the scan benchmark.

    python make_corpus.py --out DIR [--mb 500] [--planted 20]

DIR holds JSONL files of arith-style Q/A made with the training names (so they share many
shorter n-grams with the test items but contain none of them), prose text files and CSV files,
in equal parts. `--planted` test questions of 13+ tokens are inserted verbatim at random places
(listed in DIR/planted.json), so both scanners must find them.
"""

import argparse
import json
import os
import random

from arith_items import ITEMS, test_split

TRAIN_NAMES = ["Emma", "Sofia", "Lena", "Aisha", "Lucas", "Ethan", "Yusuf", "Mateo"]
WORDS = ("the of and to in is was that for it with as his on be at by had are but from or have an they which one you were "
         "her all she there would their we him been has when who will more no if out so said what up its about into than them "
         "can only other new some could time these two may then do first any my now such like our over man me even most made "
         "after also did many before must through back years where much your way well down should because each just those "
         "people how too little state good very make world still own see men work long get here between both life being under "
         "never day same another know while last might us great old year off come since against go came right used take three").split()


def qa(rng: random.Random) -> dict:
    name = rng.choice(TRAIN_NAMES)
    a, b = rng.randint(0, 9), rng.randint(0, 9)
    item = rng.choice(ITEMS)
    templates = [f"{name} has {a} {item}. She gets {b} more. How many {item} does {name} have now?",
                 f"There are {a} {item} in {name}'s box. {name} puts in {b} more. How many {item} are in the box?",
                 f"{name} asks: what is {a} plus {b}?"]
    return {"question": rng.choice(templates), "answer": str(a + b)}


def prose(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30))).capitalize() + "."


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--mb", type=int, default=500)
    ap.add_argument("--planted", type=int, default=20)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if os.path.exists(os.path.join(args.out, "planted.json")):
        return  # already generated (deterministic)
    rng = random.Random(0)
    long_items = [it for it in test_split() if len(it["question"].split()) >= 13]
    planted = []
    per_file = 25 << 20
    files = max(3, (args.mb << 20) // per_file)
    plant_at = {rng.randrange(files) for _ in range(args.planted)}
    for k in range(files):
        kind = ["jsonl", "txt", "csv"][k % 3]
        path = os.path.join(args.out, f"part-{k:03d}.{kind}")
        lines, size = [], 0
        while size < per_file:
            if kind == "jsonl":
                line = json.dumps(qa(rng))
            elif kind == "txt":
                line = " ".join(prose(rng) for _ in range(4))
            else:
                r = qa(rng)
                line = f"\"{r['question']}\",{r['answer']}"
            lines.append(line)
            size += len(line) + 1
        if k in plant_at:
            item = rng.choice(long_items)
            at = rng.randrange(len(lines))
            lines.insert(at, json.dumps({"question": item["question"], "answer": item["answer"]}) if kind == "jsonl" else item["question"])
            planted.append({"file": os.path.basename(path), "line": at + 1, "item": item["id"]})
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
    with open(os.path.join(args.out, "planted.json"), "w") as f:
        json.dump(planted, f, indent=1)
    print(f"wrote {files} files ({files * per_file >> 20} MiB) to {args.out}; planted {len(planted)} test items")


if __name__ == "__main__":
    main()
