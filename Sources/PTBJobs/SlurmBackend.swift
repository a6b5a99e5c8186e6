import Foundation
import PTBCore
import PTBProcess

/// Slurm: one `sbatch` job array per chunk; state from `squeue --json`, then `sacct --json`, and
/// `scontrol show job` when accounting is off (it still knows jobs finished within MinJobAge).
public struct SlurmBackend: SweepBackend {
    public static let kind = BackendKind.slurm
    public let executor: any CommandExecuting

    public init(executor: any CommandExecuting) { self.executor = executor }

    public static func make(spec: SweepSpec, runner: ProcessRunner, executor: any CommandExecuting,
                            log: @escaping @Sendable (String) -> Void) async -> SlurmBackend {
        SlurmBackend(executor: executor)
    }

    /// Array job `<jobid>_<index>`, as squeue, sacct and scancel name it.
    public static func jobLabel(jobID: String, index: Int) -> String { "\(jobID)_\(index)" }

    public static let doctorProbe: SchedulerProbe? = SchedulerProbe(
        command: ["sinfo", "-h", "-o", "%P %a %D"], what: "Slurm",
        fix: "load Slurm's client (`module load slurm`), check slurmctld with `scontrol ping`, or submit from a login node")

    public static let queueCommand: String? = "squeue"

    /// sbatch sets these in every array task; a plain job (no array) has only SLURM_JOB_ID.
    public static var jobFromEnvironment: [(variable: String, job: String)] {
        [("SLURM_ARRAY_JOB_ID", "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"), ("SLURM_JOB_ID", "$SLURM_JOB_ID")]
    }

    // MARK: submission file

    public func submissionFile(runs: [SweepRun], number: Int, manifest m: SweepManifest, paths: SweepPaths) throws -> SubmissionFile {
        let first = try firstOfUniformChunk(runs, unit: "job array")
        let spec = m.spec
        let r = spec.resources
        var d: [String] = []
        d.append("--job-name=ptb-\(m.experiment)")
        let throttle = spec.throttle.maxConcurrent.map { "%\($0)" } ?? ""
        d.append("--array=0-\(runs.count - 1)\(throttle)")
        d.append("--output=\(paths.logs.path)/slurm-%A_%a.out")
        d.append("--time=\(Self.timeLimit(minutes: r.wallMinutes(hours: first.hours)))")
        d.append("--nodes=1")
        d.append("--ntasks=1")
        d.append("--cpus-per-task=\(r.cpus)")
        d.append("--mem=\(r.memory)")
        if let disk = r.disk { d.append("--tmp=\(disk)") }
        if first.gpus > 0 {
            let type = r.gpuType.map { "\($0):" } ?? ""
            switch r.gpuRequest {
            case .gres: d.append("--gres=gpu:\(type)\(first.gpus)")
            case .gpus: d.append("--gpus=\(type)\(first.gpus)")
            }
        }
        if let p = r.partition { d.append("--partition=\(p)") }
        if let a = r.account { d.append("--account=\(a)") }
        if let q = r.qos { d.append("--qos=\(q)") }
        if !spec.throttle.licenses.isEmpty { d.append("--licenses=\(spec.throttle.licenses.joined(separator: ","))") }
        d.append(contentsOf: r.extraDirectives)

        var s = "#!/bin/bash\n"
        s += d.map { "#SBATCH \($0)\n" }.joined()
        s += "# ptb sweep '\(m.experiment)', submission \(number): \(runs.count) run(s), \(RunSpec.formatHours(first.hours)) h agent budget"
        s += " + \(RunSpec.formatHours(r.evaluationHours)) h evaluation + \(RunSpec.formatHours(r.marginMinutes)) min margin.\n"
        s += "# Array index i runs RUNS[i]; task.sh records each attempt in attempts/<run>.jsonl.\n"
        s += "RUNS=(\n" + runs.map { "  \(shellQuote($0.id))\n" }.joined() + ")\n"
        s += "exec /bin/bash \(shellQuote(paths.taskScript.path)) \"${RUNS[$SLURM_ARRAY_TASK_ID]}\"\n"
        return SubmissionFile(name: String(format: "%03d.sbatch", number), text: s)
    }

    /// `D-HH:MM:SS`, the form every Slurm version accepts.
    static func timeLimit(minutes: Int) -> String {
        String(format: "%d-%02d:%02d:00", minutes / 1440, (minutes % 1440) / 60, minutes % 60)
    }

    // MARK: submit / cancel

    public func submit(fileURL: URL, runs: [SweepRun], manifest: SweepManifest, paths: SweepPaths) async throws -> String {
        let cmd = Command("sbatch", ["--parsable", "--chdir=\(paths.root.path)", fileURL.path])
        let out = try require(try await executor.execute(cmd), cmd, submit: true)
        // --parsable prints "<jobid>" or "<jobid>;<cluster>", possibly after warnings.
        guard let line = out.split(separator: "\n").last(where: { Int($0.split(separator: ";").first ?? "") != nil }),
              let id = line.split(separator: ";").first else {
            throw JobsError.submitFailed(backend: Self.kind.rawValue, command: cmd.display, output: "no job id in the output: \(out)")
        }
        return String(id)
    }

    public func cancel(_ submission: Submission, runs: [String]?, paths: SweepPaths) async throws {
        let targets: [String]
        if let runs {
            targets = runs.compactMap { r in submission.runs.firstIndex(of: r).map { Self.jobLabel(jobID: submission.jobID, index: $0) } }
            if targets.isEmpty { return }
        } else {
            targets = [submission.jobID]
        }
        let cmd = Command("scancel", targets)
        _ = try require(try await executor.execute(cmd), cmd, submit: false)
    }

    // MARK: state

    public func states(of submissions: [Submission], paths: SweepPaths) async throws -> [String: SchedulerState] {
        guard !submissions.isEmpty else { return [:] }
        let jobIDs = Set(submissions.map(\.jobID))
        var byTask: [SlurmTaskKey: SchedulerState] = [:]

        // Finished tasks first, so the live view (squeue) overrides them.
        let ids = submissions.map(\.jobID).joined(separator: ",")
        let sacct = Command("sacct", ["--json", "-X", "--jobs=\(ids)"])
        let sacctResult = try await executor.execute(sacct)
        if sacctResult.0.succeeded, let parsed = try? Self.parseSacct(sacctResult.1) {
            byTask.merge(parsed) { _, new in new }
        } else {
            // Accounting disabled ("Slurm accounting storage is disabled"): scontrol still
            // remembers finished jobs for MinJobAge seconds.
            for id in jobIDs {
                let cmd = Command("scontrol", ["show", "job", id])
                let (t, out) = try await executor.execute(cmd)
                if t.succeeded { byTask.merge(Self.parseScontrol(out)) { _, new in new } }
            }
        }
        let squeue = Command("squeue", ["--json"])
        let out = try require(try await executor.execute(squeue), squeue, submit: false)
        byTask.merge(try Self.parseSqueue(out)) { _, new in new }

        var result: [String: SchedulerState] = [:]
        for sub in submissions {
            for (i, run) in sub.runs.enumerated() {
                if let s = byTask[SlurmTaskKey(arrayJobID: sub.jobID, taskID: i)] { result[run] = s }
            }
        }
        return result
    }

    // MARK: parsing (static: golden-tested on recorded output)

    public struct SlurmTaskKey: Hashable, Sendable, CustomStringConvertible {
        public var arrayJobID: String
        public var taskID: Int
        public init(arrayJobID: String, taskID: Int) {
            self.arrayJobID = arrayJobID
            self.taskID = taskID
        }
        public var description: String { "\(arrayJobID)_\(taskID)" }
    }

    /// `squeue --json` (22.05: plain numbers and state strings; 23.02+: {"number":…} and state lists).
    /// A pending array is one record with `array_task_string` like "1-3%1" until tasks start.
    public static func parseSqueue(_ text: String) throws -> [SlurmTaskKey: SchedulerState] {
        guard let root = try JSONText.object(text, what: "squeue --json output") as? [String: Any],
              let jobs = root["jobs"] as? [[String: Any]] else {
            throw JobsError.unparsable(what: "squeue --json output", reason: "no \"jobs\" list")
        }
        var out: [SlurmTaskKey: SchedulerState] = [:]
        for j in jobs {
            guard let jobID = JSONText.int(j["job_id"]) else { continue }
            let state = mapState(JSONText.string(j["job_state"]) ?? "UNKNOWN", reason: JSONText.string(j["state_reason"]),
                                 node: JSONText.string(j["nodes"]), exit: JSONText.int(j["exit_code"]))
            let arrayJob = JSONText.int(j["array_job_id"]) ?? 0
            if arrayJob == 0 {
                out[SlurmTaskKey(arrayJobID: String(jobID), taskID: 0)] = state
                continue
            }
            if let task = JSONText.int(j["array_task_id"]) {
                out[SlurmTaskKey(arrayJobID: String(arrayJob), taskID: task)] = state
            } else if let range = JSONText.string(j["array_task_string"]) {
                for t in expandTaskString(range) { out[SlurmTaskKey(arrayJobID: String(arrayJob), taskID: t)] = state }
            }
        }
        return out
    }

    /// `sacct --json -X` (22.05: "array": {"job_id", "task_id"}, "state": {"current"}, "exit_code").
    public static func parseSacct(_ text: String) throws -> [SlurmTaskKey: SchedulerState] {
        guard let root = try JSONText.object(text, what: "sacct --json output") as? [String: Any],
              let jobs = root["jobs"] as? [[String: Any]] else {
            throw JobsError.unparsable(what: "sacct --json output", reason: "no \"jobs\" list")
        }
        var out: [SlurmTaskKey: SchedulerState] = [:]
        for j in jobs {
            guard let jobID = JSONText.int(j["job_id"]) else { continue }
            let st = j["state"] as? [String: Any]
            let exit = (j["exit_code"] as? [String: Any]).flatMap { JSONText.int($0["return_code"]) }
            let state = mapState(JSONText.string(st?["current"]) ?? "UNKNOWN", reason: JSONText.string(st?["reason"]),
                                 node: JSONText.string(j["nodes"]), exit: exit)
            let array = j["array"] as? [String: Any]
            let arrayJob = JSONText.int(array?["job_id"]) ?? 0
            if arrayJob != 0, let task = JSONText.int(array?["task_id"]) {
                out[SlurmTaskKey(arrayJobID: String(arrayJob), taskID: task)] = state
            } else if arrayJob != 0, let range = JSONText.string(array?["task"]) {
                // Tasks not started yet stay one record with the range, as in squeue.
                for t in expandTaskString(range) { out[SlurmTaskKey(arrayJobID: String(arrayJob), taskID: t)] = state }
            } else {
                out[SlurmTaskKey(arrayJobID: String(jobID), taskID: 0)] = state
            }
        }
        return out
    }

    /// `scontrol show job N`: one `Key=Value …` record per array task; each starts with `JobId=`.
    public static func parseScontrol(_ text: String) -> [SlurmTaskKey: SchedulerState] {
        var records: [[String: String]] = []
        for token in text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }) {
            guard let eq = token.firstIndex(of: "=") else { continue }
            let key = String(token[..<eq])
            let value = String(token[token.index(after: eq)...])
            if key == "JobId" { records.append([:]) }
            guard !records.isEmpty else { continue }
            if records[records.count - 1][key] == nil { records[records.count - 1][key] = value }
        }
        var out: [SlurmTaskKey: SchedulerState] = [:]
        for f in records {
            guard let jobID = f["JobId"], let stateText = f["JobState"] else { continue }
            // ExitCode=<code>:<signal>
            let exit = f["ExitCode"].flatMap { Int($0.split(separator: ":").first ?? "") }
            let node = f["NodeList"].flatMap { $0 == "(null)" ? nil : $0 }
            let state = mapState(stateText, reason: f["Reason"], node: node, exit: exit)
            if let a = f["ArrayJobId"], let t = f["ArrayTaskId"] {
                for task in expandTaskString(t) { out[SlurmTaskKey(arrayJobID: a, taskID: task)] = state }
            } else {
                out[SlurmTaskKey(arrayJobID: jobID, taskID: 0)] = state
            }
        }
        return out
    }

    /// "1-3%1", "0,2,5-7", "4" → task ids (the `%N` throttle suffix is dropped).
    static func expandTaskString(_ s: String) -> [Int] {
        let body = s.split(separator: "%").first.map(String.init) ?? ""
        return body.split(separator: ",").flatMap { part -> [Int] in
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            switch bounds.count {
            case 1: return bounds
            case 2 where bounds[0] <= bounds[1]: return Array(bounds[0]...bounds[1])
            default: return []
            }
        }
    }

    static func mapState(_ raw: String, reason: String?, node: String?, exit: Int?) -> SchedulerState {
        let reason = reason.flatMap { $0 == "None" || $0.isEmpty ? nil : $0 }
        let node = node.flatMap { $0.isEmpty ? nil : $0 }
        switch raw.uppercased() {
        case "PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD": return .pending(reason: reason)
        case "RUNNING", "COMPLETING", "STAGE_OUT", "SIGNALING", "RESIZING": return .running(node: node)
        case "SUSPENDED", "STOPPED": return .held(reason: raw.lowercased())
        case "COMPLETED": return .completed
        case "FAILED": return .failed(exitCode: exit)
        case "CANCELLED": return .cancelled
        case "TIMEOUT", "DEADLINE": return .timeout
        case "PREEMPTED": return .preempted
        case "NODE_FAIL", "BOOT_FAIL": return .nodeFailure
        case "OUT_OF_MEMORY": return .outOfMemory
        default: return .other(raw.lowercased())
        }
    }
}

extension BackendKind {
    public static let slurm = BackendKind(rawValue: "slurm")
}
