import Foundation
import GRDB
import PTBCore

/// One row of the index: what `ptb status` and reports need without opening every run dir.
public struct RunRow: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "runs"
    public var id: String
    public var dir: String
    public var task: String
    public var model: String
    public var agent: String
    public var hours: Double
    public var gpus: Int
    public var phase: String
    public var outcome: String
    public var exitClass: String?
    public var finalAccuracy: Double?
    public var baseAccuracy: Double?
    public var scoreState: String?
    public var createdAt: Date
    public var elapsedSeconds: Double
    public var failure: String?

    public init(manifest m: RunManifest, result r: RunResult?, dir: URL, now: Date = Date()) {
        id = m.id
        self.dir = dir.path
        task = m.spec.task
        model = m.spec.model
        agent = m.spec.agent
        hours = m.spec.hours
        gpus = m.spec.gpus
        phase = m.outcome == .done ? "done" : m.currentPhase.rawValue
        // A run whose ptb process is gone says so, instead of `running` forever.
        outcome = RunLiveness.interruption(runDir: dir, manifest: m, now: now) == nil ? m.outcome.rawValue : "interrupted"
        exitClass = m.exit?.description
        finalAccuracy = r?.finalScore?.accuracy
        baseAccuracy = r?.baseScore?.accuracy
        scoreState = r?.scoreState
        createdAt = m.createdAt
        let end = r?.finishedAt ?? (m.outcome == .running ? now : (Phase.allCases.compactMap { m[$0].endedAt }.max() ?? now))
        elapsedSeconds = max(0, end.timeIntervalSince(m.createdAt))
        failure = m.failure
    }
}

/// The SQLite index under PTB_HOME. Derived data: it can always be rebuilt from run directories.
public struct RunIndex: Sendable {
    public let db: DatabaseQueue
    /// Where it really is: `path`, or a node-local directory when `path`'s filesystem has no
    /// locks SQLite can rely on (`IndexLocation`).
    public let location: IndexLocation

    /// `warn` hears the move off `path` once per node: when the local index is first created.
    public init(path: URL, probe: LockProbe = .system,
                warn: @Sendable (String) -> Void = { FileHandle.standardError.write(Data("ptb: warning: \($0)\n".utf8)) }) throws {
        location = IndexLocation.resolve(path, probe: probe)
        let path = location.url
        if let w = location.warning, !FileManager.default.fileExists(atPath: path.path) { warn(w) }
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        var config = Configuration()
        config.busyMode = .timeout(30)
        db = try DatabaseQueue(path: path.path, configuration: config)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "runs") { t in
                t.primaryKey("id", .text)
                t.column("dir", .text).notNull()
                t.column("task", .text).notNull()
                t.column("model", .text).notNull()
                t.column("agent", .text).notNull()
                t.column("hours", .double).notNull()
                t.column("gpus", .integer).notNull()
                t.column("phase", .text).notNull()
                t.column("outcome", .text).notNull()
                t.column("exitClass", .text)
                t.column("finalAccuracy", .double)
                t.column("baseAccuracy", .double)
                t.column("scoreState", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("elapsedSeconds", .double).notNull()
                t.column("failure", .text)
            }
        }
        try Self.migrate(migrator, db)
    }

    /// Two processes opening a new index at once both see the migration as pending, and the
    /// slower one's `CREATE TABLE` fails; by then the other's migration is committed, so a second
    /// pass finds it applied.
    static func migrate(_ migrator: DatabaseMigrator, _ db: DatabaseQueue) throws {
        do { try migrator.migrate(db) } catch {
            try migrator.migrate(db)
        }
    }

    public func upsert(_ row: RunRow) throws {
        try db.write { try row.upsert($0) }
    }

    public func all() throws -> [RunRow] {
        try db.read { try RunRow.order(Column("createdAt")).fetchAll($0) }
    }

    /// Replace the index with what the run directories say. Unreadable runs are reported, not fatal.
    @discardableResult
    public func rebuild(from runsDirs: [URL]) throws -> (indexed: Int, problems: [String]) {
        var rows: [RunRow] = []
        var problems: [String] = []
        for runs in runsDirs {
            for dir in RunScanner.runDirectories(in: runs) {
                let paths = RunPaths(dir: dir)
                do {
                    let m = try JSONIO.read(RunManifest.self, from: paths.manifest)
                    let r = try? JSONIO.read(RunResult.self, from: paths.result)
                    rows.append(RunRow(manifest: m, result: r, dir: dir))
                } catch {
                    problems.append("\(dir.lastPathComponent): \(error)")
                }
            }
        }
        try db.write { db in
            try RunRow.deleteAll(db)
            for r in rows { try r.insert(db) }
        }
        problems += try FingerprintIndex(self).rebuild(from: runsDirs).problems
        return (rows.count, problems)
    }
}

public enum RunScanner {
    /// Run directories: immediate subdirectories holding a run.json.
    public static func runDirectories(in runs: URL) -> [URL] {
        let fm = FileManager.default
        let names = (try? fm.contentsOfDirectory(atPath: runs.path)) ?? []
        return names.sorted().map { runs.appendingPathComponent($0) }
            .filter { fm.fileExists(atPath: $0.appendingPathComponent("run.json").path) }
    }
}

extension RunScanner {
    /// Runs whose manifest says they are not done (failed or interrupted ones included).
    public static func unfinished(in runs: URL) -> [RunPaths] {
        runDirectories(in: runs).map(RunPaths.init).filter { p in
            guard let m = try? JSONIO.read(RunManifest.self, from: p.manifest) else { return false }
            return m.outcome != .done || m.nextPhase != nil
        }
    }
}
