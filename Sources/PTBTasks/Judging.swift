import Foundation
import PTBCore

/// How one judge request is sent. The tasks ask for what the original asks; the judge client
/// falls back when a server rejects a parameter (and records that it did).
public struct JudgeCallOptions: Codable, Sendable, Hashable {
    /// Sent as `max_completion_tokens` (reasoning models); `max_tokens` after a fallback.
    public var maxCompletionTokens: Int?
    /// Sent as `max_tokens` (older, non-reasoning models).
    public var maxTokens: Int?
    public var reasoningEffort: String?
    public var temperature: Double?
    /// Retry of a malformed answer: part of the cache key only, so that a re-score replays the
    /// same sequence of answers instead of the first malformed one forever.
    public var attempt: Int

    public init(maxCompletionTokens: Int? = nil, maxTokens: Int? = nil, reasoningEffort: String? = nil, temperature: Double? = nil, attempt: Int = 1) {
        self.maxCompletionTokens = maxCompletionTokens
        self.maxTokens = maxTokens
        self.reasoningEffort = reasoningEffort
        self.temperature = temperature
        self.attempt = attempt
    }
}

/// Why a judge call produced no text.
public enum JudgeCallError: Error, CustomStringConvertible, Equatable {
    /// The run's `--judge-budget-usd` is spent: nothing more is sent.
    case budgetExhausted(spentUSD: Double, budgetUSD: Double)
    /// Retries used up (HTTP errors, timeouts, malformed responses).
    case failed(String)

    public var description: String {
        switch self {
        case let .budgetExhausted(s, b): String(format: "judge budget exhausted ($%.4f spent of $%.4f)", s, b)
        case .failed(let m): "judge call failed: \(m)"
        }
    }
}

/// An OpenAI-compatible judge: PTBJudge's `JudgeClient` (HTTP, cache, ledger, budget).
public protocol JudgeService: Sendable {
    /// The judge model's name (parameter choice depends on it, as in the original).
    var model: String { get }
    /// Configured overrides of the tasks' requested token limits (nil: the task's own).
    var maxTokensOverride: Int? { get }
    /// One chat completion. `tag` names the call in the call log (e.g. `uid/game1`).
    func complete(_ messages: [ChatMessage], options: JudgeCallOptions, tag: String) async throws -> String
}

extension JudgeService {
    /// Reasoning models take `max_completion_tokens` (and no temperature), as the original's
    /// HealthBench grader decides by the model name.
    public var isReasoningModel: Bool {
        let m = model.lowercased()
        return ["gpt-5", "o1", "o3", "o4"].contains { m.contains($0) }
    }
}

/// The judge part of `metrics.json`, written by the judge client.
public struct JudgeSummary: Codable, Sendable, Equatable {
    public var model: String
    public var endpoint: String
    public var calls: Int
    public var cacheHits: Int
    public var failedCalls: Int
    public var promptTokens: Int
    public var completionTokens: Int
    public var costUSD: Double
    public var budgetUSD: Double?
    public var state: JudgeState
    public var fallbacks: [String]

    public init(model: String, endpoint: String, calls: Int, cacheHits: Int, failedCalls: Int, promptTokens: Int, completionTokens: Int,
                costUSD: Double, budgetUSD: Double?, state: JudgeState, fallbacks: [String]) {
        self.model = model
        self.endpoint = endpoint
        self.calls = calls
        self.cacheHits = cacheHits
        self.failedCalls = failedCalls
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.costUSD = costUSD
        self.budgetUSD = budgetUSD
        self.state = state
        self.fallbacks = fallbacks
    }

    enum CodingKeys: String, CodingKey {
        case model, endpoint, calls, state, fallbacks
        case cacheHits = "cache_hits"
        case failedCalls = "failed_calls"
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case costUSD = "cost_usd"
        case budgetUSD = "budget_usd"
    }
}

/// Arena-Hard's leaderboard figure: win rate against the baseline with a bootstrap interval.
public struct WinRate: Codable, Sendable, Equatable {
    public var score: Double
    public var ciLow: Double
    public var ciHigh: Double
    public var rounds: Int
    enum CodingKeys: String, CodingKey {
        case score, rounds
        case ciLow = "ci_low"
        case ciHigh = "ci_high"
    }
}

/// The task-specific metrics of a judged task (merged into `metrics.json`).
public struct JudgedMetrics: Codable, Sendable, Equatable {
    public var accuracy: Double
    public var stderr: Double
    /// Examples (HealthBench) or questions with both games (Arena) that entered the score.
    public var nScored: Int
    public var nExamples: Int
    public var totalGraderCalls: Int
    public var byTheme: [String: Double]?
    public var byAxis: [String: Double]?
    public var winRate: WinRate?
    /// Verdict label (or `unparseable`, `judge_error`, `not_judged`) → games; criteria outcomes for HealthBench.
    public var outcomes: [String: Int]
    /// False when the budget stopped judging: the figures cover what was judged.
    public var complete: Bool

    public init(accuracy: Double, stderr: Double, nScored: Int, nExamples: Int, totalGraderCalls: Int, byTheme: [String: Double]? = nil,
                byAxis: [String: Double]? = nil, winRate: WinRate? = nil, outcomes: [String: Int], complete: Bool) {
        self.accuracy = accuracy
        self.stderr = stderr
        self.nScored = nScored
        self.nExamples = nExamples
        self.totalGraderCalls = totalGraderCalls
        self.byTheme = byTheme
        self.byAxis = byAxis
        self.winRate = winRate
        self.outcomes = outcomes
        self.complete = complete
    }
}

/// The judged verdict of one sample, kept in `samples.jsonl`.
public struct JudgedSample: Codable, Sendable, Equatable {
    public var id: String
    /// nil when the sample did not enter the score (a game without a verdict, budget stop).
    public var score: Double?
    /// Task-specific evidence: games and verdicts, or rubric items and grades.
    public var judgements: [JudgementRecord]
}

public struct JudgementRecord: Codable, Sendable, Equatable {
    /// `game1`/`game2`, or the rubric criterion's index.
    public var name: String
    /// The parsed verdict (`A>B`, `true`, `false`) or an outcome (`unparseable`, `judge_error`, `not_judged`).
    public var outcome: String
    public var points: Double?
    public var detail: String?
    public var judgeText: String?
}

public struct JudgedOutcome: Sendable {
    public var samples: [JudgedSample]
    public var metrics: JudgedMetrics
}

/// The judge-scoring part of a `judged` task: generation on the engine as for every task, then
/// `judge`. Evaluators reach it through `EvalTask.judged`, never by a cast.
public protocol JudgedTask: DatasetTask {
    /// The original's post-processing of an answer before it is judged.
    func postprocess(_ completion: String) -> String
    /// Judges every (sample, answer) pair; never throws for a judge failure or a spent budget —
    /// those are recorded in the outcome.
    func judge(_ items: [(sample: Sample, answer: String)], with judge: any JudgeService, progress: @escaping @Sendable () -> Void) async -> JudgedOutcome
}

extension JudgedTask {
    public func postprocess(_ completion: String) -> String { AnswerCleaning.clean(completion) }

    public var scoring: ScoringMode { .judged }

    public var judged: (any JudgedTask)? { self }

    /// Judged tasks have no per-completion score: asking for one is an error that says where
    /// the score comes from, never a plausible-looking 0.
    public func score(_ sample: Sample, completion: String) throws -> Score {
        throw TaskError.judgeRequired(task: id)
    }
}

/// What the arena and HealthBench evaluators do to an answer before judging it.
public enum AnswerCleaning {
    public static func clean(_ raw: String) -> String {
        limitRepetitions(stripThinking(raw))
    }

    /// `.strip()`; an answer that starts with `<think>` keeps only what follows the first `</think>`.
    public static func stripThinking(_ raw: String) -> String {
        let t = PythonText.strip(raw)
        if t.hasPrefix("<think>"), let r = t.range(of: "</think>") {
            return PythonText.strip(String(t[r.upperBound...]))
        }
        return t
    }

    /// `limit_repetitions(text, max_reps=5)` (§2.12): identical lines, repeated blocks of lines,
    /// then repeated character units, up to 10 rounds until nothing changes.
    public static func limitRepetitions(_ text: String, maxReps: Int = 5) -> String {
        var current = text
        for _ in 0..<10 {
            var next = collapseLines(current, maxReps: maxReps)
            next = collapseBlocks(next, maxReps: maxReps)
            next = collapseUnits(next, maxReps: maxReps)
            if next == current { break }
            current = next
        }
        return current
    }

    static func lines(_ s: String) -> [String] { s.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

    static func collapseLines(_ text: String, maxReps: Int) -> String {
        var out: [String] = []
        var run = 0
        for line in lines(text) {
            if let last = out.last, last == line { run += 1 } else { run = 1 }
            if run <= maxReps { out.append(line) }
        }
        return out.joined(separator: "\n")
    }

    static func collapseBlocks(_ text: String, maxReps: Int) -> String {
        let ls = lines(text)
        let maxBlock = min(29, ls.count / 5)
        guard maxBlock >= 2 else { return text }
        for size in 2...maxBlock {
            var start = 0
            while start + size <= ls.count {
                let block = Array(ls[start..<(start + size)])
                var reps = 1
                var pos = start + size
                while pos + size <= ls.count, Array(ls[pos..<(pos + size)]) == block {
                    reps += 1
                    pos += size
                }
                if reps > maxReps {
                    // A trailing partial copy of the block goes too.
                    var end = pos
                    var k = 0
                    while end < ls.count, k < size, ls[end] == block[k] { end += 1; k += 1 }
                    let kept = Array(ls[..<(start + size * maxReps)]) + Array(ls[end...])
                    return kept.joined(separator: "\n")
                }
                start += 1
            }
        }
        return text
    }

    static func collapseUnits(_ text: String, maxReps: Int) -> String {
        var current = text
        for (lo, hi) in [(3, 30), (30, 60), (60, 120), (120, 250), (250, 500)] {
            guard let re = try? NSRegularExpression(pattern: "(.{\(lo),\(hi)}?)\\1{\(maxReps),}", options: [.dotMatchesLineSeparators]) else { continue }
            while true {
                let ns = current as NSString
                let replaced = re.stringByReplacingMatches(in: current, range: NSRange(location: 0, length: ns.length),
                                                           withTemplate: String(repeating: "$1", count: maxReps))
                if replaced == current { break }
                current = replaced
            }
        }
        return current
    }
}

/// The judged tasks' own resampling (HealthBench's clipped bootstrap, Arena-Hard's interval);
/// mean and stderr are `Statistics`'s, as for every task.
public enum JudgedStats {
    /// The mean; 0 for no values (a judged figure over nothing judged).
    public static func mean(_ xs: [Double]) -> Double { Statistics.mean(xs) ?? 0 }

    public static func clip01(_ x: Double) -> Double { min(1, max(0, x)) }

    /// HealthBench's stderr: population std of `rounds` bootstrap means (each clipped to [0,1]),
    /// resampled as numpy's `default_rng(seed).choice(scores, n)`.
    public static func clippedBootstrapStd(_ xs: [Double], rounds: Int = 1000, seed: UInt64 = 42) -> Double {
        guard !xs.isEmpty else { return 0 }
        var rng = NumpyRandom(seed: seed)
        var means: [Double] = []
        means.reserveCapacity(rounds)
        for _ in 0..<rounds {
            var sum = 0.0
            for _ in xs.indices { sum += xs[Int(rng.boundedInt(UInt32(xs.count - 1)))] }
            means.append(clip01(sum / Double(xs.count)))
        }
        return Statistics.populationStd(means)
    }

    /// Percentile bootstrap interval of the mean (resampling values), SplitMix64 with a fixed seed.
    public static func bootstrapInterval(_ xs: [Double], rounds: Int = 100, seed: UInt64 = 42, level: Double = 0.95) -> (low: Double, high: Double) {
        guard !xs.isEmpty else { return (0, 0) }
        var rng = SplitMix64(seed: seed)
        var means: [Double] = []
        for _ in 0..<rounds {
            var s = 0.0
            for _ in xs.indices { s += xs[rng.index(xs.count)] }
            means.append(s / Double(xs.count))
        }
        means.sort()
        let tail = (1 - level) / 2
        return (Statistics.percentile(sorted: means, tail) ?? 0, Statistics.percentile(sorted: means, 1 - tail) ?? 0)
    }
}

extension NumpyRandom {
    /// `Generator.integers(0, rng + 1)` for a 32-bit range: Lemire's bounded method on
    /// `next_uint32`, as numpy's `buffered_bounded_lemire_uint32`.
    mutating func boundedInt(_ rng: UInt32) -> UInt32 {
        if rng == 0 { return 0 }
        if rng == UInt32.max { return nextUInt32() }
        let excl = UInt64(rng) + 1
        var m = UInt64(nextUInt32()) * excl
        var leftover = UInt32(truncatingIfNeeded: m)
        if UInt64(leftover) < excl {
            let threshold = UInt32((UInt64(UInt32.max) - UInt64(rng)) % excl)
            while leftover < threshold {
                m = UInt64(nextUInt32()) * excl
                leftover = UInt32(truncatingIfNeeded: m)
            }
        }
        return UInt32(m >> 32)
    }
}
