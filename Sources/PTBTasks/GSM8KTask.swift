import Foundation
import PTBCore

/// `gsm8k`: inspect_evals' `gsm8k(fewshot=10, fewshot_seed=42, shuffle_fewshot=True)` at the
/// original's pinned commit. Test = `openai/gsm8k` (main) test split (1319), numbered 1, 2, 3…
/// in file order. A system message holds ten train-split examples picked as inspect picks them
/// (`datasets.shuffle(seed=42)`, first ten); the user message is `MATH_PROMPT_TEMPLATE`; the
/// scorer is `match(numeric=True)` at the end of the completion.
public struct GSM8KTask: DatasetTask {
    public let id = "gsm8k"
    public let benchmarkName = "GSM8K (Grade School Math 8K)"
    public let defaults = TaskDefaults(limit: 150, maxTokens: 4000, maxConnections: 2, gpuMemoryUtilization: 0.3,
                                       retryMaxTokens: [3000, 2000])
    public let leaderboardName = "GSM8K"
    public let paperWeight: Double? = 0.0935882347031865
    public let inspectNote = true
    public let scoring = ScoringMode.pure
    public let matchesNumericAnswer = true
    /// The test split only: the original allows training on GSM8K's train split.
    public let testDataMarkers = ["split=\"test\"", "split='test'", "gsm8k/test", "gsm8k_test", "main/test-"]
    public let integrityJudgeAllowance: String? = "Training on the GSM8K *training* split."
    public var fewshot: Int
    public var fewshotSeed: UInt64
    public var matchMode: NumericMatch.Mode

    public init(fewshot: Int = 10, fewshotSeed: UInt64 = 42, matchMode: NumericMatch.Mode = .original) {
        self.fewshot = fewshot
        self.fewshotSeed = fewshotSeed
        self.matchMode = matchMode
    }

    /// inspect_evals' `MATH_PROMPT_TEMPLATE` (after `.strip()`); `{prompt}` is the question.
    public static let promptTemplate = """
        Solve the following math problem step by step. The last line of your response should be of the form "ANSWER: $ANSWER" (without quotes) where $ANSWER is the answer to the problem.

        {prompt}

        Remember to put your answer on its own line at the end in the form "ANSWER: $ANSWER" (without quotes) where $ANSWER is the answer to the problem, and you do not need to use a \\boxed command.

        Reasoning:
        """

    /// One upstream row (the grade-school-math / Hugging Face JSONL fields), kept verbatim.
    public struct Row: Codable, Sendable, Equatable {
        public var question: String
        public var answer: String
        public init(question: String, answer: String) {
            self.question = question
            self.answer = answer
        }
    }

    /// inspect_evals' `record_to_sample`: the answer split on `####`; the last part, stripped,
    /// is the target and the rest, re-joined and stripped, the reasoning.
    static func parse(_ row: Row) -> (question: String, reasoning: String, target: String) {
        var parts = row.answer.components(separatedBy: "####")
        let target = PythonText.strip(parts.removeLast())
        return (row.question, PythonText.strip(parts.joined(separator: "####")), target)
    }

    /// The few-shot system message: `"\n\n".join(sample_to_fewshot(s))` over the train rows
    /// selected by `permutation(len(train))[:fewshot]` of numpy's generator seeded `seed`.
    public static func fewshotSystemMessage(train: [Row], fewshot: Int, seed: UInt64) -> String {
        var rng = NumpyRandom(seed: seed)
        let picked = rng.permutation(train.count).prefix(fewshot)
        return picked.map { i in
            let r = parse(train[i])
            return "\(r.question)\n\nReasoning:\n\(r.reasoning)\n\nANSWER: \(r.target)"
        }.joined(separator: "\n\n")
    }

    public func samples(home: PTBHome) throws -> [Sample] {
        let store = TaskDataStore(home: home)
        let test = try store.rows(Row.self, task: self, split: "test")
        var system: String?
        if fewshot > 0 {
            let train = try store.rows(Row.self, task: self, split: "train")
            system = Self.fewshotSystemMessage(train: train, fewshot: fewshot, seed: fewshotSeed)
        }
        return test.enumerated().map { i, row in sample(row, id: String(i + 1), system: system) }
    }

    func sample(_ row: Row, id: String, system: String?) -> Sample {
        let r = Self.parse(row)
        var messages: [ChatMessage] = []
        // inspect's system_message() formats its text as a template with the sample's
        // metadata, so braces in the few-shot block follow str.format rules.
        if let system { messages.append(ChatMessage(role: "system", content: PythonText.formatTemplate(system, ["reasoning": r.reasoning]))) }
        messages.append(ChatMessage(role: "user", content: Self.promptTemplate.replacingOccurrences(of: "{prompt}", with: r.question)))
        return Sample(id: id, messages: messages, target: r.target, metadata: ["reasoning": r.reasoning])
    }

    // MARK: dev split

    public var devSplitNote: String {
        "The train split (openai/gsm8k main, 7473 rows) in file order, without the \(fewshot) few-shot examples and any question that is also a test question; prompted like the test split; ids train-<row>."
    }

    /// The train split, prompted as the test split is. The few-shot examples are left out (their
    /// answers are in every prompt), and so is any row whose question is also a test question.
    public func devSamples(home: PTBHome) throws -> [Sample]? {
        let store = TaskDataStore(home: home)
        let train: [Row]
        do { train = try store.rows(Row.self, task: self, split: "train") } catch TaskDataError.missing {
            throw TaskDataError.missing(task: id, split: "train", path: store.file(id, split: "train").path,
                                        source: "openai/gsm8k's train split (`ptb data pull gsm8k` fetches it from Hugging Face; offline, import train.jsonl)",
                                        command: importCommand(split: "train"))
        }
        var system: String?
        var skip = Set<Int>()
        if fewshot > 0 {
            system = Self.fewshotSystemMessage(train: train, fewshot: fewshot, seed: fewshotSeed)
            var rng = NumpyRandom(seed: fewshotSeed)
            skip = Set(rng.permutation(train.count).prefix(fewshot))
        }
        // Without the test split there is nothing to collide with (GSM8K's splits are disjoint upstream).
        let testQuestions = Set(((try? store.rows(Row.self, task: self, split: "test")) ?? []).map(\.question))
        return train.enumerated().compactMap { i, row in
            skip.contains(i) || testQuestions.contains(row.question) ? nil : sample(row, id: "train-\(i + 1)", system: system)
        }
    }

    public func score(_ sample: Sample, completion: String) -> Score {
        score(sample, completion: completion, mode: matchMode)
    }

    public func contextFiles() throws -> [String: String] { [:] }

    /// The few-shot block plays no part in scoring, so `ptb score` does not need the train split.
    public func scoringSamples(home: PTBHome) throws -> [Sample] {
        var plain = self
        plain.fewshot = 0
        return try plain.samples(home: home)
    }

    // MARK: data

    public let dataSplits = ["test", "train"]
    public let upstreamRows = ["test": 1319, "train": 7473]
    public let hubRows = [HubRows(dataset: "openai/gsm8k", config: "main", split: "test", taskSplit: "test"),
                          HubRows(dataset: "openai/gsm8k", config: "main", split: "train", taskSplit: "train")]
    public let dataSource = "openai/gsm8k (config main) as JSONL with fields question and answer (the grade-school-math repository's train.jsonl / test.jsonl)"

    public func normalise(_ data: Data, fileName: String, split: String) throws -> [String] {
        try JSONLines.decode(Row.self, from: data, file: fileName).enumerated().map { i, row in
            guard row.answer.contains("####") else {
                throw TaskDataError.badRecord(file: fileName, line: i + 1, reason: "the answer has no \"####\" before the final answer")
            }
            return try JSONLines.encode(row)
        }
    }
}
