import Foundation

/// Errors a user can act on. Each message says what went wrong and what to do next.
public enum PTBError: Error, CustomStringConvertible, Equatable {
    case unknownChoice(kind: String, value: String, valid: [String], hint: String? = nil)
    /// A mistake in what was typed on the command line: exit 64 with the subcommand's usage.
    case invalidArgument(String)
    /// What was named exists but cannot be used (a broken model directory, a busy run, a missing
    /// key): not a usage mistake, so exit 1 without a usage dump.
    case unusable(String)
    case io(String)
    case corrupt(path: String, reason: String)
    case missingSetup(String)
    case runNotFound(String)
    case engine(String)
    case sandbox(String)
    case config(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unknownChoice(kind, value, valid, hint):
            let kinds = kind.hasSuffix("y") ? kind.dropLast() + "ies" : kind.hasSuffix("x") || kind.hasSuffix("s") ? kind + "es" : kind + "s"
            var s = "unknown \(kind) '\(value)'. Valid \(kinds): \(valid.joined(separator: ", "))."
            if let hint { s += " \(hint)" }
            return s
        case .invalidArgument(let m): return m
        case .unusable(let m): return m
        case .io(let m): return m
        case let .corrupt(path, reason): return "\(path) is unreadable or corrupt (\(reason)). Inspect or remove it, then retry."
        case .missingSetup(let m): return "\(m) Run `ptb setup` first."
        case .runNotFound(let id): return "no run '\(id)' found. `ptb status` lists the runs."
        case .engine(let m): return "inference engine: \(m)"
        case .sandbox(let m): return "sandbox: \(m)"
        case let .config(path, reason): return "config \(path): \(reason)"
        }
    }
}
