import Foundation
import PTBCore
import PTBProcess

public enum SweepBackends {
    /// The backend a spec names. The local pool's GPUs come from `local_gpus`, else nvidia-smi.
    public static func make(_ spec: SweepSpec, runner: ProcessRunner, log: @escaping @Sendable (String) -> Void = { _ in }) async -> any SweepBackend {
        let executor = ProcessCommandExecutor(runner: runner)
        switch spec.backend {
        case .slurm: return SlurmBackend(executor: executor)
        case .htcondor: return HTCondorBackend(executor: executor)
        case .local:
            let gpus: [Int]
            if let g = spec.localGPUs { gpus = g } else { gpus = await detectGPUs(executor: executor) }
            return LocalBackend(runner: runner, gpus: gpus, maxConcurrent: spec.throttle.maxConcurrent, log: log)
        }
    }

    static func detectGPUs(executor: any CommandExecuting) async -> [Int] {
        guard let smi = GPUProcesses.nvidiaSMI(),
              let (t, out) = try? await executor.execute(Command(smi, ["--query-gpu=index", "--format=csv,noheader"],
                                                                environment: ProcessInfo.processInfo.environment)),
              t.succeeded else { return [] }
        return out.split(separator: "\n").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
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
