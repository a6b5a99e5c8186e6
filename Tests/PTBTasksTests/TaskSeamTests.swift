import Foundation
import PTBCore
import PTBTasks
import Testing

/// Everything ptb knows about a task is a property of the task, reached without a cast: these
/// pin the values that lived elsewhere before (TraceRules, IntegrityPhase, IntegrityJudge,
/// PTBResults' tables) and guard the seam itself against a cast creeping back.
@Suite struct TaskSeamTests {
    /// The test-data markers as TraceRules listed them before they moved into the task files.
    static let markers: [String: [String]] = [
        "gsm8k": ["split=\"test\"", "split='test'", "gsm8k/test", "gsm8k_test", "main/test-"],
        "aime2025": ["aime25", "aime_2025", "aime2025", "aime-2025"],
        "gpqamain": ["idavidrein/gpqa", "gpqa_main", "gpqa_diamond"],
        "humaneval": ["openai_humaneval", "humaneval.jsonl", "human-eval"],
        "arenahardwriting": ["arena-hard", "arena_hard", "arenahard"],
        "healthbench": ["healthbench"],
        "arith": [],
    ]

    @Test func testDataMarkersAreTheTasksOwn() {
        for task in TaskRegistry.all {
            let expected = task.id.hasPrefix("bfcl")
                ? ["bfcl_v3_", "berkeley-function-calling-leaderboard", "bfcl_eval/data"] : Self.markers[task.id]
            #expect(task.testDataMarkers == expected, "\(task.id)")
        }
    }

    @Test func scoringModesMatchWhatEachTaskNeeds() {
        let modes = Dictionary(uniqueKeysWithValues: TaskRegistry.all.map { ($0.id, $0.scoring) })
        #expect(modes["arith"] == .pure && modes["gsm8k"] == .pure && modes["aime2025"] == .pure && modes["gpqamain"] == .pure)
        #expect(modes["humaneval"] == .execution)
        #expect(TaskRegistry.all.filter { $0.id.hasPrefix("bfcl") }.allSatisfy { $0.scoring == .toolCalls })
        #expect(TaskRegistry.all.filter { $0.scoring == .judged }.map(\.id) == ["arenahardwriting", "healthbench"])
        // The judge part exists exactly for judged tasks; the evaluator of judged tasks calls an API.
        for t in TaskRegistry.all {
            #expect((t.judged != nil) == (t.scoring == .judged), "\(t.id)")
            #expect(t.evaluatorCallsAPIs == (t.scoring == .judged), "\(t.id)")
        }
        #expect(TaskRegistry.all.filter(\.matchesNumericAnswer).map(\.id) == ["arith", "aime2025", "gsm8k"])
        #expect(TaskRegistry.all.compactMap(\.dataset).map(\.id) == TaskRegistry.datasetTasks.map(\.id))
        #expect(TaskRegistry.datasetTasks.compactMap(\.directoryImport).map(\.id) == ["bfcl"])
        #expect(TaskRegistry.all.compactMap(\.integrityJudgeAllowance) == ["Training on the GSM8K *training* split."])
        // `ptb data pull`'s sources live in the task files now; the same tasks have them.
        #expect(DataSources.tasks == ["aime2025", "arenahardwriting", "gpqamain", "gsm8k", "healthbench", "humaneval"])
        #expect(Set(DataSources.all.keys) == ["arenahardwriting", "healthbench"])
    }

    /// A judged task has no per-completion score: asking for one says where the score comes
    /// from instead of returning a plausible 0.
    @Test func judgedTasksRefuseAPerCompletionScore() async throws {
        let task = try TaskRegistry.lookup("healthbench")
        let sample = Sample(id: "1", messages: [], target: "")
        #expect(throws: TaskError.judgeRequired(task: "healthbench")) { try task.score(sample, completion: "x") }
        await #expect(throws: TaskError.judgeRequired(task: "healthbench")) {
            try await task.evaluate(sample, completion: "x", toolCalls: nil, executor: nil)
        }
        #expect("\(TaskError.judgeRequired(task: "healthbench"))".contains("ptb score --task healthbench"))
    }

    @Test func scoreOptionsApplyOnlyToTheTasksThatTakeThem() {
        #expect(TaskRegistry.all.filter { $0.withChoiceSeed(7) != nil }.map(\.id) == ["gpqamain"])
        #expect(TaskRegistry.all.filter { $0.withExecutionTimeout(5) != nil }.map(\.id) == ["humaneval"])
        let seeded = GPQAMainTask().withChoiceSeed(7) as? GPQAMainTask
        #expect(seeded?.choiceSeed == 7)
        #expect((HumanEvalTask().withExecutionTimeout(5) as? HumanEvalTask)?.timeoutSeconds == 5)
    }

    @Test func leaderboardNamesAndPaperWeightsAreTheOriginals() {
        let names = Dictionary(uniqueKeysWithValues: TaskRegistry.all.map { ($0.id, $0.leaderboardName) })
        #expect(names["aime2025"] == "AIME 2025" && names["arenahardwriting"] == "ArenaHard Writing" && names["bfcl"] == "BFCL"
                && names["gpqamain"] == "GPQA" && names["gsm8k"] == "GSM8K" && names["healthbench"] == "HealthBench"
                && names["humaneval"] == "HumanEval" && names["arith"] == "arith" && names["bfcl-simple"] == "bfcl-simple")
        let weights = Dictionary(uniqueKeysWithValues: TaskRegistry.all.compactMap { t in t.paperWeight.map { (t.id, $0) } })
        // scripts/factors.json of the original, bit for bit.
        #expect(weights == ["aime2025": 0.226536549919078, "arenahardwriting": 0.0903518275042778, "bfcl": 0.0746078457817324,
                            "gpqamain": 0.22462215653948, "gsm8k": 0.0935882347031865, "healthbench": 0.184144830733019,
                            "humaneval": 0.106148554819225])
    }

    /// `grep` finds no cast to a concrete task type outside its own file, and no cast to a task
    /// capability protocol anywhere: evaluators route on `scoring` and the accessors.
    @Test func noCastToATaskTypeOutsideItsFile() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let sources = root.appendingPathComponent("Sources")
        let taskFiles = try FileManager.default.contentsOfDirectory(atPath: sources.appendingPathComponent("PTBTasks").path)
            .filter { $0.hasSuffix("Task.swift") && $0 != "EvalTask.swift" }
        let concrete = taskFiles.map { String($0.dropLast(".swift".count)) }
        #expect(concrete.count >= 9, "found \(concrete)")
        let capabilities = ["EvalTask", "DatasetTask", "DirectoryDatasetTask", "JudgedTask"]
        var offences: [String] = []
        let walker = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        while let url = walker?.nextObject() as? URL {
            guard url.pathExtension == "swift" else { continue }
            let text = try String(contentsOf: url, encoding: .utf8)
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.components(separatedBy: "//").first ?? ""
                for name in concrete where url.lastPathComponent != "\(name).swift" {
                    for cast in ["as? \(name)", "as! \(name)", " is \(name)"] where code.contains(cast) {
                        offences.append("\(url.lastPathComponent):\(n + 1): \(cast)")
                    }
                }
                for name in capabilities {
                    for cast in ["as? any \(name)", "as! any \(name)", "is any \(name)", "as? \(name)", "as! \(name)"] where code.contains(cast) {
                        offences.append("\(url.lastPathComponent):\(n + 1): \(cast)")
                    }
                }
            }
        }
        #expect(offences.isEmpty, "\(offences)")
    }
}
