import Foundation
import PTBCore
import PTBStore

/// ptb's own runs as leaderboard records: method = the run's name (else its agent), task and model
/// from the spec, score from `result.json`; an integrity flag sends the cell to the base score as the
/// original's judge flags do.
public enum PTBRunsReader {
    public static func read(runsDir: URL) -> (runs: [ResultRun], skipped: [SkippedEntry]) {
        var runs: [ResultRun] = []
        var skipped: [SkippedEntry] = []
        for dir in RunScanner.runDirectories(in: runsDir) {
            let paths = RunPaths(dir: dir)
            guard FileManager.default.fileExists(atPath: paths.result.path) else {
                // Unfinished runs have no result yet; the newest finished run of the cell counts meanwhile.
                skipped.append(SkippedEntry(method: "ptb", name: paths.id, reason: "no result.json yet (run not finished; `ptb resume` continues it)"))
                continue
            }
            do {
                let r = try JSONIO.read(RunResult.self, from: paths.result)
                // An agent that never started has no result to rank (issue 18): not a zero.
                guard r.outcome != .failedToStart else {
                    skipped.append(SkippedEntry(method: "ptb", name: paths.id,
                                                reason: "failed to start, left out of every leaderboard: \(r.failure ?? "see run.json")"))
                    continue
                }
                runs.append(record(r, paths: paths))
            } catch {
                skipped.append(SkippedEntry(method: "ptb", name: paths.id, reason: "\(error)"))
            }
        }
        return (runs, skipped)
    }

    /// Only the policy name: PTBResults reads reports without depending on the integrity module, and
    /// `ptb check --policy` may have re-decided the run after its spec was written.
    static func recordedPolicy(_ paths: RunPaths) -> String? {
        struct Report: Decodable { var policy: String? }
        guard FileManager.default.fileExists(atPath: paths.integrity.path) else { return nil }
        return (try? JSONIO.read(Report.self, from: paths.integrity))?.policy ?? "ptb"
    }

    public static func record(_ r: RunResult, paths: RunPaths) -> ResultRun {
        let spec = r.spec
        let score: RunScore
        var problems: [String] = []
        if let s = r.finalScore, s.accuracy.isFinite {
            score = .scored(s.accuracy)
        } else {
            let label: ScoreLabel = r.scoreState == .noFinalModel ? .notStored : .error
            score = RunScore(accuracy: nil, label: label, detail: r.scoreState.rawValue + (r.failure.map { ": \($0)" } ?? ""))
            problems.append("no final score (\(r.scoreState.rawValue))")
        }
        let flagged = r.integrityFlagged ?? false
        if flagged { problems.append("integrity checks flagged the run (see integrity.json)") }
        let flags = RunFlags(contamination: .notJudged, disallowedModel: .notJudged, integrityFlagged: flagged,
                             source: "integrity.json", policy: recordedPolicy(paths))
        return ResultRun(origin: .ptb, method: spec.name ?? spec.agent, task: spec.task, model: ModelKey.of(spec.model),
                         runID: Int64((r.createdAt.timeIntervalSince1970 * 1000).rounded(.down)), name: paths.id,
                         path: paths.dir.path, score: score, flags: flags,
                         timeSeconds: r.agentSeconds.map { Int($0.rounded(.down)) }, budgetSeconds: spec.budgetSeconds,
                         hasFinalModel: FileManager.default.fileExists(atPath: paths.finalModel.path),
                         baseAccuracy: r.baseScore?.accuracy, problems: problems, gpus: spec.gpus, usage: RunUsage.read(paths.usage))
    }
}
