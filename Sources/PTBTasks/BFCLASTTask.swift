import Foundation
import PTBCore

/// BFCL's official AST evaluation, as bfcl-eval scores function-calling (FC) models on the
/// Python single-turn categories: `bfcl-simple` (simple_python), `bfcl-multiple`,
/// `bfcl-parallel`, `bfcl-parallel-multiple`, `bfcl-irrelevance`, and `bfcl-ast` with all five
/// (the category of each sample is read from its upstream id, e.g. `parallel_multiple_3`).
///
/// Requests are what bfcl-eval sends an FC model: the question's messages, and the function
/// documents as OpenAI tools (names with `.` → `_`, BFCL types mapped, Python hint). The
/// scorer is `BFCLChecker`, a port of bfcl-eval's `ast_checker`; accuracy is the fraction of
/// valid entries (bfcl-eval's per-category accuracy; `bfcl-ast` reports the entry-weighted mean).
public struct BFCLASTTask: EvalTask {
    public let id: String
    /// ptb split names of `BFCLTask`'s data.
    public let categories: [String]
    public let defaults = TaskDefaults(limit: nil, maxTokens: 16000, maxConnections: 6, gpuMemoryUtilization: 0.8,
                                       retryMaxTokens: [12000, 8000])
    public let inspectNote = false
    public let scoring = ScoringMode.toolCalls
    public var testDataMarkers: [String] { BFCLData.testDataMarkers }

    public var benchmarkName: String {
        "Berkeley Function Calling Leaderboard (BFCL) AST, " + categories.joined(separator: ", ")
    }

    public init(id: String, categories: [String]) {
        self.id = id
        self.categories = categories
    }

    public static let all: [BFCLASTTask] = [
        BFCLASTTask(id: "bfcl-simple", categories: ["simple"]),
        BFCLASTTask(id: "bfcl-multiple", categories: ["multiple"]),
        BFCLASTTask(id: "bfcl-parallel", categories: ["parallel"]),
        BFCLASTTask(id: "bfcl-parallel-multiple", categories: ["parallel_multiple"]),
        BFCLASTTask(id: "bfcl-irrelevance", categories: ["irrelevance"]),
        BFCLASTTask(id: "bfcl-ast", categories: ["simple", "multiple", "parallel", "parallel_multiple", "irrelevance"]),
    ]

    /// The upstream test category of an id: the id without its trailing `_<number>`
    /// (`simple_python_0` → `simple_python`, `parallel_multiple_3` → `parallel_multiple`).
    public static func category(ofID id: String) -> String {
        guard let u = id.lastIndex(of: "_"), id[id.index(after: u)...].allSatisfy(\.isNumber) else { return id }
        return String(id[..<u])
    }

    public func samples(home: PTBHome) throws -> [Sample] {
        try categories.flatMap { split in
            try BFCLData.rows(home: home, split: split).map { row in
                guard let messages = row.messages else {
                    throw TaskDataError.badRecord(file: "bfcl/\(split).jsonl", line: 0, reason: "\(row.id) has no question")
                }
                let truth = row.groundTruth ?? .list([])
                return Sample(id: row.id, messages: messages, target: truth.json,
                              metadata: ["category": Self.category(ofID: row.id), "functions": PyValue.list(row.functions).json],
                              tools: BFCLTools.official(row.functions))
            }
        }
    }

    public func score(_ sample: Sample, completion: String, toolCalls: [ToolCall]?) -> Score {
        let functions = (try? PyParser.json(sample.metadata?["functions"] ?? "[]"))?.listItems ?? []
        let answer = (try? PyParser.json(sample.target))?.listItems ?? []
        let category = sample.metadata?["category"] ?? Self.category(ofID: sample.id)
        let v = BFCLChecker.evaluate(category: category, functions: functions, possibleAnswer: answer, toolCalls: toolCalls)
        let shown = toolCalls.map { $0.map { "\($0.name)(\($0.arguments))" }.joined(separator: "; ") }
        return Score(value: v.valid ? 1 : 0, correct: v.valid, answer: shown,
                     explanation: v.valid ? nil : [v.errorType, v.error].compactMap { $0 }.joined(separator: ": "))
    }

    public func score(_ sample: Sample, completion: String) -> Score {
        score(sample, completion: completion, toolCalls: nil)
    }

    public func contextFiles() throws -> [String: String] { [:] }

    public var devSplitNote: String { "Every imported BFCL category is the test split of bfcl or a bfcl-* task." }
}
