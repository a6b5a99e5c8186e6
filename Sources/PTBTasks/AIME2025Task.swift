import Foundation
import PTBCore

/// `aime2025`: inspect_evals' `aime2025` as the original ran it — `math-ai/aime25` test split
/// (30 problems), zero-shot with the AIME `USER_PROMPT_TEMPLATE`, scored by unwrapping
/// `\boxed{…}` (`re.sub(r"\\boxed\{(.+)\}", r"\1", completion)`, greedy, one line) and then
/// `match(numeric=True)` at the end.
public struct AIME2025Task: DatasetTask {
    public let id = "aime2025"
    public let benchmarkName = "American Invitational Mathematics Examination (AIME) 2025"
    public let defaults = TaskDefaults(limit: nil, maxTokens: 16000, maxConnections: 6, gpuMemoryUtilization: 0.8,
                                       retryMaxTokens: [12000, 8000])
    public let leaderboardName = "AIME 2025"
    public let paperWeight: Double? = 0.226536549919078
    public let inspectNote = true
    public let scoring = ScoringMode.pure
    public let matchesNumericAnswer = true
    public let testDataMarkers = ["aime25", "aime_2025", "aime2025", "aime-2025"]
    public var matchMode: NumericMatch.Mode

    public init(matchMode: NumericMatch.Mode = .original) { self.matchMode = matchMode }

    /// The AIME `USER_PROMPT_TEMPLATE` (after `.strip()`); `{prompt}` is the problem.
    public static let promptTemplate = """
        Solve the following math problem step by step.
        The last line of your response should be of the form "ANSWER: $ANSWER" (without quotes) where $ANSWER is the answer to the problem.

        {prompt}

        Remember to put your answer on its own line at the end in the form "ANSWER: $ANSWER" (without quotes) where $ANSWER is the answer to the problem, and you do not need to use a \\boxed command.
        """

    /// The normalised row: `id`, `problem`, `answer` as strings (`str()` of the upstream values).
    public struct Row: Codable, Sendable, Equatable {
        public var id: String
        public var problem: String
        public var answer: String
    }

    struct UpstreamRow: Decodable {
        var id: LooseString?
        var problem: String
        var answer: LooseString
    }

    public func samples(home: PTBHome) throws -> [Sample] {
        try TaskDataStore(home: home).rows(Row.self, task: self, split: "test").map { row in
            Sample(id: row.id, messages: [ChatMessage(role: "user", content: Self.promptTemplate.replacingOccurrences(of: "{prompt}", with: row.problem))],
                   target: row.answer)
        }
    }

    static let boxed = PythonText.regex(#"\\boxed\{(.+)\}"#)

    /// `re.sub(r"\\boxed\{(.+)\}", r"\1", completion)`: `.` stops at newlines and is greedy, so
    /// on each line everything from the first `\boxed{` to the last `}` is replaced by its inside.
    public func answerText(_ completion: String) -> String {
        guard let re = Self.boxed else { return completion }
        return PythonText.sub(re, "$1", completion)
    }

    public func score(_ sample: Sample, completion: String) -> Score {
        score(sample, completion: completion, mode: matchMode)
    }

    public func contextFiles() throws -> [String: String] { [:] }

    public var devSplitNote: String { "AIME 2025 has 30 problems and all are test items; ptb imports no other AIME data." }

    // MARK: data

    public let dataSplits = ["test"]
    public let upstreamRows = ["test": 30]
    public let hubRows = [HubRows(dataset: "math-ai/aime25", config: "default", split: "test", taskSplit: "test")]
    public let dataSource = "math-ai/aime25's test split as JSONL with fields problem, answer and id"

    public func normalise(_ data: Data, fileName: String, split: String) throws -> [String] {
        try JSONLines.decode(UpstreamRow.self, from: data, file: fileName).enumerated().map { i, r in
            // Without an id field inspect would number the samples; do the same.
            try JSONLines.encode(Row(id: r.id?.value ?? String(i + 1), problem: r.problem, answer: r.answer.value))
        }
    }
}
