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
public enum DataSources {
    /// PostTrainBench main at the commit the reference harness describes.
    static let postTrainBench = "https://raw.githubusercontent.com/aisa-group/PostTrainBench/9082063a62e10e040f1acacdec2ccfc1467e0c00/src/eval/tasks"

    public static let all: [String: [PinnedFile]] = [
        "arenahardwriting": [
            PinnedFile(split: "question", url: "\(postTrainBench)/arenahardwriting/evaluation_code/data/arena-hard-v2.0/question.jsonl",
                       sha256: "f337df1022d723b2062bcc530e8e7fbc367548c31fbc87d0ae668f0b6c7609a5"),
            PinnedFile(split: "baseline", url: "\(postTrainBench)/arenahardwriting/evaluation_code/data/arena-hard-v2.0/model_answer/Qwen3-1.7B.jsonl",
                       sha256: "87a72bb89edfd05fc8dd32152750649e1bab60ba1b62ebcd055610a729023c30"),
        ],
        "healthbench": [
            PinnedFile(split: "test", url: "\(postTrainBench)/healthbench/evaluation_code/data/healthbench.jsonl",
                       sha256: "0febc8f013eb5d91e3b7e31bbbb0284ae6aa5fbd8cab68b81d63fa252837c0b0"),
        ],
    ]

    /// Hugging Face datasets read through the datasets-server rows API (JSON pages of 100 rows),
    /// because their hub files are Parquet. Not pinned by hash (the API re-serialises rows); the
    /// manifest records the sha256 and row count of what was imported, and a count that differs
    /// from upstream is reported.
    public static let hubRows: [String: [HubRows]] = [
        "gsm8k": [HubRows(dataset: "openai/gsm8k", config: "main", split: "test", taskSplit: "test"),
                  HubRows(dataset: "openai/gsm8k", config: "main", split: "train", taskSplit: "train")],
        "aime2025": [HubRows(dataset: "math-ai/aime25", config: "default", split: "test", taskSplit: "test")],
        "humaneval": [HubRows(dataset: "openai/openai_humaneval", config: "openai_humaneval", split: "test", taskSplit: "test")],
        // Gated: needs HF_TOKEN of an account that accepted the dataset's terms.
        "gpqamain": [HubRows(dataset: "Idavidrein/gpqa", config: "gpqa_main", split: "train", taskSplit: "test", format: .csv(
            columns: ["Record ID", "Question", "Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3"]))],
    ]

    public static var tasks: [String] { Set(all.keys).union(hubRows.keys).sorted() }
}

/// One split of a Hugging Face dataset, fetched row by row from the datasets-server API.
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
