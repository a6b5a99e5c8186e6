import Foundation
import PTBCore
import Testing
@testable import PTBTasks

@Suite struct GPQAMainTaskTests {
    /// Hand-made questions in gpqa_main.csv's layout (never real GPQA items); the CSV has the
    /// upstream's quirks: a BOM, quoted fields with commas, doubled quotes and line breaks.
    static let csv = "\u{FEFF}Pre-Revision Question,Question,Correct Answer,Incorrect Answer 1,Incorrect Answer 2,Incorrect Answer 3,Record ID\r\n"
        + "x,Which gas makes up most of Earth's atmosphere?,Nitrogen,Oxygen,Argon,Carbon dioxide,recA\r\n"
        + "y,\"What is 2 + 2, in words?\",four,three,\"five, maybe\",\"\"\"six\"\"\",recB\r\n"
        + "z,\"A question\nover two lines\",right,wrong 1,wrong 2,wrong 3,recC\r\n"

    @Test func promptIsInspectsChainOfThoughtTemplate() throws {
        let t = TempHome()
        defer { t.cleanup() }
        _ = try TaskDataStore(home: t.home).importFile(try t.file("gpqa_main.csv", Self.csv), task: GPQAMainTask(), split: nil)
        let samples = try GPQAMainTask().samples(home: t.home)
        #expect(samples.map(\.id) == ["recA", "recB", "recC"])
        // Rendered by inspect's template with Python's random.Random(42) shuffle: order [2, 1, 3, 0].
        #expect(samples[0].messages == [ChatMessage(role: "user", content: """
            Answer the following multiple choice question. The last line of your response should be of the following format: 'ANSWER: $LETTER' (without quotes) where LETTER is one of A,B,C,D. Think step by step before answering.

            Which gas makes up most of Earth's atmosphere?

            A) Argon
            B) Oxygen
            C) Carbon dioxide
            D) Nitrogen
            """)])
        #expect(samples[0].target == "D")
        #expect(samples[0].metadata == ["choice_seed": "42", "choice_order": "2,1,3,0"])
        // Quoted CSV fields arrive verbatim.
        #expect(samples[1].messages[0].content.contains("What is 2 + 2, in words?"))
        #expect(samples[1].messages[0].content.contains("five, maybe"))
        #expect(samples[1].messages[0].content.contains("\"six\""))
        #expect(samples[2].messages[0].content.contains("A question\nover two lines"))
    }

    /// Python: `r = random.Random(seed)`, then `r.shuffle([0, 1, 2, 3])` per question.
    @Test func shuffleIsPythonsRandomWithTheRecordedSeed() {
        #expect(GPQAMainTask.shuffledOrders(count: 6, seed: 42)
                == [[2, 1, 3, 0], [3, 2, 0, 1], [1, 3, 2, 0], [1, 2, 0, 3], [1, 2, 3, 0], [1, 3, 2, 0]])
        #expect(GPQAMainTask.shuffledOrders(count: 3, seed: 7) == [[3, 1, 0, 2], [1, 2, 3, 0], [1, 0, 3, 2]])
        #expect(GPQAMainTask.shuffledOrders(count: 50, seed: 42) == GPQAMainTask.shuffledOrders(count: 50, seed: 42))
        var r = PythonRandom(seed: 0)
        #expect([r.nextUInt32(), r.nextUInt32(), r.nextUInt32()] == [3_626_764_237, 1_654_615_998, 3_255_389_356])
        var big = PythonRandom(seed: (1 << 40) + 7)
        #expect([big.nextUInt32(), big.nextUInt32(), big.nextUInt32()] == [2_635_837_658, 3_209_733_218, 3_500_038_837])
    }

    @Test func targetFollowsTheCorrectAnswer() {
        let rows = (0..<40).map { GPQAMainTask.Row(id: "q\($0)", question: "Q\($0)", choices: ["right", "w1", "w2", "w3"]) }
        for s in GPQAMainTask.samples(rows: rows, seed: 11) {
            let letter = s.target
            #expect(s.messages[0].content.contains("\(letter)) right"))
            #expect(GPQAMainTask().score(s, completion: "reasoning\nANSWER: \(letter)").correct)
        }
        // A limit takes a prefix: the first questions keep their order whatever the limit.
        #expect(Array(GPQAMainTask.shuffledOrders(count: 448, seed: 42).prefix(50)) == GPQAMainTask.shuffledOrders(count: 50, seed: 42))
    }

    @Test(arguments: [
        ("ANSWER: B", "B"),
        ("Thinking...\nANSWER: C", "C"),
        ("answer: d", nil),                 // case-insensitive pattern, case-sensitive letter
        ("ANSWER: d", nil),
        ("The final ANSWER: A)", "A"),      // lenient pattern
        ("ANSWER: B.", "B"),
        ("ANSWER:C", "C"),
        ("ANSWER: B and C", nil),
        ("So ANSWER: is B", nil),
        ("ANSWER: E", nil),
        ("Answer: A\nANSWER: B", "A"),      // the first strict line wins
        ("x ANSWER: A\nANSWER: C", "C"),    // a line-start match beats an earlier inline one
        ("ANSWER: **B**", nil),
        ("ANSWER: B ", "B"),
        ("no answer", nil),
        ("ANSWER: A, B", nil),
        ("ANSWER: AB", nil),
    ] as [(String, String?)])
    func answerParsingIsInspects(_ completion: String, _ expected: String?) {
        #expect(GPQAMainTask.parseAnswer(completion) == expected)
    }

    @Test func scoring() {
        let s = Sample(id: "x", messages: [], target: "C")
        #expect(GPQAMainTask().score(s, completion: "...\nANSWER: C").correct)
        let wrong = GPQAMainTask().score(s, completion: "...\nANSWER: A")
        #expect(!wrong.correct && wrong.answer == "A")
        let none = GPQAMainTask().score(s, completion: "I think C")
        #expect(!none.correct && none.answer == nil && none.explanation != nil)
    }

    @Test func csvParserKeepsFieldsVerbatim() throws {
        let rows = try CSV.parse("a,b\n\"x\"\"y\",\" z \"\n\"multi\r\nline\",\n")
        #expect(rows == [["a", "b"], ["x\"y", " z "], ["multi\r\nline", ""]])
        #expect(throws: (any Error).self) { try CSV.parse("a,\"unterminated\n") }
    }

    @Test func defaultsAreTheOriginals() {
        let t = GPQAMainTask()
        #expect(t.defaults == TaskDefaults(limit: 50, maxTokens: 16000, maxConnections: 6, gpuMemoryUtilization: 0.8, retryMaxTokens: [12000, 8000]))
        #expect(t.benchmarkName == "GPQA")
        #expect(t.upstreamRows == ["test": 448])
    }
}
