import Foundation

/// How ptb retries what an OpenAI-compatible server refuses, at both levels it retries:
///
/// - One request (`HTTPTransport`, used by `ChatClient` and `JudgeClient`): `attempts` tries,
///   waiting `backoffSeconds`, then twice as long after each failure, on 429, 5xx and transport
///   errors; any other status is an answer, not a hiccup, and is not resent.
/// - One evaluation attempt on the retry ladder (`decide`): which rungs can still help.
///
/// The original retries every failed evaluation 9 times (4 + 3 + 2, with smaller max_tokens on
/// the later rungs). Most failures it meets are transient (an engine that died, a timeout), and
/// for those ptb does the same. A refusal the engine states is deterministic: the same request
/// fails the same way, and each retry restarts the engine (a minute on a CPU, several for a large
/// model on a GPU). So a context-length refusal skips to the first rung whose max_tokens fits the
/// model's context, or stops when none does; any other HTTP 400/422 stops. The outcome (no score)
/// is the original's; only the wasted engine starts are not.
public struct RetryPolicy: Sendable, Equatable {
    /// Tries per request, the first included (≥ 1).
    public var attempts: Int
    /// The wait after the first failed try; it doubles after each later one.
    public var backoffSeconds: Double

    public init(attempts: Int, backoffSeconds: Double) {
        self.attempts = max(1, attempts)
        self.backoffSeconds = backoffSeconds
    }

    /// The evaluated model's engine: 3 tries, 1 s then 2 s apart (a local engine recovers fast or not at all).
    public static let engine = RetryPolicy(attempts: 3, backoffSeconds: 1)

    /// Statuses worth resending unchanged: rate limits and server errors.
    public static func retryable(status: Int) -> Bool { status == 429 || status >= 500 }

    /// How long to wait after failed try `attempt` (1-based) before the next; nil when it was the last.
    public func delay(afterAttempt attempt: Int) -> Duration? {
        guard attempt < attempts else { return nil }
        return .milliseconds(Int64((backoffSeconds * 1000 * Double(1 << min(attempt - 1, 30))).rounded()))
    }

    public enum Decision: Equatable, Sendable {
        /// Retry with the next rung, as the original does.
        case next
        /// Skip to this ladder index (its max_tokens can fit).
        case skipTo(Int, reason: String)
        /// No rung can help; the reason goes into the error and attempts.jsonl.
        case stop(reason: String)
    }

    /// `failure` is the attempt's error text (ptb's errors carry the engine's HTTP status and
    /// body); `ladder` the max_tokens of every rung; `index` the rung that just failed.
    public static func decide(failure: String, ladder: [Int], index: Int) -> Decision {
        guard let status = httpStatus(failure), status == 400 || status == 422 else { return .next }
        guard let limit = contextLimit(failure) else {
            return .stop(reason: "the engine refused the request (HTTP \(status)), which no retry changes: \(snippet(failure))")
        }
        let room = limit.context - (limit.input ?? 0)
        let fits = ladder.indices.dropFirst(index + 1).first { ladder[$0] < room || (limit.input == nil && ladder[$0] < limit.context) }
        let why = "the model's context is \(limit.context) tokens\(limit.input.map { " (\($0) taken by the prompt)" } ?? ""), "
            + "smaller than max_tokens \(ladder[index])"
        guard let next = fits else {
            let rest = Array(ladder.dropFirst(index + 1))
            return .stop(reason: why + (rest.isEmpty ? "" : " and than every later rung (\(Set(rest).sorted(by: >).map(String.init).joined(separator: ", ")))")
                + ": serve the model with a longer context (max_position_embeddings in config.json) or evaluate with a smaller --max-tokens")
        }
        return next == index + 1 ? .next : .skipTo(next, reason: why + "; rungs up to \(next) cannot fit and are skipped")
    }

    static func httpStatus(_ text: String) -> Int? {
        guard let r = text.range(of: #"HTTP (\d{3})"#, options: .regularExpression) else { return nil }
        return Int(text[r].dropFirst(5))
    }

    /// The engine's own words, as vLLM has phrased them across versions:
    /// "max_tokens=8000 cannot be greater than max_model_len=512",
    /// "This model's maximum context length is 512 tokens. However, you requested 8100 tokens
    /// (100 in the messages, 8000 in the completion)",
    /// "... maximum context length is 512 tokens and your request has 100 input tokens (8000 > 512 - 100)".
    static func contextLimit(_ text: String) -> (context: Int, input: Int?)? {
        func int(_ pattern: String) -> Int? {
            guard let r = text.range(of: pattern, options: .regularExpression) else { return nil }
            return Int(text[r].filter(\.isNumber))
        }
        let context = int(#"max_model_len=\d+"#) ?? int(#"maximum context length is \d+"#)
        guard let context else { return nil }
        let input = int(#"\d+ in the messages"#) ?? int(#"request has \d+ input tokens"#)
        return (context, input)
    }

    static func snippet(_ s: String) -> String { s.count > 300 ? String(s.prefix(300)) + "…" : s }
}
