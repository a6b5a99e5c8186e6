#!/usr/bin/env python3
"""A scripted model server on loopback for driving the real agent CLIs without an LLM.

It speaks the two wire protocols the CLIs use, both streamed as server-sent events:
  * Anthropic Messages API  (Claude Code): POST /v1/messages[?beta=true]
  * OpenAI Responses API    (Codex CLI):   POST /v1/responses, GET /v1/models

and plays a script of turns, one per model call of the agent's main loop. A script is a small
JSON file that reads like the agent's transcript:

  {"turns": [
     {"shell": "cat ../prompt.md | head -5"},
     {"shell": "bash timer.sh", "usage": {"input": 1200, "output": 40}},
     {"text": "Done. Key seen: {auth}"}
   ],
   "fail": {"status": 429, "times": 1}}

A turn is a shell tool call (`shell`) or a final message (`text`); `{auth}` in a text becomes the
credential the request carried (to test that ptb redacts it). The turn to play is the number of
assistant turns already in the request's history, so a resumed session (`codex exec resume`,
`claude --continue`) carries on where it stopped. A request that offers no tools (a CLI's side
call: titles, summaries) gets a short text and consumes no turn.

Failure injection (`fail`): {"status": 401|429|500, "times": N} answers the first N model calls
with that status (no `times`: forever); {"hang": true} accepts the call and never answers.
An HTTP CONNECT (a CLI trying to reach any other host through the proxy variables) is logged and
refused with 403.

Every request is appended to --log as one JSON line (method, path, headers of interest, body).
The chosen port is written to --port-file once the server listens.
"""
import argparse
import json
import re
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()


class State:
    def __init__(self, script, log_path):
        self.script = script
        self.log_path = log_path
        self.model_calls = 0

    def log(self, record):
        with LOCK:
            with open(self.log_path, "a") as f:
                f.write(json.dumps(record) + "\n")

    def next_failure(self):
        """The failure to inject into this model call, or None."""
        fail = self.script.get("fail")
        with LOCK:
            self.model_calls += 1
            n = self.model_calls
        if not fail:
            return None
        times = fail.get("times")
        if times is not None and n > times:
            return None
        return fail


def usage_of(turn, index):
    u = turn.get("usage", {})
    return int(u.get("input", 1000 + 100 * index)), int(u.get("output", 20 + index)), int(u.get("cached", 0))


def credential(headers):
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:]
    return headers.get("x-api-key", "")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: State = None

    def log_message(self, fmt, *args):  # quiet: the JSON log is the record
        pass

    def record(self, body):
        keep = ["authorization", "x-api-key", "anthropic-beta", "anthropic-version", "chatgpt-account-id",
                "user-agent", "originator", "host"]
        headers = {k: self.headers.get(k) for k in keep if self.headers.get(k) is not None}
        self.state.log({"ts": time.time(), "method": self.command, "path": self.path, "headers": headers, "body": body})

    def send_json(self, status, obj, extra=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def start_sse(self):
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        self.close_connection = True

    def sse(self, event, data):
        self.wfile.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())
        self.wfile.flush()

    def do_CONNECT(self):
        self.record(None)
        self.send_json(403, {"error": "the scripted model server refuses every host but itself"})

    def do_GET(self):
        self.record(None)
        if self.path.split("?")[0].endswith("/models"):
            self.send_json(200, {"models": [], "data": [], "object": "list"})
        else:
            self.send_json(404, {"error": f"no route {self.path}"})

    def do_HEAD(self):
        self.record(None)
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"unparsed": raw.decode("utf-8", "replace")}
        self.record(body)
        path = self.path.split("?")[0]
        if path.endswith("/messages/count_tokens"):
            return self.send_json(200, {"input_tokens": 100})
        if path.endswith("/messages"):
            return self.model_call(body, self.play_anthropic)
        if path.endswith("/responses"):
            return self.model_call(body, self.play_responses)
        self.send_json(404, {"error": f"no route {self.path}"})

    def model_call(self, body, play):
        if not body.get("tools"):
            # A side call (title, summary): no tools offered, no turn consumed.
            return play(body, {"text": "OK", "usage": {"input": 0, "output": 0}}, 0, side=True)
        fail = self.state.next_failure()
        if fail:
            if fail.get("hang"):
                time.sleep(3600)
                return
            status = int(fail["status"])
            message = fail.get("message", {401: "invalid api key (scripted 401)", 429: "rate limited (scripted 429)",
                                           500: "internal server error (scripted 500)"}.get(status, "scripted error"))
            if play == self.play_anthropic:
                kind = {401: "authentication_error", 429: "rate_limit_error", 500: "api_error"}.get(status, "api_error")
                obj = {"type": "error", "error": {"type": kind, "message": message}}
            else:
                code = {401: "invalid_api_key", 429: "rate_limit_exceeded", 500: "server_error"}.get(status, "server_error")
                obj = {"error": {"message": message, "type": code, "code": code}}
            return self.send_json(status, obj, {"retry-after": "0", "retry-after-ms": "50", "x-should-retry": "true"})
        if play == self.play_responses:
            session = self.running_session(body)
            if session is not None:
                # Codex returns from a long command after at most ~30 s with the process still
                # running in a session: poll it, as a model would, without consuming a turn.
                return play(body, {"poll": session, "usage": {"input": 0, "output": 0}}, 0)
        turns = self.state.script.get("turns", [])
        index = self.played(body, play)
        turn = turns[index] if index < len(turns) else {"text": "The script has no more turns."}
        play(body, turn, index)

    def played(self, body, play):
        """Assistant turns already in the request's history."""
        if play == self.play_anthropic:
            return sum(1 for m in body.get("messages", []) if m.get("role") == "assistant")
        n = 0
        for item in body.get("input", []) if isinstance(body.get("input"), list) else []:
            t = item.get("type")
            if t == "function_call" and item.get("name") == "write_stdin":
                continue
            if t in ("function_call", "custom_tool_call", "local_shell_call") or (t == "message" and item.get("role") == "assistant"):
                n += 1
        return n

    def running_session(self, body):
        """The session id of a command the last tool output says is still running, else None."""
        items = body.get("input") if isinstance(body.get("input"), list) else []
        outputs = [i for i in items if i.get("type") in ("function_call_output", "custom_tool_call_output")]
        if not outputs or items[-1] is not outputs[-1]:
            return None
        out = outputs[-1].get("output")
        if isinstance(out, dict):
            out = out.get("content") or json.dumps(out)
        if isinstance(out, list):
            out = " ".join(str(x.get("text", x)) if isinstance(x, dict) else str(x) for x in out)
        m = re.search(r"Process running with session ID (\d+)", str(out or ""))
        return int(m.group(1)) if m else None

    def text_of(self, turn):
        return turn["text"].replace("{auth}", credential(self.headers))

    # -- Anthropic Messages API --------------------------------------------------------------------
    def play_anthropic(self, body, turn, index, side=False):
        inp, out, cached = usage_of(turn, index)
        msg_id = f"msg_{uuid.uuid4().hex[:20]}"
        self.start_sse()
        self.sse("message_start", {"type": "message_start", "message": {
            "id": msg_id, "type": "message", "role": "assistant", "model": body.get("model", "scripted"), "content": [],
            "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": inp, "cache_creation_input_tokens": 0, "cache_read_input_tokens": cached, "output_tokens": 1}}})
        if "shell" in turn:
            tool = next((t.get("name") for t in body.get("tools", []) if t.get("name") == "Bash"), "Bash")
            block = {"type": "tool_use", "id": f"toolu_{uuid.uuid4().hex[:20]}", "name": tool, "input": {}}
            self.sse("content_block_start", {"type": "content_block_start", "index": 0, "content_block": block})
            args = {"command": turn["shell"], "description": turn.get("description", "scripted step")}
            if "timeout_ms" in turn:
                args["timeout"] = turn["timeout_ms"]
            self.sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                             "delta": {"type": "input_json_delta", "partial_json": json.dumps(args)}})
            stop = "tool_use"
        else:
            self.sse("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
            self.sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                             "delta": {"type": "text_delta", "text": self.text_of(turn)}})
            stop = "end_turn"
        self.sse("content_block_stop", {"type": "content_block_stop", "index": 0})
        self.sse("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                                   "usage": {"output_tokens": out}})
        self.sse("message_stop", {"type": "message_stop"})

    # -- OpenAI Responses API ----------------------------------------------------------------------
    def play_responses(self, body, turn, index, side=False):
        inp, out, cached = usage_of(turn, index)
        resp_id = f"resp_{uuid.uuid4().hex[:20]}"
        base = {"id": resp_id, "object": "response", "created_at": int(time.time()), "model": body.get("model", "scripted"),
                "status": "in_progress", "output": []}
        self.start_sse()
        self.sse("response.created", {"type": "response.created", "response": base})
        if "poll" in turn:
            call_id = f"call_{uuid.uuid4().hex[:20]}"
            item = {"type": "function_call", "id": f"fc_{call_id}", "call_id": call_id, "name": "write_stdin",
                    "arguments": json.dumps({"session_id": turn["poll"], "chars": "", "yield_time_ms": 30000}), "status": "completed"}
            self.sse("response.output_item.added", {"type": "response.output_item.added", "output_index": 0, "item": item})
            self.sse("response.output_item.done", {"type": "response.output_item.done", "output_index": 0, "item": item})
        elif "shell" in turn:
            item = self.codex_tool_call(body, turn["shell"])
            self.sse("response.output_item.added", {"type": "response.output_item.added", "output_index": 0, "item": item})
            self.sse("response.output_item.done", {"type": "response.output_item.done", "output_index": 0, "item": item})
        else:
            text = self.text_of(turn)
            item_id = f"msg_{uuid.uuid4().hex[:20]}"
            item = {"type": "message", "id": item_id, "role": "assistant", "status": "completed",
                    "content": [{"type": "output_text", "text": text, "annotations": []}]}
            added = dict(item, status="in_progress", content=[])
            self.sse("response.output_item.added", {"type": "response.output_item.added", "output_index": 0, "item": added})
            self.sse("response.output_text.delta", {"type": "response.output_text.delta", "item_id": item_id, "output_index": 0,
                                                    "content_index": 0, "delta": text})
            self.sse("response.output_item.done", {"type": "response.output_item.done", "output_index": 0, "item": item})
        done = dict(base, status="completed", output=[item], usage={
            "input_tokens": inp, "input_tokens_details": {"cached_tokens": cached},
            "output_tokens": out, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": inp + out})
        self.sse("response.completed", {"type": "response.completed", "response": done})

    def codex_tool_call(self, body, cmd):
        """The shell call in the shape of the tools this request offers (they depend on the model)."""
        call_id = f"call_{uuid.uuid4().hex[:20]}"
        names = {}
        for t in body.get("tools", []):
            names[t.get("name") or t.get("type")] = t.get("type")
        if "exec_command" in names:
            return {"type": "function_call", "id": f"fc_{call_id}", "call_id": call_id, "name": "exec_command",
                    "arguments": json.dumps({"cmd": cmd, "yield_time_ms": 600000}), "status": "completed"}
        if "shell" in names:
            return {"type": "function_call", "id": f"fc_{call_id}", "call_id": call_id, "name": "shell",
                    "arguments": json.dumps({"command": ["bash", "-lc", cmd], "timeout_ms": 600000}), "status": "completed"}
        if "shell_command" in names:
            return {"type": "function_call", "id": f"fc_{call_id}", "call_id": call_id, "name": "shell_command",
                    "arguments": json.dumps({"command": cmd, "timeout_ms": 600000}), "status": "completed"}
        if "exec" in names:
            # Code mode: shell access is JavaScript calling the nested tool.
            js = f"const r = await tools.exec_command({{cmd: {json.dumps(cmd)}, yield_time_ms: 600000}});\ntext(JSON.stringify(r));"
            return {"type": "custom_tool_call", "id": f"ctc_{call_id}", "call_id": call_id, "name": "exec", "input": js,
                    "status": "completed"}
        raise RuntimeError(f"the request offers no shell tool: {sorted(names)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--script", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    # A container on podman's bridge reaches the host at the bridge's gateway, not at loopback.
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    a = ap.parse_args()
    with open(a.script) as f:
        script = json.load(f)
    Handler.state = State(script, a.log)
    server = ThreadingHTTPServer((a.host, a.port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    if a.port_file:
        with open(a.port_file + ".partial", "w") as f:
            f.write(str(port))
        import os
        os.replace(a.port_file + ".partial", a.port_file)
    print(f"listening on {a.host}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
