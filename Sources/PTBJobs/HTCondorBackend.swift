import Foundation
import PTBCore
import PTBProcess

/// HTCondor: one submit description per chunk, modelled on the original's `single_task.sub`
/// (request_gpus/cpus/memory/disk, a GPU-name requirement, concurrency_limits), with one
/// `queue run from (…)` over the run list instead of one condor_submit per cell.
/// State from `condor_q -json`, then `condor_history -json` for jobs that left the queue.
public struct HTCondorBackend: SweepBackend {
    public static let kind = BackendKind.htcondor
    public let executor: any CommandExecuting

    public init(executor: any CommandExecuting) { self.executor = executor }

    public static func make(spec: SweepSpec, runner: ProcessRunner, executor: any CommandExecuting,
                            log: @escaping @Sendable (String) -> Void) async -> HTCondorBackend {
        HTCondorBackend(executor: executor)
    }

    /// `<cluster>.<proc>`, as condor_q, condor_history and condor_rm name a job.
    public static func jobLabel(jobID: String, index: Int) -> String { "\(jobID).\(index)" }

    public static let doctorProbe: SchedulerProbe? = SchedulerProbe(
        command: ["condor_status", "-totals"], what: "HTCondor",
        fix: "install HTCondor's client tools and check the pool with `condor_status`")

    public static let queueCommand: String? = "condor_q"

    public func submissionFile(runs: [SweepRun], number: Int, manifest m: SweepManifest, paths: SweepPaths) throws -> SubmissionFile {
        let first = try firstOfUniformChunk(runs, unit: "submit description")
        let spec = m.spec
        let r = spec.resources
        var lines: [(String, String)] = [
            ("universe", "vanilla"),
            ("executable", "/bin/bash"),
            ("arguments", "\(paths.taskScript.path) $(run)"),
            ("initialdir", paths.root.path),
            // task.sh names the attempt after the HTCondor job, as Slurm's array task id.
            ("environment", "\"PTB_SWEEP_JOB=$(Cluster).$(Process)\""),
            ("output", "\(paths.logs.path)/condor-$(Cluster)_$(Process).out"),
            ("error", "\(paths.logs.path)/condor-$(Cluster)_$(Process).err"),
            ("log", "\(paths.logs.path)/condor-$(Cluster).log"),
            ("request_cpus", "\(r.cpus)"),
            ("request_memory", "\(try r.memoryMiB())"),
        ]
        if let disk = r.disk { lines.append(("request_disk", disk)) }
        if first.gpus > 0 { lines.append(("request_gpus", "\(first.gpus)")) }
        if first.gpus > 0, let name = r.gpuName {
            lines.append(("requirements", "TARGET.CUDADeviceName == \"\(name)\""))
        }
        // The scheduler ends the job when the wall time is exceeded, as Slurm's --time does.
        lines.append(("periodic_remove", "(JobStatus == 2) && (time() - EnteredCurrentStatus > \(r.wallMinutes(hours: first.hours) * 60))"))
        if !spec.throttle.concurrencyLimits.isEmpty {
            lines.append(("concurrency_limits", spec.throttle.concurrencyLimits.joined(separator: ",")))
        }
        if let n = spec.throttle.maxConcurrent { lines.append(("max_materialize", "\(n)")) }
        if let a = r.account { lines.append(("accounting_group", a)) }

        let width = lines.map(\.0.count).max() ?? 0
        var s = "# ptb sweep '\(m.experiment)', submission \(number): \(runs.count) run(s), \(RunSpec.formatHours(first.hours)) h agent budget.\n"
        s += "# Process i runs the i-th run below; task.sh records each attempt in attempts/<run>.jsonl.\n"
        s += lines.map { "\($0.0.padding(toLength: width, withPad: " ", startingAt: 0)) = \($0.1)\n" }.joined()
        s += r.extraDirectives.map { "\($0)\n" }.joined()
        s += "queue run from (\n" + runs.map { "  \($0.id)\n" }.joined() + ")\n"
        return SubmissionFile(name: String(format: "%03d.sub", number), text: s)
    }

    public func submit(fileURL: URL, runs: [SweepRun], manifest: SweepManifest, paths: SweepPaths) async throws -> String {
        let cmd = Command("condor_submit", ["-terse", fileURL.path])
        let out = try require(try await executor.execute(cmd), cmd, submit: true)
        guard let cluster = Self.parseSubmitTerse(out) else {
            throw JobsError.submitFailed(backend: Self.kind.rawValue, command: cmd.display, output: "no cluster id in the output: \(out)")
        }
        return cluster
    }

    /// `condor_submit -terse` prints "123.0 - 123.3".
    static func parseSubmitTerse(_ out: String) -> String? {
        for line in out.split(separator: "\n") {
            let first = line.split(separator: " ").first ?? ""
            let parts = first.split(separator: ".")
            if parts.count == 2, Int(parts[0]) != nil, Int(parts[1]) != nil { return String(parts[0]) }
        }
        return nil
    }

    public func cancel(_ submission: Submission, runs: [String]?, paths: SweepPaths) async throws {
        let targets: [String]
        if let runs {
            targets = runs.compactMap { r in submission.runs.firstIndex(of: r).map { Self.jobLabel(jobID: submission.jobID, index: $0) } }
            if targets.isEmpty { return }
        } else {
            targets = [submission.jobID]
        }
        let cmd = Command("condor_rm", targets)
        _ = try require(try await executor.execute(cmd), cmd, submit: false)
    }

    static let attributes = "ClusterId,ProcId,JobStatus,ExitCode,ExitBySignal,ExitSignal,HoldReason,RemoveReason,RemoteHost,LastRemoteHost,NumJobStarts"

    public func states(of submissions: [Submission], paths: SweepPaths) async throws -> [String: SchedulerState] {
        guard !submissions.isEmpty else { return [:] }
        let clusters = submissions.map(\.jobID)
        var byProc: [String: SchedulerState] = [:]
        let history = Command("condor_history", clusters + ["-json", "-attributes", Self.attributes])
        let h = try await executor.execute(history)
        if h.0.succeeded { byProc.merge(try Self.parseAds(h.1)) { _, new in new } }
        let q = Command("condor_q", clusters + ["-json", "-attributes", Self.attributes])
        byProc.merge(try Self.parseAds(try require(try await executor.execute(q), q, submit: false))) { _, new in new }
        var out: [String: SchedulerState] = [:]
        for sub in submissions {
            for (i, run) in sub.runs.enumerated() {
                if let s = byProc[Self.jobLabel(jobID: sub.jobID, index: i)] { out[run] = s }
            }
        }
        return out
    }

    /// `condor_q -json` / `condor_history -json`: a JSON array of job ClassAds (empty output when
    /// nothing matches). Keys are "<ClusterId>.<ProcId>".
    public static func parseAds(_ text: String) throws -> [String: SchedulerState] {
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return [:] }
        guard let data = JSONText.extract(text) else { return [:] }
        let value: Any
        do { value = try JSONSerialization.jsonObject(with: data) } catch {
            throw JobsError.unparsable(what: "HTCondor JSON output", reason: "\(error)")
        }
        guard let ads = value as? [[String: Any]] else {
            throw JobsError.unparsable(what: "HTCondor JSON output", reason: "expected a list of job ads")
        }
        var out: [String: SchedulerState] = [:]
        for ad in ads {
            guard let c = JSONText.int(ad["ClusterId"]), let p = JSONText.int(ad["ProcId"]),
                  let status = JSONText.int(ad["JobStatus"]) else { continue }
            out["\(c).\(p)"] = mapStatus(status, ad: ad)
        }
        return out
    }

    /// JobStatus: 1 idle, 2 running, 3 removed, 4 completed, 5 held, 6 transferring output, 7 suspended.
    static func mapStatus(_ status: Int, ad: [String: Any]) -> SchedulerState {
        switch status {
        case 1:
            // Idle after having started: the job was evicted (HTCondor's preemption) and waits again.
            let starts = JSONText.int(ad["NumJobStarts"]) ?? 0
            return .pending(reason: starts > 0 ? "evicted, waiting to restart" : nil)
        case 2, 6: return .running(node: (ad["RemoteHost"] as? String).map { $0.split(separator: "@").last.map(String.init) ?? $0 })
        case 3:
            let why = (ad["RemoveReason"] as? String) ?? ""
            return why.contains("PeriodicRemove") || why.contains("periodic_remove") ? .timeout : .cancelled
        case 4:
            if (ad["ExitBySignal"] as? Bool) == true { return .failed(exitCode: JSONText.int(ad["ExitSignal"]).map { 128 + $0 }) }
            let code = JSONText.int(ad["ExitCode"]) ?? 0
            return code == 0 ? .completed : .failed(exitCode: code)
        case 5: return .held(reason: ad["HoldReason"] as? String)
        case 7: return .held(reason: "suspended")
        default: return .other("JobStatus \(status)")
        }
    }
}

extension BackendKind {
    public static let htcondor = BackendKind(rawValue: "htcondor")
}
