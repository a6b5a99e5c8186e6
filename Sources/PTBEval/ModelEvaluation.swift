import Foundation
import PTBCore
import PTBInference
import PTBProcess
import PTBTasks

/// Serve a model directory, evaluate a task on it, stop the engine — with the original's retry
/// ladder: 4 attempts at the default max tokens, 3 at the phase-2 value, 2 at the phase-3 value.
public struct ModelEvaluation: Sendable {
    public var task: any EvalTask
    public var home: PTBHome
    public var engine: any InferenceEngine
    public var runner: ProcessRunner
    /// Each ladder attempt ends after this long, as the original's `timeout 28800s` around every
    /// attempt; the ladder then goes on with the next rung.
    public var attemptTimeoutSeconds: Double = 28800

    public init(task: any EvalTask, home: PTBHome, engine: any InferenceEngine, runner: ProcessRunner) {
        self.task = task
        self.home = home
        self.engine = engine
        self.runner = runner
    }

    public struct Attempt: Codable, Sendable {
        public var number: Int
        public var maxTokens: Int
        public var ok: Bool
        public var error: String?
        public var startedAt: Date
        public var endedAt: Date
    }

    /// One attempt: engine up, evaluate, engine down (also on error and cancellation).
    public func once(modelDir: URL, chatTemplate: URL?, gpus: GPUPlacement, options: EvalOptions, attempt: Int = 1,
                     tokenizer: URL? = nil) async throws -> EvalMetrics {
        let config = EngineConfig(modelDir: modelDir, servedName: "final_model", chatTemplate: chatTemplate,
                                  maxModelLen: task.defaults.maxModelLen, gpuMemoryUtilization: task.defaults.gpuMemoryUtilization,
                                  gpus: gpus.count, toolCalling: task.scoring == .toolCalls,
                                  logFile: options.outputDir.appendingPathComponent("engine-\(attempt).log"), tokenizer: tokenizer,
                                  visibleDevices: gpus.visibleDevices, tensorParallel: gpus.tensorParallel)
        let showProgress = options.showProgress
        let name = engine.name
        if showProgress { FileHandle.standardError.write(Data("[engine] starting \(name) for \(modelDir.lastPathComponent)\n".utf8)) }
        let server = try await EngineLauncher.start(engine, config: config, runner: runner) { waited, last in
            // Start-up takes 30–70 s on a CPU and minutes for a large model on a GPU.
            guard showProgress else { return }
            FileHandle.standardError.write(Data("[engine] starting \(name): \(Int(waited)) s\(last.map { " | \($0)" } ?? "")\n".utf8))
        }
        do {
            let executor = try await Evaluator.executor(for: task, runner: runner, mode: options.execMode)
            var options = options
            options.generationConfig = options.generationConfig ?? modelDir.appendingPathComponent("generation_config.json")
            let m = try await Evaluator(task: task, home: home, executor: executor).run(client: server.client, options: options,
                                                                    engineName: engine.name, modelLabel: modelDir.path)
            await server.stop()
            return m
        } catch {
            await server.stop()
            throw error
        }
    }

    /// The ladder. Returns the metrics of the first attempt that produced a valid `metrics.json`.
    public func withRetries(modelDir: URL, chatTemplate: URL?, gpus: GPUPlacement, options: EvalOptions, tokenizer: URL? = nil,
                            log: @Sendable (String) -> Void) async throws -> EvalMetrics {
        let d = task.defaults
        let ladder = Array(repeating: options.maxTokens, count: 4)
            + Array(repeating: d.retryMaxTokens.first ?? options.maxTokens, count: 3)
            + Array(repeating: d.retryMaxTokens.dropFirst().first ?? options.maxTokens, count: 2)
        let attemptsLog = try LineAppender(url: options.outputDir.appendingPathComponent("attempts.jsonl"))
        var lastError: (any Error)?
        var i = 0
        while i < ladder.count {
            try Task.checkCancellation()
            let maxTokens = ladder[i]
            var o = options
            o.maxTokens = maxTokens
            let start = Date()
            do {
                let cap = attemptTimeoutSeconds
                let attempt = i + 1
                let opts = o
                let m = try await withThrowingTaskGroup(of: EvalMetrics?.self) { group in
                    group.addTask {
                        try await once(modelDir: modelDir, chatTemplate: chatTemplate, gpus: gpus, options: opts, attempt: attempt,
                                       tokenizer: tokenizer)
                    }
                    group.addTask {
                        try await Task.sleep(for: .seconds(cap))
                        return nil
                    }
                    defer { group.cancelAll() }
                    guard let first = try await group.next(), let metrics = first else {
                        // Cancelling the attempt stops its engine (once() stops it on cancellation).
                        throw EvalError.attemptTimedOut(seconds: cap)
                    }
                    return metrics
                }
                attemptsLog.append(try JSONIO.line(Attempt(number: i + 1, maxTokens: maxTokens, ok: true, error: nil, startedAt: start, endedAt: Date())))
                return m
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                lastError = error
                attemptsLog.append(try JSONIO.line(Attempt(number: i + 1, maxTokens: maxTokens, ok: false, error: "\(error)", startedAt: start, endedAt: Date())))
                log("evaluation attempt \(i + 1)/\(ladder.count) (max tokens \(maxTokens)) failed: \(error)")
                if case EngineError.unsupported(let why) = error {
                    log("not retried: the engine cannot serve this configuration")
                    throw EvalError.notRetried(reason: why, attempts: i + 1)
                }
                switch RetryPolicy.decide(failure: "\(error)", ladder: ladder, index: i) {
                case .next: i += 1
                case let .skipTo(next, reason):
                    log("retry: \(reason)")
                    i = next
                case let .stop(reason):
                    log("not retried: \(reason)")
                    throw EvalError.notRetried(reason: reason, attempts: i + 1)
                }
            }
        }
        throw lastError ?? EvalError.noSamples(task.id)
    }
}
