import Foundation

/// The pipeline stages of one run, in the only order they ever execute. `baseline` (the
/// unchanged base model on the same samples) was part of `evaluate` in runs made before it was
/// a phase; `RunManifest` reads such runs' missing record as skipped.
public enum Phase: String, Codable, CaseIterable, Sendable, Comparable {
    case prepare, agent, collect, integrity, evaluate, baseline, record

    public static func < (lhs: Phase, rhs: Phase) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

public enum PhaseState: String, Codable, Sendable {
    case pending, running, done, failed, skipped
}

/// What one phase did. `attempts` counts how often the phase was started, so tests (and users)
/// can see that `resume` never re-ran a completed phase.
public struct PhaseRecord: Codable, Sendable, Equatable {
    public var state: PhaseState
    public var attempts: Int
    public var startedAt: Date?
    public var endedAt: Date?
    public var detail: String?

    public init(state: PhaseState = .pending, attempts: Int = 0, startedAt: Date? = nil, endedAt: Date? = nil, detail: String? = nil) {
        self.state = state
        self.attempts = attempts
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.detail = detail
    }

    public var isFinished: Bool { state == .done || state == .skipped }
}

/// How the agent process ended, classified as the original harness's SOLVE DIAGNOSTICS do.
public enum ExitClass: Codable, Sendable, Equatable, CustomStringConvertible {
    case normal
    case timeout
    case signal(Int32)
    case error(Int32)
    case noGPU
    case launchFailed
    /// Stopped by ptb because the workspace outgrew its limit or the disk was nearly full.
    case diskLimit

    public var description: String {
        switch self {
        case .normal: "normal"
        case .timeout: "timeout"
        case .signal(let s): "signal \(s)"
        case .error(let c): "error \(c)"
        case .noGPU: "no-gpu"
        case .launchFailed: "launch-failed"
        case .diskLimit: "disk-limit"
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        let parts = text.split(separator: " ")
        switch (parts.first.map(String.init), parts.count > 1 ? Int32(parts[1]) : nil) {
        case ("normal", _): self = .normal
        case ("timeout", _): self = .timeout
        case ("no-gpu", _): self = .noGPU
        case ("launch-failed", _): self = .launchFailed
        case ("disk-limit", _): self = .diskLimit
        case ("signal", let n?): self = .signal(n)
        case ("error", let n?): self = .error(n)
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown exit class '\(text)'"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
