import Foundation
import PTBCore
import Testing
@testable import PTBTasks

/// Issue 16, item 2: a `<think>` block is taken out of the completion before scoring, exactly as
/// the pinned inspect_ai does (Golden/inspect-reasoning-split.json: 16 texts run through
/// inspect_ai 0.3.145's own parse_content_with_reasoning).
@Suite struct ReasoningBlockTests {
    struct Case: Decodable { var text: String; var content: String; var reasoning: String? }
    struct Golden: Decodable { var cases: [Case] }

    @Test func splitsAsInspectAI() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/inspect-reasoning-split.json")
        let g = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
        #expect(g.cases.count == 16)
        for c in g.cases {
            let (content, reasoning) = ReasoningBlock.split(c.text)
            #expect(content == c.content, "\(c.text.debugDescription)")
            #expect(reasoning == c.reasoning, "\(c.text.debugDescription)")
        }
    }

    func sample(_ target: String, metadata: [String: String]? = nil) -> Sample {
        Sample(id: "1", messages: [ChatMessage(role: "user", content: "q")], target: target, metadata: metadata)
    }

    /// Per scorer: the draft inside the reasoning is wrong, the answer after it is right. Scored
    /// on the raw text (ptb before this fix), each of these was graded on the draft.
    @Test func eachScorerReadsTheAnswerAfterTheReasoning() async throws {
        // GSM8K reads the last number: one only in the reasoning is no answer (inspect scores
        // the content alone).
        let gsm = try await OfflineScorer.scoreOne(GSM8KTask(), sample("5"), "<think>So it is 5.</think>I am not sure.", nil, mode: .original, executor: nil)
        #expect(!gsm.correct, "\(gsm)")
        let aime = try await OfflineScorer.scoreOne(AIME2025Task(), sample("204"), "<think>ANSWER: 17</think>\nANSWER: 204", nil, mode: .original, executor: nil)
        #expect(aime.correct, "\(aime)")
        let gpqa = try await OfflineScorer.scoreOne(GPQAMainTask(), sample("B"), "<think>ANSWER: A\nno, wait</think>ANSWER: B", nil, mode: .original, executor: nil)
        #expect(gpqa.correct, "\(gpqa)")
        // HumanEval runs the first code block: the draft in the reasoning fails the tests, the
        // answer after it passes (real bubblewrap, as `ptb score` runs it).
        let he = try #require(try BubblewrapExecutorTests.fixtureSamples().first)
        let draft = "<think>\n```python\ndef add_two(a, b):\n    return a - b\n```\n</think>\n```python\ndef add_two(a, b):\n    return a + b\n```"
        let run = try await OfflineScorer.scoreOne(HumanEvalTask(), he, draft, nil, mode: .original, executor: try BubblewrapExecutorTests.executor(width: 1))
        #expect(run.correct && run.answer?.contains("a + b") == true, "\(run)")
    }
}
