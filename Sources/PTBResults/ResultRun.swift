import Foundation
import PTBCore

/// Where a run's record came from.
public enum RunOrigin: String, Sendable, Codable {
    /// A run directory of the original harness (`<method>/<task>_<Org>_<Model>_<id>/`).
    case posttrainbench
    /// A ptb run directory (`result.json`).
    case ptb
}

/// The original's score cell states (`load_metrics`, §7.3); anything but `scored` falls back to the base score.
public enum ScoreLabel: String, Sendable, Codable {
    case scored
    /// metrics.json unreadable or without a numeric `accuracy` (and the run has its time and final_model).
    case error = "ERR"
    /// No `final_model/`: the agent submitted nothing.
    case notStored = "not stored"
    /// No `time_taken.txt`: the agent phase never finished.
    case notAvailable = "not avl."
}

public struct RunScore: Sendable, Codable, Equatable {
    /// Only for `scored`.
    public var accuracy: Double?
    public var label: ScoreLabel
    /// Why there is no accuracy (the parse error, ptb's scoreState).
    public var detail: String?

    public init(accuracy: Double?, label: ScoreLabel, detail: String? = nil) {
        self.accuracy = accuracy
        self.label = label
        self.detail = detail
    }

    public static func scored(_ a: Double) -> RunScore { RunScore(accuracy: a, label: .scored) }

    /// The original's raw cell text (`str(accuracy)` or the state).
    public var cell: String { accuracy.map { String($0) } ?? label.rawValue }
}

/// One judge verdict (§3.3): exact strings after strip, anything else is an error.
public enum VerdictState: String, Sendable, Codable {
    case clean
    case detected
    /// The file is missing or unreadable: the original's `ERR`.
    case missing = "ERR"
    /// The file says something else: the original's `IMPORTANT ERR`.
    case invalid = "IMPORTANT ERR"
    /// No judge ran for this kind of run (ptb's own runs, baselines): not an error.
    case notJudged = "not judged"

    public var isError: Bool { self == .missing || self == .invalid }
}

/// A run's integrity verdicts: the original's two judge flags and ptb's own integrity checks.
public struct RunFlags: Sendable, Codable, Equatable {
    public var contamination: VerdictState
    public var disallowedModel: VerdictState
    public var integrityFlagged: Bool
    /// Which file(s) the verdicts came from, and what was wrong with them.
    public var source: String?
    public var detail: String?
    /// The integrity policy that decided `integrityFlagged` (`integrity.json`'s); nil when no report exists.
    public var policy: String?

    public init(contamination: VerdictState, disallowedModel: VerdictState, integrityFlagged: Bool = false,
                source: String? = nil, detail: String? = nil, policy: String? = nil) {
        self.contamination = contamination
        self.disallowedModel = disallowedModel
        self.integrityFlagged = integrityFlagged
        self.source = source
        self.detail = detail
        self.policy = policy
    }

    public static let unjudged = RunFlags(contamination: .notJudged, disallowedModel: .notJudged)

    public var hasJudgeError: Bool { contamination.isError || disallowedModel.isError }
    public var isFlagged: Bool { contamination == .detected || disallowedModel == .detected || integrityFlagged }

    /// What decided whether this cell falls back: the original's runs are judged by its two judge
    /// verdicts only, which is what policy `original` means; a ptb run without a report is `unchecked`.
    public func policyName(origin: RunOrigin) -> String {
        origin == .posttrainbench ? "original" : policy ?? "unchecked"
    }

    /// The original's contamination cell (`C:ERR M:IMPORTANT ERR`, or `MC`/`M`/`C`), plus `I` for ptb's
    /// integrity flag. Non-empty means the score is replaced by the base score.
    public var cell: String {
        var errors: [String] = []
        if contamination.isError { errors.append("C:\(contamination.rawValue)") }
        if disallowedModel.isError { errors.append("M:\(disallowedModel.rawValue)") }
        var s = errors.joined(separator: " ")
        if errors.isEmpty {
            if disallowedModel == .detected { s += "M" }
            if contamination == .detected { s += "C" }
        }
        if integrityFlagged { s += s.isEmpty ? "I" : " I" }
        return s
    }
}

/// One run as the leaderboard sees it, from either harness. Imports store these, never weights.
public struct ResultRun: Sendable, Codable, Equatable {
    public var origin: RunOrigin
    public var method: String
    public var task: String
    /// Model key without org (`Qwen3-4B-Base`).
    public var model: String
    /// Newest-run order: the original's integer cluster id; for ptb runs, creation time in milliseconds.
    public var runID: Int64
    /// The run directory's name.
    public var name: String
    public var path: String
    public var score: RunScore
    public var flags: RunFlags
    /// Agent-phase seconds (`time_taken.txt`); nil when missing or unparseable (`timeRaw` tells which).
    public var timeSeconds: Int?
    public var timeRaw: String?
    public var budgetSeconds: Double
    /// Presence of `final_model/` only; weights are never read or copied.
    public var hasFinalModel: Bool
    /// The unchanged base model's score measured by ptb itself (ptb runs only).
    public var baseAccuracy: Double?
    /// Everything that was wrong with the run's files, in words.
    public var problems: [String]
    /// GPUs the agent had (ptb runs; the original's runs do not record it).
    public var gpus: Int?
    /// The agent's tokens and API cost, where the run recorded them (ptb's `usage.json`).
    public var usage: RunUsage?

    public init(origin: RunOrigin, method: String, task: String, model: String, runID: Int64, name: String, path: String,
                score: RunScore, flags: RunFlags, timeSeconds: Int?, timeRaw: String? = nil, budgetSeconds: Double,
                hasFinalModel: Bool, baseAccuracy: Double? = nil, problems: [String] = [], gpus: Int? = nil, usage: RunUsage? = nil) {
        self.origin = origin
        self.method = method
        self.task = task
        self.model = model
        self.runID = runID
        self.name = name
        self.path = path
        self.score = score
        self.flags = flags
        self.timeSeconds = timeSeconds
        self.timeRaw = timeRaw
        self.budgetSeconds = budgetSeconds
        self.hasFinalModel = hasFinalModel
        self.baseAccuracy = baseAccuracy
        self.problems = problems
        self.gpus = gpus
        self.usage = usage
    }

    public var budgetHours: Double { budgetSeconds / 3600 }

    /// Agent-phase GPU-hours: time × GPUs; nil without either.
    public var gpuHours: Double? {
        guard let t = timeSeconds, let g = gpus else { return nil }
        return Double(t) / 3600 * Double(g)
    }
}

/// Tokens and cost of one run's agent. `costUSD` is what the CLI reported, else the list-price
/// estimate; nil when neither exists (tokens may still be known).
public struct RunUsage: Sendable, Codable, Equatable {
    public var inputTokens: Int
    public var outputTokens: Int
    public var costUSD: Double?
    public var costEstimated: Bool

    public init(inputTokens: Int, outputTokens: Int, costUSD: Double?, costEstimated: Bool = false) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.costUSD = costUSD
        self.costEstimated = costEstimated
    }

    /// `usage.json` as the agent phase writes it (PTBAgents' TraceSummary); nil when absent or unreadable.
    public static func read(_ url: URL) -> RunUsage? {
        guard let data = try? Data(contentsOf: url), let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
        let tokens = o["usage"] as? [String: Any]
        let reported = (JSONKeys.value(o, "reportedCostUSD") as? NSNumber)?.doubleValue
        let estimated = (JSONKeys.value(o, "estimatedCostUSD") as? NSNumber)?.doubleValue
        return RunUsage(inputTokens: (tokens?["input"] as? NSNumber)?.intValue ?? 0, outputTokens: (tokens?["output"] as? NSNumber)?.intValue ?? 0,
                        costUSD: reported ?? estimated, costEstimated: reported == nil && estimated != nil)
    }
}

/// A directory entry that is not a run at all (its name does not split into 4 parts, or it is a file).
public struct SkippedEntry: Sendable, Codable, Equatable {
    public var method: String
    public var name: String
    public var reason: String

    public init(method: String, name: String, reason: String) {
        self.method = method
        self.name = name
        self.reason = reason
    }
}
