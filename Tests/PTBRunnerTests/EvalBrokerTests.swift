import Foundation
import PTBCore
import PTBProcess
@testable import PTBRunner
import PTBTasks
import PTBTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The evaluation broker with the real rendered `task/evaluate.py` as its client (system python3).
@Suite struct EvalBrokerTests {
    /// A run directory with a workspace, the rendered evaluate.py and a broker serving it.
    final class Fixture: @unchecked Sendable {
        let root: URL
        let paths: RunPaths
        let socket: URL
        let home: PTBHome
        let taskID: String
        var broker: Task<Void, any Error>?

        init(home: PTBHome? = nil, taskID: String = "arith") throws {
            self.taskID = taskID
            root = URL(fileURLWithPath: "/var/tmp/ptb-broker-\(UUID().uuidString.prefix(8))")
            paths = RunPaths(dir: root.appendingPathComponent("runs/run-1"))
            socket = root.appendingPathComponent("eval.sock")
            self.home = home ?? PTBHome(root: root.appendingPathComponent("home"))
            let fm = FileManager.default
            try fm.createDirectory(at: paths.task, withIntermediateDirectories: true)
            let task = try TaskRegistry.lookup(taskID)
            try EvaluateScript.render(task: task, ptb: URL(fileURLWithPath: "/nonexistent/ptb"), template: nil)
                .write(to: paths.task.appendingPathComponent("evaluate.py"), atomically: true, encoding: .utf8)
        }

        func start(gpus: Int = 0, engineEnvironment: [String: String] = [:], feedback: EvalFeedback = .sealed,
                   heartbeatSeconds: Double? = nil) async throws {
            let env = ProcessInfo.processInfo.environment.merging(engineEnvironment) { $1 }
            let harness = Harness(home: home, runner: ProcessRunner(), ptbExecutable: URL(fileURLWithPath: "/nonexistent/ptb"),
                                  environment: env, echoAgent: false) { _ in }
            var broker = EvalBroker(harness: harness, task: try TaskRegistry.lookup(taskID), runPaths: paths, gpus: GPUPlacement(count: gpus),
                                    socketPath: socket, chatTemplate: nil, feedback: feedback)
            if let heartbeatSeconds { broker.heartbeatSeconds = heartbeatSeconds }
            self.broker = Task { try await broker.run() }
            // Poll without blocking a thread: the broker's tasks share the cooperative pool.
            let deadline = Date().addingTimeInterval(20)
            while !Self.isSocket(socket.path), Date() < deadline { try await Task.sleep(nanoseconds: 50_000_000) }
            #expect(Self.isSocket(socket.path), "the broker did not create its socket")
        }

        /// Cancels the broker and checks that it removed its socket.
        func stop() async {
            broker?.cancel()
            _ = await broker?.result
            #expect(!FileManager.default.fileExists(atPath: socket.path), "the socket file outlived the broker")
            try? FileManager.default.removeItem(at: root)
        }

        static func isSocket(_ path: String) -> Bool {
            var st = stat()
            return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFSOCK
        }

        struct Output {
            var status: Int32
            var stdout: String
            var stderr: String
        }

        struct Started {
            let process: Process
            let out: URL
            let err: URL
            func stderr() -> String { (try? String(contentsOf: err, encoding: .utf8)) ?? "" }
            func wait(timeout: Double = 60) async throws -> Output {
                let deadline = Date().addingTimeInterval(timeout)
                while process.isRunning, Date() < deadline { try await Task.sleep(nanoseconds: 50_000_000) }
                // SIGKILL: the test process may pass an ignored SIGTERM on to its children.
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
                return Output(status: process.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
                              stderr: try String(contentsOf: err, encoding: .utf8))
            }
        }

        /// Runs `python3 <code or script> args` in the task directory with PTB_EVAL_SOCKET set.
        func python(_ args: [String], socket: String? = nil, timeout: Double = 60) async throws -> Output {
            try await startPython(args, socket: socket).wait(timeout: timeout)
        }

        func startEvaluate(_ args: [String]) throws -> Started {
            try startPython([paths.task.appendingPathComponent("evaluate.py").path] + args)
        }

        func startPython(_ args: [String], socket: String? = nil) throws -> Started {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3"] + args
            p.currentDirectoryURL = paths.task
            p.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                             "PTB_EVAL_SOCKET": socket ?? self.socket.path]
            let out = root.appendingPathComponent("out-\(UUID().uuidString.prefix(6))")
            let err = root.appendingPathComponent("err-\(UUID().uuidString.prefix(6))")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            _ = FileManager.default.createFile(atPath: err.path, contents: nil)
            p.standardOutput = try FileHandle(forWritingTo: out)
            p.standardError = try FileHandle(forWritingTo: err)
            try p.run()
            return Started(process: p, out: out, err: err)
        }

        func evaluate(_ args: [String], timeout: Double = 60) async throws -> Output {
            try await python([paths.task.appendingPathComponent("evaluate.py").path] + args, timeout: timeout)
        }

        /// Sends one raw line and returns the broker's answer lines.
        func raw(_ line: String) async throws -> [String] {
            let code = """
                import socket, sys
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(sys.argv[1])
                s.sendall(sys.argv[2].encode() + b"\\n")
                sys.stdout.write(s.makefile("rb").read().decode())
                """
            return try await python(["-c", code, socket.path, line]).stdout.split(separator: "\n").map(String.init)
        }

        func logLines() throws -> [[String: Any]] {
            let url = paths.dir.appendingPathComponent("broker.jsonl")
            guard FileManager.default.fileExists(atPath: url.path) else { return [] }
            return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
        }

        /// A stand-in for the engine's interpreter (PTB_PYTHON): an OpenAI-compatible server that
        /// answers every prompt with "The answer is 42." (after `delay` seconds), or (`hang`) one
        /// that never becomes healthy.
        func fakeEngine(hang: Bool = false, delay: Double = 0) throws -> [String: String] {
            let url = root.appendingPathComponent("fake-python")
            let script = """
                #!/usr/bin/env python3
                import json, sys, time
                from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
                port = int(sys.argv[sys.argv.index("--port") + 1])
                if \(hang ? "True" : "False"):
                    time.sleep(3600)
                class H(BaseHTTPRequestHandler):
                    def log_message(self, *a):
                        pass
                    def do_GET(self):
                        self.send_response(200)
                        self.end_headers()
                        self.wfile.write(b"ok")
                    def do_POST(self):
                        self.rfile.read(int(self.headers.get("Content-Length", 0)))
                        time.sleep(\(delay))
                        body = json.dumps({"id": "x", "object": "chat.completion", "model": "final_model",
                            "choices": [{"index": 0, "message": {"role": "assistant", "content": "The answer is 42."}, "finish_reason": "stop"}],
                            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}).encode()
                        self.send_response(200)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
                ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()

                """
            try script.write(to: url, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
            return ["PTB_PYTHON": url.path]
        }

        /// A model directory that passes ptb's checks (config, tokenizer, a valid safetensors header).
        func servableModel(at dir: URL) throws {
            try fakeModel(at: dir)
            let header = Data(#"{"__metadata__":{"format":"pt"}}"#.utf8)
            var file = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Data($0) }
            file.append(header)
            try file.write(to: dir.appendingPathComponent("model.safetensors"))
        }

        /// A model-shaped directory (config and tokenizer, no weights: never served).
        func fakeModel(at dir: URL) throws {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try #"{"model_type": "llama"}"#.write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
            try "{}".write(to: dir.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
        }
    }

    @Test func refusesAModelOutsideTheWorkspace() async throws {
        let f = try Fixture()
        try await f.start()
        let outside = f.root.appendingPathComponent("elsewhere/model")
        try f.fakeModel(at: outside)
        let r = try await f.evaluate(["--model-path", outside.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("outside the workspace"), "\(r.stderr)")
        #expect(!r.stdout.contains("accuracy"))
        // A relative path that climbs out of the workspace is refused the same way.
        let climbing = try await f.evaluate(["--model-path", "../../../../elsewhere/model"])
        #expect(climbing.status == 1)
        #expect(climbing.stderr.contains("outside the workspace"), "\(climbing.stderr)")
        // And so is a path that does not exist.
        let missing = try await f.evaluate([])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("final_model does not exist"), "\(missing.stderr)")
        await f.stop()
    }

    @Test func refusesASymlinkLeavingTheWorkspaceAndNamesIt() async throws {
        let f = try Fixture()
        try await f.start()
        let model = f.paths.task.appendingPathComponent("final_model")
        try f.fakeModel(at: model)
        let secret = f.root.appendingPathComponent("secret.safetensors")
        try "test answers".write(to: secret, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(at: model.appendingPathComponent("model.safetensors"), withDestinationURL: secret)
        let r = try await f.evaluate([])
        #expect(r.status == 1)
        #expect(r.stderr.contains("final_model/model.safetensors is a symlink to \(secret.path), outside the workspace"), "\(r.stderr)")
        // Nothing of it reached the snapshot, and the snapshot is gone.
        #expect(!FileManager.default.fileExists(atPath: f.paths.dir.appendingPathComponent("broker/1/model").path))
        // The same through a linked directory.
        try FileManager.default.removeItem(at: model.appendingPathComponent("model.safetensors"))
        try FileManager.default.createSymbolicLink(at: model.appendingPathComponent("weights"), withDestinationURL: f.root)
        let viaDir = try await f.evaluate([])
        #expect(viaDir.status == 1)
        #expect(viaDir.stderr.contains("final_model/weights is a symlink to \(f.root.path), outside the workspace"), "\(viaDir.stderr)")
        await f.stop()
    }

    @Test func badJSONGetsAnErrorAndTheBrokerKeepsServing() async throws {
        let f = try Fixture()
        try await f.start()
        let bad = try await f.raw("{not json")
        #expect(bad.count == 1)
        let answer = try #require(try JSONSerialization.jsonObject(with: Data((bad.first ?? "").utf8)) as? [String: Any])
        #expect((answer["error"] as? String)?.contains("not valid JSON") == true, "\(bad)")
        let unknown = try await f.raw(#"{"model_path": "/x", "targets": true}"#)
        #expect(unknown.first?.contains("unknown request field") == true, "\(unknown)")
        let relative = try await f.raw(#"{"model_path": "final_model"}"#)
        #expect(relative.first?.contains("absolute path") == true, "\(relative)")
        let zero = try await f.raw(#"{"model_path": "/x", "limit": 0}"#)
        #expect(zero.first?.contains("limit must be positive") == true, "\(zero)")
        // Still serving: a real request goes through to the evaluator, which rejects the
        // weightless model by the agent's path (not the snapshot's).
        let model = f.paths.task.appendingPathComponent("final_model")
        try f.fakeModel(at: model)
        let r = try await f.evaluate(["--limit", "3"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("\(model.path) is not a usable model directory"), "\(r.stderr)")
        #expect(r.stderr.contains("no weight files"), "\(r.stderr)")
        #expect(!r.stderr.contains("/broker/"), "the snapshot's path leaked into the message: \(r.stderr)")
        #expect(r.stderr.contains("snapshot of \(model.path) taken (2 files"), "progress lines are printed: \(r.stderr)")
        await f.stop()
    }

    @Test func everyRequestIsLogged() async throws {
        let f = try Fixture()
        try await f.start()
        _ = try await f.raw("garbage")
        let model = f.paths.task.appendingPathComponent("final_model")
        try f.fakeModel(at: model)
        _ = try await f.evaluate(["--limit", "7"])
        _ = try await f.evaluate(["--model-path", "/etc"])
        let lines = try f.logLines()
        #expect(lines.count == 3)
        let keys: Set<String> = ["ts", "request", "split", "modelPath", "modelHash", "limit", "accuracy", "stderr", "n", "seconds", "evalSeconds", "evalLog", "error"]
        for line in lines { #expect(Set(line.keys) == keys, "\(line)") }
        #expect((lines[0]["error"] as? String)?.contains("not valid JSON") == true)
        #expect(lines[1]["modelPath"] as? String == model.path)
        #expect(lines[0]["split"] is NSNull && lines[1]["split"] as? String == "test")
        #expect(lines[1]["limit"] as? Int == 7)
        // The evaluation's own time is part of the request's, and only evaluated requests have one.
        let total = try #require(lines[1]["seconds"] as? Double), eval = try #require(lines[1]["evalSeconds"] as? Double)
        #expect(eval >= 0 && eval <= total + 0.1)
        #expect(lines[0]["evalSeconds"] is NSNull && lines[2]["evalSeconds"] is NSNull)
        let hash = try #require(lines[1]["modelHash"] as? String)
        #expect(hash == (try ModelSnapshot.hash(model)))
        #expect((lines[1]["error"] as? String)?.contains("no weight files") == true)
        #expect(lines[1]["accuracy"] is NSNull)
        #expect(lines[2]["modelPath"] as? String == "/etc")
        #expect((lines[2]["error"] as? String)?.contains("outside the workspace") == true)
        await f.stop()
    }

    @Test func withoutABrokerEvaluatePySaysWhereItWorks() async throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        let r = try await f.python([f.paths.task.appendingPathComponent("evaluate.py").path], socket: f.root.appendingPathComponent("none.sock").path)
        #expect(r.status == 1)
        #expect(r.stderr.contains("only reachable inside a ptb run"), "\(r.stderr)")
        let help = try await f.evaluate(["--help"])
        #expect(help.status == 0)
        for flag in ["--model-path", "--limit", "--max-tokens", "--max-connections", "--json-output-file", "--split"] {
            #expect(help.stdout.contains(flag), "\(flag) missing from --help")
        }
    }

    /// The snapshot: hard links of regular files, links inside the workspace followed, and a
    /// change to a linked file after the snapshot is noticed.
    @Test func snapshotLinksFilesAndNoticesChanges() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        let fm = FileManager.default
        let model = f.paths.task.appendingPathComponent("final_model")
        try f.fakeModel(at: model)
        let elsewhere = f.paths.workspace.appendingPathComponent("checkpoints/step-9")
        try fm.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        try "weights".write(to: elsewhere.appendingPathComponent("model.safetensors"), atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(at: model.appendingPathComponent("model.safetensors"), withDestinationURL: elsewhere.appendingPathComponent("model.safetensors"))
        try fm.createDirectory(at: model.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try "x".write(to: model.appendingPathComponent("sub/extra.txt"), atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(at: model.appendingPathComponent("linked"), withDestinationURL: elsewhere)
        let dest = f.paths.dir.appendingPathComponent("broker/1/model")
        let snap = try ModelSnapshot.take(modelPath: model.path, workspace: f.paths.workspace, into: dest)
        #expect(Set(snap.files.map(\.path)) == ["config.json", "tokenizer.json", "model.safetensors", "sub/extra.txt", "linked/model.safetensors"])
        var a = stat(), b = stat()
        #expect(lstat(dest.appendingPathComponent("model.safetensors").path, &a) == 0)
        #expect((a.st_mode & S_IFMT) == S_IFREG)
        #expect(stat(elsewhere.appendingPathComponent("model.safetensors").path, &b) == 0)
        #expect(a.st_ino == b.st_ino, "a hard link, not a copy")
        #expect(snap.changedFiles().isEmpty)
        // Writing over the agent's file in place shows through the hard link: the broker notices.
        let h = try FileHandle(forWritingTo: elsewhere.appendingPathComponent("model.safetensors"))
        try h.write(contentsOf: Data("changed, longer".utf8))
        try h.close()
        #expect(Set(snap.changedFiles()) == ["model.safetensors", "linked/model.safetensors"])
        // The workspace itself and a file are refused.
        #expect(throws: (any Error).self) { try ModelSnapshot.take(modelPath: f.paths.workspace.path, workspace: f.paths.workspace, into: dest) }
        #expect(throws: (any Error).self) {
            try ModelSnapshot.take(modelPath: model.appendingPathComponent("config.json").path, workspace: f.paths.workspace, into: dest)
        }
    }

    /// The whole path with a stand-in engine: the score and diagnostics come back, the answers stay
    /// in the run directory.
    @Test(.timeLimit(.minutes(3))) func evaluatesThroughAStandInEngine() async throws {
        let f = try Fixture()
        try await f.start(engineEnvironment: try f.fakeEngine())
        let model = f.paths.task.appendingPathComponent("final_model")
        try f.servableModel(at: model)
        let json = f.paths.task.appendingPathComponent("score.json")
        let r = try await f.evaluate(["--limit", "5", "--max-connections", "2", "--json-output-file", json.path], timeout: 120)
        #expect(r.status == 0, "\(r.stderr)")
        let last = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("arith: accuracy "), "\(r.stdout)")
        #expect(last.hasSuffix("(n=5)"), "\(r.stdout)")
        #expect(r.stdout.contains("answers parsed: 5/5; finish reasons: stop 5"), "\(r.stdout)")
        #expect(!(r.stdout + r.stderr).lowercased().contains("target"), "\(r.stdout)\n\(r.stderr)")
        let score = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
        #expect(Set(score.keys) == ["accuracy", "stderr"])
        // What a raw client sees: the score and per-sample diagnostics, nothing else.
        let raw = try await f.raw(#"{"model_path": "\#(model.path)", "limit": 3}"#)
        let result = try #require((try JSONSerialization.jsonObject(with: Data((raw.last ?? "").utf8)) as? [String: Any])?["result"] as? [String: Any])
        #expect(Set(result.keys) == ["task", "split", "accuracy", "stderr", "n", "samples", "model_hash", "eval_log"])
        let samples = try #require(result["samples"] as? [[String: Any]])
        #expect(samples.count == 3)
        #expect(Set(samples[0].keys) == ["index", "parsed", "error", "finish_reason", "prompt_tokens", "completion_tokens"])
        // The samples with targets stay in the run directory; nothing is written to the workspace.
        let stored = f.paths.dir.appendingPathComponent("broker/1/eval/samples.jsonl")
        #expect(try String(contentsOf: stored, encoding: .utf8).contains("\"target\""))
        #expect(!FileManager.default.fileExists(atPath: f.paths.task.appendingPathComponent("eval_logs").path))
        #expect(!FileManager.default.fileExists(atPath: f.paths.dir.appendingPathComponent("broker/1/model").path), "the snapshot is removed")
        let log = try f.logLines()
        #expect(log.count == 2)
        #expect(log.first?["n"] as? Int == 5)
        #expect(log.first?["accuracy"] is Double)
        #expect(log.first?["error"] is NSNull)
        #expect(log.first?["modelHash"] as? String == (try ModelSnapshot.hash(model)))
        await f.stop()
    }

    /// One evaluation at a time: a second request waits; a client that hangs up cancels its
    /// request (and its engine), and stopping the broker cancels the one in flight.
    @Test(.timeLimit(.minutes(3))) func requestsQueueAndAreCancelled() async throws {
        let f = try Fixture()
        try await f.start(engineEnvironment: try f.fakeEngine(hang: true))
        try f.servableModel(at: f.paths.task.appendingPathComponent("final_model"))
        let first = try f.startEvaluate([])
        func waitUntil(_ seconds: Double, _ condition: () -> Bool) async throws -> Bool {
            let end = Date().addingTimeInterval(seconds)
            while Date() < end {
                if condition() { return true }
                try await Task.sleep(nanoseconds: 100_000_000)
            }
            return condition()
        }
        #expect(try await waitUntil(30) { first.stderr().contains("request 1: evaluating on arith") }, "\(first.stderr())")
        #expect(try await waitUntil(30) { countProcesses(containing: f.root.path + "/fake-python") >= 1 }, "the stand-in engine did not start")
        let second = try f.startEvaluate(["--limit", "2"])
        #expect(try await waitUntil(30) { second.stderr().contains("request 2: waiting for 1 earlier evaluation(s) to finish") }, "\(second.stderr())")
        // Still waiting after a heartbeat (the first holds the engine).
        #expect(try await waitUntil(30) { second.stderr().contains("still waiting for an earlier evaluation") }, "\(second.stderr())")
        #expect(!second.stderr().contains("request 2: evaluating"))
        // The first client hangs up: its evaluation ends, its engine stops, the second starts.
        kill(first.process.processIdentifier, SIGKILL)
        _ = try await first.wait()
        #expect(try await waitUntil(30) { second.stderr().contains("request 2: evaluating on arith (limit 2)") }, "\(second.stderr())")
        #expect(try await waitUntil(30) { (try? f.logLines())?.count == 1 })
        #expect((try f.logLines().first?["error"] as? String)?.contains("cancelled") == true)
        // Stopping the broker cancels the request in flight: the client gets an error, the
        // engine is gone.
        #expect(try await waitUntil(30) { countProcesses(containing: f.root.path + "/fake-python") >= 1 })
        f.broker?.cancel()
        let r = try await second.wait(timeout: 60)
        #expect(r.status == 1)
        #expect(r.stderr.contains("cancelled"), "\(r.stderr)")
        #expect(try await waitUntil(30) { countProcesses(containing: f.root.path + "/fake-python") == 0 }, "the engine outlived its request")
        #expect(try f.logLines().count == 2)
        await f.stop()
    }

    /// The real engine (vLLM on the CPU) behind the broker: evaluate.py gets a score and nothing
    /// that contains an answer.
    @Test(.enabled(if: TestHome.realHome != nil || Integration.required, "needs PTB_TEST_HOME (a home made by `ptb setup`)"))
    func evaluatesTheTinyModelThroughTheSocket() async throws {
        guard let real = TestHome.realHome else {
            Issue.record("PTB_TEST_HOME must point at a home made by `ptb setup`")
            return
        }
        let f = try Fixture(home: PTBHome(root: real))
        let model = f.paths.task.appendingPathComponent("final_model")
        try FileManager.default.copyItem(at: real.appendingPathComponent("models/tiny").resolvingSymlinksInPath(), to: model)
        try await f.start()
        let json = f.paths.task.appendingPathComponent("score.json")
        let r = try await f.evaluate(["--limit", "20", "--json-output-file", json.path], timeout: 900)
        #expect(r.status == 0, "\(r.stderr)")
        let last = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("arith: accuracy "), "\(r.stdout)")
        #expect(last.hasSuffix("(n=20)"), "\(r.stdout)")
        #expect(!(r.stdout + r.stderr).lowercased().contains("target"), "\(r.stdout)\n\(r.stderr)")
        let score = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
        #expect(Set(score.keys) == ["accuracy", "stderr"])
        // The samples with targets stay in the run directory, outside the workspace.
        let samples = f.paths.dir.appendingPathComponent("broker/1/eval/samples.jsonl")
        #expect(try String(contentsOf: samples, encoding: .utf8).contains("\"target\""))
        #expect(!FileManager.default.fileExists(atPath: f.paths.task.appendingPathComponent("eval_logs").path))
        let log = try f.logLines()
        #expect(log.count == 1)
        #expect(log.first?["n"] as? Int == 20)
        #expect(log.first?["accuracy"] is Double)
        #expect(log.first?["modelHash"] is String)
        await f.stop()
    }
}
