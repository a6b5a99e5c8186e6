/// What the agent's `evaluate.py` leaves in the workspace for a test-split evaluation
/// (`ptb run --eval-feedback`). The dev split always comes back with full detail.
public enum EvalFeedback: String, Codable, Sendable, CaseIterable {
    /// The score and per-sample diagnostics that reveal no answer; the samples stay in the run
    /// directory.
    case sealed
    /// As the original harness: also the full samples (prompt, completion, target, verdict) in
    /// `task/eval_logs/<time>/samples.jsonl`, for reproducing its conditions. The agent can read
    /// the test answers.
    case original
}
