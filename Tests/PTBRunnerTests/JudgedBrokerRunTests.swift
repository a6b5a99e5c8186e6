import Foundation
import PTBCore
import PTBTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 16 item 5: a whole sealed run on each judged task whose agent calls `evaluate.py`. The
/// broker generates (stand-in engine) and judges outside the sandbox with the run's judge
/// settings and ptb's own key; the agent gets a score, `JUDGING.md`, and never the key.
///
/// The judge is a scripted OpenAI-compatible server on loopback: the real judge is a hosted
/// API that does not run here (JudgeIntegrationTests judges with the tiny model on vLLM).
@Suite(.serialized) struct JudgedBrokerRunTests {
    static let key = "ptb-test-judge-key-7f3c"

    var sharedData: URL? { Integration.sharedData }

    /// Answers arena games with a verdict and HealthBench rubric items with `criteria_met`; logs
    /// each request's path and Authorization header.
    final class Judge {
        let process = Process()
        let port: Int
        let log: URL

        init(root: URL) throws {
            let script = root.appendingPathComponent("judge.py")
            log = root.appendingPathComponent("judge-requests.jsonl")
            let portFile = root.appendingPathComponent("judge.port")
            try """
                import json, sys
                from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
                log, port_file = sys.argv[1], sys.argv[2]
                class H(BaseHTTPRequestHandler):
                    def log_message(self, *a):
                        pass
                    def do_POST(self):
                        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                        with open(log, "a") as f:
                            f.write(json.dumps({"path": self.path, "auth": self.headers.get("Authorization", "")}) + "\\n")
                        text = ('{"explanation": "the response does this", "criteria_met": true}' if "criteria_met" in body
                                else "Both are short. My final verdict is: [[B>A]]")
                        out = json.dumps({"id": "j", "object": "chat.completion", "model": "judge",
                            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                            "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}}).encode()
                        self.send_response(200)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", str(len(out)))
                        self.end_headers()
                        self.wfile.write(out)
                s = ThreadingHTTPServer(("127.0.0.1", 0), H)
                open(port_file, "w").write(str(s.server_address[1]))
                s.serve_forever()
                """.write(to: script, atomically: true, encoding: .utf8)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", script.path, log.path, portFile.path]
            try process.run()
            let deadline = Date().addingTimeInterval(20)
            var found: Int?
            while found == nil, Date() < deadline {
                found = (try? String(contentsOf: portFile, encoding: .utf8)).flatMap { Int($0) }
                if found == nil { usleep(50_000) }
            }
            guard let found else {
                kill(process.processIdentifier, SIGKILL)
                throw PTBError.engine("the scripted judge did not start")
            }
            port = found
        }

        func requests() -> [[String: Any]] {
            ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
            }
        }

        func stop() {
            // SIGKILL: the test process may hand an ignored SIGTERM on to its children.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Every regular file under `dir` whose bytes contain `needle`.
    static func files(containing needle: String, under dir: URL) -> [String] {
        var hits: [String] = []
        let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = e?.nextObject() as? URL {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true,
                  let data = try? Data(contentsOf: url), data.range(of: Data(needle.utf8)) != nil else { continue }
            hits.append(url.path)
        }
        return hits
    }

    @Test(.enabled(if: CheatTrialTests.haveBwrap), .timeLimit(.minutes(5)),
          arguments: [("arenahardwriting", 2), ("healthbench", 1)])
    func agentEvaluatesAJudgedTaskThroughTheBroker(task: String, limit: Int) throws {
        guard let data = sharedData else { try Integration.skip("../shared/data (Arena-Hard writing, HealthBench Easy) is required") }
        let t = try CheatTrialTests.Trial()
        defer { t.home.cleanup() }
        let imports = task == "healthbench"
            ? [("healthbench/healthbench-easy-245.jsonl", "test")]
            : [("arenahardwriting/question.jsonl", "question"), ("arenahardwriting/baseline-Qwen3-1.7B.jsonl", "baseline")]
        for (file, split) in imports {
            let r = try ptb(["data", "import", task, data.appendingPathComponent(file).path, "--split", split], home: t.home)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let engine = try EvalBrokerTests.Fixture()
        defer { try? FileManager.default.removeItem(at: engine.root) }
        try FileManager.default.createDirectory(at: engine.root, withIntermediateDirectories: true)
        let judge = try Judge(root: engine.root)
        defer { judge.stop() }
        let env = try engine.fakeEngine().merging(["OPENAI_API_KEY": Self.key]) { $1 }
        let script = """
            mkdir -p final_model
            echo '{"model_type": "llama"}' > final_model/config.json
            echo '{}' > final_model/tokenizer.json
            python3 -c 'import struct; h = b"{\\"__metadata__\\":{\\"format\\":\\"pt\\"}}"; open("final_model/model.safetensors", "wb").write(struct.pack("<Q", len(h)) + h)'
            python3 evaluate.py --limit \(limit) > test.txt 2>&1; echo "exit $?" >> test.txt
            env > env.txt
            ls > listing.txt
            """
        let (_, paths) = try t.run("judged-\(task)", script, sandbox: "bwrap",
                                   extra: ["--judge-endpoint", "http://127.0.0.1:\(judge.port)", "--judge-model", "judge"],
                                   env: env, task: task)
        let out = (try? String(contentsOf: paths.task.appendingPathComponent("test.txt"), encoding: .utf8)) ?? ""
        #expect(out.contains("\(task): accuracy ") && out.contains("(n=\(limit))") && out.contains("exit 0"), "\(out)")
        // The broker judged with the run's settings and ptb's key: every call reached the scripted
        // judge with that key (arena: two games per question; healthbench: one call per rubric item).
        let calls = judge.requests()
        #expect(task == "healthbench" ? calls.count >= 1 : calls.count == 2 * limit, "\(calls)")
        #expect(calls.allSatisfy { $0["auth"] as? String == "Bearer \(Self.key)" && ($0["path"] as? String)?.hasSuffix("/chat/completions") == true })
        let log = try String(contentsOf: paths.dir.appendingPathComponent("broker.jsonl"), encoding: .utf8)
        #expect(log.contains("\"split\":\"test\"") && log.contains("\"n\":\(limit)"), "\(log)")
        // The agent sees how the task is judged, and never the key: not in its environment, not in
        // any file of the run (workspace, trace, broker records, judge records).
        let listing = (try? String(contentsOf: paths.task.appendingPathComponent("listing.txt"), encoding: .utf8)) ?? ""
        #expect(listing.contains("JUDGING.md"), "\(listing)")
        let agentEnv = (try? String(contentsOf: paths.task.appendingPathComponent("env.txt"), encoding: .utf8)) ?? ""
        #expect(!agentEnv.isEmpty && !agentEnv.contains(Self.key) && !agentEnv.contains("OPENAI_API_KEY"))
        #expect(Self.files(containing: Self.key, under: paths.dir).isEmpty, "\(Self.files(containing: Self.key, under: paths.dir))")
    }
}
