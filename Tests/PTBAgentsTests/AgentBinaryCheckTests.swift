import Foundation
import PTBAgents
import PTBCore
import PTBProcess
import Testing

/// AgentBinaries.mismatch: the check `ptb run` makes before a CLI agent starts, on files put at
/// the pinned path (the real binaries' own pass is every RealAgentTests run).
@Suite struct AgentBinaryCheckTests {
    func home() throws -> PTBHome {
        let h = PTBHome(root: URL(fileURLWithPath: "/var/tmp/ptb-bincheck-\(UUID().uuidString.prefix(8))"))
        try FileManager.default.createDirectory(at: h.agents, withIntermediateDirectories: true)
        return h
    }

    func put(_ body: String, home: PTBHome, pin: AgentBinaryPin) throws -> URL {
        let exe = AgentBinaries.directory(home: home, pin: pin).appendingPathComponent(pin.executable)
        try FileManager.default.createDirectory(at: exe.deletingLastPathComponent(), withIntermediateDirectories: true)
        try body.write(to: exe, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: exe.path)
        return exe
    }

    @Test func nothingInstalledIsNotAMismatch() async throws {
        let h = try home()
        defer { try? FileManager.default.removeItem(at: h.root) }
        #expect(await AgentBinaries.mismatch(home: h, scaffold: .claudeCode, runner: ProcessRunner()) == nil)
        #expect(await AgentBinaries.mismatch(home: h, scaffold: nil, runner: ProcessRunner()) == nil)
    }

    @Test func aReplacedBinaryIsNamedWithExpectedAndFound() async throws {
        let h = try home()
        defer { try? FileManager.default.removeItem(at: h.root) }
        let pin = try #require(AgentBinaries.pin(.codex))
        let body = "#!/bin/sh\necho 'codex-cli 0.163.0'\n"
        let exe = try put(body, home: h, pin: pin)
        let said = try #require(await AgentBinaries.mismatch(home: h, scaffold: .codex, runner: ProcessRunner()))
        #expect(said == "the codex CLI at \(exe.path) is not the pinned one: expected 0.163.0 (SHA-256 \(pin.executableSHA256), "
            + "from openai-codex-cli-bin==0.163.0), found SHA-256 \(Hashing.sha256(Data(body.utf8))), \(body.utf8.count) bytes; "
            + "`--version` says 'codex-cli 0.163.0'. Reinstall the pinned CLI with `ptb setup --skip-env --skip-models --agents codex`.")
    }

    /// A replacement that hangs on `--version` is killed; the check still answers, even though
    /// the hung child (sleep) keeps the replacement's stdout open after that.
    @Test func aHangingReplacementIsKilled() async throws {
        let h = try home()
        defer { try? FileManager.default.removeItem(at: h.root) }
        let pin = try #require(AgentBinaries.pin(.claudeCode))
        let seconds = 300 + Int.random(in: 0..<600)
        _ = try put("#!/bin/sh\nsleep \(seconds)\necho '2.1.327 (Claude Code)'\n", home: h, pin: pin)
        let said = try #require(await AgentBinaries.mismatch(home: h, scaffold: .claudeCode, runner: ProcessRunner(), versionTimeout: 1))
        // No wall-clock bound (a loaded machine delays the timer): had the check waited for the
        // child, the script would have gone on to print the version.
        #expect(said.contains("`--version` gave no answer"), "\(said)")
        try await Task.sleep(for: .milliseconds(300))
        #expect(Self.processes(containing: "sleep\0\(seconds)") == 0, "the hung child was killed with its group")
    }

    static func processes(containing marker: String) -> Int {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return pids.filter { Int($0) != nil }.filter {
            guard let d = FileManager.default.contents(atPath: "/proc/\($0)/cmdline") else { return false }
            return String(decoding: d, as: UTF8.self).contains(marker)
        }.count
    }

    /// What `ptb setup` recorded (hash and stamp) spares the re-hash while the file is unchanged;
    /// a rewrite (new modification time) is hashed again and refused.
    @Test func theInstallRecordHoldsOnlyWhileTheFileIsUnchanged() async throws {
        let h = try home()
        defer { try? FileManager.default.removeItem(at: h.root) }
        let pin = try #require(AgentBinaries.pin(.claudeCode))
        let exe = try put("#!/bin/sh\necho '2.1.327 (Claude Code)'\n", home: h, pin: pin)
        let record = AgentInstallRecord(pin: pin, sha256: pin.executableSHA256, stamp: try #require(FileStamp(exe)))
        try JSONIO.write(record, to: exe.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(AgentInstallRecord.fileName))
        #expect(await AgentBinaries.mismatch(home: h, scaffold: .claudeCode, runner: ProcessRunner()) == nil, "stamp unchanged: the recorded hash stands")
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-3600)], ofItemAtPath: exe.path)
        #expect(await AgentBinaries.mismatch(home: h, scaffold: .claudeCode, runner: ProcessRunner())?.contains("is not the pinned one") == true, "changed: hashed again")
    }
}
