import Testing
@testable import PTBInference

/// The retry ladder skips what cannot help: the original's 9 engine starts for a refusal that
/// the same request always gets.
@Suite struct RetryPolicyTests {
    /// aime2025's ladder: 4 × 16000, 3 × 12000, 2 × 8000 (the issue's example: a 512-token model).
    let aime = Array(repeating: 16000, count: 4) + Array(repeating: 12000, count: 3) + Array(repeating: 8000, count: 2)
    let arith = Array(repeating: 1000, count: 4) + Array(repeating: 24, count: 3) + Array(repeating: 16, count: 2)

    /// The three phrasings vLLM has used, as ptb's ChatClient reports them (status, then body).
    static let refusals = [
        #"2 sample(s) could not be generated (first error: 2: HTTP 400: {"error":{"message":"max_tokens=1000 cannot be greater than max_model_len=256. Please request fewer output tokens. (parameter=max_tokens, value=1000)","type":"BadRequestError","param":"max_tokens","code":400}})"#,
        #"HTTP 400: {"object":"error","message":"This model's maximum context length is 256 tokens. However, you requested 1040 tokens (40 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.","type":"BadRequestError","param":null,"code":400}"#,
        #"HTTP 400: {"error":{"message":"'max_tokens' or 'max_completion_tokens' is too large: 1000. This model's maximum context length is 256 tokens and your request has 40 input tokens (1000 > 256 - 40).","code":400}}"#,
    ]

    @Test(arguments: refusals) func aContextRefusalSkipsToTheFirstRungThatFits(_ failure: String) {
        #expect(RetryPolicy.decide(failure: failure, ladder: arith, index: 0) == .skipTo(4, reason: RetryPolicy.decideReason(failure, arith, 0)))
    }

    @Test func aContextRefusalNoRungFitsStopsAtOnce() {
        let failure = "HTTP 400: max_tokens=16000 cannot be greater than max_model_len=512"
        guard case let .stop(reason) = RetryPolicy.decide(failure: failure, ladder: aime, index: 0) else {
            Issue.record("a 512-token model cannot fit 12000 or 8000 either: the ladder must stop"); return
        }
        #expect(reason.contains("512 tokens") && reason.contains("12000, 8000"), "\(reason)")
    }

    @Test func theNextRungIsTakenWhenItFits() {
        let failure = "HTTP 400: max_tokens=16000 cannot be greater than max_model_len=14000"
        #expect(RetryPolicy.decide(failure: failure, ladder: aime, index: 0) == .skipTo(4, reason: RetryPolicy.decideReason(failure, aime, 0)))
        // From the last 16000 rung, the next one is 12000: an ordinary step.
        #expect(RetryPolicy.decide(failure: failure, ladder: aime, index: 3) == .next)
    }

    @Test func otherBadRequestsStopAndTransientFailuresRetry() {
        guard case .stop = RetryPolicy.decide(failure: #"HTTP 400: {"message":"unknown chat template variable"}"#, ladder: aime, index: 0) else {
            Issue.record("a 400 without a length cause is deterministic"); return
        }
        for transient in ["HTTP 500: internal error", "HTTP 429: slow down", "transport error: connection reset",
                          "the engine exited during startup (exit 1): CUDA out of memory", "malformed response: {"] {
            #expect(RetryPolicy.decide(failure: transient, ladder: aime, index: 2) == .next, "\(transient)")
        }
    }
}

extension RetryPolicy {
    /// The reason text of a skip, so the tests compare the decision, not its wording.
    static func decideReason(_ failure: String, _ ladder: [Int], _ index: Int) -> String {
        if case let .skipTo(_, reason) = decide(failure: failure, ladder: ladder, index: index) { return reason }
        return ""
    }
}
