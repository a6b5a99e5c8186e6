import Foundation
import PTBTasks
import PTBCore
import Testing

@Suite struct VerdictParsingTests {
    /// Golden: every label, case folding, last match, pattern order, malformed judgments.
    @Test func verdictsMatchTheGoldenFile() throws {
        let cases = try goldenLines("verdicts.jsonl")
        #expect(cases.count >= 20)
        for c in cases {
            let judgment = c["judgment"] as! String
            let expected = c["verdict"] as? String
            #expect(ArenaHardWritingTask.verdict(judgment) == expected, "\(c["note"]!): \(judgment)")
        }
    }

    @Test func everyLabelOfTheMapIsCovered() throws {
        let parsed = Set(try goldenLines("verdicts.jsonl").compactMap { $0["verdict"] as? String })
        #expect(Set(ArenaHardWritingTask.labelScores.keys).isSubset(of: parsed))
    }

    @Test func aLabelOutsideTheMapIsNotScored() {
        #expect(ArenaHardWritingTask.candidateValues(game1: "A>>>B", game2: "A=B") == nil)
        #expect(ArenaHardWritingTask.candidateValues(game1: nil, game2: "A=B") == nil)
    }
}

@Suite struct RubricParsingTests {
    /// Golden: bare and fenced JSON, missing fields, wrong types, truncated output.
    @Test func gradesMatchTheGoldenFile() throws {
        for c in try goldenLines("grades.jsonl") {
            let text = c["text"] as! String
            let g = HealthBenchTask.parseGrade(text)
            #expect(g?.criteriaMet == c["criteria_met"] as? Bool, "\(c["note"]!)")
            if g != nil { #expect(g?.explanation == c["explanation"] as? String, "\(c["note"]!)") }
        }
    }

    @Test func graderPromptFollowsTheTemplate() {
        let p = HealthBenchTask.graderPrompt(conversation: [ChatMessage(role: "user", content: "hi")], response: "hello",
                                             item: .init(criterion: "Greets the user.", points: 5, tags: []))
        #expect(p.hasPrefix("Your job is to look at a conversation and a rubric item"))
        #expect(p.contains("# Conversation\nuser: hi\n\nassistant: hello\n\n# Rubric item\n[5] Greets the user.\n\n# Instructions"))
        #expect(p.hasSuffix("Do not include any other text in the response."))
        #expect(HealthBenchTask.rubricLine(.init(criterion: "x", points: -2.5, tags: [])) == "[-2.5] x")
    }

    @Test func arenaPromptsPutTheBaselineFirstInGameOne() {
        let u = ArenaHardWritingTask.userPrompt(question: "Q", answerA: "base", answerB: "cand")
        #expect(u == "<|User Prompt|>\nQ\n\n<|The Start of Assistant A's Answer|>\nbase\n<|The End of Assistant A's Answer|>\n\n<|The Start of Assistant B's Answer|>\ncand\n<|The End of Assistant B's Answer|>")
        #expect(ArenaHardWritingTask.systemPrompt.hasSuffix("Example output: \"My final verdict is tie: [[A=B]]\"."))
        #expect(!ArenaHardWritingTask.systemPrompt.contains("generating your own answer"))
    }
}

@Suite struct AnswerCleaningTests {
    @Test func thinkingIsStrippedOnlyWhenTheAnswerStartsWithIt() {
        #expect(AnswerCleaning.stripThinking("  <think>plan</think>\n\nAnswer ") == "Answer")
        #expect(AnswerCleaning.stripThinking("Answer <think>x</think> tail") == "Answer <think>x</think> tail")
        #expect(AnswerCleaning.stripThinking("<think>never closed") == "<think>never closed")
        #expect(AnswerCleaning.stripThinking("<think>a</think>b</think>c") == "b</think>c")
    }

    @Test func repeatedLinesAreCutToFive() {
        let text = (["intro"] + Array(repeating: "same line", count: 9) + ["end"]).joined(separator: "\n")
        #expect(AnswerCleaning.limitRepetitions(text) == (["intro"] + Array(repeating: "same line", count: 5) + ["end"]).joined(separator: "\n"))
    }

    @Test func repeatedBlocksAreCutToFiveWithoutTheTrailingPartialCopy() {
        let block = ["alpha", "beta"]
        let lines = ["start"] + Array(Array(repeating: block, count: 8).joined()) + ["alpha", "fin"]
        let out = AnswerCleaning.limitRepetitions(lines.joined(separator: "\n"))
        #expect(out == (["start"] + Array(Array(repeating: block, count: 5).joined()) + ["fin"]).joined(separator: "\n"))
    }

    @Test func repeatedUnitsWithinALineAreCutToFive() {
        let out = AnswerCleaning.limitRepetitions("x" + String(repeating: "abc ", count: 12) + "y")
        #expect(out == "x" + String(repeating: "abc ", count: 5) + "y")
        #expect(AnswerCleaning.limitRepetitions("no repetition here") == "no repetition here")
    }
}
