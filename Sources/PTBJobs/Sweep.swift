import Foundation
import PTBCore
#if canImport(Glibc)
import Glibc
#endif

/// One cell of the sweep matrix. `id` is stable (the same spec always gives the same ids), so
/// a retry finds the run directory of the earlier attempt and resumes it.
public struct SweepRun: Codable, Sendable, Equatable, Identifiable {
    /// `<agent>_<task>_<model-safe>_<hours>h_<gpus>gpu_s<seed>`: the run directory's name and
    /// the id in its run.json.
    public var id: String
    public var agent: String
    public var task: String
    public var model: String
    public var seed: Int
    public var hours: Double
    public var gpus: Int

    public init(agent: String, task: String, model: String, seed: Int, hours: Double, gpus: Int) {
        self.agent = agent
        self.task = task
        self.model = model
        self.seed = seed
        self.hours = hours
        self.gpus = gpus
        let raw = "\(agent)_\(task)_\(ModelCatalog.safe(model))_\(RunSpec.formatHours(hours))h_\(gpus)gpu_s\(seed)"
        // Only characters that are safe in paths, shell words and scheduler job names.
        id = String(raw.map { $0.isLetter || $0.isNumber || "-._".contains($0) ? $0 : "_" })
    }

    /// The id users see: `<experiment>/<run id>`.
    public func qualifiedID(experiment: String) -> String { "\(experiment)/\(id)" }
}

/// One scheduler submission: a job array (Slurm), a cluster (HTCondor) or a local pool.
/// `runs[i]` is what array index / process `i` runs.
public struct Submission: Codable, Sendable, Equatable {
    public var number: Int
    public var backend: BackendKind
    public var jobID: String
    public var runs: [String]
    public var submittedAt: Date
    /// Path of the submission file, relative to the sweep directory.
    public var file: String
    public var isRetry: Bool

    public init(number: Int, backend: BackendKind, jobID: String, runs: [String], submittedAt: Date, file: String, isRetry: Bool) {
        self.number = number
        self.backend = backend
        self.jobID = jobID
        self.runs = runs
        self.submittedAt = submittedAt
        self.file = file
        self.isRetry = isRetry
    }
}

/// `<results_dir>/<experiment>/sweep.json`: the plan and every submission, replaced atomically.
public struct SweepManifest: Codable, Sendable, Equatable {
    public static let currentSchema = 1
    public var schemaVersion: Int
    public var experiment: String
    public var spec: SweepSpec
    public var createdAt: Date
    public var runs: [SweepRun]
    public var submissions: [Submission]

    public init(spec: SweepSpec, createdAt: Date) throws {
        schemaVersion = Self.currentSchema
        experiment = spec.experiment
        self.spec = spec
        self.createdAt = createdAt
        runs = try Self.expand(spec)
        submissions = []
    }

    /// The matrix in a fixed order (agent, task, model, hours, gpus, seed), so array indices of
    /// the first submission follow the spec's lists.
    public static func expand(_ spec: SweepSpec) throws -> [SweepRun] {
        var runs: [SweepRun] = []
        var seen: Set<String> = []
        for agent in spec.agents {
            for task in spec.tasks {
                for model in spec.models {
                    for hours in spec.hours {
                        for gpus in spec.gpus {
                            for seed in spec.seeds {
                                let r = SweepRun(agent: agent, task: task, model: model, seed: seed, hours: hours, gpus: gpus)
                                guard seen.insert(r.id).inserted else {
                                    throw JobsError.spec(path: spec.experiment, reason: "two cells map to the run id '\(r.id)'; remove duplicate entries from the lists.")
                                }
                                runs.append(r)
                            }
                        }
                    }
                }
            }
        }
        return runs
    }

    public func run(_ id: String) -> SweepRun? { runs.first { $0.id == id } }

    /// The latest submission that included a run (the one whose scheduler state counts).
    public func latestSubmission(of run: String) -> Submission? {
        submissions.last { $0.runs.contains(run) }
    }
}

/// A group of runs that share one submission: same wall time and GPU count (a job array has
/// one resource request), at most `maxArraySize` long.
public struct SweepChunk: Sendable, Equatable {
    public var hours: Double
    public var gpus: Int
    public var runs: [SweepRun]

    public static func make(_ runs: [SweepRun], maxArraySize: Int) -> [SweepChunk] {
        var order: [String] = []
        var groups: [String: [SweepRun]] = [:]
        for r in runs {
            let key = "\(r.hours)|\(r.gpus)"
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(r)
        }
        return order.flatMap { key -> [SweepChunk] in
            let g = groups[key]!
            return stride(from: 0, to: g.count, by: maxArraySize).map {
                SweepChunk(hours: g[$0].hours, gpus: g[$0].gpus, runs: Array(g[$0..<min($0 + maxArraySize, g.count)]))
            }
        }
    }
}

/// The layout of a sweep directory; this type is the only place that knows it.
///
/// ```
/// <results_dir>/<experiment>/
///   sweep.json          plan + submissions (atomic)
///   task.sh             what every job runs: one run by id (written by ptb, shown by --dry-run)
///   submit/             the exact files given to the scheduler, numbered
///   runs/<run-id>/      ordinary ptb run directories (run.json, result.json, …)
///   attempts/<run>.jsonl  one line per job start / end: job id, host, CUDA_VISIBLE_DEVICES, exit
///   logs/               scheduler stdout/stderr of each job
/// ```
public struct SweepPaths: Sendable, Equatable {
    public let root: URL
    public init(root: URL) { self.root = root.standardizedFileURL }
    public init(spec: SweepSpec) {
        self.init(root: URL(fileURLWithPath: spec.resultsDir).appendingPathComponent(spec.experiment))
    }

    /// By path: URLs of the same directory differ in a trailing slash depending on how they were made.
    public static func == (a: SweepPaths, b: SweepPaths) -> Bool { a.root.path == b.root.path }

    public var manifest: URL { root.appendingPathComponent("sweep.json") }
    public var taskScript: URL { root.appendingPathComponent("task.sh") }
    public var submit: URL { root.appendingPathComponent("submit") }
    public var runs: URL { root.appendingPathComponent("runs") }
    public var attempts: URL { root.appendingPathComponent("attempts") }
    public var logs: URL { root.appendingPathComponent("logs") }
    public func runDir(_ id: String) -> URL { runs.appendingPathComponent(id) }
    public func attemptsFile(_ id: String) -> URL { attempts.appendingPathComponent("\(id).jsonl") }
    public func runManifest(_ id: String) -> URL { RunPaths(dir: runDir(id)).manifest }

    public func load() throws -> SweepManifest { try JSONIO.read(SweepManifest.self, from: manifest) }
    public func save(_ m: SweepManifest) throws { try JSONIO.write(m, to: manifest) }

    /// A sweep by name (`<results>/<name>`), by directory, or by its sweep.json.
    public static func find(_ nameOrPath: String, resultsDirs: [URL]) throws -> SweepPaths {
        let fm = FileManager.default
        let direct = URL(fileURLWithPath: nameOrPath)
        if direct.lastPathComponent == "sweep.json", fm.fileExists(atPath: direct.path) {
            return SweepPaths(root: direct.deletingLastPathComponent())
        }
        if fm.fileExists(atPath: direct.appendingPathComponent("sweep.json").path) { return SweepPaths(root: direct) }
        for d in resultsDirs {
            let p = SweepPaths(root: d.appendingPathComponent(nameOrPath))
            if fm.fileExists(atPath: p.manifest.path) { return p }
        }
        throw JobsError.sweepNotFound(name: nameOrPath, looked: [direct.path] + resultsDirs.map(\.path))
    }
}

/// One line of `attempts/<run>.jsonl`, written by task.sh at the start and end of every job.
/// Appended, never rewritten: a retry keeps the evidence of earlier attempts.
public struct AttemptRecord: Codable, Sendable, Equatable {
    public var event: String
    public var job: String
    public var host: String?
    public var pid: Int32?
    public var cudaVisibleDevices: String?
    public var at: String?
    public var exit: Int?
    public var signal: String?

    enum CodingKeys: String, CodingKey {
        case event, job, host, pid, at, exit, signal
        case cudaVisibleDevices = "cuda_visible_devices"
    }

    public init(event: String, job: String, host: String? = nil, pid: Int32? = nil, cudaVisibleDevices: String? = nil,
                at: String? = nil, exit: Int? = nil, signal: String? = nil) {
        self.event = event
        self.job = job
        self.host = host
        self.pid = pid
        self.cudaVisibleDevices = cudaVisibleDevices
        self.at = at
        self.exit = exit
        self.signal = signal
    }

    /// Every readable line of an attempts file; a torn last line (job killed mid-write) is skipped.
    public static func read(_ url: URL) -> [AttemptRecord] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        let d = JSONDecoder()
        return text.split(separator: "\n").compactMap { try? d.decode(AttemptRecord.self, from: Data($0.utf8)) }
    }
}

/// An exclusive lock on a sweep directory while ptb submits to it, so two `ptb sweep retry`
/// at once cannot submit the same runs twice.
public enum SweepLock {
    public static func acquire(_ paths: SweepPaths) throws -> ExclusiveFileLock {
        try ExclusiveFileLock(url: paths.root.appendingPathComponent(".lock"), busy: JobsError.unsupported(
            "another ptb is submitting to sweep \(paths.root.lastPathComponent) (a local pool keeps this lock while it runs); wait for it, then retry."))
    }
}
