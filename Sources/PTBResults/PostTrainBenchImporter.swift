import Foundation

/// A run directory name of the original: `<task>_<Org>_<Model>_<cluster id>`.
public struct OriginalRunName: Sendable, Equatable {
    public var task: String
    public var org: String
    public var model: String
    public var runID: Int64

    /// The original's `task, _, model, run_id = name.split("_")` with `int(run_id)`; nil with the reason
    /// where the original would raise (it crashes; we record and skip).
    public static func parse(_ name: String) -> Result<OriginalRunName, SkippedReason> {
        let parts = name.components(separatedBy: "_")
        guard parts.count == 4 else {
            return .failure(SkippedReason("name splits into \(parts.count) part(s) on '_', not 4 (task_Org_Model_id)"))
        }
        guard let id = Int64(parts[3].trimmingCharacters(in: .whitespaces)) else {
            return .failure(SkippedReason("run id '\(parts[3])' is not an integer"))
        }
        return .success(OriginalRunName(task: parts[0], org: parts[1], model: parts[2], runID: id))
    }
}

public struct SkippedReason: Error, Sendable, Equatable {
    public var text: String
    public init(_ text: String) { self.text = text }
}

/// Reads the original's results directory (`<method>/<task>_<Org>_<Model>_<id>/`) into records.
/// Only small text files are read; `final_model/` is checked for presence and never opened.
public struct PostTrainBenchImporter: Sendable {
    public var root: URL
    public var baselineMethod: String

    public init(root: URL, baselineMethod: String = PaperBenchmarks.baselineMethod) {
        self.root = root.standardizedFileURL
        self.baselineMethod = baselineMethod
    }

    public func read(now: Date = Date()) throws -> ImportSnapshot {
        guard isDirectory(root) else { throw ResultsError.notADirectory(root.path) }
        var runs: [ResultRun] = []
        var skipped: [SkippedEntry] = []
        // The results root also holds the aggregation's CSV outputs: only directories are methods.
        for method in try entries(root) where isDirectory(root.appendingPathComponent(method)) {
            let methodDir = root.appendingPathComponent(method)
            for name in try entries(methodDir) {
                let dir = methodDir.appendingPathComponent(name)
                guard isDirectory(dir) else {
                    skipped.append(SkippedEntry(method: method, name: name, reason: "not a directory"))
                    continue
                }
                switch OriginalRunName.parse(name) {
                case .failure(let why): skipped.append(SkippedEntry(method: method, name: name, reason: why.text))
                case .success(let parsed): runs.append(readRun(dir: dir, method: method, name: parsed))
                }
            }
        }
        return ImportSnapshot(source: root.path, importedAt: now, runs: runs, skipped: skipped)
    }

    /// One run: the original's `load_metrics` order (§7.3) for the score, the judge files for flags.
    public func readRun(dir: URL, method: String, name: OriginalRunName) -> ResultRun {
        var problems: [String] = []
        let fm = FileManager.default
        let hasTime = fm.fileExists(atPath: dir.appendingPathComponent(OriginalRunFiles.timeTaken).path)
        let hasFinal = isDirectory(dir.appendingPathComponent(OriginalRunFiles.finalModel))
        let score: RunScore
        switch OriginalRunFiles.accuracy(in: dir) {
        case .value(let a): score = .scored(a)
        case let failure:
            let detail: String
            if case .invalid(let why) = failure { detail = why } else { detail = "\(OriginalRunFiles.metrics) is missing" }
            problems.append(detail)
            let label: ScoreLabel = method == baselineMethod ? .error : !hasTime ? .notAvailable : !hasFinal ? .notStored : .error
            score = RunScore(accuracy: nil, label: label, detail: detail)
        }
        // Baselines are unchanged models: no agent, no judge, so no flags to read.
        let flags = method == baselineMethod ? RunFlags.unjudged : OriginalRunFiles.verdicts(in: dir)
        if let d = flags.detail { problems.append(d) }
        let (seconds, raw) = OriginalRunFiles.timeTaken(in: dir)
        if seconds == nil, let raw { problems.append("\(OriginalRunFiles.timeTaken): '\(raw.prefix(40))' is not H:MM:SS") }
        return ResultRun(origin: .posttrainbench, method: method, task: name.task, model: name.model, runID: name.runID,
                         name: dir.lastPathComponent, path: dir.path, score: score, flags: flags, timeSeconds: seconds,
                         timeRaw: raw, budgetSeconds: PaperBenchmarks.budgetSeconds, hasFinalModel: hasFinal, problems: problems)
    }

    private func entries(_ dir: URL) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasPrefix(".") }.sorted()
        } catch {
            throw ResultsError.io("cannot list \(dir.path): \(error.localizedDescription)")
        }
    }

    private func isDirectory(_ url: URL) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) && isDir.boolValue
    }
}
