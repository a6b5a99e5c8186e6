#!/usr/bin/env python3
"""Scripted baseline agent for ptb.

It plays the part of an LLM agent, with no LLM: it fine-tunes the base model on
generated training data and saves the result to ``final_model/``, exactly the
deliverable a real agent must produce. Its score is the bar an agent should
clear, and it lets the pipeline be tested end to end without any API keys.

Run with the agent's ``task/`` folder as the working directory; that folder
holds ``timer.sh``, ``evaluate.py``, ``arith_generator.py`` and ``templates/``.

Environment:

* ``PTB_BASE_MODEL``            path of the base model directory (required)
* ``PTB_TASK``                  task name; only ``arith`` is supported (required)
* ``PTB_REFERENCE_SEED``        random seed (default 0)
* ``PTB_REFERENCE_MAX_STEPS``   upper bound on training steps (default 3000)
* ``PTB_REFERENCE_EVAL_LIMIT``  items for the closing ``evaluate.py --limit N``
                                 call (default 20; 0 skips it)
* ``NUM_GPUS``                  GPUs of the run (set by ptb); with more than one
                                 visible, training is data-parallel over them
* ``PTB_REFERENCE_PROCS``       data-parallel processes when there is no GPU
                                 (default 1; >1 uses gloo on the CPU, which is
                                 how the multi-process path is tested without GPUs)

Data parallelism: with k > 1 processes the script starts itself again under
``torchrun --standalone --nproc_per_node k`` (torch.distributed.run from the
same interpreter). Each rank takes its share of every global batch of BATCH
items (so the optimisation is the one of a single process, k times faster at
best), gradients are averaged by DistributedDataParallel (NCCL on GPUs, gloo
on the CPU), rank 0 alone reads the timer and decides when to stop (broadcast
to all), and rank 0 alone saves ``final_model/`` and runs ``evaluate.py``.

What it does:

1. Reads the remaining time from ``bash timer.sh`` and plans to stop training
   while about 35% of it is still left (saving and the optional evaluation
   must fit in that reserve).
2. Generates 20000 items with ``arith_generator.generate`` (never reads test data).
3. Fine-tunes on chat-formatted examples: the user turn is the question, the
   assistant turn is ``The answer is N.<|im_end|>``; the loss covers only the
   assistant turn.
4. Saves ``final_model/`` (safetensors, tokenizer, greedy generation config)
   by writing ``final_model.tmp/`` and renaming it.
5. Optionally runs ``python evaluate.py --limit N`` and reports its last line.

Every line is printed with flush because ptb traces the agent line by line.
Exit status: 0 on success, 2 for bad configuration or an unsupported task,
1 for any other failure.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import time

SUPPORTED_TASKS = {"arith"}
N_TRAIN = 20000
BATCH = 64
LR = 2e-3
WARMUP = 50
LOG_EVERY = 50
CHECK_EVERY = 100
TIMER_EVERY_S = 120.0
RESERVE_FRACTION = 0.35
TARGET_TEMPLATE = "The answer is {answer}."
TURN_END = "<|im_end|>"


class ConfigError(Exception):
    pass


def rank() -> int:
    return int(os.environ.get("RANK", "0") or 0)


def world() -> int:
    return int(os.environ.get("WORLD_SIZE", "1") or 1)


def log(msg: str) -> None:
    # One voice: under torchrun only rank 0 speaks (the others would repeat it).
    if rank() == 0:
        print(f"[reference] {msg}", flush=True)


def env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {value}")
    return value


def read_timer() -> float | None:
    """Remaining seconds according to ``timer.sh``; 0 if expired, None if unknown.

    timer.sh reports hours:minutes, so the reading is floored to the minute;
    that only makes the agent a little more conservative.
    """
    if not os.path.exists("timer.sh"):
        return None
    try:
        out = subprocess.run(["bash", "timer.sh"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        log(f"warning: could not run timer.sh: {e}")
        return None
    text = out.stdout + out.stderr
    if "Timer expired!" in text:
        return 0.0
    m = re.search(r"Remaining time \(hours:minutes\):\s*(\d+):(\d{1,2})", text)
    if not m:
        log(f"warning: could not parse timer.sh output: {text.strip()!r}")
        return None
    return int(m.group(1)) * 3600.0 + int(m.group(2)) * 60.0


class Clock:
    """Tracks the remaining time cheaply: first timer reading minus elapsed
    wall time, corrected now and then by a fresh timer.sh reading in case
    this process's clock and the harness's deadline drift apart (e.g. the
    agent was suspended for a while)."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.initial = read_timer()
        self.base = self.initial
        self.base_t = self.t0
        self.last_read = self.t0

    def remaining(self, refresh: bool = False) -> float | None:
        now = time.monotonic()
        if refresh or now - self.last_read >= TIMER_EVERY_S:
            self.last_read = now
            fresh = read_timer()
            if fresh is not None:
                estimate = None if self.base is None else self.base - (now - self.base_t)
                # Never trust a fresh reading more than the running estimate:
                # both are lower-bound-ish, take the more cautious one.
                self.base = fresh if estimate is None else min(fresh, estimate)
                self.base_t = now
        if self.base is None:
            return None
        return self.base - (now - self.base_t)


def load_examples(tokenizer, seed: int, log_fn=log):
    """Tokenised (input_ids, labels) pairs with loss only on the answer turn."""
    sys.path.insert(0, os.getcwd())
    # Leave the task folder exactly as the harness wrote it (no __pycache__).
    sys.dont_write_bytecode = True
    try:
        import arith_generator
    except ImportError as e:
        raise ConfigError(f"cannot import arith_generator.py from {os.getcwd()}: {e}") from e

    items = arith_generator.generate(N_TRAIN, seed)
    log_fn(f"generated {len(items)} training items, e.g. {items[0]['question']!r} -> {items[0]['answer']!r}")

    turn_end = TURN_END if TURN_END in tokenizer.get_vocab() else tokenizer.eos_token
    prompts = [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": it["question"]}], tokenize=False, add_generation_prompt=True
        )
        for it in items
    ]
    targets = [TARGET_TEMPLATE.format(answer=it["answer"]) + turn_end for it in items]
    # Prompt and target are tokenised separately, as the inference engine will
    # see the prompt on its own; concatenating the ids then matches exactly
    # what the model has to continue at test time.
    p_ids = tokenizer(prompts, add_special_tokens=False)["input_ids"]
    t_ids = tokenizer(targets, add_special_tokens=False)["input_ids"]
    examples = [(p + t, [-100] * len(p) + t) for p, t in zip(p_ids, t_ids)]
    lengths = [len(x) for x, _ in examples]
    log_fn(f"tokenised examples: {min(lengths)}-{max(lengths)} tokens, loss on {len(t_ids[0])} target tokens each")
    return examples


def collate(batch, pad_id: int):
    import torch

    width = max(len(x) for x, _ in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), -100, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, (x, y) in enumerate(batch):
        ids[i, : len(x)] = torch.tensor(x)
        labels[i, : len(y)] = torch.tensor(y)
        mask[i, : len(x)] = 1
    return ids, labels, mask


class Schedule:
    """Linear warmup, then a cosine decay whose length adapts to the time budget.

    With a time budget the number of steps is not known up front, so the
    horizon is re-estimated from the measured step time every CHECK_EVERY
    steps. A plain cos(step / horizon) would jump (even upwards) whenever the
    estimate changes; instead the cosine *progress* is advanced each step by
    the remaining progress divided by the remaining steps, so the learning
    rate always decreases smoothly and reaches zero exactly at the horizon.
    """

    def __init__(self, horizon: int) -> None:
        self.horizon = horizon
        self.progress = 0.0

    def lr(self, step: int) -> float:
        if step < WARMUP:
            return LR * (step + 1) / WARMUP
        return LR * 0.5 * (1.0 + math.cos(math.pi * self.progress))

    def advance(self, step: int) -> None:
        if step >= WARMUP:
            left = max(1, self.horizon - step)
            self.progress = min(1.0, self.progress + (1.0 - self.progress) / left)

    def done(self, step: int) -> bool:
        return step >= self.horizon


class Consensus:
    """Rank 0's decisions (stop now, planned horizon) shared with every rank,
    so all ranks run the same number of steps and DDP never waits forever."""

    def __init__(self, device) -> None:
        import torch

        self.active = world() > 1
        self.buf = torch.zeros(2, dtype=torch.long, device=device)

    def share(self, stop: bool, horizon: int) -> tuple[bool, int]:
        if not self.active:
            return stop, horizon
        import torch.distributed as dist

        self.buf[0], self.buf[1] = int(stop), horizon
        dist.broadcast(self.buf, src=0)
        return bool(self.buf[0].item()), int(self.buf[1].item())


def train(model, examples, pad_id: int, device, max_steps: int, reserve: float | None, clock: Clock, seed: int):
    """Train until the schedule ends (max_steps, or fewer when the time budget
    is tight) or until the clock says only the reserve is left."""
    import torch

    consensus = Consensus(device)
    me, n = rank(), world()

    rng = random.Random(seed)
    order: list[int] = []
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.0)
    use_amp = device.type == "cuda" and torch.cuda.is_bf16_supported()
    sched = Schedule(max_steps)
    t_train = time.monotonic()
    t_window, step_window = t_train, 0
    step = 0
    model.train()
    while not sched.done(step):
        stop = False
        if reserve is not None and me == 0:
            refresh = step > 0 and step % (10 * CHECK_EVERY) == 0
            remaining = clock.remaining(refresh=refresh)
            if remaining is not None and remaining <= reserve:
                log(f"stopping at step {step}: {remaining:.0f}s left, reserve is {reserve:.0f}s")
                stop = True
            # A first plan at step 20 matters when the budget is so small that
            # step CHECK_EVERY is never reached; after that, every CHECK_EVERY.
            if remaining is not None and (step == 20 or (step > 0 and step % CHECK_EVERY == 0)):
                # Use the speed of the last window, not the whole-run
                # average, so the plan follows changes in machine load.
                now = time.monotonic()
                per_step = (now - t_window) / max(1, step - step_window)
                t_window, step_window = now, step
                affordable = step + int((remaining - reserve) / max(per_step, 1e-6))
                horizon = max(step + 1, min(max_steps, affordable))
                if horizon != sched.horizon:
                    log(f"step {step}: {per_step * 1000:.0f} ms/step, planning {horizon} steps")
                    sched.horizon = horizon
        if reserve is not None:
            stop, sched.horizon = consensus.share(stop, sched.horizon)
            if stop or sched.done(step):
                break

        if len(order) < BATCH:
            # Reshuffle per epoch so batches differ between epochs.
            fresh = list(range(len(examples)))
            rng.shuffle(fresh)
            order.extend(fresh)
        idx, order = order[:BATCH], order[BATCH:]
        # Every rank shuffles alike (same seed) and takes its own slice of the global batch.
        idx = idx[me::n]
        ids, labels, mask = collate([examples[i] for i in idx], pad_id)
        ids, labels, mask = ids.to(device), labels.to(device), mask.to(device)

        lr = sched.lr(step)
        for g in opt.param_groups:
            g["lr"] = lr
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=use_amp):
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.advance(step)
        step += 1
        if step % LOG_EVERY == 0 and me == 0:
            # Plain "step N loss X" (no prefix) so traces are easy to parse.
            print(f"step {step} loss {loss.item():.4f}", flush=True)
    model.eval()
    return step, time.monotonic() - t_train


def save_model(model, tokenizer, base_model: str, pad_id: int | None, out_dir: str = "final_model") -> None:
    tmp = out_dir + ".tmp"
    if os.path.exists(tmp):
        shutil.rmtree(tmp)
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    # Newer transformers write chat_template.jinja themselves; older ones only
    # put it in tokenizer_config.json, so copy the base model's file if missing.
    src_template = os.path.join(base_model, "chat_template.jinja")
    if os.path.exists(src_template) and not os.path.exists(os.path.join(tmp, "chat_template.jinja")):
        shutil.copy(src_template, tmp)

    vocab = tokenizer.get_vocab()
    eos_ids = []
    for tok in (TURN_END, tokenizer.eos_token):
        if tok is not None and tok in vocab and vocab[tok] not in eos_ids:
            eos_ids.append(vocab[tok])
    gen = {
        # Greedy decoding: the engine reads these defaults, and the answer
        # format is fixed, so sampling would only add noise.
        "temperature": 0.0,
        "max_new_tokens": 16,
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": eos_ids[0] if len(eos_ids) == 1 else eos_ids,
        "pad_token_id": pad_id,
    }
    with open(os.path.join(tmp, "generation_config.json"), "w", encoding="utf-8") as f:
        json.dump(gen, f, indent=2)
        f.write("\n")

    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    os.rename(tmp, out_dir)
    log(f"saved {out_dir}/: {', '.join(sorted(os.listdir(out_dir)))}")


def run_evaluate(limit: int) -> None:
    """Run the task's evaluate.py; failures are reported, never fatal."""
    cmd = [sys.executable, "evaluate.py", "--limit", str(limit)]
    log(f"running {' '.join(cmd)}")
    last = ""
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
            if line.strip():
                last = line.strip()
        rc = proc.wait()
    except OSError as e:
        log(f"evaluate.py could not be started: {e}")
        return
    if rc != 0:
        log(f"evaluate.py failed with exit code {rc} (last line: {last!r}); continuing")
    else:
        log(f"evaluate.py result: {last}")


def _quiet_progress_bars() -> None:
    # transformers draws \r-updated progress bars on load/save; in a trace
    # that is read line by line they are only noise.
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except Exception:  # noqa: BLE001 - purely cosmetic
        pass


def data_parallel_procs() -> int:
    """How many processes to train with: the run's GPUs when more than one is
    visible, else PTB_REFERENCE_PROCS (CPU, gloo)."""
    gpus = env_int("NUM_GPUS", 0)
    if gpus > 1:
        try:
            import torch

            if torch.cuda.is_available():
                return min(gpus, torch.cuda.device_count())
        except ImportError:
            pass
    return env_int("PTB_REFERENCE_PROCS", 1, minimum=1)


def relaunch_under_torchrun(procs: int) -> int:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={procs}",
           os.path.abspath(sys.argv[0])] + sys.argv[1:]
    log(f"data-parallel over {procs} processes: {' '.join(cmd)}")
    env = dict(os.environ, PTB_REFERENCE_LAUNCHED="1", OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    return subprocess.call(cmd, env=env)


def main() -> int:
    if "LOCAL_RANK" not in os.environ and not os.environ.get("PTB_REFERENCE_LAUNCHED"):
        try:
            procs = data_parallel_procs()
        except ConfigError as e:
            log(f"error: {e}")
            return 2
        if procs > 1:
            return relaunch_under_torchrun(procs)
    t_agent = time.monotonic()
    try:
        base_model = os.environ.get("PTB_BASE_MODEL", "").strip()
        task = os.environ.get("PTB_TASK", "").strip()
        if not base_model:
            raise ConfigError("PTB_BASE_MODEL is not set")
        if not os.path.isdir(base_model):
            raise ConfigError(f"PTB_BASE_MODEL={base_model!r} is not a directory")
        if not task:
            raise ConfigError("PTB_TASK is not set")
        if task not in SUPPORTED_TASKS:
            raise ConfigError(
                f"task {task!r} is not supported by the reference agent (supported: {', '.join(sorted(SUPPORTED_TASKS))})"
            )
        seed = env_int("PTB_REFERENCE_SEED", 0)
        max_steps = env_int("PTB_REFERENCE_MAX_STEPS", 3000, minimum=1)
        eval_limit = env_int("PTB_REFERENCE_EVAL_LIMIT", 20)
    except ConfigError as e:
        log(f"error: {e}")
        return 2

    log(f"task {task}, base model {base_model}, seed {seed}, max steps {max_steps}, cwd {os.getcwd()}")

    clock = Clock()
    if clock.initial is None:
        log("no usable timer.sh reading; training is bounded by max steps only")
        reserve = None
    elif clock.initial == 0:
        log("timer: expired (or under a minute left)")
        reserve = 0.0
    else:
        reserve = RESERVE_FRACTION * clock.initial
        log(f"timer: {clock.initial / 60:.0f} min remaining; training stops with {reserve:.0f}s left")

    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as e:
        log(f"error: missing dependency ({e}); need torch and transformers")
        return 1

    _quiet_progress_bars()
    random.seed(seed)
    torch.manual_seed(seed)
    # Cores this process may run on (taskset/cpusets), not the host's count:
    # more threads than cores makes small-model training several times slower.
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    distributed = world() > 1
    if distributed:
        import torch.distributed as dist

        local = int(os.environ.get("LOCAL_RANK", "0"))
        if torch.cuda.is_available():
            torch.cuda.set_device(local)
            device = torch.device("cuda", local)
        else:
            device = torch.device("cpu")
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
        # The CPU's cores are shared among the ranks.
        torch.set_num_threads(max(1, cores // world()))
        log(f"rank {rank()} of {world()} ({dist.get_backend()}), device {device}, torch threads {torch.get_num_threads()}")
    else:
        torch.set_num_threads(max(1, cores))
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        log(f"device {device}, torch threads {torch.get_num_threads()}")

    try:
        tokenizer = AutoTokenizer.from_pretrained(base_model)
        # No dtype argument (its name changed between transformers 4 and 5).
        # Train in float32 (bf16 autocast on GPU) for stable updates, but
        # remember the stored dtype so a bf16 base model is saved as bf16.
        model = AutoModelForCausalLM.from_pretrained(base_model)
        save_dtype = model.dtype
        model = model.float().to(device)
    except Exception as e:  # noqa: BLE001 - report any load failure in one line
        log(f"error: cannot load base model from {base_model}: {e}")
        return 1
    if tokenizer.chat_template is None:
        log("error: base model tokenizer has no chat template")
        return 1
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    log(f"loaded model with {sum(p.numel() for p in model.parameters())} parameters")

    try:
        examples = load_examples(tokenizer, seed)
    except ConfigError as e:
        log(f"error: {e}")
        return 2

    if clock.initial == 0:
        log("timer already expired; saving the base model unchanged")
        steps, train_s = 0, 0.0
    else:
        log(f"training: batch {BATCH}{f' ({BATCH // world()} per rank x {world()})' if distributed else ''}, lr {LR}, warmup {WARMUP}, cosine, grad clip 1.0")
        trainee = model
        if distributed:
            from torch.nn.parallel import DistributedDataParallel

            trainee = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
        steps, train_s = train(trainee, examples, pad_id, device, max_steps, reserve, clock, seed)
        log(f"trained {steps} steps in {train_s:.1f}s")

    if distributed:
        import torch.distributed as dist

        # The replicas are identical after the last averaged step: rank 0 saves, the others leave.
        dist.barrier()
        if rank() != 0:
            dist.destroy_process_group()
            return 0
    save_model(model.to(save_dtype), tokenizer, base_model, pad_id)
    if distributed:
        dist.destroy_process_group()

    if eval_limit > 0:
        run_evaluate(eval_limit)
    log(f"done in {time.monotonic() - t_agent:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
