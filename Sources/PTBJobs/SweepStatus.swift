import Foundation
import PTBCore

/// Where one run of a sweep stands, merged from the scheduler, the run's run.json and task.sh's
/// attempt records.
public enum SweepRunState: String, Codable, Sendable {
    case notSubmitted = "not-submitted"
    case pending, running, done, failed
}

/// Why a run failed, in the terms a sweep operator acts on.
public enum FailureReason: Sendable, Equatable, CustomStringConvertible {
    /// The CUDA precheck found fewer GPUs than requested (`no-gpu`).
    case noGPU
    /// The scheduler's wall time ran out, or the agent overran its budget without a model.
    case timeout
    case agentError(String)
    case evaluationFailed(String)
    case preempted
    case cancelled
    case nodeFailure
    case outOfMemory
    /// Another phase failed (prepare, collect, integrity, record), with its detail.
    case phase(String, String)
    /// A job ended with this exit status and left no run.json that says more.
    case exit(Int?)
    /// The job is gone and nothing recorded why.
    case lost(String)

    public var description: String {
        switch self {
        case .noGPU: "no GPU"
        case .timeout: "timeout"
        case .agentError(let d): "agent error" + (d.isEmpty ? "" : ": \(d)")
        case .evaluationFailed(let d): "evaluation failed" + (d.isEmpty ? "" : ": \(d)")
        case .preempted: "preempted"
        case .cancelled: "cancelled"
        case .nodeFailure: "node failure"
        case .outOfMemory: "out of memory"
        case let .phase(p, d): "\(p) failed: \(d)"
        case .exit(let c): "job exited " + (c.map(String.init) ?? "with an unknown status")
        case .lost(let d): "lost: \(d)"
        }
    }
}

public struct SweepRunStatus: Sendable, Equatable {
    public var run: SweepRun
    public var state: SweepRunState
    /// The run's current phase (from run.json) while it runs or where it stopped.
    public var phase: Phase?
    public var reason: FailureReason?
    /// The scheduler job of the latest submission (`<array>_<index>`, `<cluster>.<proc>`, `local-…_i`).
    public var job: String?
    public var scheduler: SchedulerState?
    /// How many times a job started this run (from attempts/<run>.jsonl).
    public var attempts: Int

    /// Not done and not queued or running: what `retry` resubmits.
    public var needsRetry: Bool { state == .failed || state == .notSubmitted }
}

public enum SweepStatusMerger {
    /// Pure merge, so every combination is unit-tested without a scheduler.
    /// `backends`: where each submission's backend is looked up for its job labels.
    public static func merge(manifest m: SweepManifest, scheduler: [String: SchedulerState],
                             runManifests: [String: RunManifest], attempts: [String: [AttemptRecord]],
                             backends: [any SweepBackend.Type] = SweepBackends.all) -> [SweepRunStatus] {
        m.runs.map { run in
            let sub = m.latestSubmission(of: run.id)
            var st = SweepRunStatus(run: run, state: .notSubmitted, phase: nil, reason: nil,
                                    job: sub.map { jobLabel($0, run: run.id, backends: backends) }, scheduler: scheduler[run.id],
                                    attempts: (attempts[run.id] ?? []).filter { $0.event == "start" }.count)
            let rm = runManifests[run.id]
            let last = attempts[run.id]?.last
            st.phase = rm.map { $0.outcome == .done ? .record : $0.currentPhase }
            if sub == nil && rm == nil { return st }

            // 1. The scheduler still has the job: it decides pending vs running.
            if let s = st.scheduler, s.isActive {
                switch s {
                case .running: st.state = .running
                default: st.state = .pending
                }
                return st
            }
            // 2. run.json knows best how a ptb run ended.
            if let rm, rm.outcome == .done {
                st.state = .done
                return st
            }
            if let rm, rm.outcome.isFailure {
                st.state = .failed
                st.reason = reason(from: rm)
                return st
            }
            // 3. A custom `command` job has no run.json: its exit status is the outcome.
            if rm == nil, m.spec.command != nil, let last, last.event == "end", last.exit == 0, last.signal == nil {
                st.state = .done
                return st
            }
            // 4. The job is gone mid-run or failed before ptb could record anything.
            st.state = .failed
            st.reason = reason(scheduler: st.scheduler, last: last, manifest: rm, submitted: sub != nil)
            return st
        }
    }

    /// The scheduler's name for a run's job, as its backend's file forms it; a backend missing
    /// from `backends` (a sweep.json from another ptb) shows its bare `<job id>_<index>`.
    static func jobLabel(_ sub: Submission, run: String, backends: [any SweepBackend.Type]) -> String {
        let i = sub.runs.firstIndex(of: run) ?? 0
        return SweepBackends.type(named: sub.backend, in: backends)?.jobLabel(jobID: sub.jobID, index: i) ?? "\(sub.jobID)_\(i)"
    }

    /// A failed run.json: the exit class and the failing phase name the reason.
    static func reason(from rm: RunManifest) -> FailureReason {
        if rm.exit == .noGPU { return .noGPU }
        let failure = rm.failure ?? ""
        let phaseName = failure.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        let detail = failure.split(separator: ":", maxSplits: 1).dropFirst().first.map { $0.trimmingCharacters(in: .whitespaces) } ?? failure
        switch Phase(rawValue: phaseName) {
        case .agent?: return rm.exit == .timeout ? .timeout : .agentError(detail)
        case .evaluate?: return .evaluationFailed(detail)
        case let p?: return .phase(p.rawValue, detail)
        case nil:
            if rm.exit == .timeout { return .timeout }
            return .lost(failure.isEmpty ? "run.json says failed without a reason" : failure)
        }
    }

    /// Scheduler-specific reasons win (they say *why* the job died); then the attempt record.
    static func reason(scheduler: SchedulerState?, last: AttemptRecord?, manifest rm: RunManifest?, submitted: Bool) -> FailureReason {
        switch scheduler {
        case .timeout?: return .timeout
        case .preempted?: return .preempted
        case .nodeFailure?: return .nodeFailure
        case .outOfMemory?: return .outOfMemory
        case .cancelled?: return .cancelled
        default: break
        }
        if let last, last.event == "end" {
            if last.signal != nil { return .cancelled }
            if let rm, last.exit == 0 { return .lost("job exited 0 with the run in phase \(rm.currentPhase.rawValue)") }
            return .exit(last.exit)
        }
        if case .failed(let code)? = scheduler { return .exit(code) }
        if let rm { return .lost("job gone while the run was in phase \(rm.currentPhase.rawValue)") }
        if let last, last.event == "start" { return .lost("job started on \(last.host ?? "?") and ended without a record") }
        if case .completed? = scheduler { return .lost("job completed but left no run.json; see logs/") }
        return .lost(submitted ? "the scheduler no longer knows the job and it left no record (see logs/)" : "never submitted")
    }
}
