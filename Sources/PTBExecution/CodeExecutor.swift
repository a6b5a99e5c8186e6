import Foundation
import PTBCore

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
        try await SampleRunner(width: width).map(programs.count) { i in
            try await self.execute(program: programs[i], timeoutSeconds: timeoutSeconds)
        }
    }
}
