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
    public func once(modelDir: URL, chatTemplate: URL?, gpus: Int, options: EvalOptions, attempt: Int = 1,
                     tokenizer: URL? = nil) async throws -> EvalMetrics {
        let config = EngineConfig(modelDir: modelDir, servedName: "final_model", chatTemplate: chatTemplate,
                                  maxModelLen: task.defaults.maxModelLen, gpuMemoryUtilization: task.defaults.gpuMemoryUtilization,
                                  gpus: gpus, toolCalling: task.scoring == .toolCalls,
                                  logFile: options.outputDir.appendingPathComponent("engine-\(attempt).log"), tokenizer: tokenizer)
        let showProgress = options.showProgress
        let name = engine.name
        let server = try await EngineLauncher.start(engine, config: config, runner: runner) { waited in
            // One line every ~15 s while the engine loads (startup takes 30–60 s on a CPU).
            if showProgress, waited >= 14.75, waited.truncatingRemainder(dividingBy: 15) < 0.5 {
                FileHandle.standardError.write(Data("[engine] waiting for \(name) to become healthy (\(Int(waited)) s)\n".utf8))
            }
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
    public func withRetries(modelDir: URL, chatTemplate: URL?, gpus: Int, options: EvalOptions, tokenizer: URL? = nil,
                            log: @Sendable (String) -> Void) async throws -> EvalMetrics {
        let d = task.defaults
        let ladder = Array(repeating: options.maxTokens, count: 4)
            + Array(repeating: d.retryMaxTokens.first ?? options.maxTokens, count: 3)
            + Array(repeating: d.retryMaxTokens.dropFirst().first ?? options.maxTokens, count: 2)
        let attemptsLog = try LineAppender(url: options.outputDir.appendingPathComponent("attempts.jsonl"))
        var lastError: (any Error)?
        for (i, maxTokens) in ladder.enumerated() {
            try Task.checkCancellation()
            var o = options
            o.maxTokens = maxTokens
            let start = Date()
            do {
                let m = try await once(modelDir: modelDir, chatTemplate: chatTemplate, gpus: gpus, options: o, attempt: i + 1,
                                       tokenizer: tokenizer)
                attemptsLog.append(try JSONIO.line(Attempt(number: i + 1, maxTokens: maxTokens, ok: true, error: nil, startedAt: start, endedAt: Date())))
                return m
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                lastError = error
                attemptsLog.append(try JSONIO.line(Attempt(number: i + 1, maxTokens: maxTokens, ok: false, error: "\(error)", startedAt: start, endedAt: Date())))
                log("evaluation attempt \(i + 1)/\(ladder.count) (max tokens \(maxTokens)) failed: \(error)")
            }
        }
        throw lastError ?? EvalError.noSamples(task.id)
    }
}
