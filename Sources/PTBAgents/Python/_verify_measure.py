"""Accuracy on ptb's exact arith test split (SplitMix64 seed 2025). Verification only; deleted after use."""
import os, re, sys, time, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
sys.path.insert(0, os.environ["TASKDIR"])
import arith_generator as g
M64 = (1 << 64) - 1
class SM:
    def __init__(s, seed): s.s = seed
    def next(s):
        s.s = (s.s + 0x9E3779B97F4A7C15) & M64; z = s.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)
def split():
    r = SM(2025); seen = set(); out = []
    F, M = ["Mia", "Ava", "Zoe", "Nora"], ["Noah", "Liam", "Omar", "Leo"]
    while len(out) < 200:
        add = r.next() % 2 == 0
        t = g.ADD_TEMPLATES[r.next() % 3] if add else g.SUB_TEMPLATES[r.next() % 2]
        fem = r.next() % 2 == 0
        name = (F if fem else M)[r.next() % 4]; item = g.ITEMS[r.next() % 6]
        a = r.next() % 10; b = r.next() % 10 if add else r.next() % (a + 1)
        q = t.format(name=name, pron="She" if fem else "He", item=item, a=a, b=b)
        if q in seen: continue
        seen.add(q); out.append((q, a + b if add else a - b))
    return out
def orig_match(text, target):  # ptb NumericMatch .original, simplified for integer targets
    v = text.strip().lower(); v = re.sub(r"[$,£€*_]", "", v); v = re.sub(r"\.(?!\d)", "", v)
    words = v.split(); cand = next((w for w in reversed(words) if w.replace(".", "").isnumeric()), words[-1] if words else "")
    try: cand = format(float(cand), ".5g")
    except ValueError: pass
    return cand.endswith(str(target))
path, mode = sys.argv[1], sys.argv[2]
torch.manual_seed(123)
items = split(); n = len(items)
tok = AutoTokenizer.from_pretrained(path); tok.padding_side = "left"
model = AutoModelForCausalLM.from_pretrained(path).eval()
prompts = [tok.apply_chat_template([{"role": "user", "content": q}], tokenize=False, add_generation_prompt=True) for q, _ in items]
c1 = c2 = 0; t0 = time.time()
for i in range(0, n, 50):
    enc = tok(prompts[i:i+50], return_tensors="pt", padding=True, add_special_tokens=False)
    kw = dict(do_sample=False) if mode == "greedy" else dict(do_sample=True, temperature=1.0, top_k=0, top_p=1.0)
    with torch.no_grad():
        out = model.generate(**enc, max_new_tokens=16, pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id, **kw)
    for j, seq in enumerate(out):
        text = tok.decode(seq[enc["input_ids"].shape[1]:], skip_special_tokens=True)
        nums = re.findall(r"\d+", text); tgt = items[i+j][1]
        c1 += bool(nums) and int(nums[-1]) == tgt; c2 += orig_match(text, tgt)
        if i + j < 3: print(repr(items[i+j][0]), tgt, "->", repr(text))
print(f"{mode} accuracy (last integer) {c1}/{n} = {c1/n:.3f}; ptb original match {c2}/{n} = {c2/n:.3f} ({time.time()-t0:.1f}s)")
