import Foundation
import PTBCore

public struct Sample: Codable, Sendable, Equatable {
    public var id: String
    public var messages: [ChatMessage]
    public var target: String
    /// What the scorer needs beyond the target, or what a record must keep to be reproducible:
    /// HumanEval's prompt, test and entry point; GPQA's choice seed and order; GSM8K's reasoning.
    public var metadata: [String: String]?
    /// Function-calling tasks: the OpenAI `tools` array (JSON text) sent with the request.
    public var tools: String?
    public init(id: String, messages: [ChatMessage], target: String, metadata: [String: String]? = nil, tools: String? = nil) {
        self.id = id
        self.messages = messages
        self.target = target
        self.metadata = metadata
        self.tools = tools
    }
}

/// A program an execution-scored task wants run, and how long it may take.
public struct ExecutionRequest: Sendable, Equatable {
    public var program: String
    public var timeoutSeconds: Double
    public init(program: String, timeoutSeconds: Double) {
        self.program = program
        self.timeoutSeconds = timeoutSeconds
    }
}

public enum TaskError: Error, CustomStringConvertible, Equatable {
    case executorRequired(task: String)
    /// A judged task was asked for a per-sample score: its score exists only over all answers, from a judge.
    case judgeRequired(task: String)

    public var description: String {
        switch self {
        case .executorRequired(let t):
            "task \(t) is scored by running the model's code, but no code executor was given. Score it through "
                + "`EvalTask.evaluate(_:completion:executor:)` with a `BubblewrapExecutor` (as `ptb score` does)."
        case .judgeRequired(let t):
            "task \(t) is scored by an LLM judge over all answers, not one completion at a time. Score it with "
                + "`ptb score --task \(t)` or `ptb eval --task \(t)` and a judge (--judge-model, --judge-base-url)."
        }
    }
}

/// How a task turns a completion into a score. Evaluators switch on this; they never ask for
/// the task's concrete type.
public enum ScoringMode: String, Sendable, Codable, CaseIterable {
    /// `score(_:completion:)` alone: a pure function of the text (numeric match, GPQA's letter).
    case pure
    /// The model's code is run behind a `CodeExecutor` and the run decides (HumanEval).
    case execution
    /// The model's tool calls decide (BFCL): requests carry the sample's `tools`, the engine
    /// parses tool calls, and `score(_:completion:toolCalls:)` sees them.
    case toolCalls
    /// An LLM judge scores all answers at once (Arena-Hard, HealthBench): see `judged`.
    case judged
}

/// A scored completion, with the evidence for the verdict.
public struct Score: Codable, Sendable, Equatable {
    public var value: Double
    public var correct: Bool
    public var answer: String?
    public var explanation: String?
    public init(value: Double, correct: Bool, answer: String?, explanation: String? = nil) {
        self.value = value
        self.correct = correct
        self.answer = answer
        self.explanation = explanation
    }
}

/// Per-task evaluation defaults, as the original's evaluate.py CLI defaults.
public struct TaskDefaults: Sendable, Equatable {
    /// Samples when the agent runs evaluate.py without `--limit`; nil = all.
    public var limit: Int?
    public var maxTokens: Int
    public var maxConnections: Int
    public var gpuMemoryUtilization: Double
    /// The retry ladder's reduced max tokens: phase 2 and phase 3.
    public var retryMaxTokens: [Int]
    public var maxModelLen: Int?

    public init(limit: Int?, maxTokens: Int, maxConnections: Int, gpuMemoryUtilization: Double, retryMaxTokens: [Int], maxModelLen: Int? = nil) {
        self.limit = limit
        self.maxTokens = maxTokens
        self.maxConnections = maxConnections
        self.gpuMemoryUtilization = gpuMemoryUtilization
        self.retryMaxTokens = retryMaxTokens
        self.maxModelLen = maxModelLen
    }
}

/// One benchmark: data, prompts, scorer, and everything else ptb knows about it (test-data
/// markers, dev split, judge). Adding a task is one file with a type conforming to this, plus its
/// line in `TaskRegistry.all`. Named `EvalTask`, not `Task`, so that it does not shadow Swift's
/// concurrency `Task` in every module that imports PTBTasks.
public protocol EvalTask: Sendable {
    var id: String { get }
    /// The official name, substituted for `{benchmark}` in the agent prompt.
    var benchmarkName: String { get }
    var defaults: TaskDefaults { get }
    /// Inspect-based tasks get the original prompt's "ERROR warnings" note.
    var inspectNote: Bool { get }
    func samples(home: PTBHome) throws -> [Sample]
    /// The dev split: items the agent may see with full detail (prompt, completion, target,
    /// verdict) through `evaluate.py --split dev`, scored like the test split and never equal to
    /// a test item. nil (the default): the task has none, and `devSplitNote` says why.
    func devSamples(home: PTBHome) throws -> [Sample]?
    /// What the dev split is, or why the task has none (the README's table, the broker's errors).
    var devSplitNote: String { get }
    /// The per-completion scorer of `pure` tasks (and the plain-text fallback of the others).
    /// Judged tasks throw `TaskError.judgeRequired`: they have no per-completion score.
    func score(_ sample: Sample, completion: String) throws -> Score
    /// Files placed in the agent's task/ folder (name → contents).
    func contextFiles() throws -> [String: String]
    /// How completions are scored; evaluators route on it (no default: every task file says it).
    var scoring: ScoringMode { get }
    /// Execution-scored tasks return the program whose run decides the score; the others return
    /// nil (the default) and are scored by `score(_:completion:)` alone.
    func executionRequest(for sample: Sample, completion: String) -> ExecutionRequest?
    /// Scores a completion given the verdict of running `executionRequest`'s program. Pure: the
    /// running happens behind a `CodeExecutor`, and the scorer sees only its result.
    func score(_ sample: Sample, completion: String, execution: ExecutionResult) throws -> Score
    /// `toolCalls` tasks: scores the calls the model made (`toolCalls` nil: the response had
    /// none, plain text). The default scores the text alone.
    func score(_ sample: Sample, completion: String, toolCalls: [ToolCall]?) throws -> Score

    /// Names by which the task's test data is fetched or read (upstream dataset ids, files): the
    /// trace-rules integrity check flags an agent command that mentions one. Train splits stay
    /// allowed, so a task with a train split names its test split only. Default: none.
    var testDataMarkers: [String] { get }
    /// What the integrity judge's prompt lists as allowed training data for this task beyond the
    /// general rules (GSM8K: its training split); nil (the default) for nothing more.
    var integrityJudgeAllowance: String? { get }

    /// Tasks scored by the original's `match(numeric=True)` (arith, gsm8k, aime2025): `ptb score
    /// --strict-match` may score them with exact numeric equality (`score(_:completion:mode:)`).
    var matchesNumericAnswer: Bool { get }
    /// The text the numeric matcher reads: the completion, or a cleaned form of it (AIME unwraps `\boxed{}`).
    func answerText(_ completion: String) -> String
    /// The samples `ptb score` looks targets up in: the test split without what plays no part in
    /// scoring (GSM8K's few-shot block, whose train split need then not be imported).
    func scoringSamples(home: PTBHome) throws -> [Sample]
    /// `ptb score --choice-seed`: the task with its option order shuffled by `seed`, or nil when
    /// the task has no shuffled options (the default).
    func withChoiceSeed(_ seed: UInt64) -> (any EvalTask)?
    /// `ptb score --timeout`: the task with this per-program time limit, or nil (the default)
    /// when it runs no programs.
    func withExecutionTimeout(_ seconds: Double) -> (any EvalTask)?

    /// Leaderboard column header (the original README's name for its seven benchmarks). Default: the id.
    var leaderboardName: String { get }
    /// The task's weight in the headline score under `--weights paper` (`scripts/factors.json`
    /// of the original), or nil (the default): ptb's own tasks have no paper weight.
    var paperWeight: Double? { get }

    /// The task's imported data (splits, upstream counts, importer), or nil (the default) when
    /// the data ships with ptb. `DatasetTask` conformers return themselves.
    var dataset: (any DatasetTask)? { get }
    /// The judge-scoring part of a `judged` task; nil (the default) for the others.
    /// `JudgedTask` conformers return themselves.
    var judged: (any JudgedTask)? { get }
}

extension EvalTask {
    /// True for tasks scored by running the model's code (HumanEval): evaluators must then pass a
    /// `CodeExecutor` to `evaluate(_:completion:executor:)`.
    public var scoredByExecution: Bool { scoring == .execution }

    /// Judged tasks' evaluators call an API (the judge) during evaluation: the integrity checks
    /// allow their network use and API keys.
    public var evaluatorCallsAPIs: Bool { scoring == .judged }

    public func devSamples(home: PTBHome) throws -> [Sample]? { nil }

    public var devSplitNote: String { "Every item ptb has for this task is a test item." }

    public func executionRequest(for sample: Sample, completion: String) -> ExecutionRequest? { nil }

    public func score(_ sample: Sample, completion: String, execution: ExecutionResult) throws -> Score {
        try score(sample, completion: completion)
    }

    public func score(_ sample: Sample, completion: String, toolCalls: [ToolCall]?) throws -> Score {
        try score(sample, completion: completion)
    }

    public var testDataMarkers: [String] { [] }
    public var integrityJudgeAllowance: String? { nil }
    public var matchesNumericAnswer: Bool { false }
    public func answerText(_ completion: String) -> String { completion }
    public func scoringSamples(home: PTBHome) throws -> [Sample] { try samples(home: home) }
    public func withChoiceSeed(_ seed: UInt64) -> (any EvalTask)? { nil }
    public func withExecutionTimeout(_ seconds: Double) -> (any EvalTask)? { nil }
    public var leaderboardName: String { id }
    public var paperWeight: Double? { nil }
    public var dataset: (any DatasetTask)? { nil }
    public var judged: (any JudgedTask)? { nil }

    /// The numeric matcher with the given match mode (`score(_:completion:)` of the numeric
    /// tasks uses the task's own mode). Meaningful where `matchesNumericAnswer` is true.
    public func score(_ sample: Sample, completion: String, mode: NumericMatch.Mode) -> Score {
        let (answer, correct) = NumericAnswer.match(completion: answerText(completion), target: sample.target, mode: mode)
        return Score(value: correct ? 1 : 0, correct: correct, answer: answer)
    }

    /// The one scoring call an evaluator needs: runs the task's program behind `executor` when
    /// the task is execution-scored, then scores. `executor` may be nil for the other tasks.
    public func evaluate(_ sample: Sample, completion: String, executor: (any CodeExecutor)?) async throws -> Score {
        guard let request = executionRequest(for: sample, completion: completion) else {
            return try score(sample, completion: completion)
        }
        guard let executor else { throw TaskError.executorRequired(task: id) }
        let result = try await executor.execute(program: request.program, timeoutSeconds: request.timeoutSeconds)
        return try score(sample, completion: completion, execution: result)
    }

    /// Scores one completion by the task's scoring mode. Judged tasks throw
    /// `TaskError.judgeRequired`: they are scored over all answers through `judged`.
    public func evaluate(_ sample: Sample, completion: String, toolCalls: [ToolCall]?, executor: (any CodeExecutor)?) async throws -> Score {
        switch scoring {
        case .toolCalls: return try score(sample, completion: completion, toolCalls: toolCalls)
        case .pure, .execution: return try await evaluate(sample, completion: completion, executor: executor)
        case .judged: throw TaskError.judgeRequired(task: id)
        }
    }
}

public enum TaskRegistry {
    public static let all: [any EvalTask] = {
        let tasks: [any EvalTask] = [ArithTask(), AIME2025Task(), GPQAMainTask(), GSM8KTask(), HumanEvalTask(), BFCLTask()]
        return tasks + BFCLASTTask.all.map { $0 as any EvalTask } + [ArenaHardWritingTask(), HealthBenchTask()]
    }()

    public static var ids: [String] { all.map(\.id) }

    public static func lookup(_ id: String) throws -> any EvalTask {
        if let t = all.first(where: { $0.id == id }) { return t }
        throw PTBError.unknownChoice(kind: "task", value: id, valid: ids)
    }
}
