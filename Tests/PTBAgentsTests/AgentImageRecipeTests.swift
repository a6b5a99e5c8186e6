import Foundation
import PTBAgents
import PTBCore
import Testing

/// containers/install-agent-clis.sh, the agent image's CLI step, run for real on small stand-in
/// wheels (the real ones are 300 MB; RealAgentPodmanTests installs the real Claude Code with it):
/// the layout ptb expects, the links, and each refusal (wheel hash, binary hash, version).
@Suite struct AgentImageRecipeTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("containers/install-agent-clis.sh")

    struct Fixture {
        let dir: URL
        var wheels: URL { dir.appendingPathComponent("wheels") }
        var root: URL { dir.appendingPathComponent("root") }
        var lock: URL { dir.appendingPathComponent("test.lock") }

        init() throws {
            dir = URL(fileURLWithPath: "/var/tmp/ptb-recipe-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("wheels"), withIntermediateDirectories: true)
        }

        /// A wheel whose CLI is a shell script printing `says`; returns the wheel's and the
        /// executable's SHA-256.
        func wheel(_ file: String, members: [String: String]) throws -> String {
            let spec = dir.appendingPathComponent("\(file).json")
            try JSONSerialization.data(withJSONObject: members).write(to: spec)
            let out = wheels.appendingPathComponent(file)
            let (status, text) = runCapturing("/usr/bin/env", ["python3", "-c", """
                import json, sys, zipfile
                members = json.load(open(sys.argv[1]))
                with zipfile.ZipFile(sys.argv[2], 'w') as z:
                    for name, body in sorted(members.items()):
                        info = zipfile.ZipInfo(name)
                        info.external_attr = (0o755 if body.startswith('#!') else 0o644) << 16
                        z.writestr(info, body)
                """, spec.path, out.path])
            #expect(status == 0, "\(text)")
            return try Hashing.sha256(file: out)
        }

        func writeLock(_ v: [String: String]) throws {
            try v.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n").appending("\n")
                .write(to: lock, atomically: true, encoding: .utf8)
        }

        func install(python: String = "python3") -> (Int32, String) {
            runCapturing("/bin/sh", [AgentImageRecipeTests.script.path, lock.path, "/opt/ptb/agents", "/opt/ptb/venv/bin", wheels.path],
                env: ["DESTDIR": root.path, "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": dir.path, "PYTHON": python])
        }

        func cleanup() { try? FileManager.default.removeItem(at: dir) }
    }

    static func version(_ line: String) -> String { "#!/bin/sh\necho '\(line)'\n" }

    /// Two stand-in wheels and a lock that pins them; `claudeSays` is what the Claude stand-in prints.
    func fixture(claudeSays: String = "9.9.1 (Claude Code)") throws -> (Fixture, [String: String]) {
        let f = try Fixture()
        let claudeBody = Self.version(claudeSays), codexBody = Self.version("codex-cli 7.7.0")
        let claudeWheel = try f.wheel("fake_claude-1.0-py3-none-manylinux_2_17_x86_64.whl", members: [
            "claude_agent_sdk/__init__.py": "", "claude_agent_sdk/_bundled/claude": claudeBody,
        ])
        let codexWheel = try f.wheel("fake_codex-2.0-py3-none-manylinux_2_17_x86_64.whl", members: [
            "codex_cli_bin/__init__.py": "", "codex_cli_bin/bin/codex": codexBody, "codex_cli_bin/codex-path/rg": "#!/bin/sh\n",
        ])
        let v = [
            "CLAUDE_CODE_WHEEL": "fake-claude==1.0", "CLAUDE_CODE_WHEEL_SHA256": claudeWheel, "CLAUDE_CODE_WHEEL_CLI_VERSION": "9.9.1",
            "CLAUDE_CODE_BINARY_SHA256": Hashing.sha256(Data(claudeBody.utf8)),
            "CODEX_WHEEL": "fake-codex==2.0", "CODEX_WHEEL_SHA256": codexWheel, "CODEX_WHEEL_CLI_VERSION": "7.7.0",
            "CODEX_BINARY_SHA256": Hashing.sha256(Data(codexBody.utf8)),
        ]
        try f.writeLock(v)
        return (f, v)
    }

    @Test func installsBothCLIsInPTBsLayoutWithLinks() throws {
        let (f, _) = try fixture()
        defer { f.cleanup() }
        let (status, out) = f.install()
        #expect(status == 0, "\(out)")
        let agents = f.root.appendingPathComponent("opt/ptb/agents")
        #expect(FileManager.default.isExecutableFile(atPath: agents.appendingPathComponent("claude-code/9.9.1/bin/claude").path))
        #expect(FileManager.default.isExecutableFile(atPath: agents.appendingPathComponent("codex/7.7.0/bin/codex").path))
        #expect(FileManager.default.fileExists(atPath: agents.appendingPathComponent("codex/7.7.0/codex-path/rg").path), "Codex's helpers beside it")
        #expect(!FileManager.default.fileExists(atPath: agents.appendingPathComponent("codex/7.7.0/__init__.py").path), "no Python files")
        let bin = f.root.appendingPathComponent("opt/ptb/venv/bin")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: bin.appendingPathComponent("claude").path)
            == "/opt/ptb/agents/claude-code/9.9.1/bin/claude", "the link names the path inside the image, not the staging root")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: bin.appendingPathComponent("codex").path)
            == "/opt/ptb/agents/codex/7.7.0/bin/codex")
        #expect(out.contains("installed claude-code 9.9.1 (9.9.1 (Claude Code))"), "\(out)")
    }

    @Test func refusesAWheelWhoseHashIsNotThePin() throws {
        let (f, v) = try fixture()
        defer { f.cleanup() }
        var lock = v
        lock["CLAUDE_CODE_WHEEL_SHA256"] = String(repeating: "0", count: 64)
        try f.writeLock(lock)
        // The wheel on hand does not match, so the script downloads; this stand-in for pip (no
        // index serves `fake-claude`) "downloads" a corrupted file, which must be refused.
        let pip = f.dir.appendingPathComponent("pip-stand-in")
        try """
            #!/bin/sh
            dest=; prev=
            for a in "$@"; do [ "$prev" = --dest ] && dest=$a; prev=$a; done
            printf corrupted > "$dest/fake_claude-1.0-py3-none-manylinux_2_17_x86_64.whl"
            """.write(to: pip, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: pip.path)
        let (status, out) = f.install(python: pip.path)
        #expect(status != 0)
        #expect(out.contains("has SHA-256 \(Hashing.sha256(Data("corrupted".utf8))), not the pinned \(String(repeating: "0", count: 64)) (ptb.lock); nothing installed."), "\(out)")
        #expect(!FileManager.default.fileExists(atPath: f.root.appendingPathComponent("opt/ptb/agents/claude-code").path), "nothing installed")
    }

    @Test func refusesABinaryWhoseHashOrVersionIsNotThePin() throws {
        // The binary's hash differs from the lock's.
        let (f, pins) = try fixture()
        defer { f.cleanup() }
        var v = pins
        v["CLAUDE_CODE_BINARY_SHA256"] = String(repeating: "a", count: 64)
        try f.writeLock(v)
        var (status, out) = f.install()
        #expect(status != 0)
        #expect(out.contains("bin/claude has SHA-256 \(Hashing.sha256(Data(Self.version("9.9.1 (Claude Code)").utf8))), not the pinned \(String(repeating: "a", count: 64))"), "\(out)")

        // The binary says another version than the lock's CLI version.
        let (g, _) = try fixture(claudeSays: "9.9.10 (Claude Code)")
        defer { g.cleanup() }
        (status, out) = g.install()
        #expect(status != 0)
        #expect(out.contains("--version printed '9.9.10 (Claude Code)', not 9.9.1"), "\(out)")
        #expect(!FileManager.default.fileExists(atPath: g.root.appendingPathComponent("opt/ptb/venv/bin/claude").path), "no link to a wrong CLI")
    }
}

/// Runs a program to completion; stdout and stderr together.
func runCapturing(_ exe: String, _ args: [String], env: [String: String]? = nil) -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    if let env { p.environment = env }
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    do { try p.run() } catch { return (-1, "\(error)") }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}
