import Foundation
import GRDB
import PTBCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One run as the web UI lists and filters it. Derived from the run directory; `signature`
/// (sizes and modification times of the files a row is built from) decides whether a refresh
/// has to read the directory again.
public struct CatalogRow: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "catalog"
    public var id: String
    public var dir: String
    /// The experiment directory the run was found under (`<results>/<experiment>/runs/<id>`).
    public var experiment: String?
    /// Experiment, else `--name`, else agent.
    public var sweep: String
    public var agent: String
    public var task: String
    public var model: String
    public var hours: Double
    public var gpus: Int
    /// pending, running, done, failed.
    public var outcome: String
    /// The phase it is in (or "done").
    public var phase: String
    public var exitClass: String?
    public var baseAccuracy: Double?
    public var finalAccuracy: Double?
    public var scoreState: String?
    /// clean, flagged, or none (no integrity report yet).
    public var integrity: String
    public var agentSeconds: Double?
    /// The agent's cost from usage.json: reported by the agent CLI, else estimated from list prices.
    public var costUSD: Double?
    public var createdAt: Date
    public var finishedAt: Date?
    public var deadline: Date?
    /// Free text searched with the id: `--name`, failure, integrity reasons, `notes.md`.
    public var notes: String
    public var signature: String

    /// `done`, `failed`, or the phase it is in.
    public var state: String {
        switch outcome {
        case RunOutcome.done.rawValue, RunOutcome.failed.rawValue, RunOutcome.failedToStart.rawValue: outcome
        case "running": phase + " (running)"
        case "interrupted": phase + " (interrupted: ptb resume \(id))"
        default: phase
        }
    }
}

/// What the list pages filter on; nil or empty means any. `text` matches run ids and notes.
public struct CatalogFilter: Sendable, Equatable, Codable {
    public var agent: String?
    public var task: String?
    public var model: String?
    public var sweep: String?
    /// An outcome (pending, running, done, failed) or a phase name.
    public var state: String?
    /// clean, flagged or none.
    public var integrity: String?
    public var text: String?

    public init(agent: String? = nil, task: String? = nil, model: String? = nil, sweep: String? = nil,
                state: String? = nil, integrity: String? = nil, text: String? = nil) {
        self.agent = agent
        self.task = task
        self.model = model
        self.sweep = sweep
        self.state = state
        self.integrity = integrity
        self.text = text
    }

    public static let columns = ["agent", "task", "model", "sweep", "state", "integrity"]
}

/// Sort orders the list pages offer; the raw value is the query parameter.
public enum CatalogSort: String, Sendable, CaseIterable, Codable {
    case newest, oldest, final, base, agentTime = "agent-time", id

    var sql: String {
        switch self {
        case .newest: "createdAt DESC, id DESC"
        case .oldest: "createdAt ASC, id ASC"
        case .final: "finalAccuracy IS NULL, finalAccuracy DESC, id"
        case .base: "baseAccuracy IS NULL, baseAccuracy DESC, id"
        case .agentTime: "agentSeconds IS NULL, agentSeconds DESC, id"
        case .id: "id ASC"
        }
    }
}

/// Per sweep: how many of its runs are where.
public struct SweepSummary: Codable, Sendable, Equatable, FetchableRecord {
    public var sweep: String
    public var runs: Int
    public var done: Int
    public var failed: Int
    public var running: Int
    public var flagged: Int
    public var agents: String
    public var newest: Date
}

/// The web UI's index of runs: SQLite (a file under PTB_HOME, or memory), refreshed
/// incrementally: a refresh stats a few files per run directory and reads only the directories
/// whose files changed, so pages are queries and never a scan of 10,000 run directories.
/// Derived data: a schema change drops and rebuilds it.
public final class CatalogIndex: Sendable {
    /// 2: costUSD (and usage.json in the signature).
    public static let schemaVersion = 2
    public let db: any DatabaseWriter
    /// Bumped whenever a refresh changed a row: caches built from the runs key on it.
    private let gen = Mutex<Int>(0)

    public struct RefreshStats: Sendable, Equatable {
        public var read = 0, unchanged = 0, removed = 0, problems: [String] = []
        public init(problems: [String] = []) { self.problems = problems }
        public var changed: Bool { read > 0 || removed > 0 }
    }

    /// `path` nil keeps the index in memory (tests, and directories ptb cannot write beside).
    public init(path: URL?) throws {
        if let path {
            try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
            var config = Configuration()
            config.busyMode = .timeout(10)
            db = try DatabasePool(path: path.path, configuration: config)
        } else {
            db = try DatabaseQueue()
        }
        try db.write { db in
            let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            if version != Self.schemaVersion {
                try db.execute(sql: "DROP TABLE IF EXISTS catalog")
                try db.create(table: "catalog") { t in
                    t.primaryKey("id", .text)
                    t.column("dir", .text).notNull()
                    t.column("experiment", .text)
                    t.column("sweep", .text).notNull().indexed()
                    t.column("agent", .text).notNull().indexed()
                    t.column("task", .text).notNull().indexed()
                    t.column("model", .text).notNull().indexed()
                    t.column("hours", .double).notNull()
                    t.column("gpus", .integer).notNull()
                    t.column("outcome", .text).notNull().indexed()
                    t.column("phase", .text).notNull()
                    t.column("exitClass", .text)
                    t.column("baseAccuracy", .double)
                    t.column("finalAccuracy", .double)
                    t.column("scoreState", .text)
                    t.column("integrity", .text).notNull()
                    t.column("agentSeconds", .double)
                    t.column("costUSD", .double)
                    t.column("createdAt", .datetime).notNull().indexed()
                    t.column("finishedAt", .datetime)
                    t.column("deadline", .datetime)
                    t.column("notes", .text).notNull()
                    t.column("signature", .text).notNull()
                }
                try db.execute(sql: "PRAGMA user_version = \(Self.schemaVersion)")
            }
        }
    }

    public var generation: Int { gen.withLock { $0 } }

    /// Brings the index in line with the run directories under `sources` (a directory and the
    /// experiment its runs belong to). An id reached twice keeps its first directory.
    @discardableResult
    public func refresh(_ sources: [(dir: URL, experiment: String?)]) throws -> RefreshStats {
        let known = try db.read { db in
            try Row.fetchAll(db, sql: "SELECT id, dir, signature FROM catalog").reduce(into: [String: (String, String)]()) {
                $0[$1["id"]] = ($1["dir"], $1["signature"])
            }
        }
        var stats = RefreshStats()
        var seen = Set<String>()
        var fresh: [CatalogRow] = []
        let fm = FileManager.default
        for (runs, experiment) in sources {
            for name in ((try? fm.contentsOfDirectory(atPath: runs.path)) ?? []).sorted() where !name.hasPrefix(".") {
                let dir = runs.appendingPathComponent(name)
                guard let sig = Self.signature(dir), seen.insert(name).inserted else { continue }
                if let k = known[name], k.0 == dir.path, k.1 == sig {
                    stats.unchanged += 1
                    continue
                }
                do {
                    fresh.append(try Self.row(dir: dir, experiment: experiment, signature: sig))
                    stats.read += 1
                } catch {
                    stats.problems.append("\(name): \(error)")
                }
            }
        }
        let gone = known.keys.filter { !seen.contains($0) }
        stats.removed = gone.count
        if stats.changed {
            try db.write { db in
                for r in fresh { try r.upsert(db) }
                for id in gone { _ = try CatalogRow.deleteOne(db, key: id) }
            }
            gen.withLock { $0 += 1 }
        }
        return stats
    }

    /// Sizes and modification times (ns) of the files a row is built from; nil when the directory
    /// holds no run.json.
    static func signature(_ dir: URL) -> String? {
        var parts: [String] = []
        for (i, name) in ["run.json", "result.json", "integrity.json", "notes.md", "usage.json"].enumerated() {
            var st = stat()
            if stat(dir.appendingPathComponent(name).path, &st) == 0 {
                parts.append("\(st.st_size).\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)")
            } else {
                if i == 0 { return nil }
                parts.append("-")
            }
        }
        return parts.joined(separator: "/")
    }

    static func row(dir: URL, experiment: String?, signature: String) throws -> CatalogRow {
        let p = RunPaths(dir: dir)
        let m = try JSONIO.read(RunManifest.self, from: p.manifest)
        let r = try? JSONIO.read(RunResult.self, from: p.result)
        // integrity.json's own verdict counts while result.json is not written yet.
        let integ = (try? Data(contentsOf: p.integrity)).flatMap { try? JSONSerialization.jsonObject(with: $0) } as? [String: Any]
        let flagged = r?.integrityFlagged ?? (integ?["flagged"] as? Bool)
        let usage = (try? Data(contentsOf: p.usage)).flatMap { try? JSONSerialization.jsonObject(with: $0) } as? [String: Any]
        let cost = usage.flatMap { u in
            (JSONKeys.value(u, "reportedCostUSD") as? NSNumber)?.doubleValue ?? (JSONKeys.value(u, "estimatedCostUSD") as? NSNumber)?.doubleValue
        }
        var notes = [m.spec.name, m.failure, r?.scoreState.rawValue].compactMap { $0 }
        notes += integ?["reasons"] as? [String] ?? []
        if let n = try? Data(contentsOf: dir.appendingPathComponent("notes.md")) {
            notes.append(String(decoding: n.prefix(16_384), as: UTF8.self))
        }
        return CatalogRow(id: p.id, dir: dir.path, experiment: experiment, sweep: experiment ?? m.spec.name ?? m.spec.agent,
                          agent: m.spec.agent, task: m.spec.task, model: m.spec.model, hours: m.spec.hours, gpus: m.spec.gpus,
                          outcome: m.outcome.rawValue, phase: m.outcome == .done ? "done" : m.currentPhase.rawValue,
                          exitClass: m.exit?.description, baseAccuracy: r?.baseScore?.accuracy, finalAccuracy: r?.finalScore?.accuracy,
                          scoreState: r?.scoreState.rawValue, integrity: flagged.map { $0 ? "flagged" : "clean" } ?? "none",
                          agentSeconds: r?.agentSeconds, costUSD: cost, createdAt: m.createdAt, finishedAt: r?.finishedAt, deadline: m.deadline,
                          notes: notes.joined(separator: "\n"), signature: signature)
    }

    func whereClause(_ f: CatalogFilter) -> (String, StatementArguments) {
        var conds: [String] = [], args: [(any DatabaseValueConvertible)?] = []
        for (col, v) in [("agent", f.agent), ("task", f.task), ("model", f.model), ("sweep", f.sweep), ("integrity", f.integrity)] {
            if let v, !v.isEmpty { conds.append("\(col) = ?"); args.append(v) }
        }
        if let s = f.state, !s.isEmpty {
            conds.append("(outcome = ? OR (outcome <> 'done' AND phase = ?))")
            args += [s, s]
        }
        if let t = f.text?.trimmingCharacters(in: .whitespaces), !t.isEmpty {
            let like = "%" + t.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_") + "%"
            conds.append("(id LIKE ? ESCAPE '\\' OR notes LIKE ? ESCAPE '\\')")
            args += [like, like]
        }
        return (conds.isEmpty ? "" : " WHERE " + conds.joined(separator: " AND "), StatementArguments(args))
    }

    /// One page of matching runs and how many match in all.
    public func page(_ filter: CatalogFilter, sort: CatalogSort = .newest, offset: Int, limit: Int) throws -> (rows: [CatalogRow], total: Int) {
        let (w, args) = whereClause(filter)
        return try db.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM catalog" + w, arguments: args) ?? 0
            let rows = try CatalogRow.fetchAll(db, sql: "SELECT * FROM catalog\(w) ORDER BY \(sort.sql) LIMIT ? OFFSET ?",
                                               arguments: args + [max(0, limit), max(0, offset)])
            return (rows.map(Self.live), total)
        }
    }

    /// A row the index holds as running, checked now: whether its ptb process is still there is a
    /// matter of time, not of any file changing, so the index cannot hold the answer.
    static func live(_ r: CatalogRow) -> CatalogRow {
        guard r.outcome == "running" || r.outcome == "pending",
              let m = try? JSONIO.read(RunManifest.self, from: RunPaths(dir: URL(fileURLWithPath: r.dir)).manifest),
              RunLiveness.interruption(runDir: URL(fileURLWithPath: r.dir), manifest: m) != nil else { return r }
        var out = r
        out.outcome = "interrupted"
        return out
    }

    /// Counts per outcome among matching runs.
    public func outcomes(_ filter: CatalogFilter) throws -> [String: Int] {
        let (w, args) = whereClause(filter)
        return try db.read { db in
            try Row.fetchAll(db, sql: "SELECT outcome, COUNT(*) AS n FROM catalog\(w) GROUP BY outcome", arguments: args)
                .reduce(into: [String: Int]()) { $0[$1["outcome"]] = $1["n"] }
        }
    }

    public func row(id: String) throws -> CatalogRow? {
        try db.read { try CatalogRow.fetchOne($0, key: id) }.map(Self.live)
    }

    public func rows(ids: [String]) throws -> [CatalogRow] {
        let found = try db.read { try CatalogRow.fetchAll($0, keys: ids) }
        return ids.compactMap { id in found.first { $0.id == id } }.map(Self.live)
    }

    /// The distinct values of a filterable column, for the filter menus.
    public func values(_ column: String) throws -> [String] {
        guard ["agent", "task", "model", "sweep", "integrity", "outcome", "phase"].contains(column) else { return [] }
        return try db.read { try String.fetchAll($0, sql: "SELECT DISTINCT \(column) FROM catalog ORDER BY \(column)") }
    }

    public func sweeps(offset: Int = 0, limit: Int = 1_000_000) throws -> (rows: [SweepSummary], total: Int) {
        try db.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT sweep) FROM catalog") ?? 0
            let rows = try SweepSummary.fetchAll(db, sql: """
                SELECT sweep, COUNT(*) AS runs, SUM(outcome = 'done') AS done, SUM(outcome = 'failed') AS failed,
                       SUM(outcome IN ('running', 'pending')) AS running, SUM(integrity = 'flagged') AS flagged,
                       GROUP_CONCAT(DISTINCT agent) AS agents, MAX(createdAt) AS newest
                FROM catalog GROUP BY sweep ORDER BY sweep LIMIT ? OFFSET ?
                """, arguments: [limit, offset])
            return (rows, total)
        }
    }

    public var count: Int { (try? db.read { try CatalogRow.fetchCount($0) }) ?? 0 }
}
