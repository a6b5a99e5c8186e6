import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// GPU compute processes left behind by a run (an agent's background trainer, a crashed
/// engine). The original kills every GPU process on the node; ptb kills only those that carry
/// the run's `PTB_RUN_ID` in their environment, so a shared node's other jobs survive.
public enum GPUProcesses {
    /// `PTB_NVIDIA_SMI` (a node whose driver tools live elsewhere), else the usual places.
    public static func nvidiaSMI(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let own = environment["PTB_NVIDIA_SMI"], !own.isEmpty { return FileManager.default.isExecutableFile(atPath: own) ? own : nil }
        return ["/usr/bin/nvidia-smi", "/usr/local/bin/nvidia-smi", "/usr/local/nvidia/bin/nvidia-smi"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// PIDs of GPU compute processes, as nvidia-smi reports them (every GPU's: a run's leftover
    /// may sit on a GPU it was never given if it escaped the sandbox).
    public static func computePIDs(runner: ProcessRunner, smi: String? = nvidiaSMI()) async -> [pid_t] {
        guard let smi else { return [] }
        let cmd = Command(smi, ["--query-compute-apps=pid", "--format=csv,noheader"], environment: ProcessInfo.processInfo.environment)
        guard let (t, lines) = try? await runner.run(cmd), t.succeeded else { return [] }
        return lines.compactMap { pid_t($0.trimmingCharacters(in: .whitespaces)) }
    }

    static func belongs(_ pid: pid_t, runID: String) -> Bool {
        guard let env = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
        return env.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == "PTB_RUN_ID=\(runID)" }
    }

    /// SIGKILLs the run's GPU processes; returns the pids killed.
    @discardableResult
    public static func killLeftovers(runID: String, runner: ProcessRunner, smi: String? = nvidiaSMI()) async -> [pid_t] {
        let mine = await computePIDs(runner: runner, smi: smi).filter { belongs($0, runID: runID) }
        for pid in mine { kill(pid, SIGKILL) }
        return mine
    }
}

/// Every process that carries a run's `PTB_RUN_ID` (the agent and anything it started, even
/// what escaped its process group with setsid).
public enum RunProcesses {
    public static func find(runID: String) -> [pid_t] {
        let me = getpid()
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
        return pids.filter { $0 != me && GPUProcesses.belongs($0, runID: runID) }
    }

    /// SIGKILLs them; returns the pids.
    @discardableResult
    public static func killAll(runID: String) -> [pid_t] {
        let pids = find(runID: runID)
        for p in pids { kill(p, SIGKILL) }
        return pids
    }
}
