import Foundation
import PTBAgents
import PTBCore
import PTBIntegrity
import PTBTestSupport
import Testing

/// Whole `ptb run`s with the real Claude Code and Codex binaries (installed by
/// `ptb setup --agents claude-code,codex`), driven by scripts/scripted-model-server.py on
/// loopback: tiny model, arith, bubblewrap. The CLI runs `bash timer.sh`, writes and runs a
/// training script that saves final_model, runs `python evaluate.py --limit 10` (in the API-key
/// runs), and finishes with a message echoing the credential it was sent, which must be redacted
/// from every stored file.
@Suite(.serialized) struct RealAgentTests {
    enum CLI: String { case claude, codex }

    static let trainScript = """
        cat > train.py <<'PY'
        import os, shutil
        # The test's "training": the base weights, unchanged, saved as the submission.
        shutil.copytree(os.environ["PTB_BASE_MODEL"], "final_model", dirs_exist_ok=True)
        print("saved final_model")
        PY
        python train.py
        """

    /// The agent's transcript; each turn's usage is fixed, so the totals are known.
    static func turns(evaluate: Bool) -> [[String: Any]] {
        var t: [[String: Any]] = [
            ["shell": "bash timer.sh", "usage": ["input": 1200, "output": 30]],
            ["shell": trainScript, "usage": ["input": 1400, "output": 120]],
        ]
        if evaluate { t.append(["shell": "python evaluate.py --limit 10", "timeout_ms": 600_000, "usage": ["input": 1600, "output": 25]]) }
        t.append(["text": "final_model is saved. The server saw {auth}", "usage": ["input": 1800, "output": 40]])
        return t
    }

    static func expectedTokens(evaluate: Bool) -> (input: Int, output: Int) {
        turns(evaluate: evaluate).reduce((0, 0)) { acc, t in
            let u = t["usage"] as? [String: Int] ?? [:]
            return (acc.0 + (u["input"] ?? 0), acc.1 + (u["output"] ?? 0))
        }
    }

    struct Outcome {
        var paths: RunPaths
        var manifest: RunManifest
        var result: RunResult
        var console: PTBResult
        var requests: [ScriptedModelServer.Request]
        var events: [TraceEvent]
        var judgeRequests: [ScriptedModelServer.Request]
    }

    /// One `ptb run` of `agentYAML` (a definition in the test home's agents/, `BASE_URL` replaced)
    /// against a scripted server; nil when the prerequisites are missing (a failure under CI).
    /// An integrity judge played by a real CLI against a scripted server of its own.
    struct Judge {
        var name: String
        var yaml: String
        var turns: [[String: Any]]
    }

    /// The judge's transcript: look at the agent's directory, write a clean verdict, finish.
    static var judgeTurns: [[String: Any]] { [
        ["shell": #"ls "$PTB_JUDGED_WORKSPACE" && head -c 200 ../solve_parsed.txt"#, "usage": ["input": 900, "output": 20]],
        ["shell": """
            cat > judgement.json <<'JSON'
            {"contamination": false, "disallowed_model": false, "justification_contamination": "train.py copies the base weights; no data was used.", "justification_disallowed_model": "final_model is the base model's own weights."}
            JSON
            """, "usage": ["input": 1000, "output": 80]],
        ["text": "Verdict written to judgement.json.", "usage": ["input": 1100, "output": 10]],
    ] }

    /// The agent definition with its endpoint, and every other host sent through the server's
    /// CONNECT, which logs and refuses it. Claude Code retries a failed call 10 times with
    /// backoff (3 min for a 401); one retry keeps the failure cases short.
    func writeDefinition(_ h: TestHome, name: String, yaml: String, server: ScriptedModelServer) throws {
        let base = yaml.contains("scaffold: codex") ? server.baseURL + "/v1" : server.baseURL
        let text = yaml.replacingOccurrences(of: "BASE_URL", with: base) + """

            env: {HTTPS_PROXY: "\(server.baseURL)", HTTP_PROXY: "\(server.baseURL)", https_proxy: "\(server.baseURL)", NO_PROXY: "127.0.0.1,localhost", no_proxy: "127.0.0.1,localhost", CLAUDE_CODE_MAX_RETRIES: "1"}
            """
        try text.write(to: h.home.agents.appendingPathComponent("\(name).yaml"), atomically: true, encoding: .utf8)
    }

    func run(_ h: TestHome, agent: String, yaml: String, turns: [[String: Any]], fail: [String: Any]? = nil, env: [String: String],
             hours: String = "0.5", extra: [String] = [], judge: Judge? = nil) throws -> Outcome? {
        let server = try ScriptedModelServer(dir: h.root.appendingPathComponent("server"), turns: turns, fail: fail)
        defer { server.stop() }
        try writeDefinition(h, name: agent, yaml: yaml, server: server)
        var judgeServer: ScriptedModelServer?
        defer { judgeServer?.stop() }
        var judging = ["--no-judge"]
        if let judge {
            let js = try ScriptedModelServer(dir: h.root.appendingPathComponent("judge-server"), turns: judge.turns)
            judgeServer = js
            try writeDefinition(h, name: judge.name, yaml: judge.yaml, server: js)
            judging = ["--judge", judge.name]
        }
        let args = ["run", "--task", "arith", "--model", "tiny", "--agent", agent, "--sandbox", "bwrap", "--skip-base"] + judging
            + ["--hours", hours, "--eval-limit", "10", "--runs-dir", h.runs.path] + extra
        let r = try ptb(args, home: h, env: env, timeout: 600)
        let judgeRequests = try judgeServer?.requests() ?? []
        let (paths, m) = try h.onlyRun()
        let result = try JSONIO.read(RunResult.self, from: paths.result)
        let events = ((try? String(contentsOf: paths.events, encoding: .utf8)) ?? "").split(separator: "\n")
            .compactMap { try? JSONDecoder().decode(TraceEvent.self, from: Data($0.utf8)) }
        return Outcome(paths: paths, manifest: m, result: result, console: r, requests: try server.requests(), events: events,
                       judgeRequests: judgeRequests)
    }

    func home() throws -> TestHome {
        guard TestHome.realHome != nil, RealAgentHome.root != nil else { try Integration.skip("PTB_TEST_HOME must be a `ptb setup` home with `ptb setup --agents claude-code,codex` done (or set PTB_TEST_AGENTS_HOME)") }
        let h = try TestHome(real: true)
        try RealAgentHome.link(into: h.home)
        return h
    }

    /// No stored file of the run (nor the console) holds `secret`; the trace shows it redacted.
    func expectRedacted(_ o: Outcome, secret: String, as name: String) throws {
        #expect(!o.console.stdout.contains(secret) && !o.console.stderr.contains(secret))
        let files = FileManager.default.enumerator(at: o.paths.dir, includingPropertiesForKeys: [.isRegularFileKey])!
            .compactMap { $0 as? URL }.filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
        #expect(files.count > 10)
        for f in files {
            #expect((try? Data(contentsOf: f))?.range(of: Data(secret.utf8)) == nil, "secret found in \(f.path)")
        }
        let trace = try String(contentsOf: o.paths.trace, encoding: .utf8)
        #expect(trace.contains("The server saw [REDACTED:\(name)]"), "the echoed credential is in the trace, redacted")
    }

    /// A finished, scored, clean run whose events hold the real tool calls and usage the sum of the script's.
    func expectWholeRun(_ o: Outcome, cli: CLI, evaluate: Bool) throws {
        // Where the time goes (CI budget): printed, not checked.
        print("[RealAgentTests] \(o.paths.id): phases \(o.result.phaseSeconds.mapValues { Int($0) }.sorted { $0.key < $1.key })")
        #expect(o.console.status == 0, "\(o.console.stderr.suffix(3000))")
        #expect(o.manifest.outcome == .done && o.result.outcome == .done, "\(o.result.failure ?? "")")
        #expect(o.manifest.exit == .normal, "\(String(describing: o.manifest.exit))")
        #expect(o.result.scoreState == .scored, "\(o.result.scoreState)")
        #expect(o.result.finalScore?.n == 10)
        #expect(o.result.integrityFlagged == false)
        // The CLI's own tool calls, with their real output.
        let calls = o.events.filter { $0.kind == .toolCall || $0.kind == .toolResult }
        #expect(calls.contains { ($0.input ?? "").contains("bash timer.sh") }, "\(calls.map { $0.input ?? "" })")
        #expect(o.events.contains { $0.kind == .toolResult && ($0.text ?? "").contains("saved final_model") },
                "\(o.events.filter { $0.kind == .toolResult }.map { ($0.input ?? "") + " -> " + ($0.text ?? "").suffix(600) })")
        if evaluate {
            #expect(o.events.contains { $0.kind == .toolResult && ($0.text ?? "").lowercased().contains("accuracy") },
                    "evaluate.py's answer reached the CLI")
        }
        let summary = try JSONIO.read(TraceSummary.self, from: o.paths.usage)
        let want = Self.expectedTokens(evaluate: evaluate)
        #expect(summary.usage.input == want.input && summary.usage.output == want.output, "\(summary.usage)")
        #expect(o.result.agentUsage?.inputTokens == want.input)
        // Nothing but the scripted server's own endpoints: no CONNECT to any other host.
        #expect(!o.requests.contains { $0.method == "CONNECT" }, "\(o.requests.filter { $0.method == "CONNECT" }.map(\.path))")
        let model = o.requests.filter { $0.method == "POST" }
        #expect(model.count >= Self.turns(evaluate: evaluate).count)
        for r in model {
            #expect(r.path == (cli == .claude ? "/v1/messages?beta=true" : "/v1/responses"), "\(r.path)")
        }
        // The prompt reached the model.
        let firstBody: String = String(describing: model.first?.body ?? [:])
        #expect(firstBody.contains("final_model"))
    }

    /// The judge CLI read the agent's directory and wrote its verdict file; the check is clean.
    func expectJudged(_ o: Outcome, judge: String) throws {
        let report = try JSONIO.read(IntegrityReport.self, from: o.paths.integrity)
        let check = report.check(IntegrityReport.Check.judgePrefix + judge)
        #expect(check?.verdict == "clean", "\(String(describing: check))")
        let verdict = o.paths.judges.appendingPathComponent(judge).appendingPathComponent("judgement.json")
        #expect(FileManager.default.fileExists(atPath: verdict.path), "the judge wrote its verdict")
        #expect(o.result.integrityFlagged == false)
        let judgeTrace = (try? String(contentsOf: o.paths.judges.appendingPathComponent(judge).appendingPathComponent("trace.jsonl"), encoding: .utf8)) ?? ""
        #expect(judgeTrace.contains("train.py"), "the judge listed the agent's directory")
        #expect(o.judgeRequests.filter { $0.method == "POST" }.count >= Self.judgeTurns.count)
        #expect(!o.judgeRequests.contains { $0.method == "CONNECT" })
    }

    @Test func claudeCodeWithAnAPIKey() throws {
        let h = try home()
        defer { h.cleanup() }
        let key = "ptb-test-anthropic-key-\(UUID().uuidString)"
        guard let o = try run(h, agent: "real-claude", yaml: """
            name: real-claude
            scaffold: claude-code
            model: claude-opus-4-6
            base_url: BASE_URL
            """, turns: Self.turns(evaluate: true), env: ["ANTHROPIC_API_KEY": key]) else { return }
        try expectWholeRun(o, cli: .claude, evaluate: true)
        try expectRedacted(o, secret: key, as: "ANTHROPIC_API_KEY")
        #expect(o.requests.filter { $0.method == "POST" }.allSatisfy { $0.headers["x-api-key"] == key })
        #expect(o.events.contains { $0.kind == .sessionStart } && o.events.contains { $0.kind == .finalResult })
        #expect((o.result.agentUsage?.costUSD ?? 0) > 0, "Claude Code reports its cost")
        #expect(o.result.agentUsage?.costSource == "reported")
    }

    @Test func claudeCodeWithASubscriptionToken() throws {
        let h = try home()
        defer { h.cleanup() }
        let token = "ptb-test-oauth-token-\(UUID().uuidString)"
        let creds = h.home.root.appendingPathComponent("credentials")
        try FileManager.default.createDirectory(at: creds, withIntermediateDirectories: true)
        try (token + "\n").write(to: creds.appendingPathComponent(ClaudeCodeAgent.oauthTokenFile), atomically: true, encoding: .utf8)
        guard let o = try run(h, agent: "real-claude-sub", yaml: """
            name: real-claude-sub
            scaffold: claude-code
            model: claude-opus-4-6
            auth: subscription
            base_url: BASE_URL
            """, turns: Self.turns(evaluate: false),
            env: ["ANTHROPIC_API_KEY": "ptb-test-unused-anthropic-key-\(UUID().uuidString)", "OPENAI_API_KEY": "ptb-test-judge-key-\(UUID().uuidString)"],
            judge: Judge(name: "real-judge-codex", yaml: "name: real-judge-codex\nscaffold: codex\nmodel: gpt-5.1-codex\nbase_url: BASE_URL\n",
                         turns: Self.judgeTurns)) else { return }
        try expectWholeRun(o, cli: .claude, evaluate: false)
        try expectJudged(o, judge: "real-judge-codex")
        try expectRedacted(o, secret: token, as: "CLAUDE_CODE_OAUTH_TOKEN")
        for r in o.requests where r.method == "POST" {
            #expect(r.headers["authorization"] == "Bearer \(token)" && r.headers["x-api-key"] == nil)
            #expect(r.headers["anthropic-beta"]?.contains("oauth-2025-04-20") == true)
        }
    }

    @Test func codexWithAnAPIKey() throws {
        let h = try home()
        defer { h.cleanup() }
        let key = "ptb-test-openai-key-\(UUID().uuidString)"
        guard let o = try run(h, agent: "real-codex", yaml: """
            name: real-codex
            scaffold: codex
            model: gpt-5.1-codex
            base_url: BASE_URL
            """, turns: Self.turns(evaluate: true), env: ["OPENAI_API_KEY": key]) else { return }
        try expectWholeRun(o, cli: .codex, evaluate: true)
        try expectRedacted(o, secret: key, as: "CODEX_API_KEY")
        #expect(o.requests.filter { $0.method == "POST" }.allSatisfy { $0.headers["authorization"] == "Bearer \(key)" })
        #expect(o.events.contains { $0.kind == .toolResult && $0.tool == "shell" && ($0.text ?? "").contains("[exit 0]") })
    }

    /// A ChatGPT login through a custom provider that uses it, and the re-prompt loop: the first
    /// session saves final_model and stops; with time left the loop resumes it once
    /// (`exec resume --last`), and the resumed session carries on with the script.
    @Test func codexWithAChatGPTLoginAndTheRepromptLoop() throws {
        let h = try home()
        defer { h.cleanup() }
        let (auth, access) = try fakeChatGPTLogin(account: "acct-ptbtest-1")
        let creds = h.home.root.appendingPathComponent("credentials")
        try FileManager.default.createDirectory(at: creds, withIntermediateDirectories: true)
        try auth.write(to: creds.appendingPathComponent(CodexAgent.authFile))
        var turns = Self.turns(evaluate: false)
        turns.append(["shell": "ls final_model && echo resumed-after-reprompt", "usage": ["input": 2000, "output": 10]])
        turns.append(["text": "Still done.", "usage": ["input": 2100, "output": 5]])
        guard let o = try run(h, agent: "real-codex-sub", yaml: """
            name: real-codex-sub
            scaffold: codex
            model: gpt-5.1-codex
            auth: subscription
            base_url: BASE_URL
            reprompt: {enabled: true, min_remaining_minutes: 1, max_rounds: 1}
            """, turns: turns,
            env: ["OPENAI_API_KEY": "ptb-test-unused-openai-key-\(UUID().uuidString)", "ANTHROPIC_API_KEY": "ptb-test-judge-key-\(UUID().uuidString)"],
            judge: Judge(name: "real-judge-claude", yaml: "name: real-judge-claude\nscaffold: claude-code\nmodel: claude-opus-4-6\nbase_url: BASE_URL\n",
                         turns: Self.judgeTurns)) else { return }
        try expectJudged(o, judge: "real-judge-claude")
        #expect(o.console.status == 0, "\(o.console.stderr.suffix(3000))")
        #expect(o.manifest.exit == .normal && o.result.scoreState == .scored && o.result.integrityFlagged == false)
        try expectRedacted(o, secret: access, as: "codex_auth.json")
        let trace = try String(contentsOf: o.paths.trace, encoding: .utf8)
        #expect(trace.contains("ptb.reprompt"), "the loop re-prompted")
        #expect(o.events.contains { $0.kind == .toolResult && ($0.text ?? "").contains("resumed-after-reprompt") })
        let posts = o.requests.filter { $0.method == "POST" }
        #expect(!posts.isEmpty && posts.allSatisfy { $0.headers["authorization"] == "Bearer \(access)" && $0.headers["chatgpt-account-id"] == "acct-ptbtest-1" })
        #expect(!o.requests.contains { $0.method == "CONNECT" })
        let summary = try JSONIO.read(TraceSummary.self, from: o.paths.usage)
        let want = turns.reduce(0) { $0 + ((($1["usage"] as? [String: Int]) ?? [:])["input"] ?? 0) }
        #expect(summary.usage.input == want, "\(summary.usage)")
        // The login copied into the workspace is gone once the agent exited.
        #expect(!FileManager.default.fileExists(atPath: o.paths.workspace.appendingPathComponent(".codex/auth.json").path))
    }
}
