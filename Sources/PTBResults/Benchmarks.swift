import Foundation
import PTBCore

/// The original's seven benchmarks and four base models, as the aggregation scripts name them.
public enum PaperBenchmarks {
    /// Task ids in the original's (sorted) column order.
    public static let ids = ["aime2025", "arenahardwriting", "bfcl", "gpqamain", "gsm8k", "healthbench", "humaneval"]

    /// Model keys of the four base models (the run-name part after the org).
    public static let baseModels = ["Qwen3-1.7B-Base", "Qwen3-4B-Base", "SmolLM3-3B-Base", "gemma-3-4b-pt"]

    /// The method directory that holds zero-shot baselines (the original renames `baseline/` to this by hand).
    public static let baselineMethod = "baseline_zeroshot"

    /// The original's hard-coded budget for time percentages (`aggregate_time.py`: 36000 s).
    public static let budgetSeconds: Double = 36000

    static let names: [String: String] = [
        "aime2025": "AIME 2025", "arenahardwriting": "ArenaHard Writing", "bfcl": "BFCL", "gpqamain": "GPQA",
        "gsm8k": "GSM8K", "healthbench": "HealthBench", "humaneval": "HumanEval",
    ]

    /// Column header for a task: the README's name for the seven, the id for anything else (`arith`).
    public static func displayName(_ task: String) -> String { names[task] ?? task }
}

public enum ModelKey {
    /// The original's model key: the Hugging Face id without its org (`Qwen/Qwen3-4B-Base` → `Qwen3-4B-Base`),
    /// which is what `name.split("_")` yields from a run directory name. Local models keep their name.
    public static func of(_ modelID: String) -> String {
        modelID.split(separator: "/").last.map(String.init) ?? modelID
    }

    /// Base ↔ instruct pairs (keys), from the model catalog; the weights and the "instruct" row use them.
    public static var instructPairs: [(base: String, instruct: String)] {
        ModelCatalog.all.compactMap { m in m.instruct.first.map { (of(m.id), of($0)) } }
    }
}
