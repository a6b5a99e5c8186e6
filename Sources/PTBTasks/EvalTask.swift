import Foundation
import PTBCore

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
    public init(id: String, messages: [ChatMessage], target: String) {
        self.id = id
        self.messages = messages
        self.target = target
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
    func score(_ sample: Sample, completion: String) -> Score
    /// Files placed in the agent's task/ folder (name → contents).
    func contextFiles() throws -> [String: String]
}

public enum TaskRegistry {
    public static let all: [any EvalTask] = [ArithTask()]

    public static var ids: [String] { all.map(\.id) }

    public static func lookup(_ id: String) throws -> any EvalTask {
        if let t = all.first(where: { $0.id == id }) { return t }
        throw PTBError.unknownChoice(kind: "task", value: id, valid: ids)
    }
}
