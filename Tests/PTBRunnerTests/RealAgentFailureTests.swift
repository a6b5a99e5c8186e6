import Foundation
import PTBAgents
import PTBCore
import PTBProcess
import PTBTestSupport
import Testing

/// The ways a real CLI run goes wrong, each with the real binary: the model server answers 401,
/// 429 then success, 500 forever, or hangs; the CLI is killed at the time limit in the middle of
/// a tool call; the binary is missing or only another version is installed. Each must end as a
/// recorded state that says what happened (with the CLI's own error text), never a silent zero.
/// No final_model is written, so no final evaluation runs (seconds per case).
@Suite(.serialized) struct RealAgentFailureTests {
    let real = RealAgentTests()

    static let claudeYAML = """
        name: NAME
        scaffold: claude-code
        model: claude-opus-4-6
        base_url: BASE_URL
        """

    /// A run config that stops the agent right at the deadline (no grace) for the time-limit cases.
    func noGrace(_ h: TestHome) throws -> [String] {
        ["--config", try h.config("term_grace_seconds: 0\nkill_after_seconds: 2\n").path]
    }

    func agentEvent(_ o: RealAgentTests.Outcome, _ name: String) throws -> String? {
        try String(contentsOf: o.paths.trace, encoding: .utf8).split(separator: "\n").compactMap { line -> String? in
            guard let j = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], j["event"] as? String == name else { return nil }
            return j["detail"] as? String ?? ""
        }.last
    }

    @Test func claude401EndsAsAnErrorWithTheCLIsMessage() throws {
        let h = try real.home()
        defer { h.cleanup() }
        guard let o = try real.run(h, agent: "c401", yaml: Self.claudeYAML.replacingOccurrences(of: "NAME", with: "c401"),
                                   turns: [["text": "never played"]], fail: ["status": 401],
                                   env: ["ANTHROPIC_API_KEY": "sk-ant-wrong-\(UUID().uuidString)"]) else { return }
        #expect(o.manifest.exit == .error(1), "\(String(describing: o.manifest.exit))")
        #expect(o.result.scoreState == .noFinalModel)
        let said = try #require(try agentEvent(o, "agent-error"))
        #expect(said.contains("401") && said.contains("invalid api key (scripted 401)"), "\(said)")
        #expect(o.manifest[.agent].detail?.contains("the agent said: Failed to authenticate. API Error: 401") == true, "\(o.manifest[.agent].detail ?? "")")
    }

    @Test func claude429ThenSuccessRetriesAndFinishes() throws {
        let h = try real.home()
        defer { h.cleanup() }
        guard let o = try real.run(h, agent: "c429", yaml: Self.claudeYAML.replacingOccurrences(of: "NAME", with: "c429"),
                                   turns: [["shell": "bash timer.sh"], ["text": "done"]], fail: ["status": 429, "times": 1],
                                   env: ["ANTHROPIC_API_KEY": "sk-ant-\(UUID().uuidString)"]) else { return }
        #expect(o.manifest.exit == .normal, "\(String(describing: o.manifest.exit)) \(o.console.stderr.suffix(2000))")
        let trace = try String(contentsOf: o.paths.trace, encoding: .utf8)
        #expect(trace.contains(#"\"subtype\":\"api_retry\""#) && trace.contains(#"\"error_status\":429"#), "the CLI's own retry line")
        #expect(o.requests.filter { $0.method == "POST" }.count == 3, "one refused call, then the two turns")
        #expect(o.events.contains { $0.kind == .toolResult && ($0.text ?? "").contains(":") }, "timer.sh ran after the retry")
    }

    @Test func codex500ForeverEndsAsAnErrorWithTheCLIsMessage() throws {
        let h = try real.home()
        defer { h.cleanup() }
        guard let o = try real.run(h, agent: "x500", yaml: """
            name: x500
            scaffold: codex
            model: gpt-5.1-codex
            base_url: BASE_URL
            provider: {request_max_retries: 1, stream_max_retries: 0}
            """, turns: [["text": "never played"]], fail: ["status": 500], env: ["OPENAI_API_KEY": "sk-\(UUID().uuidString)"]) else { return }
        #expect(o.manifest.exit == .error(1), "\(String(describing: o.manifest.exit))")
        #expect(o.result.scoreState == .noFinalModel)
        #expect(o.events.contains { $0.source == "turn.failed" && $0.isError == true })
        let said = try #require(try agentEvent(o, "agent-error"))
        #expect(!said.isEmpty)
        #expect(o.requests.filter { $0.method == "POST" }.count == 2, "the provider's one retry, then it gave up")
    }

    /// The server accepts the call and never answers: ptb stops the CLI at the time limit.
    @Test func codexHangIsStoppedAtTheTimeLimit() throws {
        let h = try real.home()
        defer { h.cleanup() }
        let start = Date()
        guard let o = try real.run(h, agent: "xhang", yaml: """
            name: xhang
            scaffold: codex
            model: gpt-5.1-codex
            base_url: BASE_URL
            """, turns: [["text": "never played"]], fail: ["hang": true], env: ["OPENAI_API_KEY": "sk-\(UUID().uuidString)"],
                                   hours: "0.004", extra: try noGrace(h)) else { return }
        #expect(o.manifest.exit == .timeout, "\(String(describing: o.manifest.exit))")
        #expect(o.result.scoreState == .noFinalModel)
        #expect(Date().timeIntervalSince(start) < 120)
        #expect(try agentEvent(o, "exit")?.hasPrefix("timeout") == true)
    }

    /// Killed at the deadline while its tool call (a long command) runs: the call is in the
    /// events, its result never came, and the run says timeout.
    @Test func claudeKilledAtTheTimeLimitMidToolCall() throws {
        let h = try real.home()
        defer { h.cleanup() }
        guard let o = try real.run(h, agent: "clong", yaml: Self.claudeYAML.replacingOccurrences(of: "NAME", with: "clong"),
                                   turns: [["shell": "echo long-step-started; sleep 600", "timeout_ms": 600_000], ["text": "never"]],
                                   env: ["ANTHROPIC_API_KEY": "sk-ant-\(UUID().uuidString)"], hours: "0.004", extra: try noGrace(h)) else { return }
        #expect(o.manifest.exit == .timeout, "\(String(describing: o.manifest.exit))")
        let call = try #require(o.events.first { $0.kind == .toolCall && ($0.input ?? "").contains("sleep 600") })
        #expect(!o.events.contains { $0.kind == .toolResult && $0.callID == call.callID }, "no result: it was killed mid-call")
        #expect(countProcesses(containing: "sleep 600") == 0, "nothing of the tool call outlives the run")
    }

    /// No CLI installed (and none on PATH), or only another version: the run ends `failed-to-start`
    /// (exit `launch-failed`) before any sandbox starts, with the command that installs the pinned version.
    @Test func missingOrWrongVersionBinaryIsALaunchFailure() throws {
        guard TestHome.realHome != nil else { try Integration.skip("PTB_TEST_HOME must point at a home made by `ptb setup`") }
        for wrong in [false, true] {
            let h = try TestHome(real: true)
            defer { h.cleanup() }
            try FileManager.default.createDirectory(at: h.home.agents, withIntermediateDirectories: true)
            if wrong {
                let exe = h.home.agents.appendingPathComponent("codex/0.1.0/bin/codex")
                try FileManager.default.createDirectory(at: exe.deletingLastPathComponent(), withIntermediateDirectories: true)
                try "#!/bin/sh\necho codex-cli 0.1.0\n".write(to: exe, atomically: true, encoding: .utf8)
                try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: exe.path)
            }
            try "name: nocli\nscaffold: codex\nmodel: gpt-5.1-codex\nbase_url: http://127.0.0.1:9/v1\n"
                .write(to: h.home.agents.appendingPathComponent("nocli.yaml"), atomically: true, encoding: .utf8)
            let r = try ptb(["run", "--task", "arith", "--model", "tiny", "--agent", "nocli", "--sandbox", "bwrap", "--skip-base", "--no-judge",
                             "--hours", "0.1", "--runs-dir", h.runs.path], home: h,
                            env: ["OPENAI_API_KEY": "sk-\(UUID().uuidString)", "PATH": "/usr/local/bin:/usr/bin:/bin"])
            let (paths, m) = try h.onlyRun()
            #expect(m.exit == .launchFailed, "\(String(describing: m.exit)) \(r.stderr.suffix(1500))")
            #expect(m.outcome == .failedToStart, "an agent that never started is not the agent's result")
            #expect(m[.collect].state == .pending)
            let detail = m[.agent].detail ?? ""
            #expect(detail.contains("`ptb setup --skip-env --skip-models --agents codex`"), "\(detail)")
            #expect(detail.contains("found 0.1.0") == wrong, "\(detail)")
            #expect(try String(contentsOf: paths.trace, encoding: .utf8).contains("launch-failed"))
        }
    }

    /// A file replaced at the pinned path (the pinned directory, another binary in it): one that
    /// claims the pinned version and one of another version. ptb hashes it, refuses before any
    /// sandbox starts, and records `launch-failed` with the expected and found version and hash
    /// and the command that reinstalls the pinned CLI.
    @Test(arguments: [("claude-code", "2.1.327 (Claude Code)"), ("codex", "codex-cli 0.150.0")])
    func aBinaryReplacedAtThePinnedPathIsRefusedBeforeItStarts(_ scaffold: String, _ says: String) throws {
        guard TestHome.realHome != nil else { try Integration.skip("PTB_TEST_HOME must point at a home made by `ptb setup`") }
        let pin = try AgentBinaries.pin(named: scaffold)
        let h = try TestHome(real: true)
        defer { h.cleanup() }
        let exe = AgentBinaries.directory(home: h.home, pin: pin).appendingPathComponent(pin.executable)
        try FileManager.default.createDirectory(at: exe.deletingLastPathComponent(), withIntermediateDirectories: true)
        let marker = h.root.appendingPathComponent("wrong-binary-ran")
        // Prints the version; anything else it is asked to do leaves a mark (it must never run as the agent).
        let body = "#!/bin/sh\nif [ \"$1\" = --version ]; then echo '\(says)'; exit 0; fi\ntouch \(marker.path)\n"
        try body.write(to: exe, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: exe.path)
        let yaml = scaffold == "codex" ? "name: wrongbin\nscaffold: codex\nmodel: gpt-5.1-codex\nbase_url: http://127.0.0.1:9/v1\n"
            : "name: wrongbin\nscaffold: claude-code\nmodel: claude-opus-4-6\nbase_url: http://127.0.0.1:9\n"
        try yaml.write(to: h.home.agents.appendingPathComponent("wrongbin.yaml"), atomically: true, encoding: .utf8)
        let r = try ptb(["run", "--task", "arith", "--model", "tiny", "--agent", "wrongbin", "--sandbox", "bwrap", "--skip-base", "--no-judge",
                         "--hours", "0.1", "--runs-dir", h.runs.path], home: h,
                        env: ["OPENAI_API_KEY": "ptb-test-openai-key-\(UUID().uuidString)", "ANTHROPIC_API_KEY": "ptb-test-anthropic-key-\(UUID().uuidString)"])
        #expect(!r.signaled, "a recorded state, not a crash")
        let (paths, m) = try h.onlyRun()
        #expect(m.exit == .launchFailed, "\(String(describing: m.exit)) \(r.stderr.suffix(1500))")
        let detail = m[.agent].detail ?? ""
        #expect(detail.contains("is not the pinned one: expected \(pin.cliVersion) (SHA-256 \(pin.executableSHA256)"), "\(detail)")
        #expect(detail.contains("found SHA-256 \(Hashing.sha256(Data(body.utf8)))"), "\(detail)")
        #expect(detail.contains("`--version` says '\(says)'"), "\(detail)")
        #expect(detail.contains("`ptb setup --skip-env --skip-models --agents \(pin.installName)`"), "\(detail)")
        let events = try String(contentsOf: paths.trace, encoding: .utf8).split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["event"] as? String
        }
        #expect(events.contains("launch-failed") && !events.contains("start"), "refused before the sandbox started: \(events)")
        #expect(!FileManager.default.fileExists(atPath: marker.path), "the replaced binary never ran as the agent")
        // Never started: `failed-to-start` (issue 18), so nothing after the agent phase runs and
        // the run is not scored as the agent's `no-final-model`.
        let result = try JSONIO.read(RunResult.self, from: paths.result)
        #expect(result.outcome == .failedToStart && m.outcome == .failedToStart)
        #expect(m[.collect].state == .pending && result.finalScore == nil)
        #expect(result.scoreState == .notEvaluated)
    }

    /// The fix the refusal names: `ptb setup --agents codex` replaces the file at the pinned path
    /// with the pinned binary (no --force needed) and records it, so the next check is a stat.
    /// The home is in RAM when there is room (the 370 MB unpack is this test's cost).
    @Test func theSetupCommandPutsThePinnedBinaryBack() async throws {
        guard TestHome.realHome != nil, let agents = RealAgentHome.root else { try Integration.skip("PTB_TEST_HOME must be a `ptb setup` home with `ptb setup --agents claude-code,codex` done") }
        let pin = try AgentBinaries.pin(named: "codex")
        let wheel = agents.appendingPathComponent("cache/wheels").appendingPathComponent(pin.wheel)
        guard FileManager.default.fileExists(atPath: wheel.path) else { try Integration.skip("the Codex wheel is not cached in \(wheel.path)") }
        let h = try TestHome()
        defer { h.cleanup() }
        let shm = (try? FileManager.default.attributesOfFileSystem(forPath: "/dev/shm"))?[.systemFreeSize] as? NSNumber
        let root = (shm?.int64Value ?? 0) > 2_000_000_000 ? URL(fileURLWithPath: "/dev/shm/ptb-test-setup-\(UUID().uuidString.prefix(8))")
            : h.root.appendingPathComponent("setup-home")
        defer { try? FileManager.default.removeItem(at: root) }
        let home = PTBHome(root: root)
        let cache = root.appendingPathComponent("cache/wheels")
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: cache.appendingPathComponent(pin.wheel), withDestinationURL: wheel)
        let exe = AgentBinaries.directory(home: home, pin: pin).appendingPathComponent(pin.executable)
        try FileManager.default.createDirectory(at: exe.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "#!/bin/sh\necho 'codex-cli 0.163.0'\n".write(to: exe, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: exe.path)
        #expect(await AgentBinaries.mismatch(home: home, scaffold: .codex, runner: ProcessRunner()) != nil)

        let setup = ["setup", "--skip-env", "--skip-models", "--agents", "codex"]
        let r = try ptb(setup, home: h, env: ["PTB_HOME": root.path], timeout: 600)
        #expect(r.status == 0, "\(r.stderr.suffix(2000))")
        #expect((r.stdout + r.stderr).contains("replacing what is installed: the codex CLI at \(exe.path) is not the pinned one"))
        #expect(try Hashing.sha256(file: exe) == pin.executableSHA256)
        let record = try JSONIO.read(AgentInstallRecord.self, from: exe.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(AgentInstallRecord.fileName))
        #expect(record.sha256 == pin.executableSHA256 && record.stamp == FileStamp(exe))
        #expect(await AgentBinaries.mismatch(home: home, scaffold: .codex, runner: ProcessRunner()) == nil)
        let again = try ptb(setup, home: h, env: ["PTB_HOME": root.path])
        #expect((again.stdout + again.stderr).contains("codex 0.163.0 already installed"), "\(again.stdout) \(again.stderr)")
    }
}
