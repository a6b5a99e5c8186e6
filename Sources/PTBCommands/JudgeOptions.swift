import ArgumentParser
import Foundation
import PTBCore
import PTBJudge

/// The judge options of `ptb eval`, `ptb score` and `ptb run` (judge-scored tasks only). Unset
/// options fall back to the PTB_JUDGE_* environment variables, then to the original's gpt-5-mini
/// on OpenAI.
struct JudgeOptions: ParsableArguments {
    // The texts are the run options' (`RunOptions.Key`), as `ptb run` stores these settings.
    @Option(help: ArgumentHelp(RunOptions.Key.judgeEndpoint.help)) var judgeEndpoint: String?
    @Option(help: ArgumentHelp(RunOptions.Key.judgeModel.help)) var judgeModel: String?
    @Option(help: ArgumentHelp(RunOptions.Key.judgeWorkers.help)) var judgeWorkers: Int?
    @Option(help: ArgumentHelp(RunOptions.Key.judgeBudgetUSD.help)) var judgeBudgetUsd: Double?
    @Option(help: ArgumentHelp(RunOptions.Key.judgeMaxTokens.help)) var judgeMaxTokens: Int?
    @Option(help: ArgumentHelp(RunOptions.Key.judgePrices.help)) var judgePrices: String?
    @Option(help: ArgumentHelp(RunOptions.Key.judgeCache.help)) var judgeCache: String?

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
