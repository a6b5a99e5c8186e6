import Foundation
import PTBCore

/// A task whose test set (and, for GSM8K, few-shot pool) is imported into `$PTB_HOME/data` with
/// `ptb data import`. ptb never ships benchmark test sets.
public protocol DatasetTask: EvalTask {
    /// Splits the task reads; the first is the one scored.
    var dataSplits: [String] { get }
    /// Upstream row count of each split. An import that differs is reported: it is a partial
    /// file or another version, and scores would not be comparable to the original's.
    var upstreamRows: [String: Int] { get }
    /// What to import, in a sentence (dataset, format, fields), for messages.
    var dataSource: String { get }
    /// Turns one upstream file (already decompressed) into normalised JSON lines for `split`.
    func normalise(_ data: Data, fileName: String, split: String) throws -> [String]
    /// The command that imports `split`, as error messages quote it.
    func importCommand(split: String) -> String
    /// Files `ptb data pull` downloads, pinned by sha256; none (the default) when it has none.
    var pinnedFiles: [PinnedFile] { get }
    /// Hugging Face datasets `ptb data pull` reads row by row; none (the default) when it has none.
    var hubRows: [HubRows] { get }
    /// The directory importer of tasks whose upstream data is a directory; `DirectoryDatasetTask`
    /// conformers return themselves, the others nil.
    var directoryImport: (any DirectoryDatasetTask)? { get }
}

extension DatasetTask {
    public var dataset: (any DatasetTask)? { self }

    public var pinnedFiles: [PinnedFile] { [] }

    public var hubRows: [HubRows] { [] }

    /// A directory import of several splits at once; nil (the default) for single-file imports.
    public var directoryImport: (any DirectoryDatasetTask)? { nil }

    public func importCommand(split: String) -> String {
        "ptb data import \(id) <path>" + (dataSplits.count > 1 ? " --split \(split)" : "")
    }
}

/// A task whose upstream data is a directory of several files (bfcl-eval's `bfcl_eval/data`):
/// `ptb data import <task> <dir>` imports every split it finds there at once.
public protocol DirectoryDatasetTask: DatasetTask {
    /// Per split: the upstream content to pass to `normalise`, and the file it mainly came from.
    func readDirectory(_ dir: URL) throws -> [(split: String, data: Data, source: URL)]
}

extension DirectoryDatasetTask {
    public var directoryImport: (any DirectoryDatasetTask)? { self }
}

/// `manifest.json` of one task's data directory.
public struct DataManifest: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var file: String
        public var rows: Int
        /// sha256 of the normalised file: samples are refused when it no longer matches.
        public var sha256: String
        public var source: String
        public var sourceSha256: String
        public var importedAt: Date
        public var ptbVersion: String
    }

    public var schemaVersion = 1
    public var task: String
    public var splits: [String: Entry]
}

public enum TaskDataError: Error, CustomStringConvertible, Equatable {
    case missing(task: String, split: String, path: String, source: String, command: String)
    case modified(task: String, split: String, path: String, command: String)
    case unreadable(path: String, reason: String)
    case badRecord(file: String, line: Int, reason: String)
    case unknownSplit(task: String, split: String?, valid: [String])
    case notDatasetTask(String, valid: [String])

    public var description: String {
        switch self {
        case let .missing(task, split, path, source, command):
            "\(task): the \(split) split is not imported (no \(path)). Get \(source), then run `\(command)`."
        case let .modified(task, split, path, command):
            "\(task): \(path) no longer matches the sha256 recorded when the \(split) split was imported. "
                + "Re-import it with `\(command)`."
        case let .unreadable(path, reason):
            "cannot read \(path): \(reason)."
        case let .badRecord(file, line, reason):
            "\(file), record \(line): \(reason). Check that the file is the upstream file the task expects (`ptb data list` says which)."
        case let .unknownSplit(task, split, valid):
            split.map { "task \(task) has no split '\($0)'; use --split with one of: \(valid.joined(separator: ", "))." }
                ?? "task \(task) has several splits; say which one this file is with --split \(valid.joined(separator: "|"))."
        case let .notDatasetTask(task, valid):
            "task \(task) has no data to import (it ships with ptb). Tasks with imported data: \(valid.joined(separator: ", "))."
        }
    }
}

/// `$PTB_HOME/data/<task>/`, the only place benchmark data is read from.
///
/// ```
/// $PTB_HOME/data/<task>/
///   <split>.jsonl     normalised rows, one JSON object per line, upstream order
///   manifest.json     per split: file, rows, sha256, source path and sha256, import time
/// ```
public struct TaskDataStore: Sendable {
    public let home: PTBHome
    public init(home: PTBHome) { self.home = home }

    public func directory(_ task: String) -> URL { home.data.appendingPathComponent(task) }
    public func file(_ task: String, split: String) -> URL { directory(task).appendingPathComponent("\(split).jsonl") }
    public func manifestURL(_ task: String) -> URL { directory(task).appendingPathComponent("manifest.json") }

    public func manifest(_ task: String) throws -> DataManifest? {
        let url = manifestURL(task)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try JSONIO.read(DataManifest.self, from: url)
    }

    /// The rows of one split, after checking the file against its manifest entry.
    public func rows<T: Decodable>(_ type: T.Type, task: some DatasetTask, split: String) throws -> [T] {
        try JSONLines.decode(type, from: try verifiedData(task: task, split: split), file: file(task.id, split: split).path)
    }

    /// The normalised file of one split, after checking it against its manifest entry.
    public func verifiedData(task: some DatasetTask, split: String) throws -> Data {
        let url = file(task.id, split: split)
        guard FileManager.default.fileExists(atPath: url.path), let entry = try manifest(task.id)?.splits[split] else {
            throw TaskDataError.missing(task: task.id, split: split, path: url.path, source: task.dataSource,
                                        command: task.importCommand(split: split))
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TaskDataError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        guard Hashing.sha256(data) == entry.sha256 else {
            throw TaskDataError.modified(task: task.id, split: split, path: url.path, command: task.importCommand(split: split))
        }
        return data
    }

    /// Imports every split `task` finds in the upstream directory `dir`.
    public func importDirectory(_ dir: URL, task: some DirectoryDatasetTask) throws -> [(DataManifest.Entry, [String])] {
        try task.readDirectory(dir).map { try importData($0.data, raw: $0.data, source: $0.source, task: task, split: $0.split) }
    }

    /// Normalises `source` with the task's importer and records it; returns the manifest entry
    /// and warnings (a row count that differs from upstream).
    /// `sourceLabel` is what the manifest records as the source (a pinned URL for `ptb data pull`).
    public func importFile(_ source: URL, task: some DatasetTask, split requested: String?, sourceLabel: String? = nil) throws -> (DataManifest.Entry, [String]) {
        let split: String
        if let requested {
            guard task.dataSplits.contains(requested) else {
                throw TaskDataError.unknownSplit(task: task.id, split: requested, valid: task.dataSplits)
            }
            split = requested
        } else {
            guard task.dataSplits.count == 1 else { throw TaskDataError.unknownSplit(task: task.id, split: nil, valid: task.dataSplits) }
            split = task.dataSplits[0]
        }
        let raw: Data
        do { raw = try Data(contentsOf: source) } catch {
            throw TaskDataError.unreadable(path: source.path, reason: error.localizedDescription)
        }
        let plain: Data
        do { plain = Gzip.isGzip(raw) ? try Gzip.decompress(raw) : raw } catch {
            throw TaskDataError.unreadable(path: source.path, reason: "\(error)")
        }
        return try importData(plain, raw: raw, source: source, task: task, split: split, sourceLabel: sourceLabel)
    }

    func importData(_ plain: Data, raw: Data, source: URL, task: some DatasetTask, split: String, sourceLabel: String? = nil) throws -> (DataManifest.Entry, [String]) {
        let lines = try task.normalise(plain, fileName: source.lastPathComponent, split: split)
        let body = Data((lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")).utf8)
        let entry = DataManifest.Entry(file: "\(split).jsonl", rows: lines.count, sha256: Hashing.sha256(body),
                                       source: sourceLabel ?? source.standardizedFileURL.path, sourceSha256: Hashing.sha256(raw),
                                       importedAt: Date(), ptbVersion: PTBVersion.current)
        try AtomicFile.write(body, to: file(task.id, split: split))
        var manifest = try self.manifest(task.id) ?? DataManifest(task: task.id, splits: [:])
        manifest.splits[split] = entry
        try JSONIO.write(manifest, to: manifestURL(task.id))
        var warnings: [String] = []
        if let expected = task.upstreamRows[split], expected != lines.count {
            warnings.append("\(task.id) \(split): \(lines.count) rows, but the upstream split has \(expected); "
                            + "scores on this data are not comparable to the original's.")
        }
        return (entry, warnings)
    }
}

/// One line of `ptb data list`.
public struct DataStatusRow: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable { case ok, missing, modified }
    public var task: String
    public var split: String
    public var state: State
    public var rows: Int?
    public var upstreamRows: Int?
    public var sha256: String?
    public var source: String?
    public var importedAt: Date?
    /// What imports the split (shown when it is missing or modified).
    public var importCommand: String
}

extension TaskDataStore {
    /// Every split of every dataset task: imported and intact, missing, or changed since import.
    public func status(_ tasks: [any DatasetTask]) -> [DataStatusRow] {
        tasks.flatMap { task in
            let manifest = try? self.manifest(task.id)
            return task.dataSplits.map { split in
                let entry = manifest?.splits[split]
                let url = file(task.id, split: split)
                var state = DataStatusRow.State.missing
                if let entry, let data = try? Data(contentsOf: url) {
                    state = Hashing.sha256(data) == entry.sha256 ? .ok : .modified
                }
                return DataStatusRow(task: task.id, split: split, state: state, rows: entry?.rows, upstreamRows: task.upstreamRows[split],
                                     sha256: entry?.sha256, source: entry?.source, importedAt: entry?.importedAt,
                                     importCommand: task.importCommand(split: split))
            }
        }
    }
}

/// The tasks whose data is imported rather than shipped.
extension TaskRegistry {
    public static var datasetTasks: [any DatasetTask] { all.compactMap(\.dataset) }

    public static func datasetTask(_ id: String) throws -> any DatasetTask {
        let valid = datasetTasks.map(\.id)
        guard let t = datasetTasks.first(where: { $0.id == id }) else {
            if ids.contains(id) { throw TaskDataError.notDatasetTask(id, valid: valid) }
            throw PTBError.unknownChoice(kind: "task", value: id, valid: valid)
        }
        return t
    }
}

/// JSON Lines reading shared by the importers and the store.
enum JSONLines {
    static func decode<T: Decodable>(_ type: T.Type, from data: Data, file: String) throws -> [T] {
        let decoder = JSONDecoder()
        var out: [T] = []
        var lineNumber = 0
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            guard line.contains(where: { !(0x20 == $0 || 0x09 == $0 || 0x0D == $0) }) else { continue }
            do { out.append(try decoder.decode(type, from: Data(line))) } catch {
                throw TaskDataError.badRecord(file: file, line: lineNumber, reason: Self.describe(error))
            }
        }
        return out
    }

    static func encode<T: Encodable>(_ value: T) throws -> String { try JSONIO.line(value) }

    /// DecodingError's own text names Swift types; say which field is wrong instead.
    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "field \"\(key.stringValue)\" is missing"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            "field \"\(c.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type"
        case DecodingError.dataCorrupted: "not valid JSON"
        default: "\(error)"
        }
    }
}

/// A JSON value that upstream files give as a number in some versions and a string in others
/// (AIME ids and answers). Kept as Python's `str()` of the value.
struct LooseString: Decodable, Equatable {
    var value: String
    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { value = s }
        else if let i = try? c.decode(Int.self) { value = String(i) }
        else if let d = try? c.decode(Double.self) { value = PythonText.floatRepr(d) }
        else { throw DecodingError.typeMismatch(String.self, .init(codingPath: c.codingPath, debugDescription: "expected a string or a number")) }
    }
}
