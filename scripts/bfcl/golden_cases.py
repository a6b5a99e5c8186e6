#!/usr/bin/env python3
"""Generates ptb's BFCL AST golden set: tool-call outputs (correct and deliberately wrong) for
entries of the five Python single-turn categories, each with the verdict of bfcl-eval's own
checker. ptb's Swift port must agree on every case (BFCLDataTests in Tests/PTBTasksTests/BFCLTests.swift).

BFCL data is Apache-2.0 (ShishirPatil/gorilla); the generated cases quote values from it.

Usage: python golden_cases.py <bfcl_eval/data dir> <out.jsonl>   (with bfcl-eval importable:
`pip install --no-deps bfcl-eval==2026.3.23` into a venv is enough; this script stubs the model
registry, which would pull every provider SDK, and the file-lock package).

The verdict is computed as eval_runner does for an FC model (decode_ast = json.loads of each
call's arguments; relevance entries: a non-empty decoded call is a failure), with the real
`ast_checker`, `is_function_calling_format_output` and `is_empty_output`.
"""
import copy
import json
import random
import sys
import types

# bfcl_eval.constants.model_config imports every model handler (anthropic, mistral, ...): stub it
# with a registry in which every model replaces "." by "_" in function names, as OpenAI-style FC
# models (and ptb, which sends such names to the server) do.
class _Cfg:
    underscore_to_dot = True
class _AnyModel(dict):
    def __getitem__(self, k):
        return _Cfg()
stub = types.ModuleType("bfcl_eval.constants.model_config")
stub.MODEL_CONFIG_MAPPING = _AnyModel()
sys.modules["bfcl_eval.constants.model_config"] = stub
if "filelock" not in sys.modules:
    try:
        import filelock  # noqa: F401
    except ImportError:
        fl = types.ModuleType("filelock")
        fl.FileLock = object
        sys.modules["filelock"] = fl

from bfcl_eval.constants.enums import Language  # noqa: E402
from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker  # noqa: E402
try:
    from bfcl_eval.utils import is_empty_output, is_function_calling_format_output  # noqa: E402
except Exception:  # utils pulls more optional packages in some versions; same code, copied
    def is_function_calling_format_output(decoded_output):
        if type(decoded_output) != list:
            return False
        for item in decoded_output:
            if type(item) != dict or len(item) != 1 or type(list(item.values())[0]) != dict:
                return False
        return True

    def is_empty_output(decoded_output):
        if not is_function_calling_format_output(decoded_output):
            return True
        if len(decoded_output) == 0:
            return True
        if len(decoded_output) == 1 and len(decoded_output[0]) == 0:
            return True
        return False

MODEL = "gpt-4o-2024-11-20-FC"
FILES = {"simple": "simple_python", "multiple": "multiple", "parallel": "parallel",
         "parallel_multiple": "parallel_multiple", "irrelevance": "irrelevance"}


def load(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def decode(tool_calls):
    if not tool_calls:
        raise ValueError("no tool calls")
    return [{c["name"]: json.loads(c["arguments"])} for c in tool_calls]


def verdict(category, functions, answer, tool_calls):
    try:
        decoded = decode(tool_calls)
        ok = True
    except Exception:
        ok = False
    if category == "irrelevance":
        contains = ok and not is_empty_output(decoded)
        return (not contains), (None if not contains else "irrelevance_error:decoder_success")
    if not ok:
        return False, "ast_decoder:decoder_failed"
    if not is_function_calling_format_output(decoded):
        return False, "ast_decoder:decoder_wrong_output_format"
    r = ast_checker(functions, decoded, answer, Language.PYTHON, FILES[category], MODEL)
    return r["valid"], (None if r["valid"] else r.get("error_type"))


def first_allowed(values):
    for v in values:
        if v != "":
            return True, v
    return False, None


def unwrap_dict(d):
    """A dict in a possible answer maps each key to its allowed values: take the first."""
    out = {}
    for k, values in d.items():
        has, v = first_allowed(values)
        if has:
            out[k] = v
    return out


def truth_calls(answer, functions):
    calls = []
    for item in answer:
        name, params = next(iter(item.items()))
        doc = next((f for f in functions if f["name"] == name), {})
        props = doc.get("parameters", {}).get("properties", {})
        args = {}
        for p, values in params.items():
            has, v = first_allowed(values)
            # Some possible answers allow a value for an optional parameter the function
            # document does not have (parallel_multiple_12): such parameters are left out.
            if not has or ("" in values and p not in props):
                continue
            schema = props.get(p, {})
            if schema.get("type") == "dict" and isinstance(v, dict):
                v = unwrap_dict(v)
            elif schema.get("type") == "array" and schema.get("items", {}).get("type") == "dict" and isinstance(v, list):
                v = [unwrap_dict(x) if isinstance(x, dict) else x for x in v]
            args[p] = v
        calls.append({"name": name.replace(".", "_"), "args": args})
    return calls


def wire(calls):
    return [{"name": c["name"], "arguments": c["args"] if isinstance(c["args"], str) else json.dumps(c["args"])} for c in calls]


def mutate_value(v, rng):
    if isinstance(v, bool):
        return rng.choice([not v, int(v), str(v).lower()])
    if isinstance(v, int):
        return rng.choice([v + 1, float(v), str(v), -v if v else 7])
    if isinstance(v, float):
        return rng.choice([v * 2 + 1, int(v), str(v)] + ([int(v)] if v == int(v) else []))
    if isinstance(v, str):
        return rng.choice([v.upper(), v + " ", v.replace(" ", ", "), v + "x", "", v[::-1], 5, "'" + v + "'"])
    if isinstance(v, list):
        opts = [list(reversed(v)), v[:-1], v + v[:1], [str(x) for x in v], []]
        if v and isinstance(v[0], str):
            opts.append([x.upper() for x in v])
        if v and isinstance(v[0], (int, float)) and not isinstance(v[0], bool):
            opts.append([float(x) for x in v])
        return rng.choice(opts)
    if isinstance(v, dict):
        if not v:
            return {"k": 1}
        k = rng.choice(list(v))
        w = dict(v)
        choice = rng.randrange(4)
        if choice == 0:
            del w[k]
        elif choice == 1:
            w[k] = mutate_value(v[k], rng)
        elif choice == 2:
            w["extra_key"] = 1
        else:
            w[k] = v[k].upper() if isinstance(v[k], str) else v[k]
        return w
    return None


def variants(category, entry, answer, rng):
    """(note, tool_calls) pairs for one entry."""
    out = []
    funcs = entry["function"]
    if category == "irrelevance":
        f = rng.choice(funcs)
        props = f["parameters"].get("properties", {})
        args = {p: (1 if s.get("type") == "integer" else 1.5 if s.get("type") == "float" else "x") for p, s in props.items()}
        out.append(("text answer", None))
        out.append(("call with arguments", [{"name": f["name"].replace(".", "_"), "arguments": json.dumps(args)}]))
        out.append(("call without arguments", [{"name": f["name"].replace(".", "_"), "arguments": "{}"}]))
        out.append(("arguments not an object", [{"name": f["name"], "arguments": "[]"}]))
        out.append(("arguments not JSON", [{"name": f["name"], "arguments": "{oops"}]))
        return out
    calls = truth_calls(answer, funcs)
    out.append(("ground truth", wire(calls)))
    out.append(("text answer", None))
    if len(calls) > 1:
        out.append(("calls reversed", wire(list(reversed(calls)))))
        out.append(("one call missing", wire(calls[:-1])))
    out.append(("call repeated", wire(calls + calls[:1])))
    c = rng.randrange(len(calls))
    bad = copy.deepcopy(calls)
    bad[c]["name"] = bad[c]["name"] + "_v2"
    out.append(("wrong function name", wire(bad)))
    dotted = copy.deepcopy(calls)
    orig_name = next(iter(answer[c]))
    dotted[c]["name"] = orig_name
    out.append(("name with dots as in the docs", wire(dotted)))
    bad = copy.deepcopy(calls)
    bad[c]["args"]["unexpected_param"] = 1
    out.append(("unexpected parameter", wire(bad)))
    bad = copy.deepcopy(calls)
    bad[c]["args"] = "{not json"
    out.append(("arguments not JSON", wire(bad)))
    bad = copy.deepcopy(calls)
    bad[c]["args"] = "[1, 2]"
    out.append(("arguments not an object", wire(bad)))
    params = list(calls[c]["args"])
    possible = next(iter(answer[c].values()))
    for p in rng.sample(params, min(len(params), 3)):
        bad = copy.deepcopy(calls)
        del bad[c]["args"][p]
        out.append((f"drop {p}", wire(bad)))
        bad = copy.deepcopy(calls)
        bad[c]["args"][p] = mutate_value(calls[c]["args"][p], rng)
        out.append((f"mutate {p}", wire(bad)))
        alts = [v for v in possible.get(p, []) if v != "" and v != calls[c]["args"][p]]
        if alts:
            bad = copy.deepcopy(calls)
            bad[c]["args"][p] = rng.choice(alts)
            out.append((f"other allowed {p}", wire(bad)))
    # The official type conversions: an int where a float is expected, a float where an int is.
    fdoc = next((f for f in funcs if f["name"] == orig_name), {})
    props = fdoc.get("parameters", {}).get("properties", {})
    for p, v in calls[c]["args"].items():
        if props.get(p, {}).get("type") == "float" and isinstance(v, (int, float)) and not isinstance(v, bool):
            bad = copy.deepcopy(calls)
            bad[c]["args"][p] = int(v)
            out.append((f"int for float {p}", wire(bad)))
            whole = [x for x in possible.get(p, []) if isinstance(x, float) and x == int(x)]
            if whole:  # an integral float written as an int: accepted by the official conversion
                bad = copy.deepcopy(calls)
                bad[c]["args"][p] = int(whole[0])
                out.append((f"int for whole float {p}", wire(bad)))
        elif isinstance(v, float) and v == int(v):
            bad = copy.deepcopy(calls)
            bad[c]["args"][p] = int(v)
            out.append((f"int for float {p}", wire(bad)))
        elif isinstance(v, int) and not isinstance(v, bool):
            bad = copy.deepcopy(calls)
            bad[c]["args"][p] = float(v)
            out.append((f"float for int {p}", wire(bad)))
        elif isinstance(v, str) and v:
            bad = copy.deepcopy(calls)
            bad[c]["args"][p] = v.upper().replace(" ", "-")
            out.append((f"string case and punctuation {p}", wire(bad)))
    optional = [p for p, vs in possible.items() if "" in vs and p not in calls[c]["args"]]
    if optional:
        fdoc = next((f for f in funcs if f["name"] == orig_name), None)
        p = optional[0]
        t = ((fdoc or {}).get("parameters", {}).get("properties", {}).get(p, {}) or {}).get("type")
        bad = copy.deepcopy(calls)
        bad[c]["args"][p] = {"integer": 3, "float": 2.5, "boolean": True, "array": [1], "dict": {"a": 1}}.get(t, "default")
        out.append((f"set optional {p}", wire(bad)))
    return out


def main():
    data, out_path = sys.argv[1], sys.argv[2]
    rng = random.Random(20261122)
    cases = []
    per_category = {"simple": 14, "multiple": 7, "parallel": 6, "parallel_multiple": 6, "irrelevance": 10}
    for category, n in per_category.items():
        stem = FILES[category]
        questions = load(f"{data}/BFCL_v4_{stem}.json")
        answers = {} if category == "irrelevance" else {a["id"]: a["ground_truth"] for a in load(f"{data}/possible_answer/BFCL_v4_{stem}.json")}
        for entry in rng.sample(questions, n):
            answer = answers.get(entry["id"], [])
            for note, calls in variants(category, entry, answer, rng):
                try:
                    valid, error_type = verdict(category, entry["function"], answer, calls)
                except Exception as e:  # the official checker crashed: not a case a port can agree on
                    print(f"skip {entry['id']} {note}: {type(e).__name__} {e}", file=sys.stderr)
                    continue
                cases.append({"id": entry["id"], "note": note, "tool_calls": calls, "valid": valid, "error_type": error_type})
    with open(out_path, "w") as f:
        for c in cases:
            f.write(json.dumps(c, sort_keys=True) + "\n")
    valid = sum(c["valid"] for c in cases)
    print(f"{len(cases)} cases, {valid} valid, {len(cases) - valid} invalid -> {out_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
