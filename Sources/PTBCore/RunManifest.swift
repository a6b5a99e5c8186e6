import Foundation

/// The live process of a phase, recorded so that `resume` after a SIGKILL of ptb can find and
/// stop what the dead ptb left behind.
public struct LiveProcess: Codable, Sendable, Equatable {
    public var pid: Int32
    public var processGroup: Int32
    /// Kernel start time (jiffies since boot) guards against pid reuse.
    public var startTicks: UInt64?
    public init(pid: Int32, processGroup: Int32, startTicks: UInt64?) {
        self.pid = pid
        self.processGroup = processGroup
        self.startTicks = startTicks
    }
}

/// The agent's time past its deadline (inside the grace before SIGTERM) and whether
/// `final_model` changed after the deadline, which `timer.sh` announced as "Timer expired!".
public struct Lateness: Codable, Sendable, Equatable {
    /// Seconds from the deadline to the agent's exit; 0 when it ended in time.
    public var secondsPastDeadline: Double
    public var finalModelChangedAfterDeadline: Bool
    /// What changed (relative paths, at most 20); "final_model" itself when it appeared or vanished.
    public var changed: [String]
    /// True when final_model was compared by content against a snapshot taken at the deadline;
    /// false when only modification times were left (ptb restarted past it); nil when in time.
    public var comparedByContent: Bool?
    public init(secondsPastDeadline: Double, finalModelChangedAfterDeadline: Bool, changed: [String], comparedByContent: Bool? = nil) {
        self.secondsPastDeadline = secondsPastDeadline
        self.finalModelChangedAfterDeadline = finalModelChangedAfterDeadline
        self.changed = changed
        self.comparedByContent = comparedByContent
    }
}

/// `run.json`: the source of truth for one run. Written atomically after every state change.
public struct RunManifest: Codable, Sendable, Equatable {
    public static let currentSchema = 1
    public var schemaVersion: Int
    public var id: String
    public var spec: RunSpec
    public var createdAt: Date
    /// Fixed at preparation: `timer.sh` and the agent's hard limit count from here.
    public var deadline: Date?
    public var phases: [String: PhaseRecord]
    public var exit: ExitClass?
    public var outcome: RunOutcome
    public var failure: String?
    public var live: LiveProcess?
    /// How the agent's end stood against its deadline; nil for runs whose agent phase has not
    /// ended (or ended before ptb recorded this).
    public var lateness: Lateness?
    public var ptbVersion: String

    public init(id: String, spec: RunSpec, createdAt: Date, ptbVersion: String) {
        self.schemaVersion = Self.currentSchema
        self.id = id
        self.spec = spec
        self.createdAt = createdAt
        self.phases = Dictionary(uniqueKeysWithValues: Phase.allCases.map { ($0.rawValue, PhaseRecord()) })
        self.outcome = .pending
        self.ptbVersion = ptbVersion
    }

    public subscript(phase: Phase) -> PhaseRecord {
        get {
            if let r = phases[phase.rawValue] { return r }
            // A run from before the baseline phase evaluated the base inside `evaluate`.
            if phase == .baseline, let e = phases[Phase.evaluate.rawValue], e.isFinished {
                return PhaseRecord(state: .skipped, detail: "part of evaluate (a run from before the baseline phase)")
            }
            return PhaseRecord()
        }
        set { phases[phase.rawValue] = newValue }
    }

    /// The first phase that is not done or skipped; nil when the run is complete.
    public var nextPhase: Phase? {
        Phase.allCases.first { !self[$0].isFinished }
    }

    /// The phase shown to users: the running one, else the next to run, else `record`.
    public var currentPhase: Phase {
        Phase.allCases.first { self[$0].state == .running } ?? nextPhase ?? .record
    }
}
