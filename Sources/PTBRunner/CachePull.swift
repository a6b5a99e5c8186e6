import Foundation
import PTBCore
import PTBProcess

/// One line of a cache list: what to fetch and where it goes.
public struct CacheItem: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Into the shared Hugging Face cache, which every agent sees read-only.
        case model, dataset
        /// Into `$PTB_HOME/references/hub`: checkpoints a submission must not be. No sandbox shows it.
        case reference
    }
    public var kind: Kind
    public var repoID: String
    public var revision: String

    public init(kind: Kind, repoID: String, revision: String = "main") {
        self.kind = kind
        self.repoID = repoID
        self.revision = revision
    }

    public var repoType: HFCache.RepoType { kind == .dataset ? .dataset : .model }
}

/// `ptb cache pull`'s list file: `KIND REPO_ID[@REVISION]` per line, `#` comments.
public enum CacheList {
    /// The original harness's list (its 14 models and 382 dataset entries), as ptb ships it:
    /// instruct counterparts as references, benchmark test sets left out.
    public static func defaultList() throws -> URL {
        guard let url = Bundle.module.url(forResource: "default-list", withExtension: "txt", subdirectory: "Cache") else {
            throw PTBError.io("default-list.txt is missing from ptb's resources; rebuild ptb.")
        }
        return url
    }

    public static func parse(_ text: String, source: String) throws -> [CacheItem] {
        var items: [CacheItem] = []
        var problems: [String] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if words.isEmpty { continue }
            guard words.count == 2, let kind = CacheItem.Kind(rawValue: words[0]) else {
                problems.append("line \(n + 1): expected `model|dataset|reference REPO_ID[@REVISION]`, got `\(line.trimmingCharacters(in: .whitespaces))`")
                continue
            }
            let parts = words[1].split(separator: "@", maxSplits: 1).map(String.init)
            guard HFCache.validRepoID(parts[0]) else {
                problems.append("line \(n + 1): '\(parts[0])' is not a Hugging Face id (org/name)")
                continue
            }
            let item = CacheItem(kind: kind, repoID: parts[0], revision: parts.count > 1 ? parts[1] : "main")
            if !items.contains(item) { items.append(item) }
        }
        if !problems.isEmpty { throw PTBError.config(path: source, reason: problems.joined(separator: "; ")) }
        return items
    }

    /// Repositories that hold a benchmark's test items. They never go into the agents' cache: the
    /// test data comes in through `ptb data pull`/`import` into `$PTB_HOME/data`, which no sandbox shows.
    public static let testSets: [String: String] = [
        "math-ai/aime25": "aime2025", "openai/gsm8k": "gsm8k", "Idavidrein/gpqa": "gpqamain",
        "openai/openai_humaneval": "humaneval", "gorilla-llm/Berkeley-Function-Calling-Leaderboard": "bfcl",
        "CohereLabs/m-ArenaHard-v2.0": "arenahardwriting",
        "weijiezz/math-datasets-100k": "aime2025, gsm8k", "weijiezz/math-datasets-20k": "aime2025, gsm8k",
        "weijiezz/NuminaMath-20k": "aime2025, gsm8k", "Pandores/aime-1983-2025": "aime2025",
        "sharkchill-xy/HumanEval_mbpp_format": "humaneval",
    ]

    public static func testSetTask(_ repoID: String) -> String? {
        testSets.first { $0.key.lowercased() == repoID.lowercased() }?.value
    }
}

/// What happened to one item.
public struct CachePullEntry: Codable, Sendable, Equatable {
    public var kind: String
    public var repoID: String
    public var repoType: String
    public var revision: String
    public var cache: String?
    public var status: String
    public var path: String?
    public var bytes: Int64?
    public var seconds: Double?
    public var errorClass: String?
    public var reason: String?
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case kind, status, path, bytes, seconds, reason, error, cache, revision
        case repoID = "repo_id", repoType = "repo_type", errorClass = "error_class"
    }

    public var ok: Bool { status == "ok" }
}

/// `ptb cache pull`: prefetches models and datasets into the shared Hugging Face cache (and
/// reference checkpoints into `$PTB_HOME/references/hub`) through huggingface_hub in ptb's Python
/// environment. huggingface_hub resumes partial files and skips complete ones, so a pull that was
/// interrupted, or one that failed for some items, is finished by running it again.
public struct CachePull: Sendable {
    public let home: PTBHome
    public let python: URL
    public let environment: [String: String]
    public let runner: ProcessRunner
    public let log: @Sendable (String) -> Void

    public init(home: PTBHome, python: URL, environment: [String: String], runner: ProcessRunner, log: @escaping @Sendable (String) -> Void) {
        self.home = home
        self.python = python
        self.environment = environment
        self.runner = runner
        self.log = log
    }

    public var sharedCache: URL { HFCache.hubCache(env: environment) }

    public func cacheDirectory(for item: CacheItem) -> URL {
        item.kind == .reference ? home.referencesHub : sharedCache
    }

    /// Items that must not be fetched as asked: a test set into the agents' cache.
    public static func refusals(_ items: [CacheItem]) -> [CachePullEntry] {
        items.compactMap { item in
            guard item.kind != .reference, let task = CacheList.testSetTask(item.repoID) else { return nil }
            return CachePullEntry(kind: item.kind.rawValue, repoID: item.repoID, repoType: item.repoType.rawValue, revision: item.revision,
                                  status: "refused", errorClass: "test-set",
                                  reason: "holds the test items of \(task): benchmark test sets never go into the agents' cache (`ptb data pull` keeps them in $PTB_HOME/data, out of every sandbox)")
        }
    }

    /// Fetches `items` (`workers` repositories at a time), printing progress every `interval`
    /// seconds; returns one entry per item (refused, ok or failed with the reason).
    public func pull(_ items: [CacheItem], workers: Int, interval: Double, dryRun: Bool = false) async throws -> [CachePullEntry] {
        let refused = Self.refusals(items)
        let todo = items.filter { i in !refused.contains { $0.repoID == i.repoID && $0.kind == i.kind.rawValue } }
        for r in refused { log("refused \(r.kind) \(r.repoID): \(r.reason ?? "")") }
        if dryRun {
            for (n, i) in todo.enumerated() {
                log("[\(n + 1)/\(todo.count)] would fetch \(i.kind.rawValue) \(i.repoID)@\(i.revision) into \(cacheDirectory(for: i).path)")
            }
            return refused
        }
        guard !todo.isEmpty else { return refused }
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw PTBError.missingSetup("ptb's Python environment is missing (\(python.path)); it provides huggingface_hub.")
        }
        guard let script = Bundle.module.url(forResource: "hf_pull", withExtension: "py", subdirectory: "Cache") else {
            throw PTBError.io("hf_pull.py is missing from ptb's resources; rebuild ptb.")
        }
        let fm = FileManager.default
        for dir in Set(todo.map { cacheDirectory(for: $0) }) { try fm.createDirectory(at: dir, withIntermediateDirectories: true) }
        let work = fm.temporaryDirectory.appendingPathComponent("ptb-cache-pull-\(UUID().uuidString)")
        try fm.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: work) }
        let jobs: [String: Any] = [
            "workers": max(1, workers), "interval": max(0.2, interval),
            "items": todo.map { ["kind": $0.kind.rawValue, "repo_id": $0.repoID, "repo_type": $0.repoType.rawValue,
                                 "revision": $0.revision, "cache_dir": cacheDirectory(for: $0).path] },
        ]
        let jobsFile = work.appendingPathComponent("jobs.json"), reportFile = work.appendingPathComponent("report.json")
        try JSONSerialization.data(withJSONObject: jobs, options: [.sortedKeys]).write(to: jobsFile)
        var env = environment
        // The agents' cache is filled on purpose here, whatever offline switch the shell has.
        env["HF_HUB_OFFLINE"] = "0"
        env["PYTHONUNBUFFERED"] = "1"
        env["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
        let child = try await runner.start(Command(python.path, [script.path, jobsFile.path, reportFile.path], environment: env))
        let token = environment["HF_TOKEN"] ?? ""
        var tail: [String] = []
        for await line in child.lines {
            // The worker scrubs the token itself; this is the second belt for anything a library prints.
            let safe = token.count >= 4 ? line.replacingOccurrences(of: token, with: "[REDACTED:HF_TOKEN]") : line
            log(safe)
            tail.append(safe)
            if tail.count > 30 { tail.removeFirst() }
        }
        let t = await child.wait()
        guard let data = try? Data(contentsOf: reportFile), let entries = try? JSONDecoder().decode([CachePullEntry].self, from: data) else {
            throw PTBError.io("the huggingface_hub worker ended (\(t)) without a report. Is huggingface_hub installed in \(python.path)? Last output:\n" + tail.joined(separator: "\n"))
        }
        return refused + entries
    }

    /// The report: one line per failure with its reason, and the totals.
    public static func summary(_ entries: [CachePullEntry]) -> [String] {
        let ok = entries.filter(\.ok), bad = entries.filter { !$0.ok }
        let bytes = ok.compactMap(\.bytes).reduce(0, +)
        var lines = ["\(ok.count) of \(entries.count) fetched (\(ByteCountFormatter.string(fromByteCount: bytes, countStyle: .decimal)) in the caches)"
                     + (bad.isEmpty ? "" : ", \(bad.count) not:")]
        for e in bad {
            lines.append("  \(e.status == "refused" ? "REFUSED" : "FAILED") \(e.kind) \(e.repoID)\(e.revision == "main" ? "" : "@" + e.revision): "
                         + "\(e.errorClass ?? "error"): \(e.reason ?? "")" + (e.error.map { " (\($0))" } ?? ""))
        }
        if bad.contains(where: { $0.status == "failed" }) {
            lines.append("Run the same command again to retry the failures; finished files are kept and partial ones resumed.")
        }
        return lines
    }
}
