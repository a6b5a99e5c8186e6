import Foundation
import PTBCore
@testable import PTBRunner
import PTBTasks
import Testing

/// The dev split, the feedback modes and the progress lines of the evaluation broker. Part of
/// the `EvalBrokerTests` suite, so they run in its own test pass.
extension EvalBrokerTests {
    /// Every string anywhere in a JSON value.
    static func strings(in value: Any) -> [String] {
        switch value {
        case let s as String: [s]
        case let a as [Any]: a.flatMap { strings(in: $0) }
        case let d as [String: Any]: d.keys.map { $0 } + d.values.flatMap { strings(in: $0) }
        default: []
        }
    }

    static func result(_ lines: [String]) throws -> [String: Any] {
        let last = try #require(try JSONSerialization.jsonObject(with: Data((lines.last ?? "").utf8)) as? [String: Any])
        return try #require(last["result"] as? [String: Any], "\(lines)")
    }

    /// Every file under `dir` with its text.
    static func files(under dir: URL) -> [(String, String)] {
        let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey])
        var out: [(String, String)] = []
        while let url = e?.nextObject() as? URL {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            out.append((url.path, (try? String(contentsOf: url, encoding: .utf8)) ?? ""))
        }
        return out
    }

    func evalLogDirs(_ f: Fixture) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: f.paths.task.appendingPathComponent("eval_logs").path)) ?? []).sorted()
    }

    /// The dev split comes back in full (prompt, completion, target, verdict) and is also written
    /// to the workspace.
    @Test(.timeLimit(.minutes(3))) func devSplitReturnsTargetsAndCompletions() async throws {
        let f = try Fixture()
        try await f.start(engineEnvironment: try f.fakeEngine())
        let model = f.paths.task.appendingPathComponent("final_model")
        try f.servableModel(at: model)
        let dev = ArithTask.trainGenerator(count: 4, seed: ArithTask.devSeed)
        let r = try await f.evaluate(["--split", "dev", "--limit", "4"], timeout: 120)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        // The verdicts the task gives the stand-in's answer (the original's suffix match: "42" is right for 2).
        let verdicts = dev.map { ArithTask().score($0, completion: "The answer is 42.").correct }
        let accuracy = String(format: "%.4f", Double(verdicts.filter { $0 }.count) / 4)
        #expect(lines.last?.hasPrefix("arith (dev split): accuracy \(accuracy) \u{00b1} ") == true && lines.last?.hasSuffix("(n=4)") == true, "\(r.stdout)")
        for (s, ok) in zip(dev, verdicts) {
            #expect(lines.contains { $0.hasPrefix("[\(s.id)] \(ok ? "correct" : "wrong"): ") && $0.contains("target \"\(s.target)\"") }, "\(s.id): \(r.stdout)")
        }
        #expect(r.stderr.contains("evaluating on arith's dev split (limit 4)"), "\(r.stderr)")
        // The raw answer: every sample in full.
        let raw = try await f.raw(#"{"model_path": "\#(model.path)", "split": "dev", "limit": 3}"#)
        let result = try Self.result(raw)
        #expect(result["split"] as? String == "dev")
        #expect(result["n"] as? Int == 3)
        let samples = try #require(result["samples"] as? [[String: Any]])
        #expect(samples.count == 3)
        for (i, s) in samples.enumerated() {
            #expect(s["id"] as? String == dev[i].id)
            #expect(s["target"] as? String == dev[i].target)
            #expect(s["completion"] as? String == "The answer is 42.")
            #expect(s["correct"] as? Bool == verdicts[i])
            let prompt = try #require(s["prompt"] as? [[String: Any]])
            #expect(prompt.first?["content"] as? String == dev[i].messages[0].content)
        }
        // Both evaluations left their samples in the workspace, under eval_logs/<time>-dev*.
        let dirs = evalLogDirs(f)
        #expect(dirs.count == 2 && dirs.allSatisfy { $0.contains("-dev") }, "\(dirs)")
        let stored = try String(contentsOf: f.paths.task.appendingPathComponent("eval_logs/\(dirs[0])/samples.jsonl"), encoding: .utf8)
        #expect(stored.contains("\"target\":\"\(dev[0].target)\""), "\(stored)")
        #expect(lines.contains { $0.hasPrefix("samples (prompt, completion, target, verdict): \(f.paths.task.path)/eval_logs/") })
        let evalLog = try #require(result["eval_log"] as? String)
        #expect(evalLog.hasPrefix("eval_logs/") && dirs.contains(String(evalLog.dropFirst("eval_logs/".count))), "\(evalLog)")
        let log = try f.logLines()
        #expect(log.map { $0["split"] as? String } == ["dev", "dev"])
        #expect(log.allSatisfy { ($0["evalLog"] as? String)?.hasPrefix("task/eval_logs/") == true })
        await f.stop()
    }

    /// The default (sealed) test split: the raw reply holds no prompt, completion or target of the
    /// test items, and nothing of them reaches the workspace.
    @Test(.timeLimit(.minutes(3))) func sealedTestSplitRevealsNoAnswer() async throws {
        let f = try Fixture()
        try await f.start(engineEnvironment: try f.fakeEngine())
        let model = f.paths.task.appendingPathComponent("final_model")
        try f.servableModel(at: model)
        let raw = try await f.raw(#"{"model_path": "\#(model.path)", "limit": 5}"#)
        let result = try Self.result(raw)
        #expect(result["split"] as? String == "test")
        #expect(result["eval_log"] is NSNull)
        let test = Array(try ArithTask.testSplit(home: f.home).prefix(5))
        let text = raw.joined(separator: "\n")
        for key in ["\"target\"", "\"prompt\"", "\"completion\"", "\"answer\"", "\"id\""] {
            #expect(!text.contains(key), "\(key) in \(text)")
        }
        #expect(!text.contains("The answer is 42"))
        let strings = Set(raw.flatMap { line in
            Self.strings(in: (try? JSONSerialization.jsonObject(with: Data(line.utf8))) ?? [:])
        })
        for s in test {
            #expect(!text.contains(s.messages[0].content))
            #expect(!strings.contains(s.target), "target \(s.target) in \(text)")
        }
        let r = try await f.evaluate(["--limit", "5"], timeout: 120)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stdout.contains("samples (prompt"), "\(r.stdout)")
        #expect(evalLogDirs(f).isEmpty)
        for (path, content) in Self.files(under: f.paths.workspace) {
            for s in test { #expect(!content.contains(s.messages[0].content), "a test question in \(path)") }
        }
        #expect(try f.logLines().allSatisfy { $0["split"] as? String == "test" && $0["evalLog"] is NSNull })
        await f.stop()
    }

    /// `--eval-feedback original`: the test split's full samples land in task/eval_logs/<time>/,
    /// as the original harness left them.
    @Test(.timeLimit(.minutes(3))) func originalFeedbackWritesTheTestSamplesToTheWorkspace() async throws {
        let f = try Fixture()
        try await f.start(engineEnvironment: try f.fakeEngine(), feedback: .original)
        try f.servableModel(at: f.paths.task.appendingPathComponent("final_model"))
        let r = try await f.evaluate(["--limit", "3"], timeout: 120)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.last?.hasPrefix("arith: accuracy ") == true, "\(r.stdout)")
        let dirs = evalLogDirs(f)
        #expect(dirs.count == 1 && !(dirs.first ?? "").contains("dev"), "\(dirs)")
        let dir = f.paths.task.appendingPathComponent("eval_logs/\(dirs.first ?? "")")
        #expect(lines.contains("samples (prompt, completion, target, verdict): \(dir.path)/samples.jsonl"), "\(r.stdout)")
        let records = try String(contentsOf: dir.appendingPathComponent("samples.jsonl"), encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let test = Array(try ArithTask.testSplit(home: f.home).prefix(3))
        #expect(records.map { $0["target"] as? String } == test.map(\.target))
        #expect(records.map { (($0["prompt"] as? [[String: Any]])?.first?["content"] as? String) } == test.map { $0.messages[0].content })
        #expect(records.allSatisfy { $0["completion"] as? String == "The answer is 42." })
        let metrics = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("metrics.json"))) as? [String: Any])
        #expect(metrics["n"] as? Int == 3 && metrics["split"] as? String == "test" && metrics["accuracy"] is Double)
        #expect(!String(decoding: try Data(contentsOf: dir.appendingPathComponent("metrics.json")), as: UTF8.self).contains("/broker/"))
        #expect(try f.logLines().first?["evalLog"] as? String == "task/eval_logs/\(dirs.first ?? "")")
        await f.stop()
    }

    /// The broker never writes through a symlink the agent planted at task/eval_logs.
    @Test(.timeLimit(.minutes(3))) func evalLogsSymlinkIsNotFollowed() async throws {
        let f = try Fixture()
        try await f.start(engineEnvironment: try f.fakeEngine(), feedback: .original)
        try f.servableModel(at: f.paths.task.appendingPathComponent("final_model"))
        let outside = f.root.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: f.paths.task.appendingPathComponent("eval_logs"), withDestinationURL: outside)
        let r = try await f.evaluate(["--split", "dev", "--limit", "2"], timeout: 120)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("task/eval_logs is a symlink"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
        #expect(try f.logLines().first?["evalLog"] is NSNull)
        await f.stop()
    }

    /// A dev request on a task without a dev split, or without its data, gets an error that says why.
    @Test func devSplitErrorsSayWhy() async throws {
        let aime = try Fixture(taskID: "aime2025")
        try await aime.start()
        try aime.fakeModel(at: aime.paths.task.appendingPathComponent("final_model"))
        let none = try await aime.evaluate(["--split", "dev"])
        #expect(none.status == 1)
        #expect(none.stderr.contains("task aime2025 has no dev split: AIME 2025 has 30 problems"), "\(none.stderr)")
        #expect(none.stderr.contains("--split test"), "\(none.stderr)")
        #expect(try aime.logLines().first?["split"] as? String == "dev")
        let bad = try await aime.raw(#"{"model_path": "/x", "split": "train"}"#)
        #expect(bad.first?.contains("split must be \\\"test\\\" or \\\"dev\\\"") == true, "\(bad)")
        let argparse = try await aime.evaluate(["--split", "train"])
        #expect(argparse.status == 2 && argparse.stderr.contains("invalid choice"), "\(argparse.stderr)")
        let help = try await aime.evaluate(["--help"])
        #expect(help.stdout.contains("--split {test,dev}"), "\(help.stdout)")
        await aime.stop()

        let gsm = try Fixture(taskID: "gsm8k")
        try await gsm.start()
        try gsm.fakeModel(at: gsm.paths.task.appendingPathComponent("final_model"))
        let missing = try await gsm.evaluate(["--split", "dev"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("the train split is not imported") && missing.stderr.contains("ptb data pull gsm8k"), "\(missing.stderr)")
        await gsm.stop()
    }

    /// While evaluating, the heartbeat says how many samples are done.
    @Test(.timeLimit(.minutes(3))) func progressLinesCountSamples() async throws {
        let f = try Fixture()
        try await f.start(engineEnvironment: try f.fakeEngine(delay: 0.5), heartbeatSeconds: 0.2)
        try f.servableModel(at: f.paths.task.appendingPathComponent("final_model"))
        let r = try await f.evaluate(["--limit", "4", "--max-connections", "1"], timeout: 120)
        #expect(r.status == 0, "\(r.stderr)")
        let counts = r.stderr.split(separator: "\n").compactMap { line -> Int? in
            guard let range = line.range(of: "request 1: evaluating: ") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        #expect(!counts.isEmpty && counts.allSatisfy { (0...4).contains($0) }, "\(r.stderr)")
        #expect(counts.contains { $0 >= 1 && $0 < 4 }, "\(r.stderr)")
        #expect(r.stderr.contains("/4 samples ("), "\(r.stderr)")
        await f.stop()
    }

    /// evaluate.py, for every task and both feedback modes, is valid Python whose --help names the
    /// task's dev split; its docstring says what a test evaluation leaves in the workspace.
    @Test func evaluateScriptRendersForEveryTaskAndMode() async throws {
        let dir = URL(fileURLWithPath: "/var/tmp/ptb-render-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var scripts: [URL] = []
        for task in TaskRegistry.all {
            for mode in EvalFeedback.allCases {
                let text = EvaluateScript.render(task: task, ptb: URL(fileURLWithPath: "/nonexistent/ptb"), template: nil, feedback: mode)
                #expect(text.contains(task.devSplitNote))
                #expect(text.contains("eval_logs/<time>/samples.jsonl") == (mode == .original), "\(task.id) \(mode)")
                let url = dir.appendingPathComponent("\(task.id)-\(mode.rawValue).py")
                try text.write(to: url, atomically: true, encoding: .utf8)
                scripts.append(url)
            }
        }
        // One interpreter checks them all: each must compile and print --help.
        let code = """
            import subprocess, sys
            for path in sys.argv[1:]:
                with open(path, encoding="utf-8") as f:
                    compile(f.read(), path, "exec")
                out = subprocess.run([sys.executable, path, "--help"], capture_output=True, text=True)
                if out.returncode != 0 or "--split {test,dev}" not in out.stdout or "Dev split:" not in " ".join(out.stdout.split()):
                    print("FAIL", path, out.returncode, out.stdout, out.stderr)
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-W", "error", "-c", code] + scripts.map(\.path)
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0 && out.isEmpty, "\(out)")
    }

    /// A whole `ptb run --eval-feedback original` in the bubblewrap sandbox, with the stand-in
    /// engine: the agent's evaluate.py reaches the broker for both splits, the mode is in run.json,
    /// and both evaluations left their samples in task/eval_logs/.
    @Test(.enabled(if: CheatTrialTests.haveBwrap), .timeLimit(.minutes(3))) func originalFeedbackThroughARealRun() throws {
        let t = try CheatTrialTests.Trial()
        defer { t.home.cleanup() }
        let engine = try Fixture()
        defer { try? FileManager.default.removeItem(at: engine.root) }
        try FileManager.default.createDirectory(at: engine.root, withIntermediateDirectories: true)
        let env = try engine.fakeEngine()
        let script = """
            mkdir -p final_model
            echo '{"model_type": "llama"}' > final_model/config.json
            echo '{}' > final_model/tokenizer.json
            python3 -c 'import struct, sys; h = b"{\\"__metadata__\\":{\\"format\\":\\"pt\\"}}"; open("final_model/model.safetensors", "wb").write(struct.pack("<Q", len(h)) + h)'
            python3 evaluate.py --split dev --limit 2 > dev.txt 2>&1
            python3 evaluate.py --limit 2 > test.txt 2>&1
            """
        let (_, paths) = try t.run("feedback-original", script, sandbox: "bwrap", extra: ["--eval-feedback", "original"], env: env)
        let m = try JSONSerialization.jsonObject(with: Data(contentsOf: paths.dir.appendingPathComponent("run.json"))) as? [String: Any]
        #expect((m?["spec"] as? [String: Any])?["evalFeedback"] as? String == "original", "\(String(describing: m))")
        let dev = (try? String(contentsOf: paths.task.appendingPathComponent("dev.txt"), encoding: .utf8)) ?? ""
        let test = (try? String(contentsOf: paths.task.appendingPathComponent("test.txt"), encoding: .utf8)) ?? ""
        #expect(dev.contains("arith (dev split): accuracy "), "\(dev)")
        #expect(test.contains("arith: accuracy "), "\(test)")
        let dirs = ((try? FileManager.default.contentsOfDirectory(atPath: paths.task.appendingPathComponent("eval_logs").path)) ?? []).sorted()
        #expect(dirs.count == 2 && dirs.filter { $0.hasSuffix("-dev") }.count == 1, "\(dirs)")
        for d in dirs {
            let text = (try? String(contentsOf: paths.task.appendingPathComponent("eval_logs/\(d)/samples.jsonl"), encoding: .utf8)) ?? ""
            #expect(text.split(separator: "\n").count == 2 && text.contains("\"target\""), "\(d): \(text)")
        }
        let log = try String(contentsOf: paths.dir.appendingPathComponent("broker.jsonl"), encoding: .utf8)
        #expect(log.contains("\"split\":\"dev\"") && log.contains("\"split\":\"test\""), "\(log)")
    }

    /// `eval_feedback` in a run config reaches the run's spec (the sweep's: SweepSpecTests).
    @Test func evalFeedbackIsARunSetting() throws {
        let dir = URL(fileURLWithPath: "/var/tmp/ptb-feedback-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("run.yaml")
        try "task: arith\nmodel: tiny\nagent: reference\neval_feedback: original\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(try RunConfigFile.load(file).evalFeedback == .original)
        try "task: arith\neval_feedback: open\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try RunConfigFile.load(file) }
        // Absent: nil in the spec (sealed), and run.json stays as before.
        var spec = RunSpec(task: "arith", model: "tiny", agent: "reference")
        #expect(!String(decoding: try JSONEncoder().encode(spec), as: UTF8.self).contains("evalFeedback"))
        spec.evalFeedback = .original
        #expect(try JSONDecoder().decode(RunSpec.self, from: JSONEncoder().encode(spec)).evalFeedback == .original)
    }
}
