import ArgumentParser
import Foundation
import PTBCore
import PTBJudge

/// The judge options of `ptb eval`, `ptb score` and `ptb run` (judge-scored tasks only). Unset
/// options fall back to the PTB_JUDGE_* environment variables, then to the original's gpt-5-mini
/// on OpenAI.
struct JudgeOptions: ParsableArguments {
    @Option(help: "OpenAI-compatible judge server root (default: $PTB_JUDGE_ENDPOINT or https://api.openai.com). The key is read from $OPENAI_API_KEY.")
    var judgeEndpoint: String?
    @Option(help: "Judge model (default: $PTB_JUDGE_MODEL or gpt-5-mini, as the original).") var judgeModel: String?
    @Option(help: "Concurrent judge requests (default: 64).") var judgeWorkers: Int?
    @Option(help: "Stop judging once this many US dollars are spent; what was judged is kept and the state recorded.") var judgeBudgetUsd: Double?
    @Option(help: "Completion-token limit of each judge call (default: the original's 49152; 512 for non-reasoning graders).") var judgeMaxTokens: Int?
    @Option(help: "JSON price table overriding the built-in one: {\"model\": {\"input_per_million\", \"output_per_million\"}}.") var judgePrices: String?
    @Option(help: "Judge response cache directory (default: $PTB_HOME/cache/judge).") var judgeCache: String?

    var settings: ScoringJudge {
        ScoringJudge(endpoint: judgeEndpoint, model: judgeModel, workers: judgeWorkers, budgetUSD: judgeBudgetUsd,
                     maxTokens: judgeMaxTokens, prices: judgePrices.map { URL(fileURLWithPath: $0).standardizedFileURL.path },
                     cache: judgeCache.map { URL(fileURLWithPath: $0).standardizedFileURL.path })
    }

    func validate() throws {
        do { try settings.validate() } catch { throw ValidationError("\(error)") }
    }

    func config(home: PTBHome) throws -> JudgeConfig {
        try JudgeConfig.from(settings, home: home)
    }
}
