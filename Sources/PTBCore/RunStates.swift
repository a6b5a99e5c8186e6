import Foundation

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
