import Foundation
import PTBCore
import PTBProcess

/// Hugging Face transformers behind a small OpenAI-compatible server (`generate`, batched), for
/// machines where vLLM is not installed: vLLM pins its own torch, and a cluster's or a lent
/// machine's pinned torch often has no matching vLLM. Slower than vLLM and not what the original
/// evaluated with, so it is never chosen silently: `PTB_ENGINE=transformers` selects it, and
/// every `metrics.json` names the engine that produced it.
///
/// Served: `GET /health`, `POST /v1/chat/completions` (messages, max_tokens, temperature, seed,
/// tools). The chat template is ptb's (`--chat-template`) or the tokenizer's; tool calls are read
/// from Hermes-style `<tool_call>{…}</tool_call>` blocks, as vLLM's `hermes` parser does.
public struct TransformersEngine: InferenceEngine {
    public let name = "transformers"
    public let python: URL
    public var extraEnvironment: [String: String]

    public init(python: URL, extraEnvironment: [String: String] = [:]) {
        self.python = python
        self.extraEnvironment = extraEnvironment
    }

    public func command(_ c: EngineConfig, port: Int) throws -> Command {
        try EnginePython.check(python)
        guard c.tensorParallel <= 1 else {
            throw EngineError.unsupported("the transformers engine serves on one device and has no tensor parallelism (asked for \(c.tensorParallel)); evaluate with tensor parallelism 1, or install vLLM and leave PTB_ENGINE unset.")
        }
        // The server is written next to the engine log, so every evaluation keeps the code that served it.
        let script = c.logFile.deletingLastPathComponent().appendingPathComponent("transformers_server.py")
        try FileManager.default.createDirectory(at: script.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Self.server.write(to: script, atomically: true, encoding: .utf8)
        var args = [script.path, "--model", c.modelDir.path, "--served-model-name", c.servedName,
                    "--port", String(port), "--api-key", c.apiKey, "--device", c.gpus > 0 ? "cuda" : "cpu"]
        if let t = c.chatTemplate { args += ["--chat-template", t.path] }
        // The base model's tokenizer when the submitted one was modified (TokenizerCheck).
        if let t = c.tokenizer { args += ["--tokenizer", t.path] }
        if let n = c.maxModelLen { args += ["--max-model-len", String(n)] }
        var env = EnginePython.environment(["PYTHONUNBUFFERED": "1"],
                                           passing: ["HF_HOME", "CUDA_VISIBLE_DEVICES", "TMPDIR", "LANG", "OMP_NUM_THREADS"])
        if let v = c.visibleDevices { env["CUDA_VISIBLE_DEVICES"] = v }
        env.merge(extraEnvironment) { _, new in new }
        return Command(python.path, args, environment: env)
    }

    static let server = #"""
# Written by ptb (TransformersEngine.swift): an OpenAI-compatible chat server over transformers.
import argparse, json, queue, re, threading, time, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

ap = argparse.ArgumentParser()
ap.add_argument("--model", required=True)
ap.add_argument("--served-model-name", default="final_model")
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--api-key", default="")
ap.add_argument("--device", default="cpu")
ap.add_argument("--chat-template")
ap.add_argument("--tokenizer")
ap.add_argument("--max-model-len", type=int)
ap.add_argument("--max-batch", type=int, default=32)
args = ap.parse_args()

tok = AutoTokenizer.from_pretrained(args.tokenizer or args.model)
tok.padding_side = "left"
if tok.pad_token_id is None:
    tok.pad_token = tok.eos_token
template = open(args.chat_template).read() if args.chat_template else None
dtype = torch.bfloat16 if args.device == "cuda" else torch.float32
model = AutoModelForCausalLM.from_pretrained(args.model, dtype=dtype).to(args.device).eval()
limit = args.max_model_len or getattr(model.config, "max_position_embeddings", None) or 4096
eos = model.generation_config.eos_token_id
eos = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
if tok.eos_token_id is not None:
    eos.add(tok.eos_token_id)
# As vLLM's `--generation-config auto`: generation_config.json's sampling values are the
# defaults of a request that does not set them, and an unset temperature means 1.0 (sampling),
# not transformers' greedy default.
try:
    raw = json.load(open(f"{args.model}/generation_config.json"))
except (OSError, ValueError):
    raw = {}
defaults = {k: raw[k] for k in ("temperature", "top_p", "top_k", "repetition_penalty") if raw.get(k) is not None}
print(f"transformers engine: {args.model} on {args.device} ({dtype}), context {limit}", flush=True)

TOOL = re.compile(r"<tool_call>\s*(\{.*?\})\s*</tool_call>", re.S)
jobs = queue.Queue()


def render(req):
    kw = {"tokenize": False, "add_generation_prompt": True}
    if template:
        kw["chat_template"] = template
    if req.get("tools"):
        kw["tools"] = req["tools"]
    return tok.apply_chat_template(req["messages"], **kw)


def worker():
    while True:
        batch = [jobs.get()]
        while len(batch) < args.max_batch:
            try:
                batch.append(jobs.get_nowait())
            except queue.Empty:
                break
        # One generate call per set of sampling parameters.
        groups = {}
        for j in batch:
            r = j["req"]
            groups.setdefault((r.get("max_tokens") or 256, r.get("temperature"), r.get("seed")), []).append(j)
        for (max_tokens, temperature, seed), js in groups.items():
            try:
                texts = [render(j["req"]) for j in js]
                enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(args.device)
                width = enc["input_ids"].shape[1]
                new = max(1, min(int(max_tokens), limit - width))
                gen = {"max_new_tokens": new, "pad_token_id": tok.pad_token_id}
                if eos:
                    gen["eos_token_id"] = sorted(eos)
                t = temperature if temperature is not None else defaults.get("temperature", 1.0)
                gen["do_sample"] = t > 0
                if t > 0:
                    gen["temperature"] = t
                    gen["top_p"] = defaults.get("top_p", 1.0)
                    gen["top_k"] = defaults.get("top_k", 0) if defaults.get("top_k", 0) > 0 else None
                if "repetition_penalty" in defaults:
                    gen["repetition_penalty"] = defaults["repetition_penalty"]
                if seed is not None:
                    torch.manual_seed(int(seed))
                with torch.no_grad():
                    out = model.generate(**enc, **gen)
                for i, j in enumerate(js):
                    ids = out[i, width:].tolist()
                    stop = next((k for k, t in enumerate(ids) if t in eos), None)
                    kept = ids if stop is None else ids[:stop]
                    while kept and kept[-1] == tok.pad_token_id and tok.pad_token_id not in eos:
                        kept.pop()
                    prompt_tokens = int(enc["attention_mask"][i].sum())
                    j["result"] = {"text": tok.decode(kept, skip_special_tokens=True), "prompt_tokens": prompt_tokens,
                                   "completion_tokens": len(kept) + (0 if stop is None else 1),
                                   "finish_reason": "stop" if stop is not None else "length"}
            except Exception as e:  # noqa: BLE001 - reported to the client as a 500
                for j in js:
                    j["error"] = f"{type(e).__name__}: {e}"
            for j in js:
                j["done"].set()


threading.Thread(target=worker, daemon=True).start()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/health":
            return self.reply(200, {})
        if self.path == "/v1/models":
            return self.reply(200, {"object": "list", "data": [{"id": args.served_model_name, "object": "model"}]})
        self.reply(404, {"error": {"message": "not found"}})

    def do_POST(self):
        if args.api_key and self.headers.get("Authorization") != f"Bearer {args.api_key}":
            return self.reply(401, {"error": {"message": "invalid api key"}})
        if self.path != "/v1/chat/completions":
            return self.reply(404, {"error": {"message": "only /v1/chat/completions is served"}})
        try:
            req = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            assert isinstance(req.get("messages"), list)
        except Exception as e:  # noqa: BLE001
            return self.reply(400, {"error": {"message": f"bad request: {e}"}})
        job = {"req": req, "done": threading.Event()}
        jobs.put(job)
        job["done"].wait()
        if "error" in job:
            return self.reply(500, {"error": {"message": job["error"]}})
        r = job["result"]
        message = {"role": "assistant", "content": r["text"]}
        if req.get("tools"):
            calls = []
            for m in TOOL.finditer(r["text"]):
                try:
                    call = json.loads(m.group(1))
                    calls.append({"id": "call_" + uuid.uuid4().hex[:12], "type": "function",
                                  "function": {"name": call.get("name", ""), "arguments": json.dumps(call.get("arguments", {}))}})
                except json.JSONDecodeError:
                    pass
            if calls:
                message = {"role": "assistant", "content": TOOL.sub("", r["text"]).strip() or None, "tool_calls": calls}
        self.reply(200, {"id": "chatcmpl-" + uuid.uuid4().hex, "object": "chat.completion", "created": int(time.time()),
                         "model": args.served_model_name,
                         "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if message.get("tool_calls") else r["finish_reason"]}],
                         "usage": {"prompt_tokens": r["prompt_tokens"], "completion_tokens": r["completion_tokens"],
                                   "total_tokens": r["prompt_tokens"] + r["completion_tokens"]}})


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()
"""#
}
