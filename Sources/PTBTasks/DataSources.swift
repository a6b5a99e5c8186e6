import Foundation

/// One upstream file of a task's data, pinned by content.
public struct PinnedFile: Sendable, Equatable {
    /// The task split the file is imported as.
    public var split: String
    public var url: String
    public var sha256: String
    public var bytes: Int?

    public init(split: String, url: String, sha256: String, bytes: Int? = nil) {
        self.split = split
        self.url = url
        self.sha256 = sha256
        self.bytes = bytes
    }
}

/// Where `ptb data pull` fetches each task's data: one entry per task, URLs pinned to a commit
/// and every file to its sha256 (a changed upstream file is refused, not imported).
/// Where `ptb data pull` fetches each task's data: the tasks' own `pinnedFiles` and `hubRows`,
/// gathered from the registry.
public enum DataSources {
    /// PostTrainBench's task folder at the pinned commit, for the files it ships (Arena-Hard, HealthBench).
    public static let postTrainBench = "https://raw.githubusercontent.com/aisa-group/PostTrainBench/9082063a62e10e040f1acacdec2ccfc1467e0c00/src/eval/tasks"

    public static var all: [String: [PinnedFile]] {
        Dictionary(uniqueKeysWithValues: TaskRegistry.datasetTasks.filter { !$0.pinnedFiles.isEmpty }.map { ($0.id, $0.pinnedFiles) })
    }

    public static var hubRows: [String: [HubRows]] {
        Dictionary(uniqueKeysWithValues: TaskRegistry.datasetTasks.filter { !$0.hubRows.isEmpty }.map { ($0.id, $0.hubRows) })
    }

    public static var tasks: [String] { Set(all.keys).union(hubRows.keys).sorted() }
}

public struct HubRows: Sendable, Equatable {
    public enum Format: Sendable, Equatable {
        /// One JSON object per row, as the task's importer reads upstream JSONL.
        case jsonl
        /// The task's importer reads the upstream CSV: these columns, in this order.
        case csv(columns: [String])
    }
    public var dataset: String
    public var config: String
    public var split: String
    public var taskSplit: String
    public var format: Format
    public var server: String

    public init(dataset: String, config: String, split: String, taskSplit: String, format: Format = .jsonl,
                server: String = "https://datasets-server.huggingface.co") {
        self.dataset = dataset
        self.config = config
        self.split = split
        self.taskSplit = taskSplit
        self.format = format
        self.server = server
    }

    public func pageURL(offset: Int, length: Int) -> String {
        let q = { (s: String) in s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.~"))) ?? s }
        return "\(server)/rows?dataset=\(q(dataset))&config=\(q(config))&split=\(q(split))&offset=\(offset)&length=\(length)"
    }

    public var label: String { "hf://datasets/\(dataset) (config \(config), split \(split), datasets-server rows)" }

    /// The rows in the form the task's importer reads.
    public func render(_ rows: [[String: Any]]) throws -> Data {
        switch format {
        case .jsonl:
            var out = Data()
            for r in rows {
                out.append(try JSONSerialization.data(withJSONObject: r, options: [.sortedKeys]))
                out.append(0x0A)
            }
            return out
        case .csv(let columns):
            func cell(_ v: Any?) -> String {
                let s: String
                switch v {
                case let x as String: s = x
                case let x as NSNumber: s = x.stringValue
                case nil, is NSNull: s = ""
                default: s = "\(v!)"
                }
                return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
            var lines = [columns.map(cell).joined(separator: ",")]
            for r in rows { lines.append(columns.map { cell(r[$0]) }.joined(separator: ",")) }
            return Data((lines.joined(separator: "\n") + "\n").utf8)
        }
    }
}
