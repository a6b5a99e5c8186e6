import Foundation

/// Runs untrusted, model-written code for execution-scored tasks (HumanEval). Implementations
/// live beside this file, one per isolation mechanism.
public protocol CodeExecutor: Sendable {
    func execute(program: String, timeoutSeconds: Double) async throws -> ExecutionResult
}

public struct ExecutionResult: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case passed, failed, timedOut = "timed out" }
    public var status: Status
    public var detail: String
    public init(status: Status, detail: String) {
        self.status = status
        self.detail = detail
    }
}
