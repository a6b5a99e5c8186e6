"""Regenerates Tests/PTBTasksTests/Golden/bfcl-inspect-tools-sha256.json: the SHA-256 of the
`tools` JSON that the original's BFCL task sends, per exec_simple item.

It runs the original harness's own code, not a re-implementation: `create_tool_info_from_dict`
from PostTrainBench's src/eval/tasks/bfcl/task_context/bfcl_evaluation_code.py (a copy of
inspect_evals' bfcl at the pinned commit) and inspect_ai 0.3.150's `openai_chat_tools`, which
turns ToolInfo into the request's `tools` (`parameters.model_dump(exclude_none=True)`: every
schema gets "required" and "additionalProperties": false). Only hashes are stored: the
benchmark's function definitions stay out of the repository.

    python -m venv /tmp/insp && /tmp/insp/bin/pip install inspect-ai==0.3.150 openai
    pip download --no-deps bfcl-eval==2026.3.23 && unzip bfcl_eval-*.whl -d bfcl
    /tmp/insp/bin/python scripts/bfcl/inspect_tools_golden.py ORIGINAL/bfcl_evaluation_code.py \
        bfcl/bfcl_eval/data/unused_datasets/question/BFCL_v4_exec_simple.json OUT.json
"""
import hashlib
import importlib.util
import json
import sys

from inspect_ai.model._openai import openai_chat_tools

spec = importlib.util.spec_from_file_location("bfcl_original", sys.argv[1])
original = importlib.util.module_from_spec(spec)
spec.loader.exec_module(original)
rows = [json.loads(line) for line in open(sys.argv[2]) if line.strip()]
out = {}
for row in rows:
    tools = openai_chat_tools([original.create_tool_info_from_dict(f) for f in row["function"]])
    # The OpenAI SDK sends these TypedDicts as they are; json.dumps keeps their key order.
    out[row["id"]] = hashlib.sha256(json.dumps(tools).encode()).hexdigest()
with open(sys.argv[3], "w") as f:
    json.dump(dict(sorted(out.items(), key=lambda kv: int(kv[0].rsplit("_", 1)[1]))), f, indent=1)
print(f"{len(out)} items")
