import Foundation
import PTBAgents
import PTBCore
import PTBTestSupport
import Testing

@Suite struct AgentRegistryTests {
    static let repoAgents = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("agents")

    @Test func embeddedDefinitionsEqualTheRepositoryFiles() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.repoAgents.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files.map { String($0.dropLast(5)) }.sorted() == AgentRegistry.shipped)
        for f in files {
            let text = try String(contentsOf: Self.repoAgents.appendingPathComponent(f), encoding: .utf8)
            #expect(BuiltInAgents.definitions[String(f.dropLast(5))].map { $0 + "\n" } == text,
                    "agents/\(f) and BuiltInAgents.swift differ: copy the file's text into BuiltInAgents.definitions")
            let c = try AgentConfig.load(Self.repoAgents.appendingPathComponent(f))
            #expect(c.name + ".yaml" == f, "the file name is the agent name")
        }
    }

    @Test func resolvesShippedConfiguredAndBuiltInAgents() throws {
        let s = try Scratch.agentRun()
        defer { s.cleanup() }
        #expect(try AgentRegistry.resolve(agent: "reference", config: nil, home: s.home) is ReferenceAgent)
        #expect(try AgentRegistry.resolve(agent: "none", config: nil, home: s.home) is NoneAgent)
        let claude = try AgentRegistry.resolve(agent: "claude-opus-4-6", config: nil, home: s.home, environment: fakeHost)
        #expect((claude as? ClaudeCodeAgent)?.config.model == "claude-opus-4-6")
        #expect(try AgentRegistry.resolve(agent: "codex-gpt-5.2", config: nil, home: s.home) is CodexAgent)
        #expect(try AgentRegistry.resolve(agent: "gemini-3-pro", config: nil, home: s.home) is GeminiAgent)
        #expect(try AgentRegistry.resolve(agent: "opencode-glm-5", config: nil, home: s.home) is OpenCodeAgent)
        // A user definition of the same name wins.
        _ = try s.write("name: codex-gpt-5.2\nscaffold: codex\nmodel: gpt-5.2-codex\n", "home/agents/codex-gpt-5.2.yaml")
        #expect((try AgentRegistry.resolve(agent: "codex-gpt-5.2", config: nil, home: s.home) as? CodexAgent)?.config.model == "gpt-5.2-codex")
        // --agent command with a CLI-scaffold file gets that scaffold's adapter.
        let file = try s.write("name: mine\nscaffold: gemini\nmodel: m\n", "mine.yaml")
        #expect(try AgentRegistry.resolve(agent: "command", config: file.path, home: s.home) is GeminiAgent)
        #expect { try AgentRegistry.resolve(agent: "nope", config: nil, home: s.home) } throws: {
            "\($0)".contains("unknown agent 'nope'") && "\($0)".contains("claude-opus-4-6")
        }
    }

    @Test func validateChecksCredentialsUpFront() throws {
        let s = try Scratch.agentRun()
        defer { s.cleanup() }
        try AgentRegistry.validate(agent: "gemini-3-pro", config: nil, home: s.home, environment: fakeHost)
        #expect { try AgentRegistry.validate(agent: "gemini-3-pro", config: nil, home: s.home, environment: [:]) } throws: {
            "\($0)".contains("GEMINI_API_KEY is not set")
        }
        #expect { try AgentRegistry.validate(agent: "claude-opus-4-6-subscription", config: nil, home: s.home, environment: [:]) } throws: {
            "\($0)".contains(s.home.root.appendingPathComponent("credentials/claude_oauth_token").path)
        }
    }

    @Test func listShowsEveryAgentAndBrokenFiles() throws {
        let s = try Scratch.agentRun()
        defer { s.cleanup() }
        _ = try s.write("name: broken\nscaffold: martian\n", "home/agents/broken.yaml")
        _ = try s.write("name: mine\nscaffold: codex\nmodel: gpt-5.2\nreprompt: {}\n", "home/agents/mine.yaml")
        let rows = AgentRegistry.list(home: s.home)
        #expect(rows.prefix(3).map(\.name) == ["reference", "none", "command"])
        #expect(rows.first { $0.name == "broken" }?.problem?.contains("unknown scaffold 'martian'") == true)
        let mine = try #require(rows.first { $0.name == "mine" })
        #expect(mine.source == .configured && mine.reprompt && mine.auth == "api-key")
        #expect(rows.filter { $0.source == .shipped }.map(\.name) == AgentRegistry.shipped)
    }

    @Test func configErrorsNameTheFix() throws {
        #expect { try config("name: x\nscaffold: codex\n") } throws: { "\($0)".contains("scaffold codex needs `model:`") }
        #expect { try config("name: x\nscaffold: gemini\nmodel: m\nauth: subscription\n") } throws: {
            "\($0)".contains("supported for claude-code and codex only")
        }
        let c = try config("name: x\nscaffold: codex\nmodel: m\nreprompt: {min_remaining_minutes: 45}\n")
        #expect(c.reprompt == RepromptPolicy(enabled: true, minRemainingMinutes: 45))
    }
}
