import Foundation
import PTBResults
import Testing

@Suite struct ImporterTests {
    func importOne(_ build: (ResultsFixture) throws -> Void) throws -> ImportSnapshot {
        let f = try ResultsFixture()
        defer { f.remove() }
        try build(f)
        return try PostTrainBenchImporter(root: f.root).read(now: Date(timeIntervalSince1970: 0))
    }

    @Test func readsAScoredRun() throws {
        let s = try importOne { try $0.scored("claude_opus_10h", "gsm8k", "Qwen3-4B-Base", id: 17012345, 0.42, time: "9:59:07") }
        #expect(s.skipped.isEmpty)
        let r = try #require(s.runs.first)
        #expect((r.method, r.task, r.model, r.runID) == ("claude_opus_10h", "gsm8k", "Qwen3-4B-Base", 17012345))
        #expect(r.score == .scored(0.42))
        #expect(r.flags.contamination == .clean && r.flags.disallowedModel == .clean && r.flags.cell == "")
        #expect(r.timeSeconds == 9 * 3600 + 59 * 60 + 7)
        #expect(r.hasFinalModel && r.problems.isEmpty)
    }

    /// §7.3's order: ERR for baselines; else `not avl.` without time_taken.txt, `not stored` without
    /// final_model/, else ERR — each with its reason.
    @Test func scoreStatesFollowTheOriginalOrder() throws {
        let s = try importOne { f in
            try f.run("m", "gsm8k", "Qwen3-4B-Base", id: 1, metrics: nil)
            try f.run("m", "bfcl", "Qwen3-4B-Base", id: 2, metrics: nil, finalModel: false)
            try f.run("m", "aime2025", "Qwen3-4B-Base", id: 3, metrics: nil, time: nil, finalModel: false)
            try f.run("m", "gpqamain", "Qwen3-4B-Base", id: 4, metrics: "{not json")
            try f.run("m", "humaneval", "Qwen3-4B-Base", id: 5, metrics: #"{"accuracy": null}"#)
            try f.run("m", "healthbench", "Qwen3-4B-Base", id: 6, metrics: #"{"accuracy": true}"#)
            try f.run("m", "arenahardwriting", "Qwen3-4B-Base", id: 7, metrics: #"{"accuracy": "0.25"}"#)
            try f.run("m", "arenahardwriting", "gemma-3-4b-pt", id: 8, metrics: #"[0.5]"#)
            try f.run("m", "arenahardwriting", "SmolLM3-3B-Base", id: 9, metrics: #"{"accuracy": 1}"#)
            try f.run(PaperBenchmarks.baselineMethod, "gsm8k", "Qwen3-4B-Base", id: 1, metrics: nil, time: nil, finalModel: false)
        }
        func run(_ method: String, _ id: Int64, model: String = "Qwen3-4B-Base") -> ResultRun? {
            s.runs.first { $0.method == method && $0.runID == id && $0.model == model }
        }
        #expect(run("m", 1)?.score.label == .error)
        #expect(run("m", 1)?.problems == ["metrics.json is missing"])
        #expect(run("m", 2)?.score.label == .notStored)
        #expect(run("m", 3)?.score.label == .notAvailable)
        #expect(run("m", 4)?.score.label == .error)
        #expect(run("m", 4)?.score.detail?.hasPrefix("metrics.json is not a JSON object") == true)
        #expect(run("m", 5)?.score.detail == "metrics.json has no accuracy")
        #expect(run("m", 6)?.score.detail == "metrics.json: accuracy is a boolean, not a number")
        #expect(run("m", 7)?.score == .scored(0.25))   // float(str("0.25")) works in the original too
        #expect(run("m", 8, model: "gemma-3-4b-pt")?.score.label == .error)
        #expect(run("m", 9, model: "SmolLM3-3B-Base")?.score == .scored(1))
        #expect(run(PaperBenchmarks.baselineMethod, 1)?.score.label == .error)
        #expect(run(PaperBenchmarks.baselineMethod, 1)?.flags == .unjudged)
    }

    @Test func verdictFiles() throws {
        let s = try importOne { f in
            try f.run("m", "gsm8k", "Qwen3-4B-Base", id: 1, metrics: "{}", contamination: "  contamination detected \n")
            try f.run("m", "gsm8k", "Qwen3-1.7B-Base", id: 1, metrics: "{}", disallowed: "disallowed use detected")
            try f.run("m", "gsm8k", "SmolLM3-3B-Base", id: 1, metrics: "{}", contamination: nil)
            try f.run("m", "gsm8k", "gemma-3-4b-pt", id: 1, metrics: "{}", contamination: "probably fine", disallowed: nil)
            try f.run("m", "bfcl", "Qwen3-4B-Base", id: 1, metrics: "{}", contamination: "contamination detected",
                      disallowed: "disallowed use detected")
        }
        func cell(_ task: String, _ model: String) -> String? { s.runs.first { $0.task == task && $0.model == model }?.flags.cell }
        #expect(cell("gsm8k", "Qwen3-4B-Base") == "C")
        #expect(cell("gsm8k", "Qwen3-1.7B-Base") == "M")
        #expect(cell("gsm8k", "SmolLM3-3B-Base") == "C:ERR")
        #expect(cell("gsm8k", "gemma-3-4b-pt") == "C:IMPORTANT ERR M:ERR")
        #expect(cell("bfcl", "Qwen3-4B-Base") == "MC")
    }

    /// new_judge_v2's `judge_result.json` (and the migrated key names) replaces the text files.
    @Test func judgeResultJSON() throws {
        let s = try importOne { f in
            try f.run("m", "gsm8k", "Qwen3-4B-Base", id: 1, metrics: "{}", contamination: nil, disallowed: nil,
                      judgeResult: #"{"contamination": false, "disallowed_model": true, "justification_contamination": "x"}"#)
            try f.run("m", "gsm8k", "Qwen3-1.7B-Base", id: 1, metrics: "{}", contamination: "contamination detected",
                      judgeResult: #"{"contamination_detected": false, "disallowed_model_detected": false}"#)
            try f.run("m", "gsm8k", "gemma-3-4b-pt", id: 1, metrics: "{}", judgeResult: #"{"contamination": "no", "disallowed_model": false}"#)
            try f.run("m", "gsm8k", "SmolLM3-3B-Base", id: 1, metrics: "{}", judgeResult: "garbage")
        }
        func flags(_ model: String) -> RunFlags? { s.runs.first { $0.model == model }?.flags }
        #expect(flags("Qwen3-4B-Base")?.cell == "M")
        #expect(flags("Qwen3-1.7B-Base")?.cell == "")
        #expect(flags("gemma-3-4b-pt")?.cell == "C:IMPORTANT ERR")
        #expect(flags("gemma-3-4b-pt")?.detail == "judge_result.json: contamination is not a boolean")
        #expect(flags("SmolLM3-3B-Base")?.cell == "C:IMPORTANT ERR M:IMPORTANT ERR")
    }

    @Test func garbageNamesAndFilesAreSkippedWithReasons() throws {
        let s = try importOne { f in
            try f.scored("m", "gsm8k", "Qwen3-4B-Base", id: 1, 0.5)
            let m = f.root.appendingPathComponent("m")
            try FileManager.default.createDirectory(at: m.appendingPathComponent("gsm8k_Qwen3-4B-Base_7"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: m.appendingPathComponent("gsm8k_Qwen_Qwen3-4B-Base_abc"), withIntermediateDirectories: true)
            try "x".write(to: m.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
            // The aggregation's CSVs sit beside the method dirs; they are not methods.
            try "model,gsm8k\n".write(to: f.root.appendingPathComponent("aggregated_m.csv"), atomically: true, encoding: .utf8)
        }
        #expect(s.runs.count == 1)
        #expect(s.skipped == [
            SkippedEntry(method: "m", name: "gsm8k_Qwen3-4B-Base_7", reason: "name splits into 3 part(s) on '_', not 4 (task_Org_Model_id)"),
            SkippedEntry(method: "m", name: "gsm8k_Qwen_Qwen3-4B-Base_abc", reason: "run id 'abc' is not an integer"),
            SkippedEntry(method: "m", name: "notes.txt", reason: "not a directory"),
        ])
    }

    @Test func timeTakenFormat() {
        #expect(OriginalRunFiles.parseDuration("10:00:00") == 36000)
        #expect(OriginalRunFiles.parseDuration("123:5:9") == 123 * 3600 + 309)
        #expect(OriginalRunFiles.parseDuration("1:60:00") == nil)
        #expect(OriginalRunFiles.parseDuration("1:00") == nil)
        #expect(OriginalRunFiles.parseDuration("1:000:00") == nil)
        #expect(OriginalRunFiles.parseDuration("-1:00:00") == nil)
    }

    @Test func snapshotsRoundTripThroughTheStore() throws {
        let f = try ResultsFixture()
        defer { f.remove() }
        try f.scored("m", "gsm8k", "Qwen3-4B-Base", id: 1, 0.5)
        try f.run("m", "bfcl", "Qwen3-4B-Base", id: 2, metrics: nil, time: "oops")
        let snapshot = try PostTrainBenchImporter(root: f.root).read(now: Date(timeIntervalSince1970: 1_700_000_000))
        let store = ImportStore(directory: f.root.appendingPathComponent("imports"))
        try store.save(snapshot, label: ImportStore.label(for: f.root))
        #expect(try store.loadAll() == [snapshot])
        #expect(snapshot.runs.first { $0.task == "bfcl" }?.timeRaw == "oops")
        #expect(ImportSummary(snapshot).text == "2 run(s) of 1 method(s), 1 scored, 1 ERR, 0 flagged, 0 judge error(s), 0 entries skipped")
        try "{".write(to: store.url(label: "broken"), atomically: true, encoding: .utf8)
        #expect(throws: ResultsError.self) { try store.loadAll() }
        #expect(ImportStore.sanitize("my results/../x") == "my_results_.._x")
    }
}

@Suite struct SourcesTests {
    /// A run reached through a fresh directory read and an older import counts once, with the fresh record.
    @Test func freshestRecordWins() throws {
        let f = try ResultsFixture()
        defer { f.remove() }
        let run = try f.scored("m", "gsm8k", "Qwen3-4B-Base", id: 1, 0.5)
        let store = ImportStore(directory: f.root.deletingLastPathComponent().appendingPathComponent("imports-\(UUID().uuidString)"))
        defer { try? FileManager.default.removeItem(at: store.directory) }
        try store.save(try PostTrainBenchImporter(root: f.root).read(now: Date(timeIntervalSince1970: 1)), label: "0-old-but-listed-first")
        try #"{"accuracy": 0.75}"#.write(to: run.appendingPathComponent("metrics.json"), atomically: true, encoding: .utf8)
        try store.save(try PostTrainBenchImporter(root: f.root).read(now: Date(timeIntervalSince1970: 2)), label: "9-newer")
        let fromImports = try ResultSources(importStore: store).load()
        #expect(fromImports.runs.map(\.score) == [.scored(0.75)])
        try #"{"accuracy": 0.25}"#.write(to: run.appendingPathComponent("metrics.json"), atomically: true, encoding: .utf8)
        let withDir = try ResultSources(importStore: store, resultsDirs: [f.root]).load()
        #expect(withDir.runs.map(\.score) == [.scored(0.25)])
    }
}
