import Foundation

/// Errors of the results side. Each message names the file or value at fault and what to do.
public enum ResultsError: Error, CustomStringConvertible, Equatable {
    case notADirectory(String)
    case agentMap(path: String, line: Int?, reason: String)
    case baselinesFile(path: String, reason: String)
    case snapshot(path: String, reason: String)
    case weights(String)
    case unknownAgent(String, valid: [String])
    case io(String)

    public var description: String {
        switch self {
        case .notADirectory(let p):
            return "\(p) is not a directory. Pass the original's results directory (it holds one folder per method)."
        case let .agentMap(path, line, reason):
            return "agent map \(path)\(line.map { ", line \($0)" } ?? ""): \(reason). Each line reads `AGENT = method1, method2` (or use a JSON object {\"AGENT\": [\"method\", …]})."
        case let .baselinesFile(path, reason):
            return "baselines file \(path): \(reason). Expected the original's aggregated_baseline.csv: `model,<benchmark>,…` with fractions in [0,1]."
        case let .snapshot(path, reason):
            return "import snapshot \(path) is unreadable (\(reason)). Re-run `ptb import` for its source, or remove the file."
        case .weights(let m):
            return "cannot compute benchmark weights: \(m). Use `--weights paper` or `--weights equal`."
        case let .unknownAgent(name, valid):
            return "no leaderboard row named '\(name)'. Rows: \(valid.joined(separator: ", "))."
        case .io(let m):
            return m
        }
    }
}
