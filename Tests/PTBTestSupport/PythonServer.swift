import Foundation
import PTBCore
#if canImport(Glibc)
import Glibc
#endif

/// A Python helper process (HTTP servers for the tests) on loopback, stopped by `stop`.
public final class PythonServer: @unchecked Sendable {
    let process = Process()
    public let port: Int

    /// Runs `script` with `python3` and reads the port it prints on its first stdout line.
    public init(script: String, arguments: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", "-c", script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while let b = try pipe.fileHandleForReading.read(upToCount: 1), !b.isEmpty, b != Data([0x0A]) { line.append(b) }
        guard let p = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespaces)) else {
            process.terminate()
            throw PTBError.io("test server did not start")
        }
        port = p
    }

    public var base: String { "http://127.0.0.1:\(port)" }

    /// SIGKILL: test processes may inherit an ignored SIGTERM.
    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// A scripted OpenAI-compatible chat-completions server on loopback, for the paths no real local
/// engine produces on demand (429s, refusals, rejected parameters, a wrong key). What it got is
/// appended to `requestLog`, one JSON line per request: `body` (parsed), `raw` (the bytes as
/// text, to check what was spliced in verbatim) and `auth_ok` (the bearer was `apiKey`). The
/// happy path against a real engine (vLLM on CPU) is in the integration tests.
///
/// Modes: `ok`; `flaky` (the first two requests get 429); `unauthorized` (401); `reject` (400 for
/// `max_completion_tokens` and for `reasoning_effort`, as OpenAI words it); `context` (400 with
/// vLLM's context-length refusal); `malformed` (200 whose body is not JSON). Answers are
/// `judged N: [[A>B]]` (N: the request's number), or, given `replies`, reply N of that list
/// (cycling), with usage 1000 prompt / 500 completion tokens; a request with `tools` gets a call
/// of its first tool with arguments `{"x": 1}`.
public final class FakeOpenAIEngine: @unchecked Sendable {
    public static let apiKey = "ptb-test-fake-engine-key"
    public let scratch: Scratch
    public let server: PythonServer

    public var requestLog: URL { scratch.file("requests.jsonl") }
    public var base: String { server.base }

    public init(mode: String, apiKey: String = FakeOpenAIEngine.apiKey, replies: [String]? = nil) throws {
        scratch = try Scratch(prefix: "ptb-fake-engine")
        do {
            let repliesFile = scratch.file("replies.json")
            try JSONSerialization.data(withJSONObject: replies ?? []).write(to: repliesFile)
            server = try PythonServer(script: Self.script, arguments: [mode, scratch.file("requests.jsonl").path, apiKey, repliesFile.path])
        } catch {
            scratch.cleanup()
            throw error
        }
    }

    /// The requests received so far, in order.
    public func requests() -> [[String: Any]] {
        guard let text = try? String(contentsOf: requestLog, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    public func stop() {
        server.stop()
        scratch.cleanup()
    }

    static let script = #"""
import http.server, json, sys, threading
mode, log, key = sys.argv[1], sys.argv[2], sys.argv[3]
replies = json.load(open(sys.argv[4]))
state = {"n": 0}
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        body = json.loads(raw)
        with lock:
            state["n"] += 1
            n = state["n"]
            with open(log, "a") as f:
                f.write(json.dumps({"path": self.path, "body": body, "raw": raw.decode(),
                                    "auth_ok": self.headers.get("Authorization") == "Bearer " + key}) + "\n")
        def send(code, obj):
            data = obj.encode() if isinstance(obj, str) else json.dumps(obj).encode()
            self.send_response(code); self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
        if mode == "flaky" and n <= 2: return send(429, {"error": {"message": "rate limited"}})
        if mode == "unauthorized": return send(401, {"error": {"message": "bad key"}})
        if mode == "reject" and "max_completion_tokens" in body:
            return send(400, {"error": {"message": "Unsupported parameter: 'max_completion_tokens' is not supported with this model. Use 'max_tokens' instead."}})
        if mode == "reject" and "reasoning_effort" in body:
            return send(400, {"error": {"message": "Unrecognized request argument supplied: reasoning_effort (reasoning is not supported)"}})
        if mode == "context":
            return send(400, {"object": "error", "message": "This model's maximum context length is 512 tokens. However, you requested %d tokens (100 in the messages, %d in the completion). Please reduce the length of the messages or completion." % (100 + body.get("max_tokens", 0), body.get("max_tokens", 0)), "type": "BadRequestError", "code": 400})
        if mode == "malformed": return send(200, "<html>not an API</html>")
        message = {"role": "assistant", "content": replies[(n - 1) % len(replies)] if replies else "judged %d: [[A>B]]" % n}
        finish = "stop"
        if body.get("tools"):
            message = {"role": "assistant", "content": None, "tool_calls": [{"id": "call_%d" % n, "type": "function",
                       "function": {"name": body["tools"][0]["function"]["name"], "arguments": "{\"x\": 1}"}}]}
            finish = "tool_calls"
        send(200, {"choices": [{"message": message, "finish_reason": finish}], "usage": {"prompt_tokens": 1000, "completion_tokens": 500}})
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"""#
}
