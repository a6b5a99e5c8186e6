import Foundation

/// Where ptb keeps its state: `$PTB_HOME` (default `~/.ptb`).
///
/// ```
/// $PTB_HOME/
///   envs/py/          Python environment (vLLM engine + torch/transformers), made by `ptb setup`
///   models/<name>/    locally built models (the demo's `tiny`)
///   data/<task>/      benchmark data
///   baselines/        zero-shot scores of unchanged base models, per task × model
///   agents/*.yaml     user agent definitions
///   runs/             default runs directory
///   index.sqlite      derived index; `ptb index rebuild` recreates it from run directories
/// ```
public struct PTBHome: Sendable, Equatable {
    public let root: URL

    public init(root: URL) { self.root = root.standardizedFileURL }

    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> PTBHome {
        if let p = env["PTB_HOME"], !p.isEmpty { return PTBHome(root: URL(fileURLWithPath: p)) }
        let home = env["HOME"] ?? NSHomeDirectory()
        return PTBHome(root: URL(fileURLWithPath: home).appendingPathComponent(".ptb"))
    }

    public var envs: URL { root.appendingPathComponent("envs") }
    public var pythonEnv: URL { envs.appendingPathComponent("py") }
    public var python: URL { pythonEnv.appendingPathComponent("bin/python") }
    public var models: URL { root.appendingPathComponent("models") }
    public var data: URL { root.appendingPathComponent("data") }
    public var baselines: URL { root.appendingPathComponent("baselines") }
    public var agents: URL { root.appendingPathComponent("agents") }
    public var runs: URL { root.appendingPathComponent("runs") }
    public var index: URL { root.appendingPathComponent("index.sqlite") }
    /// Checkpoints a submission must not be (instruct counterparts): `references/hub` is a
    /// Hugging Face cache that `ptb cache pull` fills; `references/<model>/<name>/` are added by
    /// hand. No sandbox shows it.
    public var references: URL { root.appendingPathComponent("references") }
    public var referencesHub: URL { references.appendingPathComponent("hub") }
}

/// The layout of one run directory. This type is the only place that knows it.
///
/// ```
/// <runs>/<run-id>/
///   run.json          spec + phase states (atomic)
///   prompt.md         the rendered agent prompt
///   protected.json    hashes of what the agent must not change (taken at prepare)
///   workspace/        the agent's HOME
///     task/           the agent's working dir: evaluate.py, templates/, timer.sh, context files, final_model/
///   trace.jsonl       every line the agent printed, with UTC timestamps (secrets redacted)
///   events.jsonl      the same as unified events; usage.json: tokens and cost
///   monitor.jsonl     system samples (GPU, CPU, memory, disk)
///   final_model/      the collected submission
///   eval/final/       metrics.json, samples.jsonl, engine logs of the final evaluation
///   eval/base/        the same for the unchanged base model
///   integrity.json    what each check ran and found
///   result.json       scores, timings, exit class, versions
/// ```
public struct RunPaths: Sendable, Equatable {
    public let dir: URL
    public init(dir: URL) { self.dir = dir.standardizedFileURL }

    public var id: String { dir.lastPathComponent }
    public var manifest: URL { dir.appendingPathComponent("run.json") }
    public var prompt: URL { dir.appendingPathComponent("prompt.md") }
    public var protected: URL { dir.appendingPathComponent("protected.json") }
    public var workspace: URL { dir.appendingPathComponent("workspace") }
    public var task: URL { workspace.appendingPathComponent("task") }
    public var agentFinalModel: URL { task.appendingPathComponent("final_model") }
    public var trace: URL { dir.appendingPathComponent("trace.jsonl") }
    public var monitor: URL { dir.appendingPathComponent("monitor.jsonl") }
    /// The agent's output as unified events (session, text, tool calls, usage…), and their totals.
    public var events: URL { dir.appendingPathComponent("events.jsonl") }
    public var usage: URL { dir.appendingPathComponent("usage.json") }
    public var finalModel: URL { dir.appendingPathComponent("final_model") }
    public var evalRoot: URL { dir.appendingPathComponent("eval") }
    public var finalEval: URL { evalRoot.appendingPathComponent("final") }
    public var baseEval: URL { evalRoot.appendingPathComponent("base") }
    public var integrity: URL { dir.appendingPathComponent("integrity.json") }
    /// The run's copy-on-write layer over the shared Hugging Face cache: what the agent downloaded.
    public var cacheLayer: URL { dir.appendingPathComponent("cache-layer") }
    /// One directory per integrity judge (its workspace, trace and verdict).
    public var judges: URL { dir.appendingPathComponent("judges") }
    public var result: URL { dir.appendingPathComponent("result.json") }
    public var lock: URL { dir.appendingPathComponent(".lock") }
}

public enum PTBVersion {
    public static let current = "0.1.0"
}
