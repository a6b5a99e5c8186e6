import Foundation
import Testing
@testable import PTBCore

@Suite struct RunLivenessTests {
    func runDir() throws -> (URL, RunManifest) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("live-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var m = RunManifest(id: "r1", spec: RunSpec(task: "arith", model: "tiny", agent: "none"), createdAt: Date(), ptbVersion: "test")
        m.outcome = .running
        m[.agent].state = .running
        return (dir, m)
    }

    @Test func aLiveDriverOnThisHostIsRunning() throws {
        let (dir, m) = try runDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try JSONIO.write(RunDriver.current(), to: dir.appendingPathComponent(RunDriver.fileName))
        #expect(RunLiveness.interruption(runDir: dir, manifest: m) == nil)
    }

    @Test func aDeadOrRecycledPidIsInterrupted() throws {
        let (dir, m) = try runDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var d = RunDriver.current()
        d.processStart = (d.processStart ?? 0) + 1   // same pid, another process
        try JSONIO.write(d, to: dir.appendingPathComponent(RunDriver.fileName))
        #expect(RunLiveness.interruption(runDir: dir, manifest: m)?.contains("is gone") == true)
        d.pid = Int32.max - 1
        try JSONIO.write(d, to: dir.appendingPathComponent(RunDriver.fileName))
        #expect(RunLiveness.interruption(runDir: dir, manifest: m) != nil)
    }

    /// Another node cannot be asked about its pids: a heartbeat older than 5 minutes decides.
    @Test func anotherHostIsJudgedByItsHeartbeat() throws {
        let (dir, m) = try runDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let now = Date()
        var d = RunDriver(host: "node-elsewhere-\(UUID().uuidString.prefix(4))", pid: 1, processStart: 1, heartbeatAt: now.addingTimeInterval(-60))
        try JSONIO.write(d, to: dir.appendingPathComponent(RunDriver.fileName))
        #expect(RunLiveness.interruption(runDir: dir, manifest: m, now: now) == nil)
        d.heartbeatAt = now.addingTimeInterval(-600)
        try JSONIO.write(d, to: dir.appendingPathComponent(RunDriver.fileName))
        #expect(RunLiveness.interruption(runDir: dir, manifest: m, now: now)?.contains("no heartbeat") == true)
    }

    /// Runs from before driver.json: a free run lock means nobody drives it.
    @Test func withoutDriverFileTheLockDecides() throws {
        let (dir, m) = try runDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let paths = RunPaths(dir: dir)
        #expect(RunLiveness.interruption(runDir: dir, manifest: m) != nil)
        let lock = try ExclusiveFileLock(url: paths.lock, busy: PTBError.io("busy"))
        #expect(RunLiveness.interruption(runDir: dir, manifest: m) == nil)
        withExtendedLifetime(lock) {}
    }

    @Test func finishedRunsAreNeverInterrupted() throws {
        var (dir, m) = try runDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        m.outcome = .done
        #expect(RunLiveness.interruption(runDir: dir, manifest: m) == nil)
    }
}
