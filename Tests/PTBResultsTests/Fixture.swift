import Foundation
import PTBResults

/// Builds a results directory in the original's layout (`<method>/<task>_<Org>_<Model>_<id>/`) in a
/// temp dir, file by file, so every test states exactly which files a run has.
struct ResultsFixture {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("ptb-results-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    static let orgs = ["Qwen3-1.7B-Base": "Qwen", "Qwen3-4B-Base": "Qwen", "SmolLM3-3B-Base": "HuggingFaceTB", "gemma-3-4b-pt": "google",
                       "Qwen3-1.7B": "Qwen", "Qwen3-4B": "Qwen", "SmolLM3-3B": "HuggingFaceTB", "gemma-3-4b-it": "google"]

    /// One run. `metrics` is the file's raw text (nil: no file); verdict texts likewise.
    @discardableResult
    func run(_ method: String, _ task: String, _ model: String, id: Int, metrics: String?, time: String? = "05:00:00",
             finalModel: Bool = true, contamination: String? = "no contamination detected",
             disallowed: String? = "only allowed use detected", judgeResult: String? = nil) throws -> URL {
        let dir = root.appendingPathComponent(method).appendingPathComponent("\(task)_\(Self.orgs[model] ?? "Org")_\(model)_\(id)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        func put(_ name: String, _ text: String?) throws {
            if let text { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        }
        try put("metrics.json", metrics)
        try put("time_taken.txt", time.map { $0 + "\n" })
        try put("contamination_judgement.txt", contamination.map { $0 + "\n" })
        try put("disallowed_model_judgement.txt", disallowed.map { $0 + "\n" })
        try put("judge_result.json", judgeResult)
        if finalModel {
            let fm = dir.appendingPathComponent("final_model")
            try FileManager.default.createDirectory(at: fm, withIntermediateDirectories: true)
            try "{}".write(to: fm.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        }
        return dir
    }

    /// A clean, scored run.
    @discardableResult
    func scored(_ method: String, _ task: String, _ model: String, id: Int, _ accuracy: Double, time: String? = "05:00:00") throws -> URL {
        try run(method, task, model, id: id, metrics: "{\"accuracy\": \(accuracy), \"stderr\": 0.01}", time: time)
    }

    /// A full 4 × 7 sweep; `value(model, task)` gives each cell's accuracy.
    func sweep(_ method: String, firstID: Int = 100, _ value: (String, String) -> Double) throws {
        var id = firstID
        for m in PaperBenchmarks.baseModels {
            for t in PaperBenchmarks.ids {
                try scored(method, t, m, id: id, value(m, t))
                id += 1
            }
        }
    }

    /// The zero-shot baselines as the original stores them (`baseline_zeroshot/`), from the published table.
    func baselines(models: [String]) throws {
        var id = 1
        for m in models {
            for t in PaperBenchmarks.ids {
                try run(PaperBenchmarks.baselineMethod, t, m, id: id,
                        metrics: "{\"accuracy\": \(BaselineTable.published.value(model: m, benchmark: t)!)}",
                        time: "00:30:00", finalModel: false, contamination: nil, disallowed: nil)
                id += 1
            }
        }
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

extension Leaderboard {
    func named(_ name: String) -> LeaderboardRow? { rows.first { $0.agent == name } }
}

/// The published base-model and instruct-model weighted scores (baselines.md), as fractions.
enum Published {
    static let baseScore = 0.075276
    static let instructScore = 0.511359
    static let instructOf = Dictionary(uniqueKeysWithValues: ModelKey.instructPairs.map { ($0.base, $0.instruct) })
}
