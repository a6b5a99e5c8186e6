import Foundation
import PTBCore

/// What one `ptb import` read: the records of every run and every entry that was not a run.
public struct ImportSnapshot: Sendable, Codable, Equatable {
    public static let currentSchema = 1
    public var schemaVersion: Int
    public var source: String
    public var importedAt: Date
    public var runs: [ResultRun]
    public var skipped: [SkippedEntry]

    public init(source: String, importedAt: Date, runs: [ResultRun], skipped: [SkippedEntry]) {
        self.schemaVersion = Self.currentSchema
        self.source = source
        self.importedAt = importedAt
        self.runs = runs
        self.skipped = skipped
    }
}

/// Imported results live as JSON in `$PTB_HOME/imports/<label>.json`, one file per import. They are a
/// source (the original's results directory may be gone later), so the SQLite index never holds them
/// and stays rebuildable from run directories alone.
public struct ImportStore: Sendable {
    public let directory: URL

    public init(home: PTBHome) { directory = home.root.appendingPathComponent("imports") }
    public init(directory: URL) { self.directory = directory }

    /// A file-name-safe label: letters, digits, `.`, `-`, `_`; anything else becomes `_`.
    public static func label(for source: URL) -> String {
        sanitize(source.standardizedFileURL.lastPathComponent)
    }

    public static func sanitize(_ raw: String) -> String {
        let safe = String(raw.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
        return safe.isEmpty || safe.hasPrefix(".") ? "results" + safe : safe
    }

    public func url(label: String) -> URL { directory.appendingPathComponent("\(label).json") }

    @discardableResult
    public func save(_ snapshot: ImportSnapshot, label: String) throws -> URL {
        let u = url(label: label)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try JSONIO.write(snapshot, to: u)
        return u
    }

    /// Every snapshot, in label order. A corrupt one stops the load: silently dropping results would
    /// change the leaderboard without telling anyone.
    public func loadAll() throws -> [ImportSnapshot] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
        return try names.map { name in
            let u = directory.appendingPathComponent(name)
            do {
                let s = try JSONIO.read(ImportSnapshot.self, from: u)
                guard s.schemaVersion <= ImportSnapshot.currentSchema else {
                    throw ResultsError.snapshot(path: u.path, reason: "schema \(s.schemaVersion) is newer than this ptb understands")
                }
                return s
            } catch let e as ResultsError { throw e } catch {
                throw ResultsError.snapshot(path: u.path, reason: "\(error)")
            }
        }
    }
}
