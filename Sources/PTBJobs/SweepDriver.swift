import Foundation
import PTBCore
#if canImport(Glibc)
import Glibc
#endif

/// What `ptb sweep` does with a backend: plan, write the files, submit, read status, retry, cancel.
/// Every submission is recorded in sweep.json (atomically) right after the scheduler accepted it,
/// so a crash between two chunks loses no job id.
public struct SweepDriver: Sendable {
    public let backend: any SweepBackend
    public let paths: SweepPaths
    /// The ptb executable and PTB_HOME the jobs run with (shared filesystem).
    public let ptb: String
    public let ptbHome: String?

    public init(backend: any SweepBackend, paths: SweepPaths, ptb: String, ptbHome: String?) {
        self.backend = backend
        self.paths = paths
        self.ptb = ptb
        self.ptbHome = ptbHome
    }

    /// The files of one (re)submission, without writing or submitting anything.
    public struct Plan: Sendable {
        public var taskScript: String
        public var chunks: [(chunk: SweepChunk, file: SubmissionFile)]
    }

    public func plan(_ m: SweepManifest, runs: [SweepRun]) throws -> Plan {
        var number = (m.submissions.map(\.number).max() ?? 0) + 1
        var chunks: [(chunk: SweepChunk, file: SubmissionFile)] = []
        let groups = backend.needsUniformResources || runs.isEmpty
            ? SweepChunk.make(runs, maxArraySize: m.spec.maxArraySize)
            : [SweepChunk(hours: runs.map(\.hours).max()!, gpus: runs.map(\.gpus).max()!, runs: runs)]
        for c in groups {
            chunks.append((c, try backend.submissionFile(runs: c.runs, number: number, manifest: m, paths: paths)))
            number += 1
        }
        return Plan(taskScript: TaskScript.render(manifest: m, paths: paths, ptb: ptb, ptbHome: ptbHome, backend: type(of: backend)), chunks: chunks)
    }

    /// A new sweep's manifest, or the existing one if it was created from the same spec and
    /// never submitted (a crash before the first submission). A sweep that no scheduler ever
    /// accepted (its submission was refused, e.g. `--tmp` on a node without TmpDisk) takes a
    /// corrected spec: `onReplace` is told which keys changed. Once any job was accepted, the
    /// spec is fixed: its runs exist under that plan.
    public func create(spec: SweepSpec, now: Date = Date(), onReplace: (_ changed: [String]) -> Void = { _ in }) throws -> SweepManifest {
        if FileManager.default.fileExists(atPath: paths.manifest.path) {
            let existing = try paths.load()
            guard existing.submissions.isEmpty else {
                guard existing.spec == spec else {
                    throw JobsError.spec(path: paths.manifest.path, reason: "a sweep named '\(spec.experiment)' was already submitted with a different spec; choose another experiment name, or cancel it (`ptb sweep cancel \(spec.experiment)`) and remove \(paths.root.path).")
                }
                throw JobsError.spec(path: paths.manifest.path, reason: "sweep '\(spec.experiment)' was already submitted; use `ptb sweep status \(spec.experiment)` or `ptb sweep retry \(spec.experiment)`.")
            }
            if existing.spec == spec { return existing }
            let m = try SweepManifest(spec: spec, createdAt: now)
            try paths.save(m)
            onReplace(Self.changedKeys(existing.spec, spec))
            return m
        }
        let m = try SweepManifest(spec: spec, createdAt: now)
        for dir in [paths.root, paths.runs, paths.attempts, paths.logs, paths.submit] {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        }
        try paths.save(m)
        return m
    }

    /// "hours: [10] → [2]" for every top-level key whose value differs, in the spec's key names.
    static func changedKeys(_ a: SweepSpec, _ b: SweepSpec) -> [String] {
        func object(_ s: SweepSpec) -> [String: Any] {
            ((try? JSONIO.encode(s, pretty: false)).flatMap { try? JSONSerialization.jsonObject(with: $0) } as? [String: Any]) ?? [:]
        }
        func text(_ v: Any?) -> String {
            guard let v else { return "(unset)" }
            guard JSONSerialization.isValidJSONObject([v]), let d = try? JSONSerialization.data(withJSONObject: [v], options: [.sortedKeys]) else { return "\(v)" }
            return String(String(decoding: d, as: UTF8.self).dropFirst().dropLast())
        }
        let (x, y) = (object(a), object(b))
        return Set(x.keys).union(y.keys).sorted().compactMap { k in
            let (u, v) = (text(x[k]), text(y[k]))
            return u == v ? nil : "\(k): \(u) → \(v)"
        }
    }

    /// Writes task.sh and the submission files, submits each chunk, records each submission.
    @discardableResult
    public func submit(_ manifest: SweepManifest, runs: [SweepRun], isRetry: Bool, now: @Sendable () -> Date = Date.init) async throws -> SweepManifest {
        var m = manifest
        let plan = try plan(m, runs: runs)
        for dir in [paths.runs, paths.attempts, paths.logs, paths.submit] {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        }
        try AtomicFile.write(plan.taskScript, to: paths.taskScript)
        chmod(paths.taskScript.path, 0o755)
        for (chunk, file) in plan.chunks {
            let url = paths.submit.appendingPathComponent(file.name)
            try AtomicFile.write(file.text, to: url)
            let number = Int(file.name.prefix(3)) ?? (m.submissions.count + 1)
            var sub = Submission(number: number, backend: backend.kind, jobID: backend.provisionalJobID ?? "",
                                 runs: chunk.runs.map(\.id), submittedAt: now(), file: "submit/\(file.name)", isRetry: isRetry)
            if backend.provisionalJobID != nil {
                // The local pool runs inside submit(): record it first so status sees it meanwhile.
                m.submissions.append(sub)
                try paths.save(m)
                _ = try await backend.submit(fileURL: url, runs: chunk.runs, manifest: m, paths: paths)
            } else {
                sub.jobID = try await backend.submit(fileURL: url, runs: chunk.runs, manifest: m, paths: paths)
                m.submissions.append(sub)
                try paths.save(m)
            }
        }
        return m
    }

    /// The merged view of every run.
    public func status(_ m: SweepManifest) async throws -> [SweepRunStatus] {
        let sched = try await backend.states(of: m.submissions, paths: paths)
        var runManifests: [String: RunManifest] = [:]
        var attempts: [String: [AttemptRecord]] = [:]
        for r in m.runs {
            let url = paths.runManifest(r.id)
            if FileManager.default.fileExists(atPath: url.path) {
                runManifests[r.id] = try JSONIO.read(RunManifest.self, from: url)
            }
            attempts[r.id] = AttemptRecord.read(paths.attemptsFile(r.id))
        }
        // The driver's own backend first: it labels its jobs even when no registry lists it.
        return SweepStatusMerger.merge(manifest: m, scheduler: sched, runManifests: runManifests, attempts: attempts,
                                       backends: [type(of: backend)] + SweepBackends.all)
    }

    /// Resubmits only runs that are neither done nor queued/running. Their jobs find the run
    /// directory and resume it (`ptb sweep exec`), so earlier phases and evidence are kept.
    public func retry(_ m: SweepManifest, only: Set<String>? = nil) async throws -> (SweepManifest, [SweepRun]) {
        let statuses = try await status(m)
        let todo = statuses.filter { $0.needsRetry && (only?.contains($0.run.id) ?? true) }.map(\.run)
        guard !todo.isEmpty else { return (m, []) }
        return (try await submit(m, runs: todo, isRetry: true), todo)
    }

    /// Cancels the given runs (all runs of all submissions when nil) where the scheduler still has them.
    public func cancel(_ m: SweepManifest, runs: Set<String>? = nil) async throws {
        for sub in m.submissions {
            if let runs {
                // Only runs whose latest submission is this one: an old array's task is long gone.
                let mine = sub.runs.filter { runs.contains($0) && m.latestSubmission(of: $0)?.number == sub.number }
                if !mine.isEmpty { try await backend.cancel(sub, runs: mine, paths: paths) }
            } else {
                try await backend.cancel(sub, runs: nil, paths: paths)
            }
        }
    }
}

extension SweepManifest {
    /// The RunSpec `ptb sweep exec` starts a run with (the sweep's per-run settings applied).
    public func runSpec(for run: SweepRun) -> RunSpec {
        var s = RunSpec(task: run.task, model: run.model, agent: run.agent)
        // The shared options first: the matrix's values below are the run's own.
        s.apply(spec.options)
        s.agentConfig = spec.agentConfigs[run.agent]
        s.hours = run.hours
        s.gpus = run.gpus
        s.seed = run.seed
        // The leaderboard's method is the run's name, one configuration each as the original's
        // results/<method>/: every axis the sweep varies besides task, model and seed (agent,
        // time budget, GPUs) is part of it, so no two configurations share a row.
        var name = experiment
        if spec.agents.count > 1 { name += "-\(run.agent)" }
        if Set(spec.hours).count > 1 { name += "-\(RunSpec.formatHours(run.hours))h" }
        if Set(spec.gpus).count > 1 { name += "-\(run.gpus)gpu" }
        s.name = name
        return s
    }
}
