import Foundation
import PTBCore
import Yams

/// A scheduler backend's name, as a spec's `backend:` and sweep.json's submissions write it.
/// Each backend declares its own in its file (`BackendKind.slurm` in SlurmBackend.swift);
/// `SweepSpec.parse` refuses a name that `SweepBackends.all` does not list. Decoding takes any
/// name, so a sweep.json stays readable whatever wrote it.
public struct BackendKind: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}

/// How Slurm is asked for GPUs: `--gres=gpu[:type]:N` (works on every Slurm) or `--gpus=[type:]N`
/// (cons_tres clusters; some sites only allow one of the two).
public enum GPURequestStyle: String, Codable, Sendable {
    case gres, gpus
}

/// What each job of the sweep asks the scheduler for. Defaults are the original's HTCondor
/// submit file (16 CPUs, 128 GiB, 400 GB disk, one H100).
public struct SweepResources: Codable, Sendable, Equatable {
    public var cpus: Int
    /// Slurm syntax (`128G`, `500M`); converted to MiB for HTCondor.
    public var memory: String
    public var disk: String?
    /// Slurm GRES type (`h100` → `--gres=gpu:h100:1`); nil requests any GPU.
    public var gpuType: String?
    /// HTCondor `CUDADeviceName` requirement (the original: "NVIDIA H100 80GB HBM3").
    public var gpuName: String?
    public var gpuRequest: GPURequestStyle
    public var partition: String?
    public var account: String?
    public var qos: String?
    /// Added verbatim: `#SBATCH <line>` for Slurm, a submit-file line for HTCondor.
    public var extraDirectives: [String]
    /// Wall time beyond the agent budget: the final (and base) evaluation plus a margin that
    /// covers the 5-minute SIGTERM grace, setup and the kill delay.
    public var evaluationHours: Double
    public var marginMinutes: Double

    public init(cpus: Int = 16, memory: String = "128G", disk: String? = "400G", gpuType: String? = nil,
                gpuName: String? = nil, gpuRequest: GPURequestStyle = .gres, partition: String? = nil,
                account: String? = nil, qos: String? = nil, extraDirectives: [String] = [],
                evaluationHours: Double = 1, marginMinutes: Double = 30) {
        self.cpus = cpus
        self.memory = memory
        self.disk = disk
        self.gpuType = gpuType
        self.gpuName = gpuName
        self.gpuRequest = gpuRequest
        self.partition = partition
        self.account = account
        self.qos = qos
        self.extraDirectives = extraDirectives
        self.evaluationHours = evaluationHours
        self.marginMinutes = marginMinutes
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case cpus, memory, disk, partition, account, qos
        case gpuType = "gpu_type", gpuName = "gpu_name", gpuRequest = "gpu_request"
        case extraDirectives = "extra_directives", evaluationHours = "evaluation_hours", marginMinutes = "margin_minutes"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SweepResources()
        cpus = try c.decodeIfPresent(Int.self, forKey: .cpus) ?? d.cpus
        memory = try c.decodeIfPresent(String.self, forKey: .memory) ?? d.memory
        // `disk: null` asks for no disk request (clusters without TmpDisk refuse --tmp).
        disk = c.contains(.disk) ? try c.decodeIfPresent(String.self, forKey: .disk) : d.disk
        gpuType = try c.decodeIfPresent(String.self, forKey: .gpuType)
        gpuName = try c.decodeIfPresent(String.self, forKey: .gpuName)
        gpuRequest = try c.decodeIfPresent(GPURequestStyle.self, forKey: .gpuRequest) ?? d.gpuRequest
        partition = try c.decodeIfPresent(String.self, forKey: .partition)
        account = try c.decodeIfPresent(String.self, forKey: .account)
        qos = try c.decodeIfPresent(String.self, forKey: .qos)
        extraDirectives = try c.decodeIfPresent([String].self, forKey: .extraDirectives) ?? []
        evaluationHours = try c.decodeIfPresent(Double.self, forKey: .evaluationHours) ?? d.evaluationHours
        marginMinutes = try c.decodeIfPresent(Double.self, forKey: .marginMinutes) ?? d.marginMinutes
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cpus, forKey: .cpus)
        try c.encode(memory, forKey: .memory)
        // Written even when nil: an absent key would read back as the 400G default.
        try c.encode(disk, forKey: .disk)
        try c.encodeIfPresent(gpuType, forKey: .gpuType)
        try c.encodeIfPresent(gpuName, forKey: .gpuName)
        try c.encode(gpuRequest, forKey: .gpuRequest)
        try c.encodeIfPresent(partition, forKey: .partition)
        try c.encodeIfPresent(account, forKey: .account)
        try c.encodeIfPresent(qos, forKey: .qos)
        try c.encode(extraDirectives, forKey: .extraDirectives)
        try c.encode(evaluationHours, forKey: .evaluationHours)
        try c.encode(marginMinutes, forKey: .marginMinutes)
    }

    /// Scheduler wall time of a run with `hours` of agent budget, in whole minutes (rounded up).
    public func wallMinutes(hours: Double) -> Int {
        Int((hours * 60 + evaluationHours * 60 + marginMinutes).rounded(.up))
    }

    /// `memory` in MiB (HTCondor's unit). Accepts K, M, G, T suffixes; a bare number is MiB as in Slurm.
    public func memoryMiB() throws -> Int { try Self.mebibytes(memory) }

    static func mebibytes(_ text: String) throws -> Int {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        let unit = t.last.flatMap { "KMGT".contains($0) ? $0 : nil }
        let number = unit == nil ? t : String(t.dropLast())
        guard let v = Double(number), v > 0 else {
            throw JobsError.unparsable(what: "memory '\(text)'", reason: "expected a size like 128G, 500M or 4096 (MiB)")
        }
        let factor: Double = switch unit { case "K": 1.0 / 1024; case "G": 1024; case "T": 1024 * 1024; default: 1 }
        let mib = (v * factor).rounded(.up)
        // At most 1 EiB: beyond any node, and far inside Int (an "inf" or "1e30G" used to trap).
        guard mib.isFinite, mib <= 1_099_511_627_776 else {
            throw JobsError.unparsable(what: "memory '\(text)'", reason: "larger than any node (at most 1 EiB); expected a size like 128G")
        }
        return Int(mib)
    }
}

/// Limits on how many jobs run at once.
public struct SweepThrottle: Codable, Sendable, Equatable {
    /// Slurm `--array=…%N`, HTCondor `max_materialize`, the local pool's size.
    public var maxConcurrent: Int?
    /// HTCondor `concurrency_limits` (the original: `user.gemini:1250`, at most 8 Gemini jobs).
    public var concurrencyLimits: [String]
    /// Slurm `--licenses` (the Slurm way to share an API quota across jobs, e.g. `gemini:1`).
    public var licenses: [String]

    public init(maxConcurrent: Int? = nil, concurrencyLimits: [String] = [], licenses: [String] = []) {
        self.maxConcurrent = maxConcurrent
        self.concurrencyLimits = concurrencyLimits
        self.licenses = licenses
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case maxConcurrent = "max_concurrent", concurrencyLimits = "concurrency_limits", licenses
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxConcurrent = try c.decodeIfPresent(Int.self, forKey: .maxConcurrent)
        concurrencyLimits = try c.decodeIfPresent([String].self, forKey: .concurrencyLimits) ?? []
        licenses = try c.decodeIfPresent([String].self, forKey: .licenses) ?? []
    }
}

/// `sweep.yaml`: the matrix of runs and how to schedule them.
///
/// ```yaml
/// experiment: march
/// agents: [reference, none]
/// models: [Qwen/Qwen3-1.7B-Base]
/// tasks: [arith]
/// seeds: [0, 1]
/// hours: [10]
/// gpus: [1]
/// backend: slurm
/// results_dir: /shared/ptb-results
/// resources: {cpus: 16, memory: 128G, gpu_type: h100, partition: gpu}
/// throttle: {max_concurrent: 8}
/// ```
public struct SweepSpec: Codable, Sendable, Equatable {
    public var experiment: String
    public var agents: [String]
    public var models: [String]
    public var tasks: [String]
    public var seeds: [Int]
    public var hours: [Double]
    public var gpus: [Int]
    public var backend: BackendKind
    /// On a shared filesystem for cluster backends: every job reads the sweep manifest and writes
    /// its run directory under `<results_dir>/<experiment>/`.
    public var resultsDir: String
    public var resources: SweepResources
    public var throttle: SweepThrottle
    /// Agent config files for config-defined agents, by agent name.
    public var agentConfigs: [String: String]
    /// The run options every run of the sweep gets, at the spec's top level with the same keys
    /// as a run config (`sandbox`, `eval_limit`, `integrity_policy`, `judges`, `exec_mode`,
    /// `judge_model`, …; `RunOptions.sweepKeys`). The matrix sets the per-run ones.
    public var options: RunOptions
    /// The ptb executable and PTB_HOME the jobs use (default: the submitting ptb and its home);
    /// both must be reachable from the compute nodes.
    public var ptb: String?
    public var ptbHome: String?
    /// Instead of `ptb`, run this command per job (smoke tests of a cluster setup). It gets
    /// PTB_SWEEP_RUN, PTB_SWEEP_RUN_DIR, PTB_AGENT, PTB_TASK, PTB_MODEL, PTB_SEED, PTB_HOURS, PTB_GPUS.
    public var command: [String]?
    /// GPU indices the local backend hands out (default: what nvidia-smi lists).
    public var localGPUs: [Int]?
    /// Slurm's MaxArraySize is 1001 by default: larger chunks are split.
    public var maxArraySize: Int

    public init(experiment: String, agents: [String], models: [String], tasks: [String], seeds: [Int] = [0],
                hours: [Double] = [10], gpus: [Int] = [1], backend: BackendKind = .slurm, resultsDir: String,
                resources: SweepResources = SweepResources(), throttle: SweepThrottle = SweepThrottle(),
                agentConfigs: [String: String] = [:], options: RunOptions = RunOptions(), ptb: String? = nil, ptbHome: String? = nil,
                command: [String]? = nil, localGPUs: [Int]? = nil, maxArraySize: Int = 1000) {
        self.experiment = experiment
        self.agents = agents
        self.models = models
        self.tasks = tasks
        self.seeds = seeds
        self.hours = hours
        self.gpus = gpus
        self.backend = backend
        self.resultsDir = resultsDir
        self.resources = resources
        self.throttle = throttle
        self.agentConfigs = agentConfigs
        self.options = options
        self.ptb = ptb
        self.ptbHome = ptbHome
        self.command = command
        self.localGPUs = localGPUs
        self.maxArraySize = maxArraySize
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case experiment, agents, models, tasks, seeds, hours, gpus, backend, resources, throttle, ptb, command
        case resultsDir = "results_dir", agentConfigs = "agent_configs"
        case ptbHome = "ptb_home", localGPUs = "local_gpus", maxArraySize = "max_array_size"
    }

    /// Every top-level key a sweep spec takes: its own and the shared run options.
    public static var allowedKeys: [String] { CodingKeys.allCases.map(\.rawValue) + RunOptions.sweepKeys.map(\.rawValue) }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        experiment = try c.decode(String.self, forKey: .experiment)
        agents = try c.decode([String].self, forKey: .agents)
        models = try c.decode([String].self, forKey: .models)
        tasks = try c.decode([String].self, forKey: .tasks)
        seeds = try c.decodeIfPresent([Int].self, forKey: .seeds) ?? [0]
        hours = try c.decodeIfPresent([Double].self, forKey: .hours) ?? [10]
        gpus = try c.decodeIfPresent([Int].self, forKey: .gpus) ?? [1]
        backend = try c.decodeIfPresent(BackendKind.self, forKey: .backend) ?? .slurm
        resultsDir = try c.decode(String.self, forKey: .resultsDir)
        resources = try c.decodeIfPresent(SweepResources.self, forKey: .resources) ?? SweepResources()
        throttle = try c.decodeIfPresent(SweepThrottle.self, forKey: .throttle) ?? SweepThrottle()
        agentConfigs = try c.decodeIfPresent([String: String].self, forKey: .agentConfigs) ?? [:]
        options = try RunOptions(from: decoder, keys: RunOptions.sweepKeys)
        ptb = try c.decodeIfPresent(String.self, forKey: .ptb)
        ptbHome = try c.decodeIfPresent(String.self, forKey: .ptbHome)
        command = try c.decodeIfPresent([String].self, forKey: .command)
        localGPUs = try c.decodeIfPresent([Int].self, forKey: .localGPUs)
        maxArraySize = try c.decodeIfPresent(Int.self, forKey: .maxArraySize) ?? 1000
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(experiment, forKey: .experiment)
        try c.encode(agents, forKey: .agents)
        try c.encode(models, forKey: .models)
        try c.encode(tasks, forKey: .tasks)
        try c.encode(seeds, forKey: .seeds)
        try c.encode(hours, forKey: .hours)
        try c.encode(gpus, forKey: .gpus)
        try c.encode(backend, forKey: .backend)
        try c.encode(resultsDir, forKey: .resultsDir)
        try c.encode(resources, forKey: .resources)
        try c.encode(throttle, forKey: .throttle)
        try c.encode(agentConfigs, forKey: .agentConfigs)
        try c.encodeIfPresent(ptb, forKey: .ptb)
        try c.encodeIfPresent(ptbHome, forKey: .ptbHome)
        try c.encodeIfPresent(command, forKey: .command)
        try c.encodeIfPresent(localGPUs, forKey: .localGPUs)
        try c.encode(maxArraySize, forKey: .maxArraySize)
        try options.encode(to: encoder, keys: RunOptions.sweepKeys)
    }

    /// Reads and validates a sweep file; relative `results_dir` and agent configs are resolved
    /// against the file's directory so the jobs see absolute paths.
    /// `sandboxes`: the sandbox names this ptb knows (PTBSandbox's registry, which PTBJobs does
    /// not see), so that a wrong `sandbox:` is refused with its line; nil skips that check.
    public static func load(_ url: URL, sandboxes: [String]? = nil) throws -> SweepSpec {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw JobsError.spec(path: url.path, reason: "cannot read it (\(error.localizedDescription))")
        }
        return try parse(text, path: url.path, base: url.deletingLastPathComponent(), sandboxes: sandboxes)
    }

    public static func parse(_ text: String, path: String = "<sweep>", base: URL? = nil, sandboxes: [String]? = nil) throws -> SweepSpec {
        var s: SweepSpec
        do {
            let doc = try ConfigKeys.check(text: text, path: path, allowed: allowedKeys, sections: [
                "resources": SweepResources.CodingKeys.allCases.map(\.rawValue),
                "throttle": SweepThrottle.CodingKeys.allCases.map(\.rawValue),
            ])
            s = try ConfigKeys.decode(SweepSpec.self, text: text, path: path, document: doc)
            if SweepBackends.type(named: s.backend) == nil {
                throw ConfigKeys.Failure(path: path, problems: [ConfigKeys.Problem(line: doc?.line(of: ["backend"]),
                    message: "'backend': '\(s.backend)' is not a backend ptb knows; use \(SweepBackends.names.orList())")])
            }
            if let names = sandboxes, let sandbox = s.options.sandbox, !names.contains(sandbox.rawValue) {
                throw ConfigKeys.Failure(path: path, problems: [ConfigKeys.Problem(line: doc?.line(of: ["sandbox"]),
                    message: "'sandbox': " + PTBError.unknownChoice(kind: "sandbox", value: sandbox.rawValue, valid: names).description)])
            }
        } catch let f as ConfigKeys.Failure {
            let unknownKey = f.problems.contains { $0.message.contains("unknown key") }
            throw JobsError.spec(path: f.location, reason: f.reason + ". Nothing was planned."
                + (unknownKey ? " Keys: " + allowedKeys.joined(separator: ", ") + "." : ""))
        }
        if let base {
            func absolute(_ p: String) -> String {
                p.hasPrefix("/") ? p : base.appendingPathComponent(p).standardizedFileURL.path
            }
            s.resultsDir = absolute(s.resultsDir)
            s.agentConfigs = s.agentConfigs.mapValues(absolute)
            s.options = s.options.resolvingPaths(against: base)
        }
        try s.validate(path: path)
        return s
    }

    public func validate(path: String = "<sweep>") throws {
        func fail(_ r: String) -> JobsError { .spec(path: path, reason: r) }
        guard !experiment.isEmpty, experiment.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw fail("experiment '\(experiment)' must be non-empty and use only letters, digits, '-', '_' and '.' (it names a directory and the jobs).")
        }
        for (name, list) in [("agents", agents), ("models", models), ("tasks", tasks)] where list.isEmpty {
            throw fail("\(name) is empty; list at least one.")
        }
        if seeds.isEmpty || hours.isEmpty || gpus.isEmpty { throw fail("seeds, hours and gpus must not be empty (omit them for the defaults [0], [10], [1]).") }
        // Finite and at most a year, as `ptb run --hours`: they become scheduler minutes.
        if let h = hours.first(where: { !($0.isFinite && $0 > 0 && $0 <= 8760) }) { throw fail("hours must be positive and at most 8760 (got \(h)).") }
        if !(resources.evaluationHours.isFinite && resources.evaluationHours >= 0 && resources.evaluationHours <= 8760) {
            throw fail("resources.evaluation_hours must be between 0 and 8760 (got \(resources.evaluationHours)).")
        }
        if !(resources.marginMinutes.isFinite && resources.marginMinutes >= 0 && resources.marginMinutes <= 525_600) {
            throw fail("resources.margin_minutes must be between 0 and 525600 (got \(resources.marginMinutes)).")
        }
        if let g = gpus.first(where: { $0 < 0 }) { throw fail("gpus must be 0 or more (got \(g)).") }
        if let m = throttle.maxConcurrent, m < 1 { throw fail("throttle.max_concurrent must be at least 1 (got \(m)).") }
        if resources.cpus < 1 { throw fail("resources.cpus must be at least 1.") }
        if maxArraySize < 1 { throw fail("max_array_size must be at least 1.") }
        if let c = command, c.isEmpty { throw fail("command is empty; remove it to run `ptb`, or give the program and its arguments.") }
        do { _ = try resources.memoryMiB() } catch { throw fail("\(error)") }
        if resultsDir.isEmpty { throw fail("results_dir is required (a shared filesystem path for cluster backends).") }
        do { try options.validate(flags: false) } catch { throw fail("\(error)") }
        if let tp = options.evalTensorParallel, tp > 1, let g = gpus.first(where: { $0 < tp }) {
            throw fail("eval_tensor_parallel \(tp) needs at least \(tp) GPUs in every run, but gpus lists \(g); remove the smaller entries or lower eval_tensor_parallel.")
        }
    }
}
