#!/usr/bin/env python3
"""Training-data generator for the ptb ``arith`` task.

This file is given to you (the agent) as a context file. Use it to make as much
training data as you like for the ``arith`` benchmark: small word problems about
single-digit addition and subtraction whose answer is a non-negative integer.

Command line::

    python arith_generator.py --n 5000 --seed 1 --out train.jsonl

writes one JSON object per line::

    {"question": "Emma has 3 apples. She gets 4 more. How many apples does Emma have now?", "answer": "7"}

As a module::

    from arith_generator import generate
    items = generate(5000, seed=1)   # list of {"question": str, "answer": str}

How items are built (identical to the benchmark's test items except for names):

* Operands: addition uses a, b in 0..9; subtraction uses a in 0..9, b in 0..a,
  so every answer is an integer in 0..18.
* The kind is addition or subtraction with equal probability, then one of the
  templates of that kind is chosen uniformly (see ``ADD_TEMPLATES`` and
  ``SUB_TEMPLATES``).
* ``{item}`` is one of ``ITEMS``; ``{pron}`` is "She" or "He" to match the name.

Train/test separation: this generator only uses the training names
(Emma, Sofia, Lena, Aisha / Lucas, Ethan, Yusuf, Mateo). The fixed test split is
generated elsewhere (by ptb itself) from the same templates but with the disjoint
names Mia, Ava, Zoe, Nora / Noah, Liam, Omar, Leo. Every template contains the
name, so no training question can ever be identical to a test question; a model
has to learn the arithmetic, not memorise the test set.

The benchmark asks the model each question as a single user chat message and
takes the last integer in the model's reply as its answer.
"""

from __future__ import annotations

import argparse
import json
import random
import sys

FEMALE_NAMES = ["Emma", "Sofia", "Lena", "Aisha"]
MALE_NAMES = ["Lucas", "Ethan", "Yusuf", "Mateo"]
ITEMS = ["apples", "marbles", "books", "coins", "stickers", "pencils"]

ADD_TEMPLATES = [
    "{name} has {a} {item}. {pron} gets {b} more. How many {item} does {name} have now?",
    "There are {a} {item} in {name}'s box. {name} puts in {b} more. How many {item} are in the box?",
    "{name} asks: what is {a} plus {b}?",
]
SUB_TEMPLATES = [
    "{name} has {a} {item}. {pron} gives away {b}. How many {item} does {name} have left?",
    "{name} asks: what is {a} minus {b}?",
]


def _make_item(rng: random.Random) -> dict:
    # The draw order below is part of the contract: the same seed must always
    # give the same items, so do not reorder the rng calls.
    is_add = rng.random() < 0.5
    if is_add:
        template = rng.choice(ADD_TEMPLATES)
        a = rng.randint(0, 9)
        b = rng.randint(0, 9)
        answer = a + b
    else:
        template = rng.choice(SUB_TEMPLATES)
        a = rng.randint(0, 9)
        b = rng.randint(0, a)
        answer = a - b
    if rng.random() < 0.5:
        name, pron = rng.choice(FEMALE_NAMES), "She"
    else:
        name, pron = rng.choice(MALE_NAMES), "He"
    item = rng.choice(ITEMS)
    question = template.format(name=name, pron=pron, a=a, b=b, item=item)
    return {"question": question, "answer": str(answer)}


def generate(n: int, seed: int = 0) -> list[dict]:
    """Return ``n`` training items ``{"question": str, "answer": str}``.

    Deterministic: the same ``(n, seed)`` always gives the same list, and a
    shorter list is a prefix of a longer one with the same seed.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rng = random.Random(seed)
    return [_make_item(rng) for _ in range(n)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate arith training items as JSONL ({\"question\", \"answer\"} per line)."
    )
    parser.add_argument("--n", type=int, default=5000, help="number of items (default 5000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", default="-", help="output JSONL path, '-' for stdout (default '-')")
    args = parser.parse_args(argv)

    if args.n < 0:
        parser.error(f"--n must be >= 0, got {args.n}")

    items = generate(args.n, args.seed)
    lines = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
    if args.out == "-":
        sys.stdout.write(lines)
    else:
        try:
            with open(args.out, "w", encoding="utf-8") as f:
                f.write(lines)
        except OSError as e:
            print(f"arith_generator: cannot write {args.out}: {e}", file=sys.stderr)
            return 1
        print(f"wrote {len(items)} items to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
