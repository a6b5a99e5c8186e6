import Foundation
import PTBCore
import PTBStore
import PTBTestSupport
import Testing

/// The SQLite run index is derived data: what it holds must be what the run directories say,
/// and a rebuild must survive runs it cannot read.
struct RunIndexTests {
    func writeRun(_ runs: URL, id: String, created: Double, state: ScoreState?, final: Double?) throws {
        let paths = RunPaths(dir: runs.appendingPathComponent(id))
        let spec = RunSpec(task: "arith", model: "tiny", agent: "reference", hours: 0.05)
        var m = RunManifest(id: id, spec: spec, createdAt: Date(timeIntervalSince1970: created), ptbVersion: "test")
        m.outcome = .done
        for phase in Phase.allCases { m[phase] = PhaseRecord(state: .done, attempts: 1) }
        try JSONIO.write(m, to: paths.manifest)
        guard let state else { return }
        let r = RunResult(id: id, spec: spec, outcome: .done, failure: nil, exit: .normal,
                          finalScore: final.map { ScoreSummary(accuracy: $0, stderr: 0.01, n: 200) },
                          baseScore: ScoreSummary(accuracy: 0.01, stderr: 0, n: 200), scoreState: state, integrityFlagged: false,
                          agentSeconds: 60, phaseSeconds: [:], createdAt: m.createdAt, finishedAt: m.createdAt.addingTimeInterval(100),
                          versions: [:])
        try JSONIO.write(r, to: paths.result)
    }

    @Test func rebuildIndexesWhatTheRunDirectoriesSay() throws {
        let s = try Scratch(prefix: "ptb-store-test")
        defer { s.cleanup() }
        let runs = s.file("runs")
        try writeRun(runs, id: "r-scored", created: 1000, state: .scored, final: 0.5)
        try writeRun(runs, id: "r-empty", created: 2000, state: .noFinalModel, final: nil)
        try writeRun(runs, id: "r-unrecorded", created: 3000, state: nil, final: nil)
        // Not a run (no run.json), and a run whose manifest is unreadable.
        try FileManager.default.createDirectory(at: runs.appendingPathComponent("not-a-run"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: runs.appendingPathComponent("r-broken"), withIntermediateDirectories: true)
        try "{".write(to: runs.appendingPathComponent("r-broken/run.json"), atomically: true, encoding: .utf8)

        let index = try RunIndex(path: s.file("index/runs.sqlite"))
        let (indexed, problems) = try index.rebuild(from: [runs])
        #expect(indexed == 3)
        #expect(problems.contains { $0.hasPrefix("r-broken:") })
        let rows = try index.all()
        #expect(rows.map(\.id) == ["r-scored", "r-empty", "r-unrecorded"])
        #expect(rows.map(\.scoreState) == ["scored", "no-final-model", nil])
        #expect(rows[0].finalAccuracy == 0.5 && rows[1].finalAccuracy == nil)
        #expect(rows[0].elapsedSeconds == 100)

        // An upsert replaces the row of the same id; a rebuild starts over from the directories.
        var changed = rows[0]
        changed.finalAccuracy = 0.75
        try index.upsert(changed)
        #expect(try index.all().first { $0.id == "r-scored" }?.finalAccuracy == 0.75)
        try index.rebuild(from: [runs])
        #expect(try index.all().first { $0.id == "r-scored" }?.finalAccuracy == 0.5)
    }

    @Test func unfinishedRunsAreFound() throws {
        let s = try Scratch(prefix: "ptb-store-test")
        defer { s.cleanup() }
        let runs = s.file("runs")
        try writeRun(runs, id: "r-done", created: 1000, state: .scored, final: 0.5)
        let paths = RunPaths(dir: runs.appendingPathComponent("r-pending"))
        try JSONIO.write(RunManifest(id: "r-pending", spec: RunSpec(task: "arith", model: "tiny", agent: "reference", hours: 0.05),
                                     createdAt: Date(), ptbVersion: "test"), to: paths.manifest)
        #expect(RunScanner.unfinished(in: runs).map(\.id) == ["r-pending"])
    }
}
