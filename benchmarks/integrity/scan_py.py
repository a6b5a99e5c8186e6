#!/usr/bin/env python3
"""A straightforward Python 13-gram contamination scanner: the baseline `ptb scan` is timed against.

    python scan_py.py FILE_OR_DIR...

Normalises like ptb (lowercase, punctuation → space, split on whitespace), builds a set of the
13-gram tuples of every arith test question with at least 13 tokens, then reads each file line by
line and looks up every 13-token window of the line. Prints the hits (file:line item).
"""

import os
import string
import sys

from arith_items import test_split

N = 13
TABLE = str.maketrans({c: " " for c in string.punctuation})


def tokens(s: str) -> list[str]:
    return s.lower().translate(TABLE).split()


def main() -> None:
    grams = {}
    for it in test_split():
        t = tokens(it["question"])
        for i in range(len(t) - N + 1):
            grams[tuple(t[i:i + N])] = it["id"]
    files = []
    for p in sys.argv[1:]:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                files += [os.path.join(root, n) for n in names if not n.endswith(".json")]
        else:
            files.append(p)
    hits = set()
    for path in sorted(files):
        with open(path, encoding="utf-8", errors="replace") as f:
            for lineno, line in enumerate(f, 1):
                t = tokens(line)
                for i in range(len(t) - N + 1):
                    item = grams.get(tuple(t[i:i + N]))
                    if item is not None:
                        hits.add((path, lineno, item))
    for h in sorted(hits):
        print(f"{h[0]}:{h[1]} item {h[2]}")
    print(f"{len(hits)} hits", file=sys.stderr)


if __name__ == "__main__":
    main()
