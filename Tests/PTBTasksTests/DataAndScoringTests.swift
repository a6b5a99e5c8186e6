import Foundation
import PTBCore
import Testing
@testable import PTBTasks

@Suite struct DataAndScoringTests {
    @Test func manifestRecordsHashesAndTamperingIsRefused() throws {
        let t = TempHome()
        defer { t.cleanup() }
        let store = TaskDataStore(home: t.home)
        let src = try t.file("test.jsonl", try jsonl(GSM8KTaskTests.testRows))
        let (entry, _) = try store.importFile(src, task: GSM8KTask(), split: "test")
        #expect(entry.rows == 2)
        #expect(entry.sourceSha256 == Hashing.sha256(try Data(contentsOf: src)))
        let manifest = try #require(try store.manifest("gsm8k"))
        #expect(manifest.splits["test"]?.sha256 == entry.sha256 && manifest.splits["test"]?.rows == 2)
        #expect(manifest.splits["test"]?.source == src.standardizedFileURL.path)
        #expect(FileManager.default.fileExists(atPath: store.file("gsm8k", split: "test").path))

        let status = store.status(TaskRegistry.datasetTasks)
        #expect(status.first { $0.task == "gsm8k" && $0.split == "test" }?.state == .ok)
        #expect(status.first { $0.task == "gsm8k" && $0.split == "train" }?.state == .missing)
        #expect(status.first { $0.task == "humaneval" }?.importCommand == "ptb data import humaneval <path>")

        // An edited data file is not silently evaluated.
        try Data("{\"question\":\"q\",\"answer\":\"#### 1\"}\n".utf8).write(to: store.file("gsm8k", split: "test"))
        #expect(store.status([GSM8KTask()]).first?.state == .modified)
        #expect {
            _ = try store.rows(GSM8KTask.Row.self, task: GSM8KTask(), split: "test")
        } throws: { "\($0)".contains("no longer matches") && "\($0)".contains("ptb data import gsm8k <path> --split test") }
    }

    @Test func importErrorsSayWhatToDo() throws {
        let t = TempHome()
        defer { t.cleanup() }
        let store = TaskDataStore(home: t.home)
        let src = try t.file("x.jsonl", "{\"question\": \"q\"}\n")
        #expect { _ = try store.importFile(src, task: GSM8KTask(), split: nil) } throws: { "\($0)".contains("--split test|train") }
        #expect { _ = try store.importFile(src, task: GSM8KTask(), split: "dev") } throws: { "\($0)".contains("no split 'dev'") }
        #expect { _ = try store.importFile(src, task: GSM8KTask(), split: "test") } throws: { "\($0)".contains("field \"answer\" is missing") }
        #expect { _ = try TaskRegistry.datasetTask("arith") } throws: { "\($0)".contains("ships with ptb") }
        let csv = try t.file("bad.csv", "Question,Correct Answer\nq,a\n")
        #expect { _ = try store.importFile(csv, task: GPQAMainTask(), split: nil) } throws: { "\($0)".contains("Incorrect Answer 1") }
    }

    @Test func offlineScoringOfNumericCompletionsWithTargets() async throws {
        let t = TempHome()
        defer { t.cleanup() }
        let input = try t.file("in.jsonl", """
            {"id": "a", "completion": "so ANSWER: 170", "target": "70"}
            {"id": 2, "completion": "ANSWER: 12", "target": 12}

            {"id": "c", "completion": "no idea", "target": "5"}
            """)
        let lines = try OfflineScorer.readCompletions(from: input)
        #expect(lines.map(\.id) == ["a", "2", "c"])
        #expect(lines.map(\.lineNumber) == [1, 2, 4])
        let (scored, summary, _) = try await OfflineScorer(task: GSM8KTask(), home: t.home).score(lines)
        #expect(scored.map(\.correct) == [true, true, false])
        #expect(scored.map(\.matchMode) == ["original", "original", "original"])
        #expect(summary.task == "gsm8k" && summary.n == 3 && summary.correct == 2 && summary.matchMode == "original")
        #expect(abs(summary.accuracy - 2.0 / 3) < 1e-12)
        #expect(abs(summary.stderr - (1.0 / 3 / 3).squareRoot()) < 1e-12)   // sample sd √(1/3), over √3
        #expect(summary.passAtK == nil)
        let strict = try await OfflineScorer(task: GSM8KTask(), home: t.home, mode: .strict).score(lines)
        #expect(strict.lines.map(\.correct) == [false, true, false])
        #expect(strict.summary.matchMode == "strict")
        let json = try JSONIO.line(scored[0])
        #expect(json.contains("\"match_mode\":\"original\"") && json.contains("\"answer\":\"170\""))
    }

    @Test func offlineScoringLooksUpDatasetTargetsAndReportsUnknownIDs() async throws {
        let t = TempHome()
        defer { t.cleanup() }
        // Scoring gsm8k needs only the test split (the few-shot block plays no part).
        _ = try TaskDataStore(home: t.home).importFile(try t.file("test.jsonl", try jsonl(GSM8KTaskTests.testRows)), task: GSM8KTask(), split: "test")
        let ok = [CompletionLine(id: "2", completion: "ANSWER: 6", lineNumber: 1)]
        let (scored, _, _) = try await OfflineScorer(task: GSM8KTask(), home: t.home).score(ok)
        #expect(scored.first?.correct == true && scored.first?.target == "6")
        let unknown = [CompletionLine(id: "99", completion: "6", lineNumber: 7)]
        await #expect {
            _ = try await OfflineScorer(task: GSM8KTask(), home: t.home).score(unknown)
        } throws: { "\($0)".contains("line 7: id '99'") && "\($0)".contains("\"target\"") }
        let bad = try t.file("bad.jsonl", "{\"id\": \"1\"}\n")
        #expect { _ = try OfflineScorer.readCompletions(from: bad) } throws: { "\($0)".contains("line 1") && "\($0)".contains("completion") }
    }

    @Test func passAtKWhenProblemsRepeat() {
        let lines = [("p1", true), ("p1", false), ("p2", false), ("p2", false)].map {
            ScoredLine(id: $0.0, correct: $0.1, score: $0.1 ? 1 : 0, answer: nil, target: "", matchMode: nil, result: nil, explanation: nil)
        }
        let s = OfflineScorer.summary(task: "humaneval", lines: lines, numeric: false, mode: .original, executes: true)
        #expect(s.passAtK == ["pass@1": 0.25])
        #expect(s.accuracy == 0.25)
    }
}
