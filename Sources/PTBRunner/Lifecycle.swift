import Foundation
import PTBAgents
import PTBCore
import PTBExecution
import PTBIntegrity
import PTBProcess
import PTBSandbox
import PTBTasks
#if canImport(Glibc)
import Glibc
#endif

public enum PhaseOutcome: Sendable {
    case done(String?)
    /// The phase could not do its job; the run stops here (resume retries this phase).
    case failed(String)
    /// The agent or its sandbox never started (the reason says what to fix); the run stops as
    /// `failed-to-start` and resume retries this phase.
    case failedToStart(String)
}

/// What every phase sees.
struct PhaseContext: Sendable {
    let harness: Harness
    let paths: RunPaths
    let task: any EvalTask
    let model: ModelInfo
    let agent: any AgentAdapter

    func save(_ m: RunManifest) throws { try RunStore.save(m, paths) }

    /// The base model's directory in `$PTB_HOME/models` or the Hugging Face cache.
    func baseModelDirectory() throws -> URL {
        try ModelCatalog.resolveDirectory(model, home: harness.home, env: harness.environment)
    }
}

/// Drives a run through `prepare → agent → collect → integrity → evaluate → baseline → record`.
/// Every state change is written to run.json before and after a phase, so a SIGKILL at any
/// moment loses nothing recorded, and `resume` continues at the first unfinished phase.
public struct Lifecycle: Sendable {
    public let harness: Harness
    public let paths: RunPaths

    public init(harness: Harness, paths: RunPaths) {
        self.harness = harness
        self.paths = paths
    }

    /// Checks task, model and agent of a spec; the error lists the valid choices.
    public static func validate(_ spec: RunSpec, home: PTBHome) throws {
        _ = try TaskRegistry.lookup(spec.task)
        _ = try ModelCatalog.load(home: home).lookup(spec.model, revision: spec.modelRevision)
        try AgentRegistry.validate(agent: spec.agent, config: spec.agentConfig, home: home)
        _ = try Sandboxes.type(spec.sandbox)
        // Finite and at most a year: the budget becomes whole seconds in timer.sh and the deadline.
        guard spec.hours.isFinite, spec.hours > 0, spec.hours <= 8760 else {
            throw PTBError.invalidArgument("--hours must be a positive number of hours, at most 8760 (got \(spec.hours)).")
        }
        if let n = spec.evalLimit, n < 1 {
            throw PTBError.invalidArgument("--eval-limit must be at least 1 (got \(n)); leave it out to evaluate the whole test split.")
        }
        for (name, v) in [("--term-grace-seconds", spec.termGraceSeconds), ("--kill-after-seconds", spec.killAfterSeconds),
                          ("--monitor-interval-seconds", spec.monitorIntervalSeconds)] where !(v.isFinite && v >= 0 && v <= 86_400 * 30) {
            throw PTBError.invalidArgument("\(name) must be between 0 and 2592000 seconds (got \(v)).")
        }
        for judge in spec.judges ?? [] { _ = try IntegrityJudge.resolve(judge, home: home) }
        if let h = spec.judgeHours, h <= 0 { throw PTBError.invalidArgument("--judge-hours must be positive (got \(h)).") }
        guard spec.gpus >= 0 else { throw PTBError.invalidArgument("--gpus must be 0 or more (got \(spec.gpus)).") }
        try spec.scoringJudge?.validate()
    }

    @discardableResult
    public func run() async throws -> RunManifest {
        let lock = try RunLock.acquire(paths)
        defer { withExtendedLifetime(lock) {} }
        // driver.json says which process drives the run, so that `ptb status` can tell a run
        // whose ptb died (interrupted) from one that is running, also from another node.
        let dir = paths.dir
        return try await withThrowingTaskGroup(of: RunManifest?.self) { group in
            group.addTask { await RunLiveness.heartbeat(runDir: dir); return nil }
            group.addTask { try await drive() }
            defer { group.cancelAll() }
            while let r = try await group.next() {
                if let m = r { return m }
            }
            throw CancellationError()
        }
    }

    private func drive() async throws -> RunManifest {
        var m = try RunStore.load(paths)
        if m.outcome == .done, m.nextPhase == nil { return m }
        let ctx = PhaseContext(harness: harness, paths: paths, task: try TaskRegistry.lookup(m.spec.task),
                               model: try ModelCatalog.load(home: harness.home).lookup(m.spec.model, revision: m.spec.modelRevision),
                               agent: try AgentRegistry.resolve(agent: m.spec.agent, config: m.spec.agentConfig, home: harness.home))
        m.outcome = .running
        m.failure = nil
        try ctx.save(m)

        while let phase = m.nextPhase {
            var rec = m[phase]
            rec.state = .running
            rec.attempts += 1
            rec.startedAt = Date()
            rec.endedAt = nil
            rec.detail = nil
            m[phase] = rec
            try ctx.save(m)
            harness.log("[\(phase.rawValue)] started (attempt \(rec.attempts))")

            let outcome: PhaseOutcome
            do {
                outcome = try await Self.execute(phase, ctx, &m)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                outcome = .failed("\(error)")
            }
            if harness.runner.registry.isShuttingDown {
                // ptb is exiting on a signal and stopped this phase's children: leave the phase
                // as running (resume redoes it) and wait for the signal handler to exit.
                while true { try await Task.sleep(for: .seconds(60)) }
            }
            m[phase].endedAt = Date()
            switch outcome {
            case .done(let detail):
                m[phase].state = .done
                m[phase].detail = detail
                try ctx.save(m)
                harness.log("[\(phase.rawValue)] done" + (detail.map { ": \($0)" } ?? ""))
                Self.testHook(after: phase)
            case .failed(let reason), .failedToStart(let reason):
                m[phase].state = .failed
                m[phase].detail = reason
                m.failure = "\(phase.rawValue): \(reason)"
                if case .failedToStart = outcome { m.outcome = .failedToStart } else { m.outcome = .failed }
                try ctx.save(m)
                harness.log("[\(phase.rawValue)] FAILED: \(reason)")
                // The result says what happened even though the run stopped early.
                _ = try? RecordPhase.writeResult(ctx, m, strict: false)
                RecordPhase.index(ctx, m)
                return m
            }
        }
        m.outcome = .done
        try ctx.save(m)
        RecordPhase.index(ctx, m)
        return m
    }

    /// `ptb check`: the integrity phase again on a run whose agent phase is over (a judge that
    /// failed, a new reference checkpoint, another policy). The result and index follow.
    public func recheckIntegrity(policy: IntegrityPolicy? = nil, judges: [String]? = nil) async throws -> IntegrityReport {
        let lock = try RunLock.acquire(paths)
        defer { withExtendedLifetime(lock) {} }
        var m = try RunStore.load(paths)
        guard m[.collect].state == .done else {
            throw PTBError.invalidArgument("run \(m.id) has not finished its collect phase (\(m[.collect].state.rawValue)); finish it with `ptb resume \(m.id)` first.")
        }
        if let policy { m.spec.integrityPolicy = policy }
        if let judges { m.spec.judges = judges }
        try Self.validate(m.spec, home: harness.home)
        let ctx = PhaseContext(harness: harness, paths: paths, task: try TaskRegistry.lookup(m.spec.task),
                               model: try ModelCatalog.load(home: harness.home).lookup(m.spec.model, revision: m.spec.modelRevision),
                               agent: try AgentRegistry.resolve(agent: m.spec.agent, config: m.spec.agentConfig, home: harness.home))
        let started = Date()
        let report = try await IntegrityPhase.check(ctx, m)
        try JSONIO.write(report, to: paths.integrity)
        m[.integrity].state = .done
        m[.integrity].startedAt = started
        m[.integrity].endedAt = Date()
        m[.integrity].detail = (report.flagged ? "FLAGGED: " + report.reasons.joined(separator: "; ") : "clean") + " (ptb check)"
        try ctx.save(m)
        if m[.record].state == .done {
            try RecordPhase.writeResult(ctx, m)
            RecordPhase.index(ctx, m)
        }
        return report
    }

    static func execute(_ phase: Phase, _ ctx: PhaseContext, _ m: inout RunManifest) async throws -> PhaseOutcome {
        switch phase {
        case .prepare: try PreparePhase.run(ctx, &m)
        case .agent: try await AgentPhase.run(ctx, &m)
        case .collect: try await CollectPhase.run(ctx, &m)
        case .integrity: try await IntegrityPhase.run(ctx, &m)
        case .evaluate: try await EvaluatePhase.run(ctx, &m)
        case .baseline: try await BaselinePhase.run(ctx, &m)
        case .record: try RecordPhase.run(ctx, &m)
        }
    }

    /// Test hook: `PTB_TEST_KILL_AFTER=<phase>` SIGKILLs ptb right after that phase is recorded,
    /// so tests can prove resume works at every phase boundary.
    static func testHook(after phase: Phase) {
        if ProcessInfo.processInfo.environment["PTB_TEST_KILL_AFTER"] == phase.rawValue {
            kill(getpid(), SIGKILL)
        }
    }
}
