#!/usr/bin/env python3
"""Build ``tiny``, the deterministic toy base model used by ptb's demo.

    python build_tiny.py --out DIR [--seed 0] [--steps 300]

The result in DIR is a normal Hugging Face model folder (LlamaForCausalLM in
float32 safetensors, a byte-level BPE tokenizer with a ChatML chat template,
chat_template.jinja, generation_config.json). It stands in for a real base
model so the whole ptb pipeline (agent -> fine-tune -> evaluation engine) can
be exercised on a laptop CPU in about a minute.

The model is pre-trained briefly on a small generic English corpus written
inline below. The corpus deliberately contains no arithmetic question/answer
pairs, so the base model produces fluent-ish generic text but cannot solve the
``arith`` task: any skill it shows after post-training came from the agent.

Everything is seeded and torch runs in deterministic mode with a fixed thread
count, so two builds with the same --seed and --steps on the same machine give
byte-identical model.safetensors.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

BOS = "<|endoftext|>"
IM_START = "<|im_start|>"
EOS = "<|im_end|>"
PAD = "<|pad|>"
TOOL_OPEN = "<tool_call>"
TOOL_CLOSE = "</tool_call>"

VOCAB_SIZE = 512
HIDDEN = 128
INTERMEDIATE = 256
LAYERS = 2
HEADS = 4
KV_HEADS = 4
HEAD_DIM = 32
MAX_POSITIONS = 512

LR = 3e-3
BATCH = 16
SEQ_LEN = 64

# Generic everyday English, a little code and a few numbers in prose.
# Do NOT add arithmetic question/answer pairs ("3 plus 4 is 7", "How many ...
# 7"): the base model must not already know the arith task.
CORPUS = [
    "The sun came up over the quiet town, and the streets slowly filled with people on their way to work.",
    "She made a cup of tea, sat by the window, and read the morning paper.",
    "The cat slept on the warm kitchen floor while the rain tapped on the roof.",
    "He walked his dog around the park twice before breakfast.",
    "Our train leaves at 7 in the morning, so we packed our bags the night before.",
    "The library opens at 9 and closes at 6 on weekdays.",
    "My grandmother has lived in the same small house for 40 years.",
    "The recipe needs flour, sugar, two eggs, and a little butter.",
    "Bake the bread for 35 minutes, then let it cool on a rack.",
    "The children played football in the yard until it got dark.",
    "A good pair of shoes can last for many years if you take care of them.",
    "The museum has a room full of old maps and a large painting of the sea.",
    "They planted tomatoes, beans, and carrots in the garden this spring.",
    "The bus was late again, so she decided to ride her bike to school.",
    "He keeps his keys in a small bowl next to the front door.",
    "The shop on the corner sells fresh fruit, bread, and flowers.",
    "We stayed at a hotel with a view of the mountains and a small lake.",
    "The meeting is on the 3rd floor, in the room at the end of the hall.",
    "Please remember to turn off the lights when you leave the office.",
    "The river is wide and slow here, and ducks swim near the bank.",
    "The old clock in the hall stopped at half past four.",
    "She wrote a letter to her friend and posted it on the way home.",
    "The weather today will be cloudy with a chance of rain in the evening.",
    "Our neighbours painted their fence blue last summer.",
    "The teacher asked the class to bring a book they love to read.",
    "In the winter the lake freezes and people skate on the ice.",
    "He fixed the broken chair with some glue and a few nails.",
    "The market is busy on Saturday mornings, and the coffee stall has a long line.",
    "My phone battery lasts about 2 days if I do not watch videos.",
    "The room has a desk, a lamp, a bed, and a shelf full of books.",
    "They moved to the city in 2019 and found a flat near the station.",
    "The baker starts work at 4 so the bread is ready when the shop opens.",
    "A small boat was tied to the dock, rocking gently in the waves.",
    "The film was long, but the ending was worth the wait.",
    "She keeps a notebook for ideas, lists, and little drawings.",
    "The farmer checked the fences and fed the sheep before noon.",
    "We had soup and fresh bread for dinner, and apples for dessert.",
    "The road to the village is narrow and winds through the hills.",
    "Her brother collects old coins and keeps them in a wooden case.",
    "The kids shared their marbles and stickers during the long car ride.",
    "Write your name at the top of the page in pencil.",
    "The bridge was built more than 100 years ago and is still in use.",
    "He listens to the radio while he cooks on Sunday afternoons.",
    "The garden looks lovely after the rain, with drops on every leaf.",
    "Thank you for your help with the move; we could not have done it alone.",
    "def greet(name):\n    return \"Hello, \" + name + \"!\"",
    "for item in items:\n    print(item)",
    "import os\n\npath = os.path.join(\"data\", \"notes.txt\")\nwith open(path) as f:\n    text = f.read()",
    "class Box:\n    def __init__(self, size):\n        self.size = size",
    "if count > 0:\n    print(\"not empty\")\nelse:\n    print(\"empty\")",
    "let names = [\"red\", \"green\", \"blue\"]\nfor name in names {\n    print(name)\n}",
    "The store has 12 kinds of cheese and about 30 kinds of bread.",
    "Room 204 is on the second floor, next to the stairs.",
    "The concert starts at 8, and the doors open an hour earlier.",
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Build the deterministic tiny base model for the ptb demo.")
    parser.add_argument("--out", required=True, help="output model directory (created if missing)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--steps", type=int, default=300, help="pre-training steps (default 300)")
    args = parser.parse_args(argv)
    if args.steps < 0:
        parser.error(f"--steps must be >= 0, got {args.steps}")
    return args


def build_tokenizer():
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    # One token per digit: numbers are then spelled the same way everywhere,
    # which is what makes digit arithmetic learnable for a tiny model.
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tok.decoder = decoders.ByteLevel()
    # <tool_call> tags are added afterwards as ordinary (non-special) added
    # tokens, like Qwen does, so engines that strip special tokens from the
    # output still show them to a tool-call parser.
    specials = [BOS, IM_START, EOS, PAD]
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE - 2,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(CORPUS, trainer=trainer)
    tok.add_tokens(
        [
            AddedToken(TOOL_OPEN, special=False, normalized=False),
            AddedToken(TOOL_CLOSE, special=False, normalized=False),
        ]
    )

    hf = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        additional_special_tokens=[IM_START],
        model_max_length=MAX_POSITIONS,
    )
    hf.chat_template = CHAT_TEMPLATE
    return hf


def token_stream(tokenizer, rng) -> list[int]:
    """Concatenate the corpus in many shuffled orders, documents separated by BOS.

    Shuffling the document order gives the model varied contexts across
    document boundaries instead of one fixed sequence it can memorise by position.
    """
    docs = [tokenizer(text, add_special_tokens=False)["input_ids"] for text in CORPUS]
    bos = tokenizer.convert_tokens_to_ids(BOS)
    stream: list[int] = []
    for _ in range(40):
        order = list(range(len(docs)))
        rng.shuffle(order)
        for i in order:
            stream.append(bos)
            stream.extend(docs[i])
    return stream


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    t_start = time.time()

    try:
        import random

        import torch
        from transformers import LlamaConfig, LlamaForCausalLM
    except ImportError as e:
        print(f"build_tiny: missing dependency ({e}); install torch, transformers and tokenizers", file=sys.stderr)
        return 1

    try:
        # \r-updated progress bars are noise in a log read line by line.
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except Exception:  # noqa: BLE001 - purely cosmetic
        pass

    # Determinism first: the whole point of tiny is that every build is the
    # same, so the seed, algorithm choice and thread count are all pinned.
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(2)
    rng = random.Random(args.seed)

    tokenizer = build_tokenizer()
    bos_id = tokenizer.convert_tokens_to_ids(BOS)
    eos_id = tokenizer.convert_tokens_to_ids(EOS)
    pad_id = tokenizer.convert_tokens_to_ids(PAD)
    print(f"tokenizer: {len(tokenizer)} tokens (bos {bos_id}, eos {eos_id}, pad {pad_id})", flush=True)

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=HIDDEN,
        intermediate_size=INTERMEDIATE,
        num_hidden_layers=LAYERS,
        num_attention_heads=HEADS,
        num_key_value_heads=KV_HEADS,
        head_dim=HEAD_DIM,
        max_position_embeddings=MAX_POSITIONS,
        tie_word_embeddings=True,
        bos_token_id=bos_id,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
        torch_dtype="float32",
    )
    model = LlamaForCausalLM(config)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: LlamaForCausalLM, {n_params} parameters", flush=True)

    stream = torch.tensor(token_stream(tokenizer, rng), dtype=torch.long)
    if len(stream) <= SEQ_LEN:
        print("build_tiny: corpus too small for the sequence length", file=sys.stderr)
        return 1

    gen = torch.Generator().manual_seed(args.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    warmup = min(20, max(1, args.steps // 10))

    def lr_at(step: int) -> float:
        # Short warmup keeps the first updates of a fresh model from blowing
        # up at lr 3e-3; the cosine tail settles it into a stable minimum.
        if step < warmup:
            return LR * (step + 1) / warmup
        progress = (step - warmup) / max(1, args.steps - warmup)
        return LR * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))

    model.train()
    for step in range(args.steps):
        starts = torch.randint(0, len(stream) - SEQ_LEN, (BATCH,), generator=gen)
        batch = torch.stack([stream[s : s + SEQ_LEN] for s in starts.tolist()])
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        # The model shifts labels itself, so labels are the inputs.
        loss = model(input_ids=batch, labels=batch).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if (step + 1) % 50 == 0 or step + 1 == args.steps:
            print(f"step {step + 1}/{args.steps} loss {loss.item():.3f}", flush=True)

    model.eval()
    os.makedirs(args.out, exist_ok=True)
    model.save_pretrained(args.out, safe_serialization=True)
    tokenizer.save_pretrained(args.out)
    with open(os.path.join(args.out, "chat_template.jinja"), "w", encoding="utf-8") as f:
        f.write(CHAT_TEMPLATE)
    # Overwrite the generation config transformers wrote: only token ids, no
    # sampling settings, so the evaluation engine uses its defaults exactly as
    # it does for real base models.
    with open(os.path.join(args.out, "generation_config.json"), "w", encoding="utf-8") as f:
        json.dump({"bos_token_id": bos_id, "eos_token_id": eos_id, "pad_token_id": pad_id}, f, indent=2)
        f.write("\n")

    sample = sample_text(model, tokenizer, "The weather", args.seed)
    print(f"sample: {sample!r}", flush=True)
    print(f"saved tiny to {args.out} in {time.time() - t_start:.1f}s", flush=True)
    return 0


def sample_text(model, tokenizer, prompt: str, seed: int) -> str:
    """A short sampled continuation, printed so a human can eyeball the model."""
    import torch

    ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)["input_ids"]
    # A separate generator keeps sampling from touching the global RNG state
    # (not that it matters after saving, but it keeps the build's output stable).
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _ in range(24):
            logits = model(input_ids=ids).logits[0, -1]
            nxt = torch.multinomial(torch.softmax(logits, -1), 1, generator=gen)
            ids = torch.cat([ids, nxt.view(1, 1)], dim=1)
    return tokenizer.decode(ids[0], skip_special_tokens=False)


if __name__ == "__main__":
    sys.exit(main())
