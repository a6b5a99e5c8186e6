import Foundation
import PTBCore
import PTBJudge
import PTBExecution
import PTBEval
import PTBInference
import PTBProcess
import PTBTasks

/// Why a run has (or lacks) a final score: `eval/final/status.json`.
struct EvalStatus: Codable, Equatable {
    var state: ScoreState
    var reason: String?
}

/// The GPUs an evaluation of a run serves on: `eval_tensor_parallel` (default 1) of the GPUs the
/// scheduler gave ptb (`CUDA_VISIBLE_DEVICES`), else of the node's free ones, claimed host-wide
/// like the agent's for as long as the lease lives. Before this, every engine took ptb's own
/// environment, so on a node shared by several runs it served on GPU 0 whoever held it.
enum EvaluationGPUs {
    struct Short: Error, CustomStringConvertible {
        let why: String
        var description: String { why }
    }

    static func place(_ spec: RunSpec, environment: [String: String], host: HostGPUs = HostGPUs()) throws -> (GPUPlacement, GPULease?) {
        guard spec.gpus > 0 else { return (.cpu, nil) }
        let tp = spec.evalTensorParallel ?? 1
        guard tp <= spec.gpus else {
            throw Short(why: "eval_tensor_parallel \(tp) is more than the run's \(spec.gpus) GPU(s)")
        }
        switch try GPUAcquisition.acquire(requested: tp, visibleDevices: environment["CUDA_VISIBLE_DEVICES"], host: host,
                                          lockDir: GPULease.lockDirectory(environment: environment)) {
        case .short(let why): throw Short(why: "the evaluation needs \(tp) GPU(s): \(why)")
        case let .granted(visible, lease): return (GPUPlacement(count: tp, visibleDevices: visible, tensorParallel: tp), lease)
        }
    }

    /// evaluate.py's engine during the agent phase: the first `eval_tensor_parallel` of the GPUs
    /// the agent was granted (its claim covers them), as the original's agent evaluated on its own GPU.
    static func forBroker(_ spec: RunSpec, agentDevices: String?) -> GPUPlacement {
        guard spec.gpus > 0 else { return .cpu }
        let tp = min(spec.evalTensorParallel ?? 1, spec.gpus)
        return GPUPlacement(count: tp, visibleDevices: agentDevices.map { $0.split(separator: ",").prefix(tp).joined(separator: ",") },
                            tensorParallel: tp)
    }
}

/// The sealed final evaluation: ptb's own task definition and templates, only the collected
/// `final_model` from the run directory, outside the agent's sandbox, with the retry ladder.
public enum EvaluatePhase {
    static func run(_ ctx: PhaseContext, _ m: inout RunManifest) async throws -> PhaseOutcome {
        let p = ctx.paths
        let fm = FileManager.default
        let out = p.finalEval
        if fm.fileExists(atPath: out.path) { try fm.removeItem(at: out) }
        try fm.createDirectory(at: out, withIntermediateDirectories: true)
        let statusURL = out.appendingPathComponent("status.json")
        if m.spec.gpus > 0 {
            // As the original, free the GPUs before the final evaluation: whatever the agent
            // left running on them (only this run's processes) is killed.
            let killed = await GPUProcesses.killLeftovers(runID: m.id, runner: ctx.harness.runner)
            if !killed.isEmpty { ctx.harness.log("[evaluate] killed leftover GPU processes of this run: \(killed)") }
        }

        let submission: SubmissionRecord?
        do { submission = try SubmissionRecord.read(p) } catch {
            return .failed("submission.json (written by collect) is unreadable: \(error). Nothing was evaluated; restore the file, then run `ptb resume \(p.id)`.")
        }
        if let r = submission, r.state == .invalidSubmission {
            try JSONIO.write(EvalStatus(state: .invalidSubmission, reason: r.reason), to: statusURL)
            return .done("invalid submission: nothing evaluated (\(r.reason ?? "see submission.json"))")
        }
        guard fm.fileExists(atPath: p.finalModel.path) else {
            if submission?.state == .collected {
                // Collect copied a model that is gone now: ptb's (or a user's) doing, not the agent's.
                return .failed("collect recorded a final_model but \(p.finalModel.path) is missing (removed after collect?). Nothing was evaluated; restore it, then run `ptb resume \(p.id)`.")
            }
            try JSONIO.write(EvalStatus(state: .noFinalModel, reason: "the agent left no final_model/"), to: statusURL)
            return .done("no final_model: nothing to evaluate (recorded as no-final-model)")
        }
        let problems = ModelReadiness.problems(p.finalModel)
        guard problems.isEmpty else {
            try JSONIO.write(EvalStatus(state: .invalidFinalModel, reason: problems.joined(separator: "; ")), to: statusURL)
            return .done("invalid final_model: \(problems.joined(separator: "; "))")
        }
        let template = try writeTemplate(ctx, into: p.evalRoot)
        let tokenizer = try tokenizerForEvaluation(ctx, templateFixed: template != nil, record: out)
        let eval = ModelEvaluation(task: ctx.task, home: ctx.harness.home, engine: try ctx.harness.engine, runner: ctx.harness.runner)
        let options: EvalOptions
        do { options = try Self.options(m.spec, task: ctx.task, home: ctx.harness.home, env: ctx.harness.environment, outputDir: out) } catch {
            try JSONIO.write(EvalStatus(state: .evaluationFailed, reason: "\(error)"), to: statusURL)
            return .failed("cannot set up the evaluation: \(error)")
        }
        let log = ctx.harness.log
        let placement: GPUPlacement
        let lease: GPULease?
        do { (placement, lease) = try EvaluationGPUs.place(m.spec, environment: ctx.harness.environment) } catch {
            // Infrastructure, not the model: nothing is recorded as the run's score, and resume retries.
            return .failed("\(error). Nothing was evaluated; run `ptb resume \(p.id)` once the GPUs are free.")
        }
        defer { withExtendedLifetime(lease) {} }
        if let v = placement.visibleDevices { log("[evaluate] serving on GPU \(v) (tensor parallel \(placement.tensorParallel))") }
        do {
            let metrics = try await eval.withRetries(modelDir: p.finalModel, chatTemplate: template, gpus: placement,
                                                     options: options, tokenizer: tokenizer) { log("[evaluate] \($0)") }
            try JSONIO.write(EvalStatus(state: .scored, reason: nil), to: statusURL)
            return .done(String(format: "final accuracy %.4f ± %.4f (n=%d)", metrics.accuracy, metrics.stderr, metrics.n))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            try JSONIO.write(EvalStatus(state: .evaluationFailed, reason: "\(error)"), to: statusURL)
            return .failed("evaluation failed after all retry attempts: \(error)")
        }
    }

    /// The final evaluation's settings: the task's defaults and what the run spec chose (sample
    /// limit, exec mode, scoring judge over the PTB_JUDGE_* environment).
    public static func options(_ spec: RunSpec, task: any EvalTask, home: PTBHome, env: [String: String], outputDir: URL) throws -> EvalOptions {
        var o = EvalOptions(limit: spec.evalLimit, maxTokens: task.defaults.maxTokens,
                            maxConnections: task.defaults.maxConnections, outputDir: outputDir)
        if let mode = spec.execMode { o.execMode = mode }
        if spec.scoringJudge != nil, task.scoring == .judged { o.judge = try JudgeConfig.from(spec.scoringJudge, home: home, env: env) }
        return o
    }

    /// The chat template ptb passes to the engine for this model (nil: the tokenizer's own).
    static func templateName(_ ctx: PhaseContext, baseDir: URL?) -> String? {
        ChatTemplates.file(for: ctx.model, baseDir: baseDir, toolCalling: ctx.task.scoring == .toolCalls)
    }

    static func writeTemplate(_ ctx: PhaseContext, into dir: URL) throws -> URL? {
        guard let name = templateName(ctx, baseDir: try? ctx.baseModelDirectory()), let text = ChatTemplates.all[name] else { return nil }
        let url = dir.appendingPathComponent("templates/\(name)")
        try AtomicFile.write(text, to: url)
        return url
    }
}

/// The unchanged base model's score on the same samples (`eval/base/metrics.json`), cached per
/// task × model × limit. Context for the run's score, never its result: a failure is noted and
/// the run goes on.
enum BaselinePhase {
    static func run(_ ctx: PhaseContext, _ m: inout RunManifest) async throws -> PhaseOutcome {
        guard m.spec.evaluateBase else { return .done("not requested (--skip-base)") }
        // A judge-scored baseline is only reused under the same judge model.
        let judgeModel = ctx.task.scoring == .judged
            ? (try? JudgeConfig.from(m.spec.scoringJudge, home: ctx.harness.home, env: ctx.harness.environment))?.model : nil
        let cache = BaselineCache(home: ctx.harness.home, judgeModel: judgeModel)
        if let cached = cache.get(task: m.spec.task, model: ModelCatalog.key(m.spec.model, revision: m.spec.modelRevision), limit: m.spec.evalLimit) {
            try JSONIO.write(cached, to: ctx.paths.baseEval.appendingPathComponent("metrics.json"))
            return .done(String(format: "base accuracy %.4f (cached)", cached.accuracy))
        }
        let baseDir = try ctx.baseModelDirectory()
        let eval = ModelEvaluation(task: ctx.task, home: ctx.harness.home, engine: try ctx.harness.engine, runner: ctx.harness.runner)
        do {
            let options = try EvaluatePhase.options(m.spec, task: ctx.task, home: ctx.harness.home, env: ctx.harness.environment,
                                                    outputDir: ctx.paths.baseEval)
            let (placement, lease) = try EvaluationGPUs.place(m.spec, environment: ctx.harness.environment)
            defer { withExtendedLifetime(lease) {} }
            let metrics = try await eval.once(modelDir: baseDir, chatTemplate: try EvaluatePhase.writeTemplate(ctx, into: ctx.paths.evalRoot),
                                              gpus: placement, options: options)
            try cache.put(metrics, task: m.spec.task, model: ModelCatalog.key(m.spec.model, revision: m.spec.modelRevision), limit: m.spec.evalLimit)
            return .done(String(format: "base accuracy %.4f ± %.4f (n=%d)", metrics.accuracy, metrics.stderr, metrics.n))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // The base score is context, not the run's result: note the failure and go on.
            ctx.harness.log("[baseline] base model evaluation failed: \(error)")
            return .done("base model evaluation failed (the run's score is unaffected): \(error)")
        }
    }
}

/// Zero-shot scores of unchanged base models under PTB_HOME/baselines.
struct BaselineCache {
    let home: PTBHome
    /// Judge-scored tasks: the judge model, part of the key.
    var judgeModel: String? = nil

    func url(task: String, model: String, limit: Int?) -> URL {
        let judge = judgeModel.map { "_judge-\(ModelCatalog.safe($0))" } ?? ""
        return home.baselines.appendingPathComponent(task)
            .appendingPathComponent("\(ModelCatalog.safe(model))_limit-\(limit.map(String.init) ?? "all")\(judge).json")
    }

    func get(task: String, model: String, limit: Int?) -> EvalMetrics? {
        try? JSONIO.read(EvalMetrics.self, from: url(task: task, model: model, limit: limit))
    }

    func put(_ m: EvalMetrics, task: String, model: String, limit: Int?) throws {
        try JSONIO.write(m, to: url(task: task, model: model, limit: limit))
    }
}
