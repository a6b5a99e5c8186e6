import ArgumentParser
import Foundation
import PTBCore
import PTBJudge

/// The judge options of `ptb eval` and `ptb score` (judge-scored tasks only). Unset options fall
/// back to the PTB_JUDGE_* environment variables, then to the original's gpt-5-mini on OpenAI.
struct JudgeOptions: ParsableArguments {
    @Option(help: "OpenAI-compatible judge server root (default: $PTB_JUDGE_ENDPOINT or https://api.openai.com). The key is read from $OPENAI_API_KEY.")
    var judgeEndpoint: String?
    @Option(help: "Judge model (default: $PTB_JUDGE_MODEL or gpt-5-mini, as the original).") var judgeModel: String?
    @Option(help: "Concurrent judge requests (default: 64).") var judgeWorkers: Int?
    @Option(help: "Stop judging once this many US dollars are spent; what was judged is kept and the state recorded.") var judgeBudgetUsd: Double?
    @Option(help: "Completion-token limit of each judge call (default: the original's 49152; 512 for non-reasoning graders).") var judgeMaxTokens: Int?
    @Option(help: "JSON price table overriding the built-in one: {\"model\": {\"input_per_million\", \"output_per_million\"}}.") var judgePrices: String?
    @Option(help: "Judge response cache directory (default: $PTB_HOME/cache/judge).") var judgeCache: String?

    func validate() throws {
        if let w = judgeWorkers, w < 1 { throw ValidationError("--judge-workers must be at least 1.") }
        if let b = judgeBudgetUsd, b <= 0 { throw ValidationError("--judge-budget-usd must be positive.") }
        if let t = judgeMaxTokens, t < 1 { throw ValidationError("--judge-max-tokens must be at least 1.") }
    }

    func config(home: PTBHome) throws -> JudgeConfig {
        var c = try JudgeConfig.fromEnvironment(home: home)
        if let judgeEndpoint { c.endpoint = judgeEndpoint }
        if let judgeModel { c.model = judgeModel }
        if let judgeWorkers { c.workers = judgeWorkers }
        if let judgeBudgetUsd { c.budgetUSD = judgeBudgetUsd }
        if let judgeMaxTokens { c.maxTokens = judgeMaxTokens }
        if let judgePrices { c.prices = try JudgePrices.load(overrides: URL(fileURLWithPath: judgePrices)) }
        if let judgeCache { c.cacheDir = URL(fileURLWithPath: judgeCache) }
        return c
    }
}
