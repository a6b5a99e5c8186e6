import Foundation

public struct ScoreSummary: Codable, Sendable, Equatable {
    public var accuracy: Double
    public var stderr: Double
    public var n: Int
    public init(accuracy: Double, stderr: Double, n: Int) {
        self.accuracy = accuracy
        self.stderr = stderr
        self.n = n
    }
}

/// `result.json`: what a run produced, with the spec embedded so it stands alone.
public struct RunResult: Codable, Sendable, Equatable {
    public static let currentSchema = 1
    public var schemaVersion: Int
    public var id: String
    public var spec: RunSpec
    public var outcome: RunOutcome
    public var failure: String?
    public var exit: ExitClass?
    public var finalScore: ScoreSummary?
    public var baseScore: ScoreSummary?
    /// Why there is no final score, when there is none (no final_model, invalid model, eval failed).
    /// Stored as the state's raw string, so result.json files written before it was typed read the same.
    public var scoreState: ScoreState
    public var integrityFlagged: Bool?
    public var agentSeconds: Double?
    public var phaseSeconds: [String: Double]
    public var createdAt: Date
    public var finishedAt: Date
    public var versions: [String: String]
    /// Tokens and cost of the agent's model calls (from usage.json); nil when its trace had none.
    public var agentUsage: AgentUsage?

    public init(id: String, spec: RunSpec, outcome: RunOutcome, failure: String?, exit: ExitClass?, finalScore: ScoreSummary?,
                baseScore: ScoreSummary?, scoreState: ScoreState, integrityFlagged: Bool?, agentSeconds: Double?,
                phaseSeconds: [String: Double], createdAt: Date, finishedAt: Date, versions: [String: String]) {
        self.schemaVersion = Self.currentSchema
        self.id = id
        self.spec = spec
        self.outcome = outcome
        self.failure = failure
        self.exit = exit
        self.finalScore = finalScore
        self.baseScore = baseScore
        self.scoreState = scoreState
        self.integrityFlagged = integrityFlagged
        self.agentSeconds = agentSeconds
        self.phaseSeconds = phaseSeconds
        self.createdAt = createdAt
        self.finishedAt = finishedAt
        self.versions = versions
    }
}

/// The agent's token use and cost, as recorded in result.json.
public struct AgentUsage: Codable, Sendable, Equatable {
    public var inputTokens: Int
    public var cachedTokens: Int
    public var outputTokens: Int
    public var reasoningTokens: Int
    public var costUSD: Double?
    /// `reported` (the CLI's own figure) or `estimated` (ptb's price table).
    public var costSource: String?

    public init(inputTokens: Int, cachedTokens: Int, outputTokens: Int, reasoningTokens: Int, costUSD: Double?, costSource: String?) {
        self.inputTokens = inputTokens
        self.cachedTokens = cachedTokens
        self.outputTokens = outputTokens
        self.reasoningTokens = reasoningTokens
        self.costUSD = costUSD
        self.costSource = costSource
    }
}
