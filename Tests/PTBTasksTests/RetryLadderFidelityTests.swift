import PTBTasks
import Testing

/// The retry ladder's reduced max tokens per task, as the original's run_task.sh passes them
/// (reference §1.10): phase 2 and phase 3. Judged tasks take `--max-new-tokens 12288` / `8192`,
/// not the 12000/8000 of the inspect tasks (issue 16, item 6).
@Suite struct RetryLadderFidelityTests {
    static let original: [String: [Int]] = [
        "aime2025": [12000, 8000], "arenahardwriting": [12288, 8192], "bfcl": [12000, 8000], "gpqamain": [12000, 8000],
        "gsm8k": [3000, 2000], "healthbench": [12288, 8192], "humaneval": [3000, 2000],
    ]

    @Test func everyOriginalTaskReducesMaxTokensAsTheOriginal() throws {
        for (id, ladder) in Self.original {
            #expect(try TaskRegistry.lookup(id).defaults.retryMaxTokens == ladder, "\(id)")
        }
    }
}

/// Issue 16, item 5: the original gives its agents the judged tasks' evaluation code; ptb's
/// evaluator runs outside the sandbox, so these tasks describe their judging in a context file.
@Suite struct JudgedContextFileTests {
    @Test func judgedTasksExplainHowTheyAreJudged() throws {
        for id in ["arenahardwriting", "healthbench"] {
            let files = try TaskRegistry.lookup(id).contextFiles()
            let text = try #require(files["JUDGING.md"], "\(id)")
            #expect(text.contains("evaluate.py --limit N") && text.contains("outside your sandbox"), "\(id)")
            #expect(text.contains("16384"), "\(id): the generation budget the final evaluation uses")
        }
    }
}
