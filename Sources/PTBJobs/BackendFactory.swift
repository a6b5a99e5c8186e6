import Foundation
import PTBCore
import PTBProcess

/// The scheduler backends `ptb sweep` and `ptb doctor` know.
public enum SweepBackends {
    /// Every backend, in the order help and errors list them: the one line a new backend adds
    /// outside its own file.
    public static let all: [any SweepBackend.Type] = [SlurmBackend.self, HTCondorBackend.self, LocalBackend.self]

    public static var names: [String] { all.map { $0.kind.rawValue } }

    /// The backend type a name stands for among `backends` (the registry unless a caller adds its own).
    public static func type(named kind: BackendKind, in backends: [any SweepBackend.Type] = all) -> (any SweepBackend.Type)? {
        backends.first { $0.kind == kind }
    }

    /// The probes `ptb doctor --backend NAME` runs, by backend name (backends without a scheduler have none).
    public static var doctorProbes: [String: SchedulerProbe] {
        Dictionary(uniqueKeysWithValues: all.compactMap { b in b.doctorProbe.map { (b.kind.rawValue, $0) } })
    }

    /// The backend a spec names, made by its own type (the local pool finds its GPUs there).
    public static func make(_ spec: SweepSpec, runner: ProcessRunner, in backends: [any SweepBackend.Type] = all,
                            log: @escaping @Sendable (String) -> Void = { _ in }) async throws -> any SweepBackend {
        guard let type = type(named: spec.backend, in: backends) else {
            throw JobsError.unsupported("backend '\(spec.backend)' is not one ptb knows; use \(backends.map { $0.kind.rawValue }.orList()).")
        }
        return await type.make(spec: spec, runner: runner, executor: ProcessCommandExecutor(runner: runner), log: log)
    }
}

public enum SweepStatusTable {
    public static func render(_ rows: [SweepRunStatus], experiment: String) -> String {
        let header = ["RUN", "STATE", "PHASE", "JOB", "TRIES", "SCHEDULER", "REASON"]
        let body = rows.map { s in
            [s.run.qualifiedID(experiment: experiment), s.state.rawValue, s.phase?.rawValue ?? "-", s.job ?? "-",
             String(s.attempts), s.scheduler?.description ?? "-", s.reason?.description ?? ""]
        }
        let widths = header.indices.map { i in ([header[i]] + body.map { $0[i] }).map(\.count).max()! }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }
        var counts: [String: Int] = [:]
        for r in rows { counts[r.state.rawValue, default: 0] += 1 }
        let summary = [SweepRunState.done, .running, .pending, .failed, .notSubmitted]
            .compactMap { s in counts[s.rawValue].map { "\($0) \(s.rawValue)" } }.joined(separator: ", ")
        return ([line(header)] + body.map(line)).joined(separator: "\n") + "\n\(rows.count) runs: \(summary)"
    }
}
