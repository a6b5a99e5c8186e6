import Foundation
import PTBCore

/// `gpqamain`: the task the original defines inside its evaluate.py — `Idavidrein/gpqa`,
/// `gpqa_main` (448 questions; the Hugging Face "train" split is the benchmark), zero-shot with
/// inspect's chain-of-thought multiple-choice template, scored by `choice()`.
///
/// The original shuffles the four options with no seed, so every evaluation sees another order.
/// ptb shuffles with a recorded seed instead, exactly as inspect's `shuffle_choices(seed)` does
/// (one `random.Random(seed)` consumed over the questions in file order), and keeps the seed and
/// the order in each sample's metadata.
public struct GPQAMainTask: DatasetTask {
    public let id = "gpqamain"
    public let benchmarkName = "GPQA"
    public let defaults = TaskDefaults(limit: 50, maxTokens: 16000, maxConnections: 6, gpuMemoryUtilization: 0.8,
                                       retryMaxTokens: [12000, 8000])
    public let leaderboardName = "GPQA"
    public let paperWeight: Double? = 0.22462215653948
    public let inspectNote = true
    public let scoring = ScoringMode.pure
    public let testDataMarkers = ["idavidrein/gpqa", "gpqa_main", "gpqa_diamond"]
    public var choiceSeed: UInt64

    public static let defaultChoiceSeed: UInt64 = 42

    public init(choiceSeed: UInt64 = GPQAMainTask.defaultChoiceSeed) { self.choiceSeed = choiceSeed }

    /// inspect's `SINGLE_ANSWER_TEMPLATE_COT` (after `.strip()`).
    public static let template = """
        Answer the following multiple choice question. The last line of your response should be of the following format: 'ANSWER: $LETTER' (without quotes) where LETTER is one of {letters}. Think step by step before answering.

        {question}

        {choices}
        """

    /// The normalised row: choices in upstream order, the correct one first (target "A").
    public struct Row: Codable, Sendable, Equatable {
        public var id: String
        public var question: String
        public var choices: [String]
    }

    /// inspect's `prompt(question, choices, template)`: `A) …` lines and letters `A,B,C,D`.
    public static func prompt(question: String, choices: [String]) -> String {
        let letters = choices.indices.map { String(Self.letter($0)) }
        let lines = choices.enumerated().map { "\(Self.letter($0.offset))) \($0.element)" }.joined(separator: "\n")
        // One pass, like str.format: text substituted in is not read again.
        return PythonText.formatTemplate(template, ["letters": letters.joined(separator: ","), "question": question, "choices": lines])
    }

    static func letter(_ i: Int) -> Character { Character(Unicode.Scalar(UInt8(65 + i))) }

    /// `shuffle_choices(seed)` over the rows in order: for each, `positions = [0, 1, 2, 3]`
    /// shuffled; option i of the prompt is upstream choice `positions[i]`; the target is the
    /// letter where upstream choice 0 (the correct answer) landed.
    public static func shuffledOrders(count: Int, choices: Int = 4, seed: UInt64) -> [[Int]] {
        var rng = PythonRandom(seed: seed)
        return (0..<count).map { _ in
            var positions = Array(0..<choices)
            rng.shuffle(&positions)
            return positions
        }
    }

    public func samples(home: PTBHome) throws -> [Sample] {
        let rows = try TaskDataStore(home: home).rows(Row.self, task: self, split: "test")
        return Self.samples(rows: rows, seed: choiceSeed)
    }

    public static func samples(rows: [Row], seed: UInt64) -> [Sample] {
        let orders = shuffledOrders(count: rows.count, seed: seed)
        return zip(rows, orders).map { row, order in
            let shuffled = order.map { row.choices[$0] }
            let target = order.firstIndex(of: 0).map { String(letter($0)) } ?? "A"
            return Sample(id: row.id, messages: [ChatMessage(role: "user", content: prompt(question: row.question, choices: shuffled))],
                          target: target,
                          metadata: ["choice_seed": String(seed), "choice_order": order.map(String.init).joined(separator: ",")])
        }
    }

    /// inspect's `parse_answers` (single answer): a line starting `ANSWER:` (strict), else
    /// `ANSWER:` anywhere; the captured text stripped and a trailing `.` removed must be exactly
    /// one allowed letter — an uppercase one, since the pattern is case-insensitive but the
    /// comparison is not.
    public static func parseAnswer(_ completion: String, choices: Int = 4) -> String? {
        let captured = strict.flatMap { PythonText.search($0, completion) }
            ?? lenient.flatMap { PythonText.search($0, completion) }
        guard var matched = captured else { return nil }
        matched = PythonText.strip(matched)
        while matched.hasSuffix(".") { matched.removeLast() }
        let allowed = (0..<choices).map { String(letter($0)) }
        return allowed.contains(matched) ? matched : nil
    }

    static let strict = PythonText.regex(#"^ANSWER\s*:\s*([A-Za-z\d ,]+)\s*(?:$|\n|\.)"#, [.caseInsensitive, .anchorsMatchLines])
    static let lenient = PythonText.regex(#"ANSWER\s*:\s*([A-Za-z\d ,]+)(?:[^\w]|\n|$|\.)"#, [.caseInsensitive])

    public func score(_ sample: Sample, completion: String) -> Score {
        let answer = Self.parseAnswer(completion)
        let correct = answer == sample.target
        return Score(value: correct ? 1 : 0, correct: correct, answer: answer,
                     explanation: answer == nil ? "no `ANSWER: <letter>` line found" : nil)
    }

    public func contextFiles() throws -> [String: String] { [:] }

    public func withChoiceSeed(_ seed: UInt64) -> (any EvalTask)? { GPQAMainTask(choiceSeed: seed) }

    public var devSplitNote: String { "GPQA main (gpqa_main)'s 448 questions are the test split (GPQA Diamond is a subset of them); the 98 questions only in GPQA Extended are not imported by ptb." }

    // MARK: data

    public let dataSplits = ["test"]
    public let upstreamRows = ["test": 448]
    /// Upstream calls the one split of gpqa_main `train`; it is ptb's test split.
    public let hubRows = [HubRows(dataset: "Idavidrein/gpqa", config: "gpqa_main", split: "train", taskSplit: "test", format: .csv(
        columns: ["Record ID", "Question", "Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3"]))]
    public let dataSource = "gpqa_main.csv of Idavidrein/gpqa (columns Question, Correct Answer, Incorrect Answer 1–3, Record ID)"

    public func normalise(_ data: Data, fileName: String, split: String) throws -> [String] {
        let text = String(decoding: data, as: UTF8.self)
        let records: [[String: String]]
        do { records = try CSV.records(text) } catch {
            throw TaskDataError.badRecord(file: fileName, line: 0, reason: "\(error)")
        }
        let columns = ["Question", "Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3"]
        return try records.enumerated().map { i, r in
            for c in columns where r[c] == nil {
                throw TaskDataError.badRecord(file: fileName, line: i + 1, reason: "column \"\(c)\" is missing")
            }
            let row = Row(id: r["Record ID"].flatMap { $0.isEmpty ? nil : $0 } ?? String(i + 1),
                          question: r["Question"] ?? "",
                          choices: columns.dropFirst().map { r[$0] ?? "" })
            return try JSONLines.encode(row)
        }
    }
}
