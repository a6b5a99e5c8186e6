import Foundation

/// Errors of sweeps and schedulers. Each message says what failed and what to do next.
public enum JobsError: Error, CustomStringConvertible, Equatable {
    case spec(path: String, reason: String)
    case sweepNotFound(name: String, looked: [String])
    case submitFailed(backend: String, command: String, output: String)
    case schedulerQuery(backend: String, command: String, output: String)
    case unparsable(what: String, reason: String)
    case unsupported(String)

    public var description: String {
        switch self {
        case let .spec(path, reason):
            "sweep spec \(path): \(reason)"
        case let .sweepNotFound(name, looked):
            "no sweep '\(name)' (looked for sweep.json in: \(looked.joined(separator: ", "))). Give the results directory with --results-dir or the sweep directory itself."
        case let .submitFailed(backend, command, output):
            "\(backend) refused the submission (`\(command)`): \(output.trimmingCharacters(in: .whitespacesAndNewlines)). Check the resources and directives in the sweep spec (try --dry-run to see the exact file)."
        case let .schedulerQuery(backend, command, output):
            "cannot read job state from \(backend) (`\(command)`): \(output.trimmingCharacters(in: .whitespacesAndNewlines)). Is the scheduler reachable from this machine?"
        case let .unparsable(what, reason):
            "cannot parse \(what): \(reason)"
        case .unsupported(let m):
            m
        }
    }
}
