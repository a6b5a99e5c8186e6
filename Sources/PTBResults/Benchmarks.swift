import Foundation
import PTBCore
import PTBTasks

/// The original's seven benchmarks and four base models, as the aggregation scripts name them.
public enum PaperBenchmarks {
    /// Task ids in the original's (sorted) column order: the tasks with a paper weight.
    public static let ids = TaskRegistry.all.filter { $0.paperWeight != nil }.map(\.id).sorted()

    /// Model keys of the four base models (the run-name part after the org).
    public static let baseModels = ["Qwen3-1.7B-Base", "Qwen3-4B-Base", "SmolLM3-3B-Base", "gemma-3-4b-pt"]

    /// The method directory that holds zero-shot baselines (the original renames `baseline/` to this by hand).
    public static let baselineMethod = "baseline_zeroshot"

    /// The original's hard-coded budget for time percentages (`aggregate_time.py`: 36000 s).
    public static let budgetSeconds: Double = 36000

    /// Column header for a task: the task's `leaderboardName` (the README's name for the seven),
    /// the id for anything else (`arith`, a benchmark ptb has no task for).
    public static func displayName(_ task: String) -> String { (try? TaskRegistry.lookup(task))?.leaderboardName ?? task }
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
