import Foundation

/// Where a run stands as a whole: `run.json`'s and `result.json`'s `outcome`.
public enum RunOutcome: String, Codable, Sendable, CaseIterable {
    case pending, running, done, failed
    /// The agent (or its sandbox) could not start at all: a missing CLI, a sandbox that refused
    /// the view, a missing image. Not the agent's result: the run has no score and is left out
    /// of every leaderboard; `ptb resume` tries again once the cause is fixed.
    case failedToStart = "failed-to-start"

    /// Stopped before the end, by a failure of a phase or a start that never happened.
    public var isFailure: Bool { self == .failed || self == .failedToStart }
}

/// Why a run has (or lacks) a final score: the state in `eval/final/status.json`, and
/// `result.json`'s `scoreState`. Raw values are the strings stored files hold, so older runs read
/// the same. Written by the evaluate and record phases, read by the results reader and the CLI.
public enum ScoreState: String, Codable, Sendable, CaseIterable {
    case scored
    /// The agent left no `final_model/`: nothing to evaluate (the agent's result, not an error).
    case noFinalModel = "no-final-model"
    /// Collect refused the submission (a link out of the workspace, a special file).
    case invalidSubmission = "invalid-submission"
    /// `final_model/` is not a loadable model directory.
    case invalidFinalModel = "invalid-final-model"
    case evaluationFailed = "evaluation-failed"
    /// The evaluate phase left no status (it did not run).
    case notEvaluated = "not-evaluated"
}

/// What collect found: the state in `submission.json`.
public enum SubmissionState: String, Codable, Sendable, CaseIterable {
    case collected
    case noFinalModel = "no-final-model"
    case invalidSubmission = "invalid-submission"
}

/// Whether judging covered every answer: `metrics.json`'s `judge.state`.
public enum JudgeState: String, Codable, Sendable, CaseIterable {
    case complete
    /// The `--judge-budget-usd` was spent: the figures cover what was judged.
    case budgetExhausted = "budget_exhausted"
}

/// What collect found: `submission.json` in the run directory.
public struct SubmissionRecord: Codable, Sendable, Equatable {
    public static let fileName = "submission.json"
    public var state: SubmissionState
    public var reason: String?
    public var files: Int?
    public var bytes: Int64?

    public init(state: SubmissionState, reason: String? = nil, files: Int? = nil, bytes: Int64? = nil) {
        self.state = state
        self.reason = reason
        self.files = files
        self.bytes = bytes
    }

    /// nil when collect wrote nothing (a run from before submission.json); throws when the file
    /// is there but unreadable, which is ptb's failure, never the agent's.
    public static func read(_ paths: RunPaths) throws -> SubmissionRecord? {
        let url = paths.dir.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try JSONIO.read(SubmissionRecord.self, from: url)
    }
}
