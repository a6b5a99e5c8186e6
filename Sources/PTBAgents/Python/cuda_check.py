#!/usr/bin/env python3
"""CUDA precheck run by ptb before starting an agent that asked for GPUs.

    python cuda_check.py [--gpus N] [--gpu-name H100] [--marker PATH]

Checks, in order, and stops at the first failure:

1. torch imports and ``torch.cuda.is_available()`` is true;
2. ``torch.cuda.device_count()`` equals ``--gpus``;
3. at least one visible device name contains ``--gpu-name`` (an empty string
   skips this check);
4. no visible GPU already runs compute processes, according to
   ``nvidia-smi --id=i --query-compute-apps=pid,used_memory --format=csv,noheader``
   (skipped when nvidia-smi is not installed);
5. a tiny tensor can be allocated on every visible GPU.

On failure it prints one line starting with ``CUDA precheck failed:``, touches
``--marker`` if given (so the caller can tell an infrastructure failure from an
agent failure without parsing output) and exits 1. On success it prints
``CUDA precheck passed: N x <name>`` and exits 0.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys


class PrecheckError(Exception):
    pass


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Check that the requested GPUs are usable before an agent starts.")
    parser.add_argument("--gpus", type=int, default=1, help="number of GPUs that must be visible (default 1)")
    parser.add_argument(
        "--gpu-name",
        default="H100",
        help="substring that some device name must contain; empty string disables the check (default H100)",
    )
    parser.add_argument("--marker", default=None, help="file to create when the precheck fails")
    return parser.parse_args(argv)


def busy_processes(index: str) -> list[str]:
    """Compute processes already on GPU ``index`` ([] when nvidia-smi is unavailable).

    A GPU shared with another job would make timings and memory limits
    meaningless, so a run must not start on one.
    """
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(
            [
                "nvidia-smi",
                f"--id={index}",
                "--query-compute-apps=pid,used_memory",
                "--format=csv,noheader",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise PrecheckError(f"nvidia-smi failed for GPU {index}: {e}") from e
    if out.returncode != 0:
        msg = (out.stderr or out.stdout).strip().replace("\n", " ")
        raise PrecheckError(f"nvidia-smi failed for GPU {index} (exit {out.returncode}): {msg}")
    return [line.strip() for line in out.stdout.splitlines() if line.strip()]


def run_checks(gpus: int, gpu_name: str) -> str:
    """Run all checks; return the success line or raise PrecheckError."""
    try:
        import torch
    except ImportError as e:
        raise PrecheckError(f"torch is not installed ({e})") from e

    if not torch.cuda.is_available():
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        hint = f" (CUDA_VISIBLE_DEVICES={visible!r})" if visible is not None else ""
        raise PrecheckError(f"torch.cuda.is_available() is False{hint}")

    count = torch.cuda.device_count()
    if count != gpus:
        raise PrecheckError(f"expected {gpus} GPU(s), found {count}")

    names = [torch.cuda.get_device_name(i) for i in range(count)]
    if gpu_name and not any(gpu_name in name for name in names):
        raise PrecheckError(f"no GPU name contains {gpu_name!r} (found: {', '.join(names)})")

    # nvidia-smi --id takes the physical index, which matches torch's only
    # when CUDA_VISIBLE_DEVICES does not reorder devices; the harness sets it
    # to the GPUs it assigned, so map visible index -> listed id when possible.
    ids = _visible_ids(count)
    for i in range(count):
        procs = busy_processes(ids[i])
        if procs:
            raise PrecheckError(f"GPU {i} ({names[i]}) already has compute processes: {'; '.join(procs)}")

    for i in range(count):
        try:
            torch.randn(1, device=f"cuda:{i}")
            torch.cuda.synchronize(i)
        except Exception as e:  # noqa: BLE001 - any CUDA error means the GPU is unusable
            raise PrecheckError(f"cannot allocate on cuda:{i} ({names[i]}): {e}") from e

    return f"CUDA precheck passed: {count} x {names[0]}"


def _visible_ids(count: int) -> list[str]:
    """nvidia-smi ids for the torch-visible devices, in torch order."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "").strip()
    if visible:
        parts = [p.strip() for p in visible.split(",") if p.strip()]
        # nvidia-smi --id accepts physical indices and GPU UUIDs; anything
        # else (MIG UUIDs, odd syntax) falls back to the plain visible index.
        usable = all(p.isdigit() or p.startswith("GPU-") for p in parts)
        if usable and len(parts) >= count:
            return parts[:count]
    return [str(i) for i in range(count)]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.gpus < 1:
            raise PrecheckError(f"--gpus must be >= 1, got {args.gpus}")
        line = run_checks(args.gpus, args.gpu_name)
    except PrecheckError as e:
        print(f"CUDA precheck failed: {e}", flush=True)
        if args.marker:
            try:
                with open(args.marker, "a", encoding="utf-8"):
                    pass
            except OSError as me:
                print(f"(could not create marker {args.marker}: {me})", file=sys.stderr, flush=True)
        return 1
    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
