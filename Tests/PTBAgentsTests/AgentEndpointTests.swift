import Foundation
import PTBAgents
import PTBCore
import PTBProcess
import PTBSandbox
import PTBTestSupport
import Testing

/// `base_url`/`provider` in agent definitions, the installed CLI binaries' place on PATH, and the
/// pins of the CLI wheels (kept equal to containers/ptb.lock).
@Suite struct AgentEndpointTests {
    @Test func claudeBaseURLIsTheAnthropicBaseURL() throws {
        let s = try Scratch.agentRun()
        defer { s.cleanup() }
        let a = ClaudeCodeAgent(config: try config("name: c\nscaffold: claude-code\nmodel: m\nbase_url: http://127.0.0.1:9/\n"), host: fakeHost)
        let env = try a.command(s.context(), prompt: "P").environment
        #expect(env["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:9/")
        #expect(env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] == "1")
    }

    @Test func codexBaseURLIsACustomProviderKeyedOrLoggedIn() throws {
        let s = try Scratch.agentRun()
        defer { s.cleanup() }
        let key = CodexAgent(config: try config("""
            name: x
            scaffold: codex
            model: gpt-5.1-codex
            base_url: http://127.0.0.1:9/v1
            provider: {request_max_retries: 0, stream_idle_timeout_ms: "5000", note: a "b"}
            """), host: fakeHost)
        let args = key.arguments(prompt: "P").joined(separator: " ")
        #expect(args.contains(#"-c model_provider="ptb" -c model_providers.ptb.name="ptb" -c model_providers.ptb.base_url="http://127.0.0.1:9/v1" -c model_providers.ptb.wire_api="responses" -c model_providers.ptb.env_key="CODEX_API_KEY""#))
        #expect(args.contains(#"-c model_providers.ptb.note="a \"b\"" -c model_providers.ptb.request_max_retries=0 -c model_providers.ptb.stream_idle_timeout_ms=5000"#))
        #expect(!args.contains("requires_openai_auth"))
        let auth = try s.write(#"{"tokens":{"access_token":"at-SECRET-1"}}"#, "creds/auth.json")
        let sub = CodexAgent(config: try config("name: x\nscaffold: codex\nmodel: m\nauth: subscription\ncredentials: \(auth.path)\nbase_url: http://127.0.0.1:9/v1\n"),
                             host: fakeHost)
        let subArgs = sub.arguments(prompt: "P").joined(separator: " ")
        #expect(subArgs.contains(#"-c model_providers.ptb.requires_openai_auth=true -c chatgpt_base_url="http://127.0.0.1:9/backend-api/""#))
        #expect(!subArgs.contains("env_key"))
        // Without base_url: the CLI's own provider, no override.
        let plain = CodexAgent(config: try config("name: x\nscaffold: codex\nmodel: m\n"), host: fakeHost)
        #expect(!plain.arguments(prompt: "P").joined(separator: " ").contains("model_provider"))
    }

    @Test func badEndpointSettingsAreRefusedAtLoad() {
        #expect { try config("name: c\nscaffold: claude-code\nmodel: m\nbase_url: 127.0.0.1:9\n") } throws: {
            "\($0)".contains("base_url '127.0.0.1:9' is not an http(s) URL")
        }
        #expect { try config("name: c\nscaffold: claude-code\nmodel: m\nprovider: {a: b}\n") } throws: {
            "\($0)".contains("`provider:` sets Codex's custom provider")
        }
        #expect { try config("name: g\nscaffold: gemini\nmodel: m\nbase_url: http://x\n") } throws: {
            "\($0)".contains("base_url is supported for claude-code and codex")
        }
    }

    /// An installed binary (an executable file where `ptb setup --agents` puts it) comes first on
    /// PATH; without one, PATH is the context's.
    @Test func installedBinaryComesFirstOnPath() throws {
        let s = try Scratch.agentRun()
        defer { s.cleanup() }
        let a = CodexAgent(config: try config("name: x\nscaffold: codex\nmodel: m\n"), host: fakeHost)
        #expect(try a.command(s.context(), prompt: "P").environment["PATH"] == "/env/bin:/usr/bin:/bin")
        let pin = try #require(AgentBinaries.pin(.codex))
        let exe = AgentBinaries.directory(home: s.home, pin: pin).appendingPathComponent(pin.executable)
        _ = try s.write("#!/bin/sh\n", "home/agents/codex/\(pin.cliVersion)/\(pin.executable)")
        #expect(try a.command(s.context(), prompt: "P").environment["PATH"] == "/env/bin:/usr/bin:/bin", "not executable: not installed")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: exe.path)
        #expect(try a.command(s.context(), prompt: "P").environment["PATH"]
            == exe.deletingLastPathComponent().resolvingSymlinksInPath().path + ":/env/bin:/usr/bin:/bin")
        #expect(AgentBinaries.installedVersions(home: s.home, scaffold: .codex) == [pin.cliVersion])
        #expect(AgentBinaries.installed(home: s.home, scaffold: .claudeCode) == nil)
    }

    @Test func pinsEqualTheLockAndNameTheCLIs() throws {
        let lockURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("containers/ptb.lock")
        let lock = ContainerLock(text: try String(contentsOf: lockURL, encoding: .utf8))
        #expect(!AgentBinaries.pins.isEmpty)
        for pin in AgentBinaries.pins {
            let prefix = pin.lockPrefix
            #expect(lock.values["\(prefix)_WHEEL"] == "\(pin.package)==\(pin.packageVersion)")
            #expect(lock.values["\(prefix)_WHEEL_SHA256"] == pin.sha256)
            #expect(lock.values["\(prefix)_WHEEL_CLI_VERSION"] == pin.cliVersion)
            #expect(pin.wheel == "\(pin.package.replacingOccurrences(of: "-", with: "_"))-\(pin.packageVersion)-py3-none-\(AgentBinaries.platform).whl")
            #expect(pin.sha256.count == 64)
        }
        #expect(AgentBinaries.pins[0].versionMatches("2.1.327 (Claude Code)"))
        #expect(!AgentBinaries.pins[0].versionMatches("2.1.3270 (Claude Code)"))
        #expect(AgentBinaries.pins[1].versionMatches("codex-cli 0.163.0"))
        #expect(try AgentBinaries.pin(named: "claude").scaffold == .claudeCode)
        #expect { try AgentBinaries.pin(named: "gemini") } throws: { "\($0)".contains("npm packages") }
    }
}
