import Foundation
import PTBAgents
import PTBCore
import Testing

@Suite struct AgentConfigTests {
    @Test func commandAgentConfigResolvesRelativeScriptAndRejectsUnknownScaffold() throws {
        let dir = URL(fileURLWithPath: "/var/tmp/ptb-agentcfg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("a.yaml")
        try "name: mine\nscaffold: command\ncommand: [bash, solve.sh]\nscript: ./solve.sh\npass_env: [OPENAI_API_KEY]\n"
            .write(to: good, atomically: true, encoding: .utf8)
        let c = try AgentConfig.load(good)
        #expect(c.name == "mine" && c.command == ["bash", "solve.sh"] && c.passEnv == ["OPENAI_API_KEY"])
        #expect(c.script == dir.appendingPathComponent("solve.sh").path)
        let bad = dir.appendingPathComponent("b.yaml")
        try "name: x\nscaffold: martian\ncommand: [x]\n".write(to: bad, atomically: true, encoding: .utf8)
        #expect { try AgentConfig.load(bad) } throws: { "\($0)".contains("unknown scaffold 'martian'. Valid scaffolds: command.") }
    }
}

/// Issue 18, item 1: agent definitions refuse keys they do not know, with the nearest one.
@Suite struct AgentConfigUnknownKeyTests {
    @Test func aMistypedKeyIsRefusedWithTheNearestKnownOne() {
        let yaml = "name: x\nscaffold: command\ncomand: [bash, -c, \"true\"]\ncommand: [bash]\nreprompt:\n  max_round: 3\n"
        #expect {
            _ = try AgentConfig.parse(yaml, path: "agent.yaml", baseDir: nil)
        } throws: { e in
            let s = "\(e)"
            return s.contains("agent.yaml") && s.contains("'comand' (did you mean 'command'?)") && s.contains("'max_round'") && s.contains("reprompt")
        }
        // Built-in definitions and a correct file still parse.
        #expect((try? AgentConfig.parse("name: x\nscaffold: command\ncommand: [bash]\nreprompt:\n  max_rounds: 3\n", path: "a.yaml", baseDir: nil)) != nil)
    }
}

/// Issue 18: an agent definition's key and value errors name the file and the line.
@Suite struct AgentConfigLineTests {
    @Test func keyAndValueErrorsCarryTheLine() {
        #expect {
            _ = try AgentConfig.parse("name: x\nscaffold: command\n\ncomand: [bash]\n", path: "agent.yaml", baseDir: nil)
        } throws: { "\($0)".hasPrefix("config agent.yaml:4: unknown key 'comand' (did you mean 'command'?)") }
        #expect {
            _ = try AgentConfig.parse("name: x\nscaffold: command\ncommand: [bash]\nreprompt:\n  max_rounds: lots\n", path: "agent.yaml", baseDir: nil)
        } throws: { "\($0)".hasPrefix("config agent.yaml:5: not a valid agent config: 'reprompt.max_rounds' wants a whole number (got 'lots')") }
        #expect {
            _ = try AgentConfig.parse("name: x\nscaffold: [command\n", path: "agent.yaml", baseDir: nil)
        } throws: { e in "\(e)".hasPrefix("config agent.yaml:") && "\(e)".contains("not valid YAML") }
    }
}
