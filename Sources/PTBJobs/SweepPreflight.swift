import Foundation
import PTBCore

/// One line of `ptb doctor --json` as the preflight job reports it (the shape of PTBRunner's
/// DoctorResult, decoded here so that PTBJobs needs no runner).
public struct PreflightCheck: Codable, Sendable, Equatable {
    public var check: String
    public var status: String
    public var detail: String
    public var fix: String?

    public init(check: String, status: String, detail: String, fix: String? = nil) {
        self.check = check
        self.status = status
        self.detail = detail
        self.fix = fix
    }

    public var failed: Bool { status == "fail" }
    public var line: String { "\(status.uppercased()) \(check): \(detail)" + (fix.map { " — fix: \($0)" } ?? "") }
}

/// What the preflight job found, and where.
public struct PreflightReport: Sendable, Equatable {
    public var jobID: String
    public var node: String?
    public var checks: [PreflightCheck]
    public var passed: Bool { !checks.isEmpty && !checks.contains(where: \.failed) }

    public init(jobID: String, node: String?, checks: [PreflightCheck]) {
        self.jobID = jobID
        self.node = node
        self.checks = checks
    }
}

/// `ptb sweep submit --preflight`: before the sweep, one short job with the sweep's resources (its
/// largest GPU count) runs `ptb doctor --json` on whatever compute node the scheduler picks, so a
/// broken node, image or cache shows in minutes instead of in hundreds of failed runs. It is an
/// ordinary one-run sweep under `<sweep>/preflight/`, through the same backend, task.sh and
/// attempt records as the real one.
public struct SweepPreflight: Sendable {
    public let backend: any SweepBackend
    /// The sweep's own directory; the preflight lives in its `preflight/` subdirectory.
    public let sweep: SweepPaths
    public let ptb: String
    public let ptbHome: String?
    /// Given to `ptb doctor` after the ones taken from the spec (e.g. `--min-free-gb 100`).
    public var doctorArguments: [String]
    /// How long to wait for the job (queueing included) before cancelling it.
    public var timeout: Duration
    public var pollInterval: Duration

    public init(backend: any SweepBackend, sweep: SweepPaths, ptb: String, ptbHome: String?, doctorArguments: [String] = [],
                timeout: Duration = .seconds(3600), pollInterval: Duration = .seconds(5)) {
        self.backend = backend
        self.sweep = sweep
        self.ptb = ptb
        self.ptbHome = ptbHome
        self.doctorArguments = doctorArguments
        self.timeout = timeout
        self.pollInterval = pollInterval
    }

    public var paths: SweepPaths { SweepPaths(root: sweep.root.appendingPathComponent("preflight")) }
    public var reportURL: URL { paths.root.appendingPathComponent("doctor.json") }

    /// `ptb doctor` options for what the sweep's runs need.
    public static func doctorArguments(for spec: SweepSpec) -> [String] {
        var a: [String] = []
        for m in spec.models { a += ["--model", m] }
        // Agents defined by a config file are resolved by the runs with that file; doctor checks built-in ones.
        for g in spec.agents where spec.agentConfigs[g] == nil { a += ["--agent", g] }
        a += ["--gpus", String(spec.gpus.max() ?? 0), "--runs-dir", spec.resultsDir]
        if let s = spec.options.sandbox { a += ["--sandbox", s.rawValue] }
        return a
    }

    /// The one-run spec of the preflight job: the sweep's resources and largest GPU count, a
    /// budget of minutes, and doctor as the command.
    public func spec(for s: SweepSpec) -> SweepSpec {
        var p = s
        p.experiment = s.experiment + "-preflight"
        p.agents = [s.agents.first ?? "none"]
        p.models = [s.models.first ?? "tiny"]
        p.tasks = [s.tasks.first ?? "arith"]
        p.seeds = [0]
        p.hours = [0.01]
        p.gpus = [s.gpus.max() ?? 0]
        p.resultsDir = sweep.root.path
        // Doctor's slowest checks (the engine import, the CUDA precheck) take a few minutes at worst.
        p.resources.evaluationHours = 0
        p.resources.marginMinutes = 20
        p.throttle = SweepThrottle()
        p.command = ["/bin/sh", "-c", #"out="$PTB_SWEEP_DIR/doctor.json"; "$0" doctor --json "$@" > "$out.part"; rc=$?; mv "$out.part" "$out"; exit $rc"#,
                     ptb] + Self.doctorArguments(for: s) + doctorArguments
        return p
    }

    /// Submits the preflight job, waits for it and returns doctor's report. A job that ends
    /// without one (refused, killed, ptb missing on the node) throws with its state and log.
    public func run(_ s: SweepSpec, log: @Sendable (String) -> Void = { _ in }) async throws -> PreflightReport {
        let spec = spec(for: s)
        // A fresh directory each time: an old report must never pass for a new one.
        try? FileManager.default.removeItem(at: paths.root)
        let driver = SweepDriver(backend: backend, paths: paths, ptb: ptb, ptbHome: ptbHome)
        let m = try driver.create(spec: spec)
        let submitted = try await driver.submit(m, runs: m.runs, isRetry: false)
        guard let sub = submitted.submissions.last else { throw JobsError.unsupported("the preflight job was not submitted") }
        log("preflight: job \(sub.jobID) runs `ptb doctor` with the sweep's resources (\(spec.gpus[0]) GPU(s)); waiting for it")
        let deadline = ContinuousClock.now + timeout
        var last: [SweepRunStatus] = []
        var said = ""
        while true {
            last = try await driver.status(try paths.load())
            if let r = last.first, r.state != .pending, r.state != .running { break }
            let now = last.first.map { "\($0.state.rawValue)\($0.scheduler.map { " (\($0))" } ?? "")" } ?? "unknown"
            if now != said { log("preflight: \(now)"); said = now }
            if ContinuousClock.now >= deadline {
                let queue = type(of: backend).queueCommand
                try? await driver.cancel(try paths.load())
                throw JobsError.unsupported("the preflight job \(sub.jobID) did not finish within \(timeout) (last state: \(now)); it was cancelled. Raise --preflight-timeout\(queue.map { ", or check the queue (`\($0)`) for why it waits" } ?? "").")
            }
            try await Task.sleep(for: pollInterval)
        }
        let node = AttemptRecord.read(paths.attemptsFile(m.runs[0].id)).last?.host
        guard let data = FileManager.default.contents(atPath: reportURL.path), !data.isEmpty,
              let checks = try? JSONDecoder().decode([PreflightCheck].self, from: data) else {
            let logTail = Self.tail(of: paths.logs)
            throw JobsError.unsupported("the preflight job \(sub.jobID) ended (\(last.first?.scheduler?.description ?? last.first?.state.rawValue ?? "unknown")) without a doctor report at \(reportURL.path). Check that \(ptb) exists on the compute nodes (set `ptb:` in the spec to a path on the shared filesystem).\(logTail.isEmpty ? "" : " Its log ends:\n\(logTail)")")
        }
        return PreflightReport(jobID: sub.jobID, node: node, checks: checks)
    }

    static func tail(of logs: URL) -> String {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: logs.path)) ?? []).sorted()
        let text = files.compactMap { try? String(contentsOf: logs.appendingPathComponent($0), encoding: .utf8) }.joined(separator: "\n")
        return text.split(separator: "\n").suffix(10).joined(separator: "\n")
    }
}

extension SweepPreflight {
    /// The preflight job's task.sh and submission file, as `run` would write them (for --dry-run).
    public func plan(_ s: SweepSpec) throws -> SweepDriver.Plan {
        let m = try SweepManifest(spec: spec(for: s), createdAt: Date())
        return try SweepDriver(backend: backend, paths: paths, ptb: ptb, ptbHome: ptbHome).plan(m, runs: m.runs)
    }
}
