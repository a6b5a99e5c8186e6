import Foundation
import PTBCore

/// Gathers the runs a leaderboard is built from: imported snapshots, original-layout results
/// directories read in place, and ptb's own run directories.
public struct ResultSources: Sendable {
    public var importStore: ImportStore?
    public var resultsDirs: [URL]
    public var runsDirs: [URL]

    public init(importStore: ImportStore?, resultsDirs: [URL] = [], runsDirs: [URL] = []) {
        self.importStore = importStore
        self.resultsDirs = resultsDirs
        self.runsDirs = runsDirs
    }

    public struct Loaded: Sendable {
        public var runs: [ResultRun]
        public var skipped: [SkippedEntry]
        /// One line per source: what it contributed.
        public var summary: [String]
    }

    /// Sources in order of freshness, because a run reached twice keeps its first record: directories
    /// read now, then imports from the newest to the oldest, then ptb's runs.
    public func load() throws -> Loaded {
        var runs: [ResultRun] = [], skipped: [SkippedEntry] = [], summary: [String] = []
        for dir in resultsDirs {
            let s = try PostTrainBenchImporter(root: dir).read()
            runs += s.runs
            skipped += s.skipped
            summary.append("\(dir.path): \(s.runs.count) runs")
        }
        for s in try (importStore?.loadAll() ?? []).sorted(by: { $0.importedAt > $1.importedAt }) {
            runs += s.runs
            skipped += s.skipped
            summary.append("import of \(s.source) (\(Timestamps.iso(s.importedAt))): \(s.runs.count) runs")
        }
        for dir in runsDirs where FileManager.default.fileExists(atPath: dir.path) {
            let (r, sk) = PTBRunsReader.read(runsDir: dir)
            runs += r
            skipped += sk
            summary.append("ptb runs in \(dir.path): \(r.count) finished")
        }
        return Loaded(runs: dedupe(runs), skipped: skipped, summary: summary)
    }

    /// The same run reached twice (imported and also passed with --results) counts once.
    func dedupe(_ runs: [ResultRun]) -> [ResultRun] {
        var seen = Set<String>()
        return runs.filter { seen.insert("\($0.origin.rawValue)\u{0}\($0.method)\u{0}\($0.name)").inserted }
    }
}

/// What an import found, for the command's report.
public struct ImportSummary: Sendable, Equatable {
    public var methods: Int
    public var runs: Int
    public var scored: Int
    public var byLabel: [String: Int]
    public var flagged: Int
    public var judgeErrors: Int
    public var withProblems: Int
    public var skipped: Int

    public init(_ s: ImportSnapshot) {
        methods = Set(s.runs.map(\.method)).count
        runs = s.runs.count
        scored = s.runs.filter { $0.score.accuracy != nil }.count
        byLabel = Dictionary(grouping: s.runs.filter { $0.score.accuracy == nil }, by: { $0.score.label.rawValue }).mapValues(\.count)
        flagged = s.runs.filter(\.flags.isFlagged).count
        judgeErrors = s.runs.filter(\.flags.hasJudgeError).count
        withProblems = s.runs.filter { !$0.problems.isEmpty }.count
        skipped = s.skipped.count
    }

    public var text: String {
        var parts = ["\(runs) run(s) of \(methods) method(s)", "\(scored) scored"]
        parts += byLabel.keys.sorted().map { "\(byLabel[$0]!) \($0)" }
        parts += ["\(flagged) flagged", "\(judgeErrors) judge error(s)", "\(skipped) entr\(skipped == 1 ? "y" : "ies") skipped"]
        return parts.joined(separator: ", ")
    }
}
