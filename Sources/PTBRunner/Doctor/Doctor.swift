import Foundation
import PTBCore
import PTBProcess

/// One preflight finding: what was checked, what was found, and for a failure what to do.
public struct DoctorResult: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case pass, fail
        /// Not a failure, but a limit of this node worth knowing (no GPU on a CPU machine).
        case warn
        /// Not asked for (no Slurm backend chosen).
        case skip
    }
    public var check: String
    public var status: Status
    public var detail: String
    public var fix: String?

    public init(_ check: String, _ status: Status, _ detail: String, fix: String? = nil) {
        self.check = check
        self.status = status
        self.detail = detail
        self.fix = fix
    }

    /// `PASS sandbox: …` / `FAIL disk: … — fix: …`.
    public var line: String {
        "\(status.rawValue.uppercased()) \(check): \(detail)" + (fix.map { " — fix: \($0)" } ?? "")
    }
}

/// What the checks look at: the node, ptb's home and what the coming runs need.
public struct DoctorContext: Sendable {
    public var harness: Harness
    /// Base models the runs or sweep will use (checked in the HF cache).
    public var models: [String]
    /// Datasets the agents are expected to find in the HF cache.
    public var datasets: [String]
    /// Agents whose CLI and credentials are checked (empty: every CLI agent ptb knows, reported but not required).
    public var agents: [String]
    /// Free space the runs directory's disk needs, in GB.
    public var minFreeGB: Double
    public var runsDir: URL
    public var sandbox: SandboxKind
    /// GPUs the runs ask for: with > 0, no usable GPU is a failure, not a warning.
    public var gpus: Int
    /// The backend a sweep will be submitted to (`slurm`), when one will.
    public var backend: String?
    /// Every backend name a sweep can use, in the order advice lists them (PTBJobs'
    /// `SweepBackends.names`: the doctor sits below the sweep module, so the command passes them).
    public var backends: [String]
    /// The reachability probe of each backend that needs a scheduler, by name; a listed backend
    /// without one needs none (the local pool).
    public var schedulerProbes: [String: SchedulerProbe]

    public init(harness: Harness, models: [String] = [], datasets: [String] = [], agents: [String] = [], minFreeGB: Double = 50,
                runsDir: URL, sandbox: SandboxKind = .bwrap, gpus: Int = 0, backend: String? = nil,
                backends: [String] = [], schedulerProbes: [String: SchedulerProbe] = [:]) {
        self.harness = harness
        self.models = models
        self.datasets = datasets
        self.agents = agents
        self.minFreeGB = minFreeGB
        self.runsDir = runsDir
        self.sandbox = sandbox
        self.gpus = gpus
        self.backend = backend
        self.backends = backends
        self.schedulerProbes = schedulerProbes
    }

    var env: [String: String] { harness.environment }

    /// Runs `command` with a wall-clock limit (coreutils `timeout`), returning its exit and output.
    func run(_ command: Command, seconds: Int = 120) async -> (Termination?, [String]) {
        var c = command
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/timeout") {
            c = Command("/usr/bin/timeout", ["-s", "KILL", String(seconds), command.executable] + command.arguments,
                        environment: command.environment, workingDirectory: command.workingDirectory)
        }
        do { return try await harness.runner.run(c, tail: 60) } catch { return (nil, ["\(error)"]) }
    }
}

/// One preflight check. One file per check; `Doctor.checks` lists them in the order they print.
public protocol DoctorCheck: Sendable {
    var name: String { get }
    func run(_ ctx: DoctorContext) async -> [DoctorResult]
}

/// `ptb doctor`: the preflight of a node before runs spend their hours on it.
public enum Doctor {
    public static let checks: [any DoctorCheck] = [
        ClockDoctorCheck(), SandboxDoctorCheck(), GPUDoctorCheck(), EngineDoctorCheck(), DiskDoctorCheck(), LocksDoctorCheck(),
        CacheDoctorCheck(), AgentDoctorCheck(), SchedulerDoctorCheck(),
    ]

    public static func run(_ ctx: DoctorContext, checks: [any DoctorCheck] = Doctor.checks) async -> [DoctorResult] {
        var out: [DoctorResult] = []
        for c in checks { out += await c.run(ctx) }
        return out
    }

    public static func passed(_ results: [DoctorResult]) -> Bool { !results.contains { $0.status == .fail } }
}
