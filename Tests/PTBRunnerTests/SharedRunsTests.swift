import Foundation
import PTBCore
import PTBRunner
import PTBStore
import Testing

/// Several ptb processes writing into one runs directory and one index (a sweep's jobs on a
/// shared filesystem): run ids never collide and the index stays whole.
@Suite struct SharedRunsTests {
    /// 1,000 runs created at the same second from 8 threads: the 4-hex suffix alone would clash
    /// (birthday bound ~99.95 %); the atomic mkdir gives every run its own directory.
    @Test func concurrentCreatesNeverShareARunDirectory() async throws {
        let runs = URL(fileURLWithPath: "/var/tmp/ptb-shared-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: runs) }
        let now = Date()
        let spec = RunSpec(task: "arith", model: "tiny", agent: "none")
        let ids = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<8 {
                group.addTask { try (0..<125).map { _ in try RunStore.create(spec: spec, runsDir: runs, now: now).0.id } }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(ids.count == 1000 && Set(ids).count == 1000)
        let dirs = try FileManager.default.contentsOfDirectory(atPath: runs.path)
        #expect(dirs.count == 1000)
        for d in dirs { #expect(try JSONIO.read(RunManifest.self, from: runs.appendingPathComponent(d).appendingPathComponent("run.json")).id == d) }
    }

    /// Two `ptb index rebuild` processes at once, ten times over, each time on a new index: SQLite's locking
    /// (POSIX locks on the index file) serialises them and the index stays complete and intact.
    @Test func concurrentIndexWritersKeepTheIndexWhole() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        for i in 0..<200 { _ = try RunStore.create(spec: RunSpec(task: "arith", model: "tiny", agent: "none", seed: i), runsDir: h.runs) }
        for _ in 0..<10 {
            // A new index each round: two processes creating it at once is where they raced.
            for suffix in ["", "-journal", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: h.home.index.path + suffix) }
            let a = try startPTB(["index", "rebuild", "--runs-dir", h.runs.path], home: h)
            let b = try startPTB(["index", "rebuild", "--runs-dir", h.runs.path], home: h)
            a.process.waitUntilExit()
            b.process.waitUntilExit()
            let errors = String(decoding: try Data(contentsOf: a.err) + Data(contentsOf: b.err), as: UTF8.self)
            #expect(a.process.terminationStatus == 0 && b.process.terminationStatus == 0, "\(errors)")
        }
        let index = try RunIndex(path: h.home.index)
        #expect(try index.all().count == 200)
        let py = Process()
        py.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        py.arguments = ["python3", "-c", "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])", h.home.index.path]
        let out = Pipe()
        py.standardOutput = out
        try py.run()
        py.waitUntilExit()
        #expect(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
    }
}
