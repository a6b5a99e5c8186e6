import Foundation
import PTBCore
import PTBProcess
@testable import PTBRunner
import PTBTasks
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
        var broker: Task<Void, any Error>?

        init(home: PTBHome? = nil) throws {
            root = URL(fileURLWithPath: "/var/tmp/ptb-broker-\(UUID().uuidString.prefix(8))")
            paths = RunPaths(dir: root.appendingPathComponent("runs/run-1"))
            socket = root.appendingPathComponent("eval.sock")
            self.home = home ?? PTBHome(root: root.appendingPathComponent("home"))
            let fm = FileManager.default
            try fm.createDirectory(at: paths.task, withIntermediateDirectories: true)
            let task = try TaskRegistry.lookup("arith")
            try EvaluateScript.render(task: task, ptb: URL(fileURLWithPath: "/nonexistent/ptb"), template: nil)
                .write(to: paths.task.appendingPathComponent("evaluate.py"), atomically: true, encoding: .utf8)
        }

        func start(gpus: Int = 0) async throws {
            let harness = Harness(home: home, runner: ProcessRunner(), ptbExecutable: URL(fileURLWithPath: "/nonexistent/ptb"),
                                  environment: ProcessInfo.processInfo.environment, echoAgent: false) { _ in }
            let broker = EvalBroker(harness: harness, task: try TaskRegistry.lookup("arith"), runPaths: paths, gpus: gpus,
                                    socketPath: socket, chatTemplate: nil)
            self.broker = Task { try await broker.run() }
            #expect(waitFor(10) { Self.isSocket(self.socket.path) }, "the broker did not create its socket")
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

        /// Runs `python3 <code or script> args` in the task directory with PTB_EVAL_SOCKET set.
        func python(_ args: [String], socket: String? = nil, timeout: Double = 60) throws -> Output {
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
            let deadline = Date().addingTimeInterval(timeout)
            while p.isRunning, Date() < deadline { usleep(50_000) }
            if p.isRunning { p.terminate() }
            p.waitUntilExit()
            return Output(status: p.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
                          stderr: try String(contentsOf: err, encoding: .utf8))
        }

        func evaluate(_ args: [String], timeout: Double = 60) throws -> Output {
            try python([paths.task.appendingPathComponent("evaluate.py").path] + args, timeout: timeout)
        }

        /// Sends one raw line and returns the broker's answer lines.
        func raw(_ line: String) throws -> [String] {
            let code = """
                import socket, sys
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(sys.argv[1])
                s.sendall(sys.argv[2].encode() + b"\\n")
                sys.stdout.write(s.makefile("rb").read().decode())
                """
            return try python(["-c", code, socket.path, line]).stdout.split(separator: "\n").map(String.init)
        }

        func logLines() throws -> [[String: Any]] {
            let url = paths.dir.appendingPathComponent("broker.jsonl")
            guard FileManager.default.fileExists(atPath: url.path) else { return [] }
            return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
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
        let r = try f.evaluate(["--model-path", outside.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("outside the workspace"), "\(r.stderr)")
        #expect(!r.stdout.contains("accuracy"))
        // A relative path that climbs out of the workspace is refused the same way.
        let climbing = try f.evaluate(["--model-path", "../../../../elsewhere/model"])
        #expect(climbing.status == 1)
        #expect(climbing.stderr.contains("outside the workspace"), "\(climbing.stderr)")
        // And so is a path that does not exist.
        let missing = try f.evaluate([])
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
        let r = try f.evaluate([])
        #expect(r.status == 1)
        #expect(r.stderr.contains("final_model/model.safetensors is a symlink to \(secret.path), outside the workspace"), "\(r.stderr)")
        // Nothing of it reached the snapshot, and the snapshot is gone.
        #expect(!FileManager.default.fileExists(atPath: f.paths.dir.appendingPathComponent("broker/1/model").path))
        // The same through a linked directory.
        try FileManager.default.removeItem(at: model.appendingPathComponent("model.safetensors"))
        try FileManager.default.createSymbolicLink(at: model.appendingPathComponent("weights"), withDestinationURL: f.root)
        let viaDir = try f.evaluate([])
        #expect(viaDir.status == 1)
        #expect(viaDir.stderr.contains("final_model/weights is a symlink to \(f.root.path), outside the workspace"), "\(viaDir.stderr)")
        await f.stop()
    }

    @Test func badJSONGetsAnErrorAndTheBrokerKeepsServing() async throws {
        let f = try Fixture()
        try await f.start()
        let bad = try f.raw("{not json")
        #expect(bad.count == 1)
        let answer = try #require(try JSONSerialization.jsonObject(with: Data((bad.first ?? "").utf8)) as? [String: Any])
        #expect((answer["error"] as? String)?.contains("not valid JSON") == true, "\(bad)")
        let unknown = try f.raw(#"{"model_path": "/x", "targets": true}"#)
        #expect(unknown.first?.contains("unknown request field") == true, "\(unknown)")
        let relative = try f.raw(#"{"model_path": "final_model"}"#)
        #expect(relative.first?.contains("absolute path") == true, "\(relative)")
        let zero = try f.raw(#"{"model_path": "/x", "limit": 0}"#)
        #expect(zero.first?.contains("limit must be positive") == true, "\(zero)")
        // Still serving: a real request goes through to the evaluator, which rejects the
        // weightless model by the agent's path (not the snapshot's).
        let model = f.paths.task.appendingPathComponent("final_model")
        try f.fakeModel(at: model)
        let r = try f.evaluate(["--limit", "3"])
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
        _ = try f.raw("garbage")
        let model = f.paths.task.appendingPathComponent("final_model")
        try f.fakeModel(at: model)
        _ = try f.evaluate(["--limit", "7"])
        _ = try f.evaluate(["--model-path", "/etc"])
        let lines = try f.logLines()
        #expect(lines.count == 3)
        let keys: Set<String> = ["ts", "request", "model_path", "model_hash", "limit", "accuracy", "stderr", "n", "seconds", "error"]
        for line in lines { #expect(Set(line.keys) == keys, "\(line)") }
        #expect((lines[0]["error"] as? String)?.contains("not valid JSON") == true)
        #expect(lines[1]["model_path"] as? String == model.path)
        #expect(lines[1]["limit"] as? Int == 7)
        let hash = try #require(lines[1]["model_hash"] as? String)
        #expect(hash == (try ModelSnapshot.hash(model)))
        #expect((lines[1]["error"] as? String)?.contains("no weight files") == true)
        #expect(lines[1]["accuracy"] is NSNull)
        #expect(lines[2]["model_path"] as? String == "/etc")
        #expect((lines[2]["error"] as? String)?.contains("outside the workspace") == true)
        await f.stop()
    }

    @Test func withoutABrokerEvaluatePySaysWhereItWorks() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.root) }
        let r = try f.python([f.paths.task.appendingPathComponent("evaluate.py").path], socket: f.root.appendingPathComponent("none.sock").path)
        #expect(r.status == 1)
        #expect(r.stderr.contains("only reachable inside a ptb run"), "\(r.stderr)")
        let help = try f.evaluate(["--help"])
        #expect(help.status == 0)
        for flag in ["--model-path", "--limit", "--max-tokens", "--max-connections", "--json-output-file"] {
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

    /// The real engine (vLLM on the CPU) behind the broker: evaluate.py gets a score and nothing
    /// that contains an answer.
    @Test(.enabled(if: TestHome.realHome != nil || requireIntegration, "needs PTB_TEST_HOME (a home made by `ptb setup`)"))
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
        let r = try f.evaluate(["--limit", "5", "--json-output-file", json.path], timeout: 900)
        #expect(r.status == 0, "\(r.stderr)")
        let last = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("arith: accuracy "), "\(r.stdout)")
        #expect(last.hasSuffix("(n=5)"), "\(r.stdout)")
        #expect(!(r.stdout + r.stderr).lowercased().contains("target"), "\(r.stdout)\n\(r.stderr)")
        let score = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
        #expect(Set(score.keys) == ["accuracy", "stderr"])
        // The samples with targets stay in the run directory, outside the workspace.
        let samples = f.paths.dir.appendingPathComponent("broker/1/eval/samples.jsonl")
        #expect(try String(contentsOf: samples, encoding: .utf8).contains("\"target\""))
        #expect(!FileManager.default.fileExists(atPath: f.paths.task.appendingPathComponent("eval_logs").path))
        let log = try f.logLines()
        #expect(log.count == 1)
        #expect(log.first?["n"] as? Int == 5)
        #expect(log.first?["accuracy"] is Double)
        #expect(log.first?["model_hash"] is String)
        await f.stop()
    }
}
