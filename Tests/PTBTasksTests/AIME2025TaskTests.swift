import Foundation
import PTBCore
import Testing
@testable import PTBTasks

@Suite struct AIME2025TaskTests {
    @Test func promptAndIDsFromTheUpstreamRecord() throws {
        let t = TempHome()
        defer { t.cleanup() }
        // Hand-made problems; upstream files carry numeric or string ids and answers.
        let upstream = """
            {"id": 0, "problem": "Find $x$ if $x + 1 = 3$.", "answer": 2}
            {"id": "p-2", "problem": "Compute $7 \\\\cdot 6$.", "answer": "042"}
            """
        let (entry, warnings) = try TaskDataStore(home: t.home).importFile(try t.file("test.jsonl", upstream), task: AIME2025Task(), split: nil)
        #expect(entry.rows == 2)
        #expect(warnings.count == 1 && warnings[0].contains("upstream split has 30"))
        let samples = try AIME2025Task().samples(home: t.home)
        #expect(samples.map(\.id) == ["0", "p-2"])
        #expect(samples.map(\.target) == ["2", "042"])
        #expect(samples[0].messages == [ChatMessage(role: "user", content: """
            Solve the following math problem step by step.
            The last line of your response should be of the form "ANSWER: $ANSWER" (without quotes) where $ANSWER is the answer to the problem.

            Find $x$ if $x + 1 = 3$.

            Remember to put your answer on its own line at the end in the form "ANSWER: $ANSWER" (without quotes) where $ANSWER is the answer to the problem, and you do not need to use a \\boxed command.
            """)])
        #expect(AIME2025Task().score(samples[1], completion: "so ANSWER: \\boxed{42}").correct)
    }

    @Test func defaultsAreTheOriginals() {
        let t = AIME2025Task()
        #expect(t.defaults == TaskDefaults(limit: nil, maxTokens: 16000, maxConnections: 6, gpuMemoryUtilization: 0.8, retryMaxTokens: [12000, 8000]))
        #expect(t.benchmarkName == "American Invitational Mathematics Examination (AIME) 2025")
    }
}
