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

    public static var tasks: [String] { all.keys.sorted() }
}
