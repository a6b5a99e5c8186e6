import Foundation
import NIOCore
import PTBCore
import PTBEval
import PTBExecution
import PTBInference
import PTBJudge
import PTBTasks

/// `ptb eval`: one model × one task, either by serving a model directory or against a running
/// OpenAI-compatible endpoint.
public struct StandaloneEval: Sendable {
    public var taskID: String
    public var modelPath: URL?
    public var endpoint: String?
    public var servedModel: String?
    public var apiKey: String?
    public var chatTemplate: URL?
    public var limit: Int?
    public var maxTokens: Int?
    public var maxConnections: Int?
    public var temperature: Double?
    public var seed: Int?
    public var epochs: Int
    public var gpus: GPUPlacement
    public var outputDir: URL
    public var jsonOutputFile: URL?
    public var retryLadder: Bool
    /// Judge-scored tasks: the judge, and whether to re-judge stored answers without generating.
    public var judge: JudgeConfig?
    public var skipGeneration = false
    /// HumanEval: how each program runs (`--exec-mode`).
    public var execMode: ExecMode = .fresh
    /// The evaluation broker: the dev split's items instead of the test split, and progress.
    public var samples: [Sample]?
    public var onProgress: (@Sendable (_ done: Int, _ total: Int) -> Void)?

    public init(taskID: String, modelPath: URL?, endpoint: String?, servedModel: String?, apiKey: String?, chatTemplate: URL?,
                limit: Int?, maxTokens: Int?, maxConnections: Int?, temperature: Double?, seed: Int?, epochs: Int, gpus: GPUPlacement,
                outputDir: URL, jsonOutputFile: URL?, retryLadder: Bool) {
        self.taskID = taskID
        self.modelPath = modelPath
        self.endpoint = endpoint
        self.servedModel = servedModel
        self.apiKey = apiKey
        self.chatTemplate = chatTemplate
        self.limit = limit
        self.maxTokens = maxTokens
        self.maxConnections = maxConnections
        self.temperature = temperature
        self.seed = seed
        self.epochs = epochs
        self.gpus = gpus
        self.outputDir = outputDir
        self.jsonOutputFile = jsonOutputFile
        self.retryLadder = retryLadder
    }

    public func run(harness: Harness) async throws -> EvalMetrics {
        let task = try TaskRegistry.lookup(taskID)
        // A mistyped PTB_ENGINE is reported before the model is read or anything is started.
        if modelPath != nil { _ = try harness.engine }
        // `--limit -1` means all samples, as in the original evaluate.py; no flag = the task default.
        let effectiveLimit: Int? = limit.map { $0 < 0 ? nil : $0 } ?? task.defaults.limit
        var options = EvalOptions(limit: effectiveLimit, maxTokens: maxTokens ?? task.defaults.maxTokens,
                                  maxConnections: maxConnections ?? task.defaults.maxConnections,
                                  temperature: temperature, seed: seed, epochs: epochs, outputDir: outputDir,
                                  judge: judge, skipGeneration: skipGeneration)
        options.execMode = execMode
        options.samples = samples
        options.onProgress = onProgress
        let metrics: EvalMetrics
        if skipGeneration {
            guard task.scoring == .judged else {
                throw PTBError.invalidArgument("--skip-generation applies to judge-scored tasks (arenahardwriting, healthbench).")
            }
            metrics = try await Evaluator(task: task, home: harness.home).run(client: nil, options: options, engineName: "stored answers",
                                                                             modelLabel: modelPath?.path ?? servedModel ?? "stored")
        } else if let endpoint {
            guard let servedModel else { throw PTBError.invalidArgument("--endpoint needs --served-model NAME (the model name the server knows).") }
            let client = ChatClient(baseURL: endpoint, apiKey: apiKey, model: servedModel)
            // The HTTP client retries a refused connection until each request's (hour-long)
            // deadline; one quick GET tells "nothing listens there" at once instead.
            if await ChatClient.probe(client.baseURL + "/v1/models", timeout: .seconds(10)) == nil {
                throw EvalError.endpointUnusable(url: client.baseURL, error: "nothing answered at \(client.baseURL) within 10 s (connection refused or no route)")
            }
            let executor = try await Evaluator.executor(for: task, runner: harness.runner, mode: execMode)
            metrics = try await Evaluator(task: task, home: harness.home, executor: executor)
                .run(client: client, options: options, engineName: "endpoint", modelLabel: servedModel)
        } else {
            guard let modelPath else { throw PTBError.invalidArgument("give --model-path DIR (a model directory) or --endpoint URL --served-model NAME.") }
            let problems = ModelReadiness.problems(modelPath)
            guard problems.isEmpty else {
                let why = problems.joined(separator: "; ")
                throw PTBError.unusable("\(modelPath.path) is not a usable model directory: \(why)\(why.hasSuffix(".") ? "" : ".")")
            }
            // No --chat-template: the template of the model's family, from its config.json.
            let chatTemplate = try self.chatTemplate ?? ChatTemplates.write(forModelDir: modelPath, into: outputDir, toolCalling: task.scoring == .toolCalls)
            let eval = ModelEvaluation(task: task, home: harness.home, engine: try harness.engine, runner: harness.runner)
            if retryLadder {
                let log = harness.log
                metrics = try await eval.withRetries(modelDir: modelPath, chatTemplate: chatTemplate, gpus: gpus, options: options) { log($0) }
            } else {
                metrics = try await eval.once(modelDir: modelPath, chatTemplate: chatTemplate, gpus: gpus, options: options)
            }
        }
        if let jsonOutputFile {
            // The original's `{metric: value}` file.
            let flat = ["accuracy": metrics.accuracy, "stderr": metrics.stderr]
            try AtomicFile.write(try JSONSerialization.data(withJSONObject: flat, options: [.prettyPrinted, .sortedKeys]), to: jsonOutputFile)
        }
        return metrics
    }
}
