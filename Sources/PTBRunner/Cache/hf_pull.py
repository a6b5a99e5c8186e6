"""ptb cache pull's worker: fetch repositories into Hugging Face caches with huggingface_hub.

Run by ptb in its own Python environment:
    python hf_pull.py JOBS.json REPORT.json
JOBS.json: {"workers": N, "interval": seconds, "items": [{"kind", "repo_id", "repo_type",
"revision", "cache_dir"}]}. Prints one progress line per item every `interval` seconds and writes
REPORT.json (one entry per item: status, snapshot path, bytes, seconds, error and its class).

huggingface_hub does the work: resumable downloads (`.incomplete` files are continued), the cache
layout (blobs/, snapshots/, refs/), HF_ENDPOINT and HF_TOKEN from the environment. The token is
never printed or written: every message is scrubbed of it.
"""

import fnmatch
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import huggingface_hub
from huggingface_hub import HfApi, snapshot_download
from huggingface_hub.hf_api import RepoFile

try:
    from huggingface_hub.errors import (
        GatedRepoError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )
except ImportError:  # huggingface_hub < 0.20 kept them in utils
    from huggingface_hub.utils import (  # type: ignore
        GatedRepoError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

# Weights in formats no training or serving stack here loads; a repo with safetensors also
# skips its duplicate PyTorch pickles (the original's from_pretrained loaded one format too).
MODEL_IGNORE = ["*.gguf", "*.onnx", "onnx/*", "*.msgpack", "*.h5", "flax_model*", "tf_model*",
                "rust_model*", "*.ot", "coreml/*", "openvino/*", "original/*", "*.mlmodel"]
PICKLES = ["*.bin", "*.pt", "*.pth"]

TOKEN = os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN") or ""
_print_lock = threading.Lock()


def scrub(text):
    text = str(text)
    if TOKEN:
        text = text.replace(TOKEN, "[REDACTED:HF_TOKEN]")
    return text


def say(line):
    with _print_lock:
        print(scrub(line), flush=True)


def human(n):
    for unit in ["B", "KB", "MB", "GB", "TB"]:
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000.0


def folder(item):
    prefix = "models" if item["repo_type"] == "model" else "datasets"
    return os.path.join(item["cache_dir"], prefix + "--" + item["repo_id"].replace("/", "--"))


def blob_bytes(path):
    total = 0
    blobs = os.path.join(path, "blobs")
    try:
        for name in os.listdir(blobs):
            try:
                total += os.stat(os.path.join(blobs, name)).st_size
            except OSError:
                pass
    except OSError:
        pass
    return total


def classify(err):
    """(class, what to do) for a failure."""
    token_hint = "set HF_TOKEN to a token with access" if not TOKEN else "the HF_TOKEN given has no access"
    if isinstance(err, GatedRepoError):
        return "gated", f"gated repository: accept its terms on the Hub, then {token_hint}"
    if isinstance(err, RevisionNotFoundError):
        return "revision-not-found", "the revision does not exist on the Hub"
    if isinstance(err, RepositoryNotFoundError):
        return "not-found", f"no such repository (or it is private: {token_hint})"
    if isinstance(err, LocalEntryNotFoundError):
        return "network", f"the Hub ({huggingface_hub.constants.ENDPOINT}) could not be reached and the files are not cached"
    if isinstance(err, OSError) and getattr(err, "errno", None) == 28:
        return "disk-full", "no space left on the cache's disk"
    name = type(err).__name__
    status = getattr(getattr(err, "response", None), "status_code", None)
    if status == 401 or status == 403:
        return "unauthorized", token_hint
    if status == 429:
        return "rate-limited", "the Hub rate-limited the requests: run again later (finished files are kept)"
    if "Connect" in name or "Timeout" in name:
        return "network", f"the Hub ({huggingface_hub.constants.ENDPOINT}) could not be reached"
    return "error", name


def plan(api, item):
    """Ignore patterns and the bytes to expect, from the repo's file list (None when unknown)."""
    ignore = list(MODEL_IGNORE) if item["repo_type"] == "model" else []
    try:
        files = [f for f in api.list_repo_tree(item["repo_id"], revision=item["revision"], repo_type=item["repo_type"], recursive=True)
                 if isinstance(f, RepoFile)]
    except (GatedRepoError, RepositoryNotFoundError, RevisionNotFoundError):
        raise
    except Exception:  # the listing is only for progress; the download reports real errors
        return ignore, None
    if item["repo_type"] == "model" and any(f.path.endswith(".safetensors") for f in files):
        ignore += PICKLES
    kept = [f for f in files if not any(fnmatch.fnmatch(f.path, p) for p in ignore)]
    return ignore, sum(f.size for f in kept)


def pull(api, item, index, total, interval):
    tag = f"[{index}/{total}] {item['kind']} {item['repo_id']}" + (f"@{item['revision']}" if item["revision"] != "main" else "")
    started = time.time()
    entry = dict(item)
    entry.pop("cache_dir", None)
    entry["cache"] = item["cache_dir"]
    done = threading.Event()
    expected = [None]

    def progress():
        while not done.wait(interval):
            have = blob_bytes(folder(item))
            if expected[0]:
                pct = min(100.0, 100.0 * have / expected[0]) if expected[0] else 100.0
                say(f"{tag}: {human(have)} / {human(expected[0])} ({pct:.0f}%), {time.time() - started:.0f} s")
            else:
                say(f"{tag}: {human(have)}, {time.time() - started:.0f} s")

    watcher = threading.Thread(target=progress, daemon=True)
    try:
        ignore, expected[0] = plan(api, item)
        say(f"{tag}: started" + (f" ({human(expected[0])})" if expected[0] is not None else ""))
        watcher.start()
        path = snapshot_download(repo_id=item["repo_id"], repo_type=item["repo_type"], revision=item["revision"],
                                 cache_dir=item["cache_dir"], ignore_patterns=ignore or None, max_workers=8)
        entry.update(status="ok", path=path)
        say(f"{tag}: done ({human(blob_bytes(folder(item)))}, {time.time() - started:.0f} s)")
    except BaseException as err:  # noqa: BLE001 - every failure goes into the report
        kind, hint = classify(err)
        first = scrub(err).strip().splitlines()
        entry.update(status="failed", error_class=kind, reason=hint, error=first[0][:500] if first else type(err).__name__)
        say(f"{tag}: FAILED ({kind}): {hint}")
    finally:
        done.set()
    entry["bytes"] = blob_bytes(folder(item))
    entry["seconds"] = round(time.time() - started, 2)
    return entry


def main():
    jobs = json.load(open(sys.argv[1]))
    items = jobs["items"]
    api = HfApi()
    say(f"huggingface_hub {huggingface_hub.__version__}, endpoint {huggingface_hub.constants.ENDPOINT}, "
        f"{len(items)} item(s), {jobs['workers']} at a time, token: {'yes' if TOKEN else 'no'}")
    with ThreadPoolExecutor(max_workers=max(1, jobs["workers"])) as pool:
        futures = [pool.submit(pull, api, it, i + 1, len(items), jobs["interval"]) for i, it in enumerate(items)]
        report = [f.result() for f in futures]
    tmp = sys.argv[2] + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(report, fh, indent=1)
    os.replace(tmp, sys.argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
