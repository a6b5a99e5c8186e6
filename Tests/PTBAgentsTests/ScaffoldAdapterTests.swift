import Foundation
import PTBAgents
import PTBCore
import PTBProcess
import PTBTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Golden command lines and environments of each scaffold (§4.1 of the original harness).
@Suite struct ScaffoldAdapterTests {
    let baseEnv = ["HOME", "PATH", "PROMPT"]
    /// Claude Code refuses to skip permissions as root unless told it is sandboxed.
    var rootSandbox: [String: String] { geteuid() == 0 ? ["IS_SANDBOX": "1"] : [:] }
    let codexTraffic = "-c analytics.enabled=false -c features.plugins=false -c features.apps=false -c allow_login_shell=false"

    /// Everything the adapter adds on top of the context environment (HOME, PATH) and PROMPT.
    func added(_ c: Command) -> [String: String] { c.environment.filter { !baseEnv.contains($0.key) } }

    @Test func claudeCodeApiKey() throws {
        let s = try Scratch.agentRun()
        defer { s.cleanup() }
        let a = ClaudeCodeAgent(config: try config("name: c\nscaffold: claude-code\nmodel: claude-opus-4-6\n"), host: fakeHost)
        #expect(a.nonInteractivePromptLine)
        let c = try a.command(s.context(), prompt: "Do it.")
        #expect(c.display == "claude --print --verbose --model claude-opus-4-6 --output-format stream-json --dangerously-skip-permissions 'Do it.'")
        #expect(added(c) == rootSandbox.merging(["ANTHROPIC_API_KEY": "sk-ant-HOST", "BASH_MAX_TIMEOUT_MS": "36000000", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1", "DISABLE_ERROR_REPORTING": "1"]) { a, _ in a })
        #expect(c.environment["PROMPT"] == "Do it." && c.environment["HOME"] == s.paths.workspace.path)
    }

    @Test func claudeCodeSubscriptionReadsTokenAndEmptiesKey() throws {
        let s = try Scratch.agentRun()
        defer { s.cleanup() }
        _ = try s.write("oat-TOKEN-123\n", "home/credentials/claude_oauth_token")
        let a = ClaudeCodeAgent(config: try config("name: c\nscaffold: claude-code\nmodel: claude-opus-4-6\neffort: high\nauth: subscription\n"),
                                host: fakeHost)
        let c = try a.command(s.context(), prompt: "P")
        #expect(c.display == "claude --print --verbose --model claude-opus-4-6 --output-format stream-json --dangerously-skip-permissions --effort high P")
        #expect(added(c) == rootSandbox.merging(["ANTHROPIC_API_KEY": "", "CLAUDE_CODE_OAUTH_TOKEN": "oat-TOKEN-123", "BASH_MAX_TIMEOUT_MS": "36000000",
                                                 "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1", "DISABLE_ERROR_REPORTING": "1"]) { a, _ in a })
        #expect(a.secretFiles(home: s.home) == [s.home.root.appendingPathComponent("credentials/claude_oauth_token")])
        // API-key mode carries effort in the environment instead.
        let k = ClaudeCodeAgent(config: try config("name: c\nscaffold: claude-code\nmodel: m\neffort: max\n"), host: fakeHost)
        #expect(try k.command(s.context(), prompt: "P").environment["CLAUDE_CODE_EFFORT_LEVEL"] == "max")
    }

    @Test func claudeCodeMissingCredentialsAreActionable() throws {
        let s = try Scratch.agentRun()
        defer { s.cleanup() }
        let noKey = ClaudeCodeAgent(config: try config("name: c\nscaffold: claude-code\nmodel: m\n"), host: [:])
        #expect { try noKey.command(s.context(), prompt: "P") } throws: {
            "\($0)".contains("ANTHROPIC_API_KEY is not set in ptb's environment. Export it")
        }
        let sub = ClaudeCodeAgent(config: try config("name: c\nscaffold: claude-code\nmodel: m\nauth: subscription\n"), host: fakeHost)
        #expect { try sub.command(s.context(), prompt: "P") } throws: { "\($0)".contains("claude setup-token") }
    }

    @Test func codexApiKeyTakesOpenAIKeyAsCodexKey() throws {
        let s = try Scratch.agentRun()
        defer { s.cleanup() }
        let a = CodexAgent(config: try config("name: x\nscaffold: codex\nmodel: gpt-5.2\n"), host: fakeHost)
        let c = try a.command(s.context(), prompt: "P")
        #expect(c.display == "codex --search exec --json -c model_reasoning_summary=detailed \(codexTraffic) --skip-git-repo-check --dangerously-bypass-approvals-and-sandbox --model gpt-5.2 P")
        #expect(added(c) == ["CODEX_API_KEY": "sk-openai-HOST", "CODEX_HOME": s.paths.workspace.appendingPathComponent(".codex").path])
        var host = fakeHost
        host["CODEX_API_KEY"] = "sk-codex"
        let e = CodexAgent(config: try config("name: x\nscaffold: codex\nmodel: gpt-5.2\neffort: high\n"), host: host)
        let ce = try e.command(s.context(), prompt: "P")
        #expect(ce.display == "codex --search exec --json -c model_reasoning_summary=detailed -c model_reasoning_effort=high \(codexTraffic) --skip-git-repo-check --dangerously-bypass-approvals-and-sandbox --model gpt-5.2 P")
        #expect(added(ce)["CODEX_API_KEY"] == "sk-codex")
    }

    @Test func codexSubscriptionCopiesLoginAndForcesChatGPT() throws {
        let s = try Scratch.agentRun()
        defer { s.cleanup() }
        let auth = try s.write(#"{"tokens":{"access_token":"at-SECRET"}}"#, "creds/auth.json")
        let a = CodexAgent(config: try config("name: x\nscaffold: codex\nmodel: gpt-5.4\nauth: subscription\ncredentials: \(auth.path)\n"),
                           host: fakeHost)
        try a.prepare(s.context())
        let dir = s.paths.workspace.appendingPathComponent(".codex")
        #expect(try String(contentsOf: dir.appendingPathComponent("auth.json"), encoding: .utf8) == #"{"tokens":{"access_token":"at-SECRET"}}"#)
        #expect(try String(contentsOf: dir.appendingPathComponent("config.toml"), encoding: .utf8) == "forced_login_method = \"chatgpt\"\n")
        let mode = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("auth.json").path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        try a.prepare(s.context())  // idempotent: the line is not added twice
        #expect(try String(contentsOf: dir.appendingPathComponent("config.toml"), encoding: .utf8) == "forced_login_method = \"chatgpt\"\n")
        let c = try a.command(s.context(), prompt: "P")
        #expect(added(c) == ["CODEX_API_KEY": "", "OPENAI_API_KEY": "", "CODEX_HOME": dir.path])
        #expect(a.secretFiles(home: s.home) == [auth])
        try a.removeCopiedCredentials(s.context())
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("auth.json").path))
    }

    @Test func gemini() throws {
        let s = try Scratch.agentRun()
        defer { s.cleanup() }
        let a = GeminiAgent(config: try config("name: g\nscaffold: gemini\nmodel: models/gemini-3-pro-preview\n"), host: fakeHost)
        let c = try a.command(s.context(), prompt: "P")
        #expect(c.display == "gemini --yolo --model models/gemini-3-pro-preview --output-format stream-json -p P")
        #expect(added(c) == ["GEMINI_SANDBOX": "false", "GEMINI_API_KEY": "gm-HOST"])
        let e = GeminiAgent(config: try config("name: g\nscaffold: gemini\nmodel: m\neffort: high\n"), host: fakeHost)
        #expect { try e.command(s.context(), prompt: "P") } throws: { "\($0)".contains("remove `effort:`") }
    }

    @Test func openCodeWritesProvidersFileAndPassesOnlyTheProviderKey() throws {
        let s = try Scratch.agentRun()
        defer { s.cleanup() }
        let a = OpenCodeAgent(config: try config("name: o\nscaffold: opencode\nmodel: zai/glm-5\n"), host: fakeHost)
        try a.prepare(s.context())
        let json = try String(contentsOf: s.paths.task.appendingPathComponent("opencode.json"), encoding: .utf8)
        #expect(json == OpenCodeAgent.configJSON)
        let obj = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(obj?["permission"] as? String == "allow")
        #expect(!json.contains("zai-HOST"), "keys stay {env:…} references")
        let c = try a.command(s.context(), prompt: "P")
        #expect(c.display == "opencode run --model zai/glm-5 --format json P")
        #expect(added(c) == ["ZAI_API_KEY": "zai-HOST"])
        let bad = OpenCodeAgent(config: try config("name: o\nscaffold: opencode\nmodel: glm-5\n"), host: fakeHost)
        #expect { try bad.command(s.context(), prompt: "P") } throws: { "\($0)".contains("must be PROVIDER/MODEL") }
    }

    @Test func passEnvAndEnvApplyOnTopAndNothingElseLeaks() throws {
        let s = try Scratch.agentRun()
        defer { s.cleanup() }
        let a = GeminiAgent(config: try config("name: g\nscaffold: gemini\nmodel: m\npass_env: [HF_TOKEN, NOT_SET]\nenv: {X: \"1\"}\n"), host: fakeHost)
        let c = try a.command(s.context(), prompt: "P")
        #expect(added(c) == ["GEMINI_SANDBOX": "false", "GEMINI_API_KEY": "gm-HOST", "HF_TOKEN": "hf-HOST", "X": "1"])
        #expect(c.environment["SHELL"] == nil && c.environment["ANTHROPIC_API_KEY"] == nil)
    }

    @Test func repromptLoopScriptGolden() throws {
        let s = try Scratch.agentRun()
        defer { s.cleanup() }
        let a = ClaudeCodeAgent(config: try config("name: c\nscaffold: claude-code\nmodel: claude-opus-4-6\nreprompt: {enabled: true}\n"), host: fakeHost)
        try a.prepare(s.context())
        let c = try a.command(s.context(), prompt: "Do it.")
        let script = s.paths.workspace.appendingPathComponent("agent_solve.sh")
        #expect(c.executable == "bash" && c.arguments == [script.path] && c.environment["PROMPT"] == "Do it.")
        let text = try String(contentsOf: script, encoding: .utf8)
        let timer = s.paths.task.appendingPathComponent("timer.sh").path
        #expect(text == """
            #!/bin/bash
            # Generated by ptb for agent c: run it, then re-prompt while the budget lasts.
            claude --print --verbose --model claude-opus-4-6 --output-format stream-json --dangerously-skip-permissions "$PROMPT"
            status=$?
            round=0
            while [ "$round" -lt 100 ]; do
                out=$(bash \(timer))
                case "$out" in *expired*) break ;; esac
                rem=$(printf '%s\\n' "$out" | tail -n 1)
                h=${rem%%:*}
                m=${rem#*:}
                [ $((10#$h * 60 + 10#$m)) -ge 30 ] || break
                round=$((round + 1))
                msg='You still have {H}h {M}m remaining. Please continue improving your result and maximize performance.'
                msg=${msg//"{H}"/$h}
                msg=${msg//"{M}"/$m}
                printf '{"type":"ptb.reprompt","round":%d,"remaining":"%s"}\\n' "$round" "$rem"
                claude --print --verbose --continue --model claude-opus-4-6 --output-format stream-json --dangerously-skip-permissions "$msg"
                status=$?
            done
            exit $status

            """)
        // Codex resumes with `exec resume --last`.
        let x = CodexAgent(config: try config("name: x\nscaffold: codex\nmodel: gpt-5.4\nreprompt: {}\n"), host: fakeHost)
        #expect(x.resumeArguments(message: "M").map(shellQuote).joined(separator: " ")
            == "codex --search exec resume --last --json -c model_reasoning_summary=detailed \(codexTraffic) --skip-git-repo-check --dangerously-bypass-approvals-and-sandbox --model gpt-5.4 M")
    }

    /// The loop really runs: a fake CLI and a fake timer that counts down 2:00 → 0:40 → 0:20.
    @Test func repromptLoopRunsUntilLessThanThirtyMinutesRemain() async throws {
        let s = try Scratch.agentRun()
        defer { s.cleanup() }
        let bin = s.url.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        _ = try s.write("#!/bin/sh\necho \"gemini $*\"\nexit 3\n", "bin/gemini")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin.appendingPathComponent("gemini").path)
        let counter = s.url.appendingPathComponent("count")
        _ = try s.write("""
            n=$(cat \(counter.path) 2>/dev/null || echo 0); echo $((n+1)) > \(counter.path)
            echo "Remaining time (hours:minutes):"
            case $n in 0) echo 2:00 ;; 1) echo 0:40 ;; *) echo 0:20 ;; esac

            """, "runs/r1/workspace/task/timer.sh")
        let a = GeminiAgent(config: try config("name: g\nscaffold: gemini\nmodel: m\nreprompt: {message: \"left {H}:{M}\"}\n"), host: fakeHost)
        var ctx = s.context()
        ctx.environment["PATH"] = bin.path + ":/usr/bin:/bin"
        try a.prepare(ctx)
        var c = try a.command(ctx, prompt: "first")
        c.workingDirectory = s.paths.task
        let (t, lines) = try await ProcessRunner().run(c)
        #expect(t == .exited(3), "the loop exits with the CLI's last status")
        #expect(lines == [
            "gemini --yolo --model m --output-format stream-json -p first",
            #"{"type":"ptb.reprompt","round":1,"remaining":"2:00"}"#,
            "gemini --yolo --resume latest --model m --output-format stream-json -p left 2:00",
            #"{"type":"ptb.reprompt","round":2,"remaining":"0:40"}"#,
            "gemini --yolo --resume latest --model m --output-format stream-json -p left 0:40",
        ])
    }
}
