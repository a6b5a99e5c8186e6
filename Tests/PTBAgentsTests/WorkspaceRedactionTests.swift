import Foundation
import PTBAgents
import PTBCore
import Testing

@Suite struct WorkspaceRedactionTests {
    func scratch() throws -> URL {
        let d = URL(fileURLWithPath: "/var/tmp/ptb-wsr-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: d.appendingPathComponent("task/deep"), withIntermediateDirectories: true)
        return d
    }

    @Test func secretsInWorkspaceFilesAreReplacedAndOthersUntouched() throws {
        let d = try scratch()
        defer { try? FileManager.default.removeItem(at: d) }
        let secret = "sk-live-0123456789abcdef", login = "my-login-value-42"
        let r = Redactor(environment: ["OPENAI_API_KEY": secret, "MY_LOGIN": login, "PLAIN": "not-a-secret-value"], secretNames: ["MY_LOGIN"])
        try "OPENAI_API_KEY=\(secret)\nMY_LOGIN=\(login)\n".write(to: d.appendingPathComponent("task/env.txt"), atomically: true, encoding: .utf8)
        // A secret across the boundary of the 8 MiB read chunks, inside binary bytes.
        var big = Data(repeating: 0xAB, count: (8 << 20) - 5)
        big.append(Data(secret.utf8))
        big.append(Data([0, 1, 2]))
        try big.write(to: d.appendingPathComponent("task/deep/weights.bin"))
        try "nothing here\n".write(to: d.appendingPathComponent("task/clean.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: d.appendingPathComponent("task/env.txt").path)
        let before = try FileManager.default.attributesOfItem(atPath: d.appendingPathComponent("task/clean.txt").path)[.modificationDate] as? Date
        // A symlink pointing outside is never followed or rewritten.
        let outside = d.appendingPathComponent("outside.txt")
        try "link target \(secret)".write(to: outside, atomically: true, encoding: .utf8)
        let ws = d.appendingPathComponent("task")
        try FileManager.default.createSymbolicLink(at: ws.appendingPathComponent("link"), withDestinationURL: outside)

        let changed = try WorkspaceRedaction.redact(directory: ws, with: r)
        #expect(changed == ["deep/weights.bin", "env.txt"])
        #expect(try String(contentsOf: ws.appendingPathComponent("env.txt"), encoding: .utf8)
            == "OPENAI_API_KEY=[REDACTED:OPENAI_API_KEY]\nMY_LOGIN=[REDACTED:MY_LOGIN]\n")
        let perms = try FileManager.default.attributesOfItem(atPath: ws.appendingPathComponent("env.txt").path)[.posixPermissions] as? Int
        #expect(perms == 0o755)
        let w = try Data(contentsOf: ws.appendingPathComponent("deep/weights.bin"))
        #expect(w.range(of: Data(secret.utf8)) == nil)
        #expect(Data(w.suffix(28)) == Data("[REDACTED:OPENAI_API_KEY]".utf8) + Data([0, 1, 2]))
        #expect(w.count == (8 << 20) - 5 + 25 + 3)
        #expect(try FileManager.default.attributesOfItem(atPath: ws.appendingPathComponent("clean.txt").path)[.modificationDate] as? Date == before)
        #expect(try String(contentsOf: outside, encoding: .utf8).contains(secret), "outside the workspace: not touched through the link")
    }

    @Test func commandAgentDeclarations() throws {
        let c = try AgentConfig.parse("""
            name: imp
            scaffold: command
            command: [sh, run.sh]
            trace_format: codex
            model: gpt-5.2
            secrets: [MY_LOGIN]
            container_path: /usr/bin:/bin
            """, path: "imp.yaml", baseDir: nil)
        #expect(c.traceScaffold == .codex && c.declaredSecrets == ["MY_LOGIN"] && c.containerPath == "/usr/bin:/bin")
        #expect(throws: PTBError.self) {
            try AgentConfig.parse("name: x\nscaffold: command\ncommand: [sh]\ntrace_format: claude\n", path: "x.yaml", baseDir: nil)
        }
        let cli = try AgentConfig.parse("name: c\nscaffold: codex\nmodel: gpt-5.2\n", path: "c.yaml", baseDir: nil)
        #expect(cli.traceScaffold == .codex && cli.declaredSecrets.isEmpty)
        #expect(try AgentConfig.parse("name: x\nscaffold: command\ncommand: [sh]\n", path: "x.yaml", baseDir: nil).traceScaffold == nil)
    }

    /// A declared secret passes in from the host (like pass_env) and its value is redacted.
    @Test func declaredSecretsPassInAndAreRedacted() throws {
        let c = try AgentConfig.parse("name: x\nscaffold: command\ncommand: [sh]\nsecrets: [PTB_TEST_DECLARED]\n", path: "x.yaml", baseDir: nil)
        let r = Redactor(environment: ["PTB_TEST_DECLARED": "value-of-the-login"], secretNames: c.declaredSecrets)
        #expect(r.redact("a value-of-the-login b") == "a [REDACTED:PTB_TEST_DECLARED] b")
        #expect(Redactor(environment: ["PTB_TEST_DECLARED": "value-of-the-login"]).redact("value-of-the-login") == "value-of-the-login")
    }
}
