import Foundation
import PTBAgents
import PTBCore
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

    @Test func nothingInstalledIsNotAMismatch() throws {
        let h = try home()
        defer { try? FileManager.default.removeItem(at: h.root) }
        #expect(AgentBinaries.mismatch(home: h, scaffold: .claudeCode) == nil)
        #expect(AgentBinaries.mismatch(home: h, scaffold: nil) == nil)
    }

    @Test func aReplacedBinaryIsNamedWithExpectedAndFound() throws {
        let h = try home()
        defer { try? FileManager.default.removeItem(at: h.root) }
        let pin = try #require(AgentBinaries.pin(.codex))
        let body = "#!/bin/sh\necho 'codex-cli 0.163.0'\n"
        let exe = try put(body, home: h, pin: pin)
        let said = try #require(AgentBinaries.mismatch(home: h, scaffold: .codex))
        #expect(said == "the codex CLI at \(exe.path) is not the pinned one: expected 0.163.0 (SHA-256 \(pin.executableSHA256), "
            + "from openai-codex-cli-bin==0.163.0), found SHA-256 \(Hashing.sha256(Data(body.utf8))), \(body.utf8.count) bytes; "
            + "`--version` says 'codex-cli 0.163.0'. Reinstall the pinned CLI with `ptb setup --skip-env --skip-models --agents codex`.")
    }

    /// A replacement that hangs on `--version` is killed; the check still answers.
    @Test func aHangingReplacementIsKilled() throws {
        let h = try home()
        defer { try? FileManager.default.removeItem(at: h.root) }
        let pin = try #require(AgentBinaries.pin(.claudeCode))
        _ = try put("#!/bin/sh\nexec sleep 300\n", home: h, pin: pin)
        let start = Date()
        let said = try #require(AgentBinaries.mismatch(home: h, scaffold: .claudeCode, versionTimeout: 1))
        #expect(said.contains("`--version` gave no answer"), "\(said)")
        #expect(Date().timeIntervalSince(start) < 30)
    }

    /// What `ptb setup` recorded (hash and stamp) spares the re-hash while the file is unchanged;
    /// a rewrite (new modification time) is hashed again and refused.
    @Test func theInstallRecordHoldsOnlyWhileTheFileIsUnchanged() throws {
        let h = try home()
        defer { try? FileManager.default.removeItem(at: h.root) }
        let pin = try #require(AgentBinaries.pin(.claudeCode))
        let exe = try put("#!/bin/sh\necho '2.1.327 (Claude Code)'\n", home: h, pin: pin)
        let record = AgentInstallRecord(pin: pin, sha256: pin.executableSHA256, stamp: try #require(FileStamp(exe)))
        try JSONIO.write(record, to: exe.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(AgentInstallRecord.fileName))
        #expect(AgentBinaries.mismatch(home: h, scaffold: .claudeCode) == nil, "stamp unchanged: the recorded hash stands")
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-3600)], ofItemAtPath: exe.path)
        #expect(AgentBinaries.mismatch(home: h, scaffold: .claudeCode)?.contains("is not the pinned one") == true, "changed: hashed again")
    }
}
