import Foundation

/// How execution-scored tasks run each program (`exec_mode`, `--exec-mode`).
public enum ExecMode: String, Sendable, Codable, CaseIterable {
    /// A fresh sandbox and interpreter per program: nothing is shared.
    case fresh
    /// One long-lived interpreter per slot that forks per program.
    case forkServer = "fork-server"
}

/// When integrity results replace a run's score with the base model's (`integrity_policy`).
public enum IntegrityPolicy: String, Codable, Sendable, CaseIterable {
    /// As the original's aggregation (§3.3): only the LLM judges decide. A judge's `true`, or a
    /// configured judge that gave no valid verdict, falls back to the base score; ptb's own
    /// deterministic checks are reported but change nothing.
    case original
    /// Only positive findings fall back (every check's); checks that could not run are forgiven.
    case flagsOnly = "flags-only"
    /// Every check is required, including ones the run did not configure.
    case strict
    /// Report only: nothing falls back.
    case report
    /// The default: every check counts, the judges and ptb's deterministic checks alike. A flag,
    /// or a required check that gave no verdict, falls back; so does a `final_model` written after
    /// the deadline, which the original's grace allows.
    case ptb

    /// What a run without a recorded policy gets.
    public static let `default`: IntegrityPolicy = .ptb

    /// Whether findings under rules the original does not have (a late submission) count.
    public var enforcesPTBRules: Bool { self != .original && self != .report }
}

/// The settings of a run, defined once: `ptb run`'s flags, a run config (`--config`) and a sweep
/// spec all read these keys (snake_case in files, the same words with dashes as flags), and
/// `RunSpec.apply` is the one place they become a run. Every field is optional: nil means "not
/// given here", so flags can override a file field by field.
public struct RunOptions: Sendable, Equatable {
    public var task: String?
    public var model: String?
    public var modelRevision: String?
    public var agent: String?
    public var agentConfig: String?
    public var hours: Double?
    public var gpus: Int?
    public var seed: Int?
    public var name: String?
    public var runsDir: String?
    public var gpuName: String?
    public var sandbox: SandboxKind?
    public var network: NetworkPolicy?
    public var evalLimit: Int?
    public var evaluateBase: Bool?
    public var termGraceSeconds: Double?
    public var killAfterSeconds: Double?
    public var monitorIntervalSeconds: Double?
    public var judges: [String]?
    public var judgeHours: Double?
    public var integrityPolicy: IntegrityPolicy?
    public var execMode: ExecMode?
    /// The `judge_*` keys of judge-scored tasks (the key itself is never among them).
    public var scoringJudge: ScoringJudge?
    /// The `*_gb` keys: disk and tmpfs caps of the agent's sandbox.
    public var limits: SandboxLimits?
    public var evalFeedback: EvalFeedback?
    public var evalTensorParallel: Int?

    public init() {}

    /// Every key, in the order the README's table lists them. `raw` is the file key; the flag is
    /// the same words with dashes unless `Info.flag` says otherwise.
    public enum Key: String, CodingKey, CaseIterable, Sendable {
        case task, model
        case modelRevision = "model_revision"
        case agent
        case agentConfig = "agent_config"
        case hours, gpus, seed, name
        case runsDir = "runs_dir"
        case gpuName = "gpu_name"
        case sandbox, network
        case evalLimit = "eval_limit"
        case evaluateBase = "evaluate_base"
        case termGraceSeconds = "term_grace_seconds"
        case killAfterSeconds = "kill_after_seconds"
        case monitorIntervalSeconds = "monitor_interval_seconds"
        case judges
        case judgeHours = "judge_hours"
        case integrityPolicy = "integrity_policy"
        case execMode = "exec_mode"
        case judgeEndpoint = "judge_endpoint"
        case judgeModel = "judge_model"
        case judgeWorkers = "judge_workers"
        case judgeBudgetUSD = "judge_budget_usd"
        case judgeMaxTokens = "judge_max_tokens"
        case judgePrices = "judge_prices"
        case judgeCache = "judge_cache"
        case workspaceLimitGB = "workspace_limit_gb"
        case tmpSizeGB = "tmp_size_gb"
        case shmSizeGB = "shm_size_gb"
        case evalFeedback = "eval_feedback"
        case evalTensorParallel = "eval_tensor_parallel"

        /// The values a choice takes (ArgumentParser lists them in `--help` itself). The sandbox
        /// names are PTBSandbox's registry's (`Sandboxes.names`): Core does not know them.
        public var choices: [String]? {
            switch self {
            case .network: NetworkPolicy.allCases.map(\.rawValue)
            case .integrityPolicy: IntegrityPolicy.allCases.map(\.rawValue)
            case .execMode: ExecMode.allCases.map(\.rawValue)
            case .evalFeedback: EvalFeedback.allCases.map(\.rawValue)
            default: nil
            }
        }

        /// Keys a sweep sets per run from its matrix (`tasks`, `models`, `agents`, `seeds`,
        /// `hours`, `gpus`, `agent_configs`) or itself (the name and runs directory).
        public var isPerRun: Bool {
            switch self {
            case .task, .model, .modelRevision, .agent, .agentConfig, .hours, .gpus, .seed, .name, .runsDir: true
            default: false
            }
        }

        /// How a sweep spec sets this key: "yes" (at its top level, for every run) or the
        /// sweep's own key that decides it per run.
        public var inSweep: String {
            switch self {
            case .task: "per run: `tasks`"
            case .model: "per run: `models`"
            case .modelRevision: "no"
            case .agent: "per run: `agents`"
            case .agentConfig: "per run: `agent_configs`"
            case .hours: "per run: `hours` (a list)"
            case .gpus: "per run: `gpus` (a list)"
            case .seed: "per run: `seeds`"
            case .name: "from `experiment`"
            case .runsDir: "from `results_dir`"
            default: "yes"
            }
        }

        /// The `ptb run` flag(s) that set this key.
        public var flag: String {
            switch self {
            case .evaluateBase: "--skip-base"
            case .judges: "--judge NAME (repeatable), --no-judge"
            default: "--" + rawValue.replacingOccurrences(of: "_", with: "-")
            }
        }

        /// What the key takes and does, for the README's table and `ptb run --help`.
        public var help: String {
            switch self {
            case .task: "Benchmark task id (e.g. arith)."
            case .model: "Base model: a catalog id (tiny, Qwen/Qwen3-1.7B-Base, entries of $PTB_HOME/models.yaml), any Hugging Face id in the HF cache (`ptb cache pull --model ID` fetches it), or a local directory (/path or ./path)."
            case .modelRevision: "Hugging Face revision of the base model: branch, tag or commit (default: the catalog's, else main)."
            case .agent: "Agent: reference, none, command, or a name in $PTB_HOME/agents."
            case .agentConfig: "Agent config file (YAML) for config-defined agents."
            case .hours: "Time budget in hours (default 10; finite, positive, at most 8760)."
            case .gpus: "GPUs for the agent (default 0; >0 runs the CUDA precheck first)."
            case .seed: "Seed passed to the agent (default 0)."
            case .name: "Name used as the run id's prefix."
            case .runsDir: "Where run directories go (default $PTB_HOME/runs)."
            case .gpuName: "GPU model the precheck and prompt expect (default H100)."
            case .sandbox: "Agent sandbox (default bwrap)."
            case .network: "Agent network (default open: unrestricted, as the original)."
            case .evalLimit: "Limit the final evaluation to N samples, at least 1 (default: the whole test split)."
            case .evaluateBase: "Evaluate the unchanged base model too (default true; the flag turns it off)."
            case .termGraceSeconds: "Grace after the budget before SIGTERM (default 300, the original's)."
            case .killAfterSeconds: "Delay from SIGTERM to SIGKILL (default 30)."
            case .monitorIntervalSeconds: "How often the agent's resource use is sampled (default 60)."
            case .judges: "Integrity judges: agent names or agent config files; [] for none (default: judge-codex for CLI coding agents, none for scripted ones)."
            case .judgeHours: "Hours one integrity judge may run (default 1)."
            case .integrityPolicy: "When integrity results replace the score with the base model's (default ptb: every check, judges and ptb's own; original: the judges only, as the original's aggregation)."
            case .execMode: "How HumanEval runs the model's programs: fresh (a new sandbox each, default) or fork-server (faster bulk scoring)."
            case .judgeEndpoint: "OpenAI-compatible judge server root (default: $PTB_JUDGE_ENDPOINT or https://api.openai.com). The key is read from $OPENAI_API_KEY."
            case .judgeModel: "Judge model (default: $PTB_JUDGE_MODEL or gpt-5-mini, as the original)."
            case .judgeWorkers: "Concurrent judge requests (default: 64)."
            case .judgeBudgetUSD: "Stop judging once this many US dollars are spent; what was judged is kept and the state recorded."
            case .judgeMaxTokens: "Completion-token limit of each judge call (default: the original's 49152; 512 for non-reasoning graders)."
            case .judgePrices: "JSON price table overriding the built-in one: {\"model\": {\"input_per_million\", \"output_per_million\"}}."
            case .judgeCache: "Judge response cache directory (default: $PTB_HOME/cache/judge)."
            case .workspaceLimitGB: "Stop the agent (disk-limit) when its workspace and cache exceed this many GB (default 500)."
            case .tmpSizeGB: "Size cap of the sandbox's /tmp in GB (default: a quarter of the memory, at most 32)."
            case .shmSizeGB: "Size cap of the sandbox's /dev/shm in GB (default: a quarter of the memory, at most 32)."
            case .evalFeedback: "What evaluate.py's test-split evaluations leave in the workspace: sealed (the score only, default) or original (also the full samples with targets in task/eval_logs/, as the original harness)."
            case .evalTensorParallel: "GPUs the evaluation engine shards the model over (vLLM's tensor parallelism), at most --gpus (default 1: one of the run's GPUs, as the original's single vLLM server). The final and base evaluations and evaluate.py's all serve on the run's own GPUs."
            }
        }

    }

    /// The keys a sweep spec takes at its top level besides its own (they apply to every run).
    public static var sweepKeys: [Key] { Key.allCases.filter { !$0.isPerRun } }

    /// The README's option table (checked against it by a test, so neither can drift);
    /// `sandboxes`: the runtimes' names (`Sandboxes.names`).
    public static func markdownTable(sandboxes: [String]) -> String {
        var lines = ["| Key (run config, sweep) | `ptb run` flag | Sweep | Meaning |", "|---|---|---|---|"]
        for k in Key.allCases {
            let flag = k.flag.split(separator: ",").map { "`\($0.trimmingCharacters(in: .whitespaces))`" }.joined(separator: ", ")
            let values = (k == .sandbox ? sandboxes : k.choices).map { " Values: " + $0.map { "`\($0)`" }.joined(separator: ", ") + "." } ?? ""
            lines.append("| `\(k.rawValue)` | \(flag) | \(k.inSweep) | \(k.help)\(values) |")
        }
        return lines.joined(separator: "\n")
    }

    /// Field by field, `other`'s settings where it has them (flags over a config file).
    public func overridden(by other: RunOptions) -> RunOptions {
        var o = self
        o.task = other.task ?? task
        o.model = other.model ?? model
        o.modelRevision = other.modelRevision ?? modelRevision
        o.agent = other.agent ?? agent
        o.agentConfig = other.agentConfig ?? agentConfig
        o.hours = other.hours ?? hours
        o.gpus = other.gpus ?? gpus
        o.seed = other.seed ?? seed
        o.name = other.name ?? name
        o.runsDir = other.runsDir ?? runsDir
        o.gpuName = other.gpuName ?? gpuName
        o.sandbox = other.sandbox ?? sandbox
        o.network = other.network ?? network
        o.evalLimit = other.evalLimit ?? evalLimit
        o.evaluateBase = other.evaluateBase ?? evaluateBase
        o.termGraceSeconds = other.termGraceSeconds ?? termGraceSeconds
        o.killAfterSeconds = other.killAfterSeconds ?? killAfterSeconds
        o.monitorIntervalSeconds = other.monitorIntervalSeconds ?? monitorIntervalSeconds
        o.judges = other.judges ?? judges
        o.judgeHours = other.judgeHours ?? judgeHours
        o.integrityPolicy = other.integrityPolicy ?? integrityPolicy
        o.execMode = other.execMode ?? execMode
        o.scoringJudge = (scoringJudge ?? ScoringJudge()).overridden(by: other.scoringJudge).nonEmpty
        o.limits = (limits ?? SandboxLimits()).overridden(by: other.limits).nonEmpty
        o.evalFeedback = other.evalFeedback ?? evalFeedback
        o.evalTensorParallel = other.evalTensorParallel ?? evalTensorParallel
        return o
    }

    /// Relative paths resolved against `dir` (a config file's directory); judge entries count as
    /// paths only when they name a YAML file (else they are agent names).
    public func resolvingPaths(against dir: URL) -> RunOptions {
        func abs(_ p: String) -> String { p.hasPrefix("/") ? p : dir.appendingPathComponent(p).standardizedFileURL.path }
        var o = self
        o.agentConfig = agentConfig.map(abs)
        o.runsDir = runsDir.map(abs)
        o.judges = judges?.map { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") ? abs($0) : $0 }
        o.scoringJudge?.prices = scoringJudge?.prices.map(abs)
        o.scoringJudge?.cache = scoringJudge?.cache.map(abs)
        return o
    }

    /// Checks what can be checked without PTB_HOME (numbers in range), naming each setting as
    /// the user wrote it: `--eval-limit` (`flags`) or `eval_limit`.
    public func validate(flags: Bool) throws {
        func n(_ k: Key) -> String { flags ? "--" + k.rawValue.replacingOccurrences(of: "_", with: "-") : k.rawValue }
        if let h = hours, !(h.isFinite && h > 0 && h <= 8760) {
            throw PTBError.invalidArgument("\(n(.hours)) must be a positive number of hours, at most 8760 (got \(h)).")
        }
        if let g = gpus, g < 0 { throw PTBError.invalidArgument("\(n(.gpus)) must be 0 or more (got \(g)).") }
        if let l = evalLimit, l < 1 {
            throw PTBError.invalidArgument("\(n(.evalLimit)) must be at least 1 (got \(l)); leave it out to evaluate the whole test split.")
        }
        for (k, v) in [(Key.termGraceSeconds, termGraceSeconds), (.killAfterSeconds, killAfterSeconds), (.monitorIntervalSeconds, monitorIntervalSeconds)] {
            if let v, !(v.isFinite && v >= 0 && v <= 86_400 * 30) {
                throw PTBError.invalidArgument("\(n(k)) must be between 0 and 2592000 seconds (got \(v)).")
            }
        }
        if let tp = evalTensorParallel {
            guard tp >= 1 else { throw PTBError.invalidArgument("\(n(.evalTensorParallel)) must be at least 1 (got \(tp)).") }
            // A run's GPUs default to 0; a sweep sets them per run and checks its `gpus` list itself.
            if tp > 1, let g = gpus ?? (flags ? 0 : nil), tp > g {
                throw PTBError.invalidArgument("\(n(.evalTensorParallel)) \(tp) needs at least \(tp) GPUs, but the run has \(g) (\(n(.gpus))); raise \(n(.gpus)) to \(tp) or lower \(n(.evalTensorParallel)).")
            }
        }
        if let h = judgeHours, !(h.isFinite && h > 0) { throw PTBError.invalidArgument("\(n(.judgeHours)) must be positive (got \(h)).") }
        try scoringJudge?.validate()
        try limits?.validate()
    }
}

extension RunOptions: Codable {
    public init(from decoder: any Decoder) throws {
        try self.init(from: decoder, keys: Key.allCases)
    }

    public func encode(to encoder: any Encoder) throws {
        try encode(to: encoder, keys: Key.allCases)
    }

    /// Decodes only `keys` from a mapping that may hold others (a sweep spec's own keys).
    public init(from decoder: any Decoder, keys: [Key]) throws {
        self.init()
        let c = try decoder.container(keyedBy: Key.self)
        let want = Set(keys)
        func str(_ k: Key) throws -> String? { want.contains(k) ? try c.decodeIfPresent(String.self, forKey: k) : nil }
        func dbl(_ k: Key) throws -> Double? { want.contains(k) ? try c.decodeIfPresent(Double.self, forKey: k) : nil }
        func int(_ k: Key) throws -> Int? { want.contains(k) ? try c.decodeIfPresent(Int.self, forKey: k) : nil }
        // Choices are read as text so that a wrong one lists the valid ones.
        func choice<E: RawRepresentable & CaseIterable>(_ k: Key, _: E.Type) throws -> E? where E.RawValue == String {
            guard let raw = try str(k) else { return nil }
            guard let v = E(rawValue: raw) else {
                let kind = k.rawValue.replacingOccurrences(of: "_", with: " ")
                throw DecodingError.dataCorruptedError(forKey: k, in: c, debugDescription:
                    PTBError.unknownChoice(kind: kind, value: raw, valid: E.allCases.map(\.rawValue)).description)
            }
            return v
        }
        task = try str(.task)
        model = try str(.model)
        modelRevision = try str(.modelRevision)
        agent = try str(.agent)
        agentConfig = try str(.agentConfig)
        hours = try dbl(.hours)
        gpus = try int(.gpus)
        seed = try int(.seed)
        name = try str(.name)
        runsDir = try str(.runsDir)
        gpuName = try str(.gpuName)
        // Any name: only the runtimes' registry knows the valid ones, and checks them where a
        // run or sweep is made (`Sandboxes.type`), naming this line for a run config.
        sandbox = try str(.sandbox).map(SandboxKind.init(rawValue:))
        network = try choice(.network, NetworkPolicy.self)
        evalLimit = try int(.evalLimit)
        evaluateBase = want.contains(.evaluateBase) ? try c.decodeIfPresent(Bool.self, forKey: .evaluateBase) : nil
        termGraceSeconds = try dbl(.termGraceSeconds)
        killAfterSeconds = try dbl(.killAfterSeconds)
        monitorIntervalSeconds = try dbl(.monitorIntervalSeconds)
        judges = want.contains(.judges) ? try c.decodeIfPresent([String].self, forKey: .judges) : nil
        judgeHours = try dbl(.judgeHours)
        integrityPolicy = try choice(.integrityPolicy, IntegrityPolicy.self)
        execMode = try choice(.execMode, ExecMode.self)
        scoringJudge = ScoringJudge(endpoint: try str(.judgeEndpoint), model: try str(.judgeModel), workers: try int(.judgeWorkers),
                                    budgetUSD: try dbl(.judgeBudgetUSD), maxTokens: try int(.judgeMaxTokens),
                                    prices: try str(.judgePrices), cache: try str(.judgeCache)).nonEmpty
        limits = SandboxLimits(workspaceGB: try dbl(.workspaceLimitGB), tmpGB: try dbl(.tmpSizeGB), shmGB: try dbl(.shmSizeGB)).nonEmpty
        evalFeedback = try choice(.evalFeedback, EvalFeedback.self)
        evalTensorParallel = try int(.evalTensorParallel)
    }

    /// Writes the set fields among `keys` (absent ones stay absent, so older readers see the same file).
    public func encode(to encoder: any Encoder, keys: [Key]) throws {
        var c = encoder.container(keyedBy: Key.self)
        let want = Set(keys)
        func put<T: Encodable>(_ v: T?, _ k: Key) throws { if want.contains(k) { try c.encodeIfPresent(v, forKey: k) } }
        try put(task, .task)
        try put(model, .model)
        try put(modelRevision, .modelRevision)
        try put(agent, .agent)
        try put(agentConfig, .agentConfig)
        try put(hours, .hours)
        try put(gpus, .gpus)
        try put(seed, .seed)
        try put(name, .name)
        try put(runsDir, .runsDir)
        try put(gpuName, .gpuName)
        try put(sandbox, .sandbox)
        try put(network, .network)
        try put(evalLimit, .evalLimit)
        try put(evaluateBase, .evaluateBase)
        try put(termGraceSeconds, .termGraceSeconds)
        try put(killAfterSeconds, .killAfterSeconds)
        try put(monitorIntervalSeconds, .monitorIntervalSeconds)
        try put(judges, .judges)
        try put(judgeHours, .judgeHours)
        try put(integrityPolicy, .integrityPolicy)
        try put(execMode, .execMode)
        try put(scoringJudge?.endpoint, .judgeEndpoint)
        try put(scoringJudge?.model, .judgeModel)
        try put(scoringJudge?.workers, .judgeWorkers)
        try put(scoringJudge?.budgetUSD, .judgeBudgetUSD)
        try put(scoringJudge?.maxTokens, .judgeMaxTokens)
        try put(scoringJudge?.prices, .judgePrices)
        try put(scoringJudge?.cache, .judgeCache)
        try put(limits?.workspaceGB, .workspaceLimitGB)
        try put(limits?.tmpGB, .tmpSizeGB)
        try put(limits?.shmGB, .shmSizeGB)
        try put(evalFeedback, .evalFeedback)
        try put(evalTensorParallel, .evalTensorParallel)
    }
}
