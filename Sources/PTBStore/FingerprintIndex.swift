import Foundation
import GRDB
import PTBCore
import PTBIntegrity

/// One run's submission in the index: its identity, its 1 KB sketch and (in
/// `fingerprint_tensors`) its per-tensor hashes, enough to screen a new submission against
/// every indexed run without opening their directories. The full fingerprint stays in the run
/// directory and is read only for the runs the screen keeps.
public struct FingerprintRow: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "fingerprints"
    public var runId: String
    public var dir: String
    /// The base model id: only submissions of the same base are compared.
    public var model: String
    public var keyID: String
    public var weightsSHA256: String
    public var layoutID: String
    /// When collect wrote the run's fingerprint.json (seconds since 1970): of two equal
    /// submissions the later one is the copy.
    public var collectedAt: Double
    /// `Fingerprint.sketch()` as little-endian Float32.
    public var sketch: Data

    public init(runId: String, dir: URL, model: String, fingerprint f: Fingerprint) {
        self.runId = runId
        self.dir = dir.path
        self.model = model
        keyID = f.keyID
        weightsSHA256 = f.weightsSHA256
        layoutID = f.layoutID
        collectedAt = Self.collectedAt(dir) ?? Date().timeIntervalSince1970
        sketch = Self.data(f.sketch())
    }

    public var sketchValues: [Float] {
        sketch.withUnsafeBytes { raw in (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) } }
    }

    static func data(_ v: [Float]) -> Data {
        var d = Data(capacity: v.count * 4)
        for x in v { withUnsafeBytes(of: x.bitPattern.littleEndian) { d.append(contentsOf: $0) } }
        return d
    }

    /// The modification time of `<dir>/fingerprint.json`.
    public static func collectedAt(_ dir: URL) -> Double? {
        let a = try? FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(Fingerprint.fileName).path)
        return (a?[.modificationDate] as? Date)?.timeIntervalSince1970
    }
}

/// The `fingerprints` and `fingerprint_tensors` tables of the run index. Like the rest of the
/// index they are derived data: `rebuild` recreates them from each run's `fingerprint.json`.
public struct FingerprintIndex: Sendable {
    public let db: DatabaseQueue

    public init(_ index: RunIndex) throws {
        db = index.db
        var migrator = DatabaseMigrator()
        migrator.registerMigration("fingerprints-v1") { db in
            try db.create(table: "fingerprints") { t in
                t.primaryKey("runId", .text)
                t.column("dir", .text).notNull()
                t.column("model", .text).notNull()
                t.column("keyID", .text).notNull()
                t.column("weightsSHA256", .text).notNull()
                t.column("layoutID", .text).notNull()
                t.column("collectedAt", .double).notNull()
                t.column("sketch", .blob).notNull()
            }
            try db.create(index: "fingerprints_model", on: "fingerprints", columns: ["model"])
            try db.create(table: "fingerprint_tensors") { t in
                t.column("runId", .text).notNull().references("fingerprints", onDelete: .cascade)
                t.column("sha256", .text).notNull()
            }
            try db.create(index: "fingerprint_tensors_sha", on: "fingerprint_tensors", columns: ["sha256"])
            try db.create(index: "fingerprint_tensors_run", on: "fingerprint_tensors", columns: ["runId"])
        }
        try RunIndex.migrate(migrator, db)
    }

    public func upsert(_ entries: [(FingerprintRow, Fingerprint)]) throws {
        try db.write { db in
            for (row, f) in entries {
                try db.cachedStatement(sql: "DELETE FROM fingerprint_tensors WHERE runId = ?").execute(arguments: [row.runId])
                try row.upsert(db)
                let insert = try db.cachedStatement(sql: "INSERT INTO fingerprint_tensors (runId, sha256) VALUES (?, ?)")
                for t in f.tensors { try insert.execute(arguments: [row.runId, t.sha256]) }
            }
        }
    }

    /// Every indexed run id of `model`, later or screened out included.
    public func runIDs(model: String) throws -> Set<String> {
        Set(try db.read { try String.fetchAll($0, sql: "SELECT runId FROM fingerprints WHERE model = ?", arguments: [model]) })
    }

    public struct Screened: Sendable {
        /// Rows to compare in full: a sketch distance within the screen, equal weights, or a
        /// shared tensor hash.
        public var rows: [FingerprintRow]
        /// Indexed submissions of the model, other than the candidate.
        public var total: Int
        /// Indexed with another key or architecture: only their hashes were screened.
        public var otherLayout: Int
    }

    /// The indexed submissions of `model` that might be copies of `candidate`'s source: sketch
    /// distance ≤ `screen` or update cosine ≥ `screenCosine` (looser than the decision
    /// thresholds: sketches are estimates), equal weights, or any tensor hash in
    /// `changedHashes` (the candidate's tensors that differ from the base).
    public func screen(model: String, excluding: String, candidate: Fingerprint, sketch zc: [Float], baseSketch zb: [Float],
                       changedHashes: [String], screen: Double, screenCosine: Double = 0.98) throws -> Screened {
        let layout = candidate.layoutID
        return try db.read { db in
            let rows = try FingerprintRow.filter(Column("model") == model && Column("runId") != excluding).fetchAll(db)
            var shared = Set<String>()
            for chunk in stride(from: 0, to: changedHashes.count, by: 500) {
                let part = Array(changedHashes[chunk..<min(changedHashes.count, chunk + 500)])
                let marks = part.map { _ in "?" }.joined(separator: ",")
                shared.formUnion(try String.fetchAll(db, sql: "SELECT DISTINCT runId FROM fingerprint_tensors WHERE sha256 IN (\(marks))",
                                                      arguments: StatementArguments(part)))
            }
            var out = Screened(rows: [], total: rows.count, otherLayout: 0)
            for r in rows {
                if r.weightsSHA256 == candidate.weightsSHA256 || shared.contains(r.runId) { out.rows.append(r); continue }
                guard r.keyID == candidate.keyID, r.layoutID == layout else { out.otherLayout += 1; continue }
                // Not finite: only the full comparison can tell.
                guard let s = Fingerprint.sketchComparison(candidate: zc, other: r.sketchValues, base: zb) else { out.rows.append(r); continue }
                if s.distance <= screen || (s.cosine ?? 0) >= screenCosine { out.rows.append(r) }
            }
            return out
        }
    }

    /// Replaces the tables with the fingerprints found in the run directories.
    @discardableResult
    public func rebuild(from runsDirs: [URL]) throws -> (indexed: Int, problems: [String]) {
        var entries: [(FingerprintRow, Fingerprint)] = []
        var problems: [String] = []
        for runs in runsDirs {
            for dir in RunScanner.runDirectories(in: runs) {
                let url = dir.appendingPathComponent(Fingerprint.fileName)
                guard FileManager.default.fileExists(atPath: url.path) else { continue }
                do {
                    let m = try JSONIO.read(RunManifest.self, from: RunPaths(dir: dir).manifest)
                    let f = try Fingerprint.read(url)
                    entries.append((FingerprintRow(runId: m.id, dir: dir, model: m.spec.model, fingerprint: f), f))
                } catch {
                    problems.append("\(dir.lastPathComponent)/\(Fingerprint.fileName): \(error)")
                }
            }
        }
        try db.write { db in
            try db.execute(sql: "DELETE FROM fingerprint_tensors")
            try FingerprintRow.deleteAll(db)
        }
        try upsert(entries)
        return (entries.count, problems)
    }
}
