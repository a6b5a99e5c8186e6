"""The `arith` task's fixed test split, ported from ArithTask.testSplit() (SplitMix64, seed 2025),
so the Python baseline scanner looks for exactly the items `ptb scan --task arith` indexes."""

MASK = (1 << 64) - 1
FEMALE, MALE = ["Mia", "Ava", "Zoe", "Nora"], ["Noah", "Liam", "Omar", "Leo"]
ITEMS = ["apples", "marbles", "books", "coins", "stickers", "pencils"]
ADD = ["{name} has {a} {item}. {pron} gets {b} more. How many {item} does {name} have now?",
       "There are {a} {item} in {name}'s box. {name} puts in {b} more. How many {item} are in the box?",
       "{name} asks: what is {a} plus {b}?"]
SUB = ["{name} has {a} {item}. {pron} gives away {b}. How many {item} does {name} have left?",
       "{name} asks: what is {a} minus {b}?"]


class SplitMix64:
    def __init__(self, seed: int) -> None:
        self.state = seed

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)


def test_split() -> list[dict]:
    rng, seen, out = SplitMix64(2025), set(), []
    while len(out) < 200:
        add = rng.next() % 2 == 0
        tpl = ADD[rng.next() % 3] if add else SUB[rng.next() % 2]
        female = rng.next() % 2 == 0
        name = (FEMALE if female else MALE)[rng.next() % 4]
        item = ITEMS[rng.next() % len(ITEMS)]
        a = rng.next() % 10
        b = rng.next() % 10 if add else rng.next() % (a + 1)
        q = (tpl.replace("{name}", name).replace("{pron}", "She" if female else "He").replace("{item}", item)
             .replace("{a}", str(a)).replace("{b}", str(b)))
        if q in seen:
            continue
        seen.add(q)
        out.append({"id": str(len(out) + 1), "question": q, "answer": str(a + b if add else a - b)})
    return out
