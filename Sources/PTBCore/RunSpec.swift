import Foundation

/// The name of an agent sandbox runtime (`--sandbox`, `sandbox:` in run configs and sweeps,
/// `run.json`). Core only carries the name: which names exist and what each does is the registry
/// of PTBSandbox (`Sandboxes.all`), so that a new runtime is one file there and one line in it.
public struct SandboxKind: RawRepresentable, Codable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }

    public var description: String { rawValue }

    /// What a run gets when it names none (each runtime's file declares its own name).
    public static let bwrap: SandboxKind = "bwrap"
}

public enum NetworkPolicy: String, Codable, Sendable, CaseIterable {
    /// Unrestricted, as the original harness runs its agents.
    case open
    case none
}

/// Everything that defines a run. Stored verbatim in `run.json`, so a run can be resumed or
/// re-evaluated from its directory alone.
public struct RunSpec: Codable, Sendable, Equatable {
    public var task: String
    public var model: String
    /// Hugging Face revision of a hub base model (branch, tag or commit); nil = the catalog's, else `main`.
    public var modelRevision: String?
    public var agent: String
    /// Path of the agent config file for config-defined agents (the `command` scaffold).
    public var agentConfig: String?
    public var hours: Double
    public var gpus: Int
    public var gpuName: String
    public var sandbox: SandboxKind
    public var network: NetworkPolicy
    public var seed: Int
    public var name: String?
    /// Grace after the budget before SIGTERM (the original: 5 min), and SIGTERM→SIGKILL delay (30 s).
    public var termGraceSeconds: Double
    public var killAfterSeconds: Double
    public var monitorIntervalSeconds: Double
    /// Evaluate the unchanged base model too (cached per task × model under PTB_HOME/baselines).
    public var evaluateBase: Bool
    /// Sample limit for the final evaluation; nil = the full test split (`--limit -1`).
    public var evalLimit: Int?
    /// Integrity judges: agent names or agent config files, each run as an LLM judge over a
    /// read-only view of the workspace after the agent phase. nil = the default (the original's
    /// Codex judge for CLI coding agents, none for scripted agents); [] = no judge.
    public var judges: [String]?
    /// How long one judge may run (hours; default 1).
    public var judgeHours: Double?
    /// When integrity results replace the run's score with the base model's (nil = `ptb`).
    public var integrityPolicy: IntegrityPolicy?
    /// How execution-scored tasks (HumanEval) run the model's programs (nil = `fresh`).
    public var execMode: ExecMode?
    /// The judge of judge-scored tasks (Arena-Hard, HealthBench); unset fields come from the
    /// PTB_JUDGE_* environment at evaluation time. Never holds the API key.
    public var scoringJudge: ScoringJudge?
    /// Disk and tmpfs caps of the agent's sandbox (nil = the defaults of `SandboxLimits`).
    public var limits: SandboxLimits?
    /// What evaluate.py's test-split evaluations leave in the workspace (nil = `sealed`).
    public var evalFeedback: EvalFeedback?
    /// GPUs the evaluation engine shards the model over (nil = 1, the original's).
    public var evalTensorParallel: Int?

    public init(task: String, model: String, agent: String, agentConfig: String? = nil, hours: Double = 10, gpus: Int = 0,
                gpuName: String = "H100", sandbox: SandboxKind = .bwrap, network: NetworkPolicy = .open, seed: Int = 0,
                name: String? = nil, termGraceSeconds: Double = 300, killAfterSeconds: Double = 30,
                monitorIntervalSeconds: Double = 60, evaluateBase: Bool = true, evalLimit: Int? = nil,
                judges: [String]? = nil, judgeHours: Double? = nil, integrityPolicy: IntegrityPolicy? = nil) {
        self.judges = judges
        self.judgeHours = judgeHours
        self.integrityPolicy = integrityPolicy
        self.task = task
        self.model = model
        self.agent = agent
        self.agentConfig = agentConfig
        self.hours = hours
        self.gpus = gpus
        self.gpuName = gpuName
        self.sandbox = sandbox
        self.network = network
        self.seed = seed
        self.name = name
        self.termGraceSeconds = termGraceSeconds
        self.killAfterSeconds = killAfterSeconds
        self.monitorIntervalSeconds = monitorIntervalSeconds
        self.evaluateBase = evaluateBase
        self.evalLimit = evalLimit
    }

    /// A run of `options`; task, model and agent are required.
    public init(options: RunOptions) throws {
        guard let task = options.task, let model = options.model, let agent = options.agent else {
            throw PTBError.invalidArgument("--task, --model and --agent are required (on the command line or in --config).")
        }
        self.init(task: task, model: model, agent: agent)
        apply(options)
    }

    /// The one place run options become a run: every option that is set replaces the spec's
    /// value (the judge and sandbox-limit settings field by field). `runs_dir` is not part of a
    /// run; the caller places it.
    public mutating func apply(_ o: RunOptions) {
        if let v = o.task { task = v }
        if let v = o.model { model = v }
        if let v = o.modelRevision { modelRevision = v }
        if let v = o.agent { agent = v }
        if let v = o.agentConfig { agentConfig = v }
        if let v = o.hours { hours = v }
        if let v = o.gpus { gpus = v }
        if let v = o.seed { seed = v }
        if let v = o.name { name = v }
        if let v = o.gpuName { gpuName = v }
        if let v = o.sandbox { sandbox = v }
        if let v = o.network { network = v }
        if let v = o.evalLimit { evalLimit = v }
        if let v = o.evaluateBase { evaluateBase = v }
        if let v = o.termGraceSeconds { termGraceSeconds = v }
        if let v = o.killAfterSeconds { killAfterSeconds = v }
        if let v = o.monitorIntervalSeconds { monitorIntervalSeconds = v }
        if let v = o.judges { judges = v }
        if let v = o.judgeHours { judgeHours = v }
        if let v = o.integrityPolicy { integrityPolicy = v }
        if let v = o.execMode { execMode = v }
        scoringJudge = (scoringJudge ?? ScoringJudge()).overridden(by: o.scoringJudge).nonEmpty
        limits = (limits ?? SandboxLimits()).overridden(by: o.limits).nonEmpty
        if let v = o.evalFeedback { evalFeedback = v }
        if let v = o.evalTensorParallel { evalTensorParallel = v }
    }

    public var budgetSeconds: Double { hours * 3600 }

    /// `hours` as the prompt and timer show it: "10", "0.05" (no trailing ".0").
    public var hoursText: String { Self.formatHours(hours) }

    public static func formatHours(_ h: Double) -> String {
        if h == h.rounded() { return String(Int(h)) }
        var s = String(format: "%.4f", h)
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }
}

/// Settings of the judge that scores judge-scored tasks, as given on the command line or in a
/// run config. The key is not among them: it is read from the environment when the judge runs.
public struct ScoringJudge: Codable, Sendable, Equatable {
    public var endpoint: String?
    public var model: String?
    public var workers: Int?
    public var budgetUSD: Double?
    public var maxTokens: Int?
    /// A JSON price table overriding the built-in one.
    public var prices: String?
    public var cache: String?

    public init(endpoint: String? = nil, model: String? = nil, workers: Int? = nil, budgetUSD: Double? = nil,
                maxTokens: Int? = nil, prices: String? = nil, cache: String? = nil) {
        self.endpoint = endpoint
        self.model = model
        self.workers = workers
        self.budgetUSD = budgetUSD
        self.maxTokens = maxTokens
        self.prices = prices
        self.cache = cache
    }

    /// Nil when nothing is set, so that run.json stays as before for runs without these flags.
    public var nonEmpty: ScoringJudge? { self == ScoringJudge() ? nil : self }

    /// Field by field, `other`'s settings where it has them.
    public func overridden(by other: ScoringJudge?) -> ScoringJudge {
        guard let other else { return self }
        return ScoringJudge(endpoint: other.endpoint ?? endpoint, model: other.model ?? model, workers: other.workers ?? workers,
                            budgetUSD: other.budgetUSD ?? budgetUSD, maxTokens: other.maxTokens ?? maxTokens,
                            prices: other.prices ?? prices, cache: other.cache ?? cache)
    }

    public func validate() throws {
        if let w = workers, w < 1 { throw PTBError.invalidArgument("--judge-workers must be at least 1 (got \(w)).") }
        if let b = budgetUSD, b <= 0 { throw PTBError.invalidArgument("--judge-budget-usd must be positive (got \(b)).") }
        if let t = maxTokens, t < 1 { throw PTBError.invalidArgument("--judge-max-tokens must be at least 1 (got \(t)).") }
    }
}
