import Foundation
import PTBCore
import PTBProcess

/// What a scheduler says about one job (one array task / HTCondor process / local slot).
public enum SchedulerState: Sendable, Equatable, CustomStringConvertible {
    case pending(reason: String?)
    case running(node: String?)
    case completed
    case failed(exitCode: Int?)
    case cancelled
    case timeout
    case preempted
    case nodeFailure
    case outOfMemory
    case held(reason: String?)
    case other(String)

    public var isActive: Bool {
        switch self {
        case .pending, .running, .held: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .pending(let r): "pending" + (r.map { " (\($0))" } ?? "")
        case .running(let n): "running" + (n.map { " on \($0)" } ?? "")
        case .completed: "completed"
        case .failed(let c): "failed" + (c.map { " (exit \($0))" } ?? "")
        case .cancelled: "cancelled"
        case .timeout: "timeout"
        case .preempted: "preempted"
        case .nodeFailure: "node failure"
        case .outOfMemory: "out of memory"
        case .held(let r): "held" + (r.map { " (\($0))" } ?? "")
        case .other(let s): s
        }
    }
}

/// A file a backend hands to its scheduler, exactly as written (golden tests and --dry-run).
public struct SubmissionFile: Sendable, Equatable {
    public var name: String
    public var text: String
    public init(name: String, text: String) {
        self.name = name
        self.text = text
    }
}

/// Runs scheduler commands; injected so tests can replay recorded scheduler output.
public protocol CommandExecuting: Sendable {
    /// Runs to completion; returns the exit and the merged stdout+stderr.
    func execute(_ command: Command) async throws -> (Termination, String)
}

/// The real thing, through PTBProcess (own process group, stopped with ptb on Ctrl-C).
public struct ProcessCommandExecutor: CommandExecuting {
    public let runner: ProcessRunner
    public let environment: [String: String]

    public init(runner: ProcessRunner, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.runner = runner
        self.environment = environment
    }

    public func execute(_ command: Command) async throws -> (Termination, String) {
        var c = command
        if c.environment.isEmpty { c.environment = environment }
        let (t, lines) = try await runner.run(c, tail: Int.max)
        return (t, lines.joined(separator: "\n"))
    }
}

/// One scheduler behind `ptb sweep`: render the submission, submit it, read state, cancel.
///
/// Everything ptb knows of a scheduler is in its conforming type's file: the name a spec uses,
/// how a spec makes one, how its jobs are named, how `ptb doctor` reaches it. Listing the type in
/// `SweepBackends.all` is the one line outside that file.
public protocol SweepBackend: Sendable {
    /// The name in a spec's `backend:`, `ptb doctor --backend` and sweep.json.
    static var kind: BackendKind { get }

    /// The backend a spec asks for. `executor` runs scheduler commands; `runner` starts
    /// processes directly (the local pool); `log` reaches the user's terminal.
    static func make(spec: SweepSpec, runner: ProcessRunner, executor: any CommandExecuting,
                     log: @escaping @Sendable (String) -> Void) async -> Self

    /// What `ptb sweep status` shows for job `index` of a submission whose scheduler id is
    /// `jobID`: the scheduler's own name for it (`4100_3`, `811.3`), so users can look it up there.
    static func jobLabel(jobID: String, index: Int) -> String

    /// The command `ptb doctor --backend NAME` runs to tell that the scheduler answers from this
    /// machine; nil when the backend needs no scheduler (the local pool).
    static var doctorProbe: SchedulerProbe? { get }

    /// The command that lists this scheduler's queue (`squeue`), named when a preflight job
    /// waits too long; nil when there is no queue to look at.
    static var queueCommand: String? { get }

    /// How task.sh names its job from variables the scheduler sets, tried in order:
    /// `(variable, job)` means `if [ -n "$variable" ]; then JOB="job"`. Empty (the default) when
    /// the submission file or the pool sets PTB_SWEEP_JOB instead.
    static var jobFromEnvironment: [(variable: String, job: String)] { get }

    /// The exact file that `submit` gives the scheduler for these runs (submission `number`).
    func submissionFile(runs: [SweepRun], number: Int, manifest: SweepManifest, paths: SweepPaths) throws -> SubmissionFile

    /// Submits a file written at `fileURL`; returns the scheduler's job id.
    func submit(fileURL: URL, runs: [SweepRun], manifest: SweepManifest, paths: SweepPaths) async throws -> String

    /// The scheduler's view of every run of these submissions it still knows, by run id.
    /// A later submission's state overrides an earlier one's (a retry supersedes the first try).
    func states(of submissions: [Submission], paths: SweepPaths) async throws -> [String: SchedulerState]

    /// Cancels the given runs of a submission (all of them when `runs` is nil).
    func cancel(_ submission: Submission, runs: [String]?, paths: SweepPaths) async throws

    var provisionalJobID: String? { get }

    /// Whether one submission must share one resource request (job arrays do); the local pool
    /// takes mixed GPU counts in one go.
    var needsUniformResources: Bool { get }
}

extension SweepBackend {
    public var kind: BackendKind { Self.kind }

    public static var queueCommand: String? { nil }

    public static var jobFromEnvironment: [(variable: String, job: String)] { [] }

    /// A job id known before `submit` returns (the local pool runs inside `submit`); nil for
    /// schedulers, whose id comes from the submission itself.
    public var provisionalJobID: String? { nil }

    public var needsUniformResources: Bool { true }

    func require(_ result: (Termination, String), _ command: Command, submit: Bool) throws -> String {
        guard result.0.succeeded else {
            let out = result.1.isEmpty ? result.0.description : result.1
            throw submit ? JobsError.submitFailed(backend: kind.rawValue, command: command.display, output: out)
                : JobsError.schedulerQuery(backend: kind.rawValue, command: command.display, output: out)
        }
        return result.1
    }
}

enum JSONText {
    /// The JSON object or array in a command's merged output: schedulers print warnings on
    /// stderr, which the runner merges into stdout.
    static func extract(_ text: String) -> Data? {
        guard let start = text.firstIndex(where: { $0 == "{" || $0 == "[" }) else { return nil }
        let close: Character = text[start] == "{" ? "}" : "]"
        guard let end = text.lastIndex(of: close), end > start else { return nil }
        return Data(text[start...end].utf8)
    }

    static func object(_ text: String, what: String) throws -> Any {
        guard let data = extract(text) else { throw JobsError.unparsable(what: what, reason: "no JSON in the output: \(text.prefix(300))") }
        do { return try JSONSerialization.jsonObject(with: data) } catch {
            throw JobsError.unparsable(what: what, reason: "\(error)")
        }
    }

    /// An integer that Slurm writes either plainly (22.05) or as {"set":…,"number":…} (23.02+).
    static func int(_ v: Any?) -> Int? {
        switch v {
        case let n as Int: return n
        case let n as NSNumber: return n.intValue
        case let s as String: return Int(s)
        case let d as [String: Any]:
            if let set = d["set"] as? Bool, !set { return nil }
            return int(d["number"])
        default: return nil
        }
    }

    /// A state that is a string (22.05) or a list of flags (23.02+: ["RUNNING"], ["PENDING","REQUEUED"]).
    static func string(_ v: Any?) -> String? {
        switch v {
        case let s as String: return s
        case let a as [Any]: return a.compactMap { $0 as? String }.first
        default: return nil
        }
    }
}

extension SweepBackend {
    /// The first run of a chunk whose runs share one resource request (hours × GPUs), which a
    /// job array or a submit description needs; `unit` names that submission in the error.
    func firstOfUniformChunk(_ runs: [SweepRun], unit: String) throws -> SweepRun {
        guard let first = runs.first else { throw JobsError.unsupported("nothing to submit: the run list is empty.") }
        guard runs.allSatisfy({ $0.hours == first.hours && $0.gpus == first.gpus }) else {
            throw JobsError.unsupported("one \(unit) needs one resource request; split runs by hours and gpus (SweepChunk.make does).")
        }
        return first
    }
}
