import Foundation
import PTBAgents
import PTBCore
import PTBTestSupport
import Testing

/// The whole path of a CLI agent's run without its CLI: a `command` agent that prints a recorded
/// Claude Code `stream-json` or Codex `exec --json` stream, dumps its environment (a declared
/// secret included) to the trace and into workspace files, and leaves the base model as its
/// final_model. Run through `ptb run` in bubblewrap and in podman (an image with nothing but
/// busybox, scripts/podman-test-image.sh), with the real final evaluation on CPU vLLM.
@Suite(.serialized) struct ImpersonatedScaffoldTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var sandbox: String
        var format: Scaffold
        /// Whether the agent leaves a final_model (then the final evaluation runs: ~1 min each).
        var evaluate: Bool
        var testDescription: String { "\(format.rawValue) in \(sandbox)\(evaluate ? " + final evaluation" : "")" }
    }

    static let cases = [
        Case(sandbox: "podman", format: .claudeCode, evaluate: true),
        Case(sandbox: "bwrap", format: .codex, evaluate: true),
        Case(sandbox: "podman", format: .codex, evaluate: false),
        Case(sandbox: "bwrap", format: .claudeCode, evaluate: false),
    ]

    static let env = ProcessInfo.processInfo.environment
    static let podmanImage = env["PTB_PODMAN_TEST_IMAGE"] ?? "localhost/ptb-busybox:1"
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Recorded Claude Code events (the shape of `claude --print --verbose --output-format
    /// stream-json`); the `result` line is printed last, after the environment dump.
    static let claudeStream = [
        #"{"type":"system","subtype":"init","cwd":"/home/ben/task","session_id":"5f1c","tools":["Bash","Read","Write"],"model":"claude-opus-4-6","permissionMode":"bypassPermissions"}"#,
        #"{"type":"assistant","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-opus-4-6","content":[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"env | sort","description":"Show the environment"}}],"usage":{"input_tokens":10,"cache_creation_input_tokens":2000,"cache_read_input_tokens":0,"output_tokens":40}},"session_id":"5f1c"}"#,
    ]
    static let claudeResult =
        #"{"type":"result","subtype":"success","is_error":false,"duration_ms":61000,"num_turns":2,"result":"Saved final_model.","session_id":"5f1c","total_cost_usd":0.0712,"usage":{"input_tokens":15,"cache_creation_input_tokens":2100,"cache_read_input_tokens":2000,"output_tokens":52}}"#

    /// Recorded Codex events (`codex exec --json`), two turns.
    static let codexStream = [
        #"{"type":"thread.started","thread_id":"0199a213-81c0-7800-8aa1-bbab2a035a53"}"#,
        #"{"type":"turn.started"}"#,
        #"{"type":"item.completed","item":{"id":"item_0","type":"reasoning","text":"**Checking the environment**"}}"#,
        #"{"type":"item.started","item":{"id":"item_1","type":"command_execution","command":"env","aggregated_output":"","exit_code":null,"status":"in_progress"}}"#,
        #"{"type":"turn.completed","usage":{"input_tokens":24763,"cached_input_tokens":24448,"output_tokens":122,"reasoning_output_tokens":64}}"#,
        #"{"type":"turn.started"}"#,
        #"{"type":"item.completed","item":{"id":"item_3","type":"agent_message","text":"Saved final_model."}}"#,
    ]
    static let codexResult =
        #"{"type":"turn.completed","usage":{"input_tokens":30000,"cached_input_tokens":28000,"output_tokens":500,"reasoning_output_tokens":200}}"#

    static let secretName = "PTB_FAKE_LOGIN"

    /// The impersonating agent: POSIX sh, cat, env, cp, mkdir only (all of them busybox applets).
    /// Single quotes must not occur in the stream lines (they are printed from single-quoted words).
    static func script(_ c: Case) -> String {
        let (stream, last, toolResult) = c.format == .claudeCode
            ? (claudeStream, claudeResult,
               #"{"type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_1","type":"tool_result","content":"login=%s","is_error":false}]},"session_id":"5f1c"}"#)
            : (codexStream, codexResult,
               #"{"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"env","aggregated_output":"login=%s","exit_code":0,"status":"completed"}}"#)
        return """
            #!/bin/sh
            # Impersonates \(c.format.rawValue): a recorded stream, the environment with the secret, and files holding it.
            cat <<'PTB_STREAM'
            \(stream.joined(separator: "\n"))
            PTB_STREAM
            printf '\(toolResult)\\n' "$\(secretName)"
            env | sort
            echo "login=$\(secretName)" > notes.txt
            mkdir -p cache && env > cache/env.txt
            if [ "$LEAVE_MODEL" = 1 ]; then mkdir -p final_model && cp -r "$PTB_BASE_MODEL"/. final_model/; fi
            echo '\(last)'

            """
    }

    func ensurePodmanImage() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [Self.repo.appendingPathComponent("scripts/podman-test-image.sh").path, Self.podmanImage]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "scripts/podman-test-image.sh failed")
    }

    @Test(arguments: cases)
    func runsEndToEndWithEventsUsageCostAndNoSecretAtRest(_ c: Case) throws {
        guard TestHome.realHome != nil else { try Integration.skip("PTB_TEST_HOME must point at a home made by `ptb setup`") }
        if c.sandbox == "podman" {
            try Integration.requireOptIn("PTB_PODMAN_LIVE", "the podman case")
            try ensurePodmanImage()
        }
        let h = try TestHome(real: true)
        defer { h.cleanup() }
        let secret = "fake-login-\(UUID().uuidString.replacingOccurrences(of: "-", with: ""))"
        let scriptURL = h.root.appendingPathComponent("impersonate.sh")
        try Self.script(c).write(to: scriptURL, atomically: true, encoding: .utf8)
        let model = c.format == .claudeCode ? "claude-opus-4-6" : "gpt-5.2"
        let cfg = h.root.appendingPathComponent("impersonator.yaml")
        try """
            name: impersonator
            scaffold: command
            command: ["sh", "../impersonate.sh"]
            script: impersonate.sh
            trace_format: \(c.format.rawValue)
            model: \(model)
            secrets: [\(Self.secretName)]
            env: {LEAVE_MODEL: "\(c.evaluate ? 1 : 0)"}
            """.write(to: cfg, atomically: true, encoding: .utf8)
        var args = ["run", "--task", "arith", "--model", "tiny", "--agent", "command", "--agent-config", cfg.path, "--sandbox", c.sandbox,
                    "--network", "none", "--skip-base", "--hours", "0.2", "--runs-dir", h.runs.path]
        if c.evaluate { args += ["--eval-limit", "20"] }
        let r = try ptb(args, home: h, env: [Self.secretName: secret, "PTB_PODMAN_IMAGE": Self.podmanImage])
        #expect(r.status == 0, "\(r.stderr.suffix(3000))")
        #expect(!r.stdout.contains(secret) && !r.stderr.contains(secret), "the console echo is redacted")
        let (paths, m) = try h.onlyRun()
        #expect(m.exit == .normal, "\(String(describing: m.exit)) \(r.stderr.suffix(2000))")

        // The secret reached the agent (its env dump is in the trace) and is stored only redacted.
        let trace = try String(contentsOf: paths.trace, encoding: .utf8)
        #expect(trace.contains("\(Self.secretName)=[REDACTED:\(Self.secretName)]"), "the agent saw the secret")
        #expect(try String(contentsOf: paths.task.appendingPathComponent("notes.txt"), encoding: .utf8)
            == "login=[REDACTED:\(Self.secretName)]\n")
        // Inside podman PATH is the image's, not the host's Python env; bwrap keeps the host's.
        if c.sandbox == "podman" {
            #expect(trace.contains("PATH=/opt/ptb/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\""), "container PATH")
        } else {
            // The real path: the sandbox binds the environment at its real location only.
            #expect(trace.contains("PATH=\(h.home.pythonEnv.resolvingSymlinksInPath().path)/bin:"), "bwrap PATH")
        }
        let files = FileManager.default.enumerator(at: paths.dir, includingPropertiesForKeys: [.isRegularFileKey])!
            .compactMap { $0 as? URL }.filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
        #expect(files.count > 10)
        for f in files {
            let data = (try? Data(contentsOf: f)) ?? Data()
            #expect(data.range(of: Data(secret.utf8)) == nil, "secret found in \(f.path)")
        }

        // Unified events, tokens and cost, in usage.json and result.json.
        let events = try String(contentsOf: paths.events, encoding: .utf8).split(separator: "\n")
            .map { try JSONDecoder().decode(TraceEvent.self, from: Data($0.utf8)) }
        let kinds = Set(events.map(\.kind))
        #expect(kinds.isSuperset(of: [.toolCall, .toolResult, .usage, .harness]), "\(kinds)")
        #expect(events.contains { $0.kind == .toolResult && $0.text?.hasPrefix("login=[REDACTED:\(Self.secretName)]") == true })
        let result = try JSONIO.read(RunResult.self, from: paths.result)
        let usage = try #require(result.agentUsage)
        let summary = try JSONIO.read(TraceSummary.self, from: paths.usage)
        if c.format == .claudeCode {
            #expect(kinds.contains(.sessionStart) && kinds.contains(.finalResult))
            #expect(summary.usage == TokenUsage(input: 4115, cached: 2000, output: 52))
            #expect(usage == AgentUsage(inputTokens: 4115, cachedTokens: 2000, outputTokens: 52, reasoningTokens: 0, costUSD: 0.0712,
                                        costSource: "reported"))
        } else {
            #expect(kinds.contains(.reasoning) && kinds.contains(.assistantText))
            let tokens = TokenUsage(input: 54763, cached: 52448, output: 622, reasoning: 264)
            #expect(summary.usage == tokens)
            let cost = try #require(PriceTable().price(for: model)).cost(tokens)
            #expect(usage == AgentUsage(inputTokens: 54763, cachedTokens: 52448, outputTokens: 622, reasoningTokens: 264, costUSD: cost,
                                        costSource: "estimated"))
        }

        if c.evaluate {
            #expect(result.scoreState == .scored)
            #expect(result.finalScore?.n == 20)
            #expect(FileManager.default.fileExists(atPath: paths.finalModel.appendingPathComponent("config.json").path))
        } else {
            #expect(result.scoreState == .noFinalModel)
        }
    }
}
