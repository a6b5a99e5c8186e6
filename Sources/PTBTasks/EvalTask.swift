import Foundation
import PTBCore
import PTBExecution

public struct ChatMessage: Codable, Sendable, Equatable {
    public var role: String
    public var content: String
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

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

    public var description: String {
        switch self {
        case .executorRequired(let t):
            "task \(t) is scored by running the model's code, but no code executor was given. Score it through "
                + "`EvalTask.evaluate(_:completion:executor:)` with a `BubblewrapExecutor` (as `ptb score` does)."
        }
    }
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

/// One benchmark: data, prompts, scorer. One file per task; scorers are pure.
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
    func score(_ sample: Sample, completion: String) -> Score
    /// Files placed in the agent's task/ folder (name → contents).
    func contextFiles() throws -> [String: String]
    /// True for tasks scored by running the model's code (HumanEval): evaluators must then pass a
    /// `CodeExecutor` to `evaluate(_:completion:executor:)`.
    var scoredByExecution: Bool { get }
    /// Execution-scored tasks return the program whose run decides the score; the others return
    /// nil (the default) and are scored by `score(_:completion:)` alone.
    func executionRequest(for sample: Sample, completion: String) -> ExecutionRequest?
    /// Scores a completion given the verdict of running `executionRequest`'s program. Pure: the
    /// running happens behind a `CodeExecutor`, and the scorer sees only its result.
    func score(_ sample: Sample, completion: String, execution: ExecutionResult) -> Score
}

extension EvalTask {
    public var scoredByExecution: Bool { false }

    public func devSamples(home: PTBHome) throws -> [Sample]? { nil }

    public var devSplitNote: String { "Every item ptb has for this task is a test item." }

    public func executionRequest(for sample: Sample, completion: String) -> ExecutionRequest? { nil }

    public func score(_ sample: Sample, completion: String, execution: ExecutionResult) -> Score {
        score(sample, completion: completion)
    }

    /// The one scoring call an evaluator needs: runs the task's program behind `executor` when
    /// the task is execution-scored, then scores. `executor` may be nil for the other tasks.
    public func evaluate(_ sample: Sample, completion: String, executor: (any CodeExecutor)?) async throws -> Score {
        guard let request = executionRequest(for: sample, completion: completion) else {
            return score(sample, completion: completion)
        }
        guard let executor else { throw TaskError.executorRequired(task: id) }
        let result = try await executor.execute(program: request.program, timeoutSeconds: request.timeoutSeconds)
        return score(sample, completion: completion, execution: result)
    }
}

/// A task scored on the model's tool calls (BFCL): requests carry the sample's `tools`, the
/// engine must parse tool calls out of the generated text, and the scorer sees the calls.
public protocol ToolCallingTask: EvalTask {
    /// `toolCalls` nil: the response had none (plain text).
    func score(_ sample: Sample, completion: String, toolCalls: [ToolCall]?) -> Score
}

extension EvalTask {
    /// Scores with the tool calls when the task is a `ToolCallingTask`, else as `evaluate` does.
    public func evaluate(_ sample: Sample, completion: String, toolCalls: [ToolCall]?, executor: (any CodeExecutor)?) async throws -> Score {
        if let t = self as? any ToolCallingTask { return t.score(sample, completion: completion, toolCalls: toolCalls) }
        return try await evaluate(sample, completion: completion, executor: executor)
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
