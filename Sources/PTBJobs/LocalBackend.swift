import Foundation
import PTBCore
import PTBProcess
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The machine itself as the scheduler: a pool of `task.sh` subprocesses, each bound to its own
/// GPUs through CUDA_VISIBLE_DEVICES, at most `maxConcurrent` at once. `submit` runs the pool in
/// the foreground until every run has ended (ptb is the scheduler, so there is nothing to detach
/// from); Ctrl-C stops every job's process group and the runs stay resumable with `retry`.
public struct LocalBackend: SweepBackend {
    public static let kind = BackendKind.local
    public let runner: ProcessRunner
    /// GPU indices to hand out (from `local_gpus` or nvidia-smi).
    public let gpus: [Int]
    public let maxConcurrent: Int
    /// `local-<pid>`: known before the pool starts, so the submission is recorded first and
    /// `ptb sweep status` from another shell sees it.
    public let poolID: String
    /// Where GPU claims are locked host-wide (`GPULease.lockDirectory()`).
    public let lockDir: URL
    let log: @Sendable (String) -> Void

    public init(runner: ProcessRunner, gpus: [Int], maxConcurrent: Int?, poolID: String = "local-\(getpid())",
                lockDir: URL = GPULease.lockDirectory(), log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.lockDir = lockDir
        self.runner = runner
        self.gpus = gpus
        // Without GPUs the CPU is the limit; with GPUs, their count already bounds the pool.
        self.maxConcurrent = max(1, maxConcurrent ?? max(1, gpus.count))
        self.poolID = poolID
        self.log = log
    }

    /// The pool's GPUs come from `local_gpus`, else from nvidia-smi.
    public static func make(spec: SweepSpec, runner: ProcessRunner, executor: any CommandExecuting,
                            log: @escaping @Sendable (String) -> Void) async -> LocalBackend {
        let gpus: [Int]
        if let g = spec.localGPUs { gpus = g } else { gpus = await detectGPUs(executor: executor) }
        return LocalBackend(runner: runner, gpus: gpus, maxConcurrent: spec.throttle.maxConcurrent, log: log)
    }

    static func detectGPUs(executor: any CommandExecuting) async -> [Int] {
        guard let smi = GPUProcesses.nvidiaSMI(),
              let (t, out) = try? await executor.execute(Command(smi, ["--query-gpu=index", "--format=csv,noheader"],
                                                                environment: ProcessInfo.processInfo.environment)),
              t.succeeded else { return [] }
        return out.split(separator: "\n").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// `local-<pid>_<index>`, as the pool names each job in PTB_SWEEP_JOB and its log.
    public static func jobLabel(jobID: String, index: Int) -> String { "\(jobID)_\(index)" }

    /// ptb itself is the scheduler: nothing to reach.
    public static let doctorProbe: SchedulerProbe? = nil

    public var provisionalJobID: String? { poolID }

    /// One pool for the whole list: it hands out GPUs per run, so mixed counts share the slots.
    public var needsUniformResources: Bool { false }

    public func submissionFile(runs: [SweepRun], number: Int, manifest m: SweepManifest, paths: SweepPaths) throws -> SubmissionFile {
        var s = "# ptb sweep '\(m.experiment)', submission \(number): local pool, at most \(maxConcurrent) at once, GPUs \(gpus.map(String.init).joined(separator: ",").ifEmpty("none"))\n"
        s += "# each line: GPUs needed, then the command (CUDA_VISIBLE_DEVICES is set per job)\n"
        s += runs.map { "\($0.gpus) /bin/bash \(shellQuote(paths.taskScript.path)) \(shellQuote($0.id))\n" }.joined()
        return SubmissionFile(name: String(format: "%03d.local", number), text: s)
    }

    public func submit(fileURL: URL, runs: [SweepRun], manifest: SweepManifest, paths: SweepPaths) async throws -> String {
        if let r = runs.first(where: { $0.gpus > gpus.count }) {
            throw JobsError.submitFailed(backend: Self.kind.rawValue, command: "pool",
                                         output: "run \(r.id) needs \(r.gpus) GPU(s) but this machine offers \(gpus.count) (\(gpus)); set local_gpus in the sweep spec or drop those runs")
        }
        try FileManager.default.createDirectory(at: paths.logs, withIntermediateDirectories: true)
        enum Event: Sendable { case ended([Int]), tick }
        var queue = runs
        var mine: Set<Int> = []   // held by this pool's running jobs
        var running = 0
        var waitingSaid = false
        await withTaskGroup(of: Event.self) { group in
            var ticking = false
            while !queue.isEmpty || running > 0 {
                if running < maxConcurrent, let (i, lease) = nextClaim(queue, excluding: mine) {
                    let run = queue.remove(at: i)
                    mine.formUnion(lease.indices)
                    running += 1
                    waitingSaid = false
                    let index = runs.firstIndex(of: run) ?? 0
                    group.addTask { await self.runOne(run, index: index, lease: lease, paths: paths); return .ended(lease.indices) }
                    continue
                }
                // GPUs held by another pool or a standalone run free up without telling us: look again each second.
                if !queue.isEmpty, running < maxConcurrent, !ticking {
                    ticking = true
                    if running == 0, !waitingSaid {
                        waitingSaid = true
                        log("waiting for GPUs: \(GPULease.held(among: gpus, lockDir: lockDir)) of \(gpus) are held by other processes (locks in \(lockDir.path))")
                    }
                    group.addTask { try? await Task.sleep(for: .seconds(1)); return .tick }
                }
                guard let event = await group.next() else { break }
                switch event {
                case .tick: ticking = false
                case .ended(let released):
                    mine.subtract(released)
                    running -= 1
                }
            }
            group.cancelAll()
        }
        return poolID
    }

    /// The first queued run whose GPUs can be claimed now, with its lease: host-wide flocks, so
    /// two pools (or a pool and a `ptb run`) on one machine never share a GPU.
    func nextClaim(_ queue: [SweepRun], excluding mine: Set<Int>) -> (Int, GPULease)? {
        let candidates = gpus.filter { !mine.contains($0) }
        for (i, run) in queue.enumerated() where run.gpus <= candidates.count {
            do {
                if let lease = try GPULease.tryClaim(run.gpus, among: candidates, lockDir: lockDir) { return (i, lease) }
            } catch {
                log("cannot claim GPUs: \(error)")
                return nil
            }
        }
        return nil
    }

    private func runOne(_ run: SweepRun, index: Int, lease: GPULease, paths: SweepPaths) async {
        var env = ProcessInfo.processInfo.environment
        // Empty for CPU runs: the job must not see GPUs it was not given. Set, it tells the run
        // that its GPUs are chosen and claimed already (by this pool, for as long as the job lives).
        env["CUDA_VISIBLE_DEVICES"] = lease.visibleDevices
        env["PTB_SWEEP_JOB"] = Self.jobLabel(jobID: poolID, index: index)
        let cmd = Command("/bin/bash", [paths.taskScript.path, run.id], environment: env)
        let logURL = paths.logs.appendingPathComponent("\(Self.jobLabel(jobID: poolID, index: index)).out")
        do {
            let child = try await runner.start(cmd, output: .file(logURL))
            log("started \(run.id) (GPUs: \(env["CUDA_VISIBLE_DEVICES"]!.ifEmpty("none")))")
            let t = await child.wait()
            log("\(t.succeeded ? "finished" : "ended (\(t))") \(run.id)")
        } catch {
            log("could not start \(run.id): \(error)")
        }
        withExtendedLifetime(lease) {}
    }

    public func states(of submissions: [Submission], paths: SweepPaths) async throws -> [String: SchedulerState] {
        var out: [String: SchedulerState] = [:]
        for sub in submissions {
            let poolAlive = Self.pid(of: sub.jobID).map { kill($0, 0) == 0 } ?? false
            for run in sub.runs {
                let attempts = AttemptRecord.read(paths.attemptsFile(run)).filter { $0.job.hasPrefix(sub.jobID + "_") }
                if let s = Self.state(attempts: attempts, poolAlive: poolAlive) { out[run] = s }
            }
        }
        return out
    }

    /// The pool's view of one run from task.sh's records: the last start without an end is
    /// running while its pid lives.
    static func state(attempts: [AttemptRecord], poolAlive: Bool) -> SchedulerState? {
        guard let last = attempts.last else { return poolAlive ? .pending(reason: "waiting for a free slot") : nil }
        if last.event == "start" {
            if let pid = last.pid, kill(pid, 0) == 0 { return .running(node: last.host) }
            return .other("lost (job ended without a record)")
        }
        if last.signal != nil { return .cancelled }
        return last.exit == 0 ? .completed : .failed(exitCode: last.exit)
    }

    static func pid(of poolID: String) -> pid_t? {
        poolID.hasPrefix("local-") ? pid_t(poolID.dropFirst("local-".count)) : nil
    }

    public func cancel(_ submission: Submission, runs: [String]?, paths: SweepPaths) async throws {
        if runs == nil, let p = Self.pid(of: submission.jobID), p != getpid() {
            kill(p, SIGTERM)   // the pool process: it stops every job it started
        }
        for run in runs ?? submission.runs {
            guard let last = AttemptRecord.read(paths.attemptsFile(run)).last, last.event == "start",
                  let pid = last.pid, kill(pid, 0) == 0 else { continue }
            // task.sh leads its own process group (ProcessRunner starts it so): stop all of it.
            kill(-pid, SIGTERM)
        }
    }
}

extension BackendKind {
    public static let local = BackendKind(rawValue: "local")
}

extension String {
    func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
