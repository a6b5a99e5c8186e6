import Foundation
import PTBCore
import Yams

/// `ptb run --config run.yaml`: the same settings as the flags. Flags given on the command line win.
public struct RunConfigFile: Codable, Sendable, Equatable {
    public var task: String?
    public var model: String?
    public var modelRevision: String?
    public var agent: String?
    public var agentConfig: String?
    public var hours: Double?
    public var gpus: Int?
    public var gpuName: String?
    public var sandbox: SandboxKind?
    public var network: NetworkPolicy?
    public var seed: Int?
    public var name: String?
    public var runsDir: String?
    public var evalLimit: Int?
    public var evaluateBase: Bool?
    public var termGraceSeconds: Double?
    public var killAfterSeconds: Double?
    public var monitorIntervalSeconds: Double?
    public var judges: [String]?
    public var judgeHours: Double?
    public var integrityPolicy: String?
    public var execMode: String?
    public var judgeEndpoint: String?
    public var judgeModel: String?
    public var judgeWorkers: Int?
    public var judgeBudgetUSD: Double?
    public var judgeMaxTokens: Int?
    public var judgePrices: String?
    public var judgeCache: String?
    public var workspaceLimitGB: Double?
    public var tmpSizeGB: Double?
    public var shmSizeGB: Double?
    public var evalFeedback: EvalFeedback?

    public var limits: SandboxLimits? {
        SandboxLimits(workspaceGB: workspaceLimitGB, tmpGB: tmpSizeGB, shmGB: shmSizeGB).nonEmpty
    }

    /// The scoring-judge keys, as one value (nil when none is set).
    public var scoringJudge: ScoringJudge? {
        ScoringJudge(endpoint: judgeEndpoint, model: judgeModel, workers: judgeWorkers, budgetUSD: judgeBudgetUSD,
                     maxTokens: judgeMaxTokens, prices: judgePrices, cache: judgeCache).nonEmpty
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case task, model, agent, hours, gpus, sandbox, network, seed, name
        case modelRevision = "model_revision"
        case agentConfig = "agent_config", gpuName = "gpu_name", runsDir = "runs_dir", evalLimit = "eval_limit"
        case evaluateBase = "evaluate_base", termGraceSeconds = "term_grace_seconds", killAfterSeconds = "kill_after_seconds"
        case monitorIntervalSeconds = "monitor_interval_seconds"
        case judges, judgeHours = "judge_hours", integrityPolicy = "integrity_policy", execMode = "exec_mode"
        case judgeEndpoint = "judge_endpoint", judgeModel = "judge_model", judgeWorkers = "judge_workers"
        case judgeBudgetUSD = "judge_budget_usd", judgeMaxTokens = "judge_max_tokens", judgePrices = "judge_prices", judgeCache = "judge_cache"
        case workspaceLimitGB = "workspace_limit_gb", tmpSizeGB = "tmp_size_gb", shmSizeGB = "shm_size_gb"
        case evalFeedback = "eval_feedback"
    }

    public init() {}

    public static func load(_ url: URL) throws -> RunConfigFile {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw PTBError.config(path: url.path, reason: "cannot read it (\(error.localizedDescription))")
        }
        let mapping: [String: Any]?
        do { mapping = try SafeYAML.mapping(text) } catch let e as SafeYAML.Unsupported {
            throw PTBError.config(path: url.path, reason: "\(e). Nothing was run.")
        } catch { mapping = nil }  // malformed YAML: the decoder below says where
        if let mapping {
            let problems = ConfigKeys.problems(Array(mapping.keys).sorted(), allowed: CodingKeys.allCases.map(\.rawValue))
            if !problems.isEmpty {
                throw PTBError.config(path: url.path, reason: problems.joined(separator: "; ") + ". Nothing was run. Keys: " + CodingKeys.allCases.map(\.rawValue).joined(separator: ", ") + ".")
            }
        }
        do {
            var c = try YAMLDecoder().decode(RunConfigFile.self, from: text)
            // Relative paths in a config file are relative to the file.
            if let a = c.agentConfig, !a.hasPrefix("/") { c.agentConfig = url.deletingLastPathComponent().appendingPathComponent(a).standardizedFileURL.path }
            c.judges = c.judges?.map { j in
                j.hasSuffix(".yaml") || j.hasSuffix(".yml") ? (j.hasPrefix("/") ? j : url.deletingLastPathComponent().appendingPathComponent(j).standardizedFileURL.path) : j
            }
            if let r = c.runsDir, !r.hasPrefix("/") { c.runsDir = url.deletingLastPathComponent().appendingPathComponent(r).standardizedFileURL.path }
            if let r = c.judgePrices, !r.hasPrefix("/") { c.judgePrices = url.deletingLastPathComponent().appendingPathComponent(r).standardizedFileURL.path }
            if let r = c.judgeCache, !r.hasPrefix("/") { c.judgeCache = url.deletingLastPathComponent().appendingPathComponent(r).standardizedFileURL.path }
            return c
        } catch {
            throw PTBError.config(path: url.path, reason: "\(error). Keys: task, model, agent, agent_config, hours, gpus, gpu_name, sandbox, network, seed, name, runs_dir, eval_limit, evaluate_base, term_grace_seconds, kill_after_seconds, monitor_interval_seconds, judges, judge_hours, integrity_policy, exec_mode, judge_endpoint, judge_model, judge_workers, judge_budget_usd, judge_max_tokens, judge_prices, judge_cache, workspace_limit_gb, tmp_size_gb, shm_size_gb, eval_feedback (sealed or original).")
        }
    }
}
