import Foundation
import PTBCore
import Testing
@testable import PTBTasks

@Suite struct GSM8KTaskTests {
    /// A hand-made train file in GSM8K's format (never real GSM8K items).
    static let trainRows: [GSM8KTask.Row] = ["Ada", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal", "Ivy", "Jo", "Kai", "Lu"].enumerated().map { i, n in
        let a = i + 2, b = 3 * i + 1
        return GSM8KTask.Row(question: "\(n) has \(a) jars with \(b) beads each. How many beads does \(n) have?",
                             answer: "\(n) has \(a) * \(b) = <<\(a)*\(b)=\(a * b)>>\(a * b) beads.\n#### \(a * b)")
    }

    static let testRows = [
        GSM8KTask.Row(question: "Mo buys 3 pens at $2 each. How much does Mo spend?", answer: "3 * 2 = <<3*2=6>>6\n#### 6"),
        GSM8KTask.Row(question: "Ny has 10 cards and gives away 4. How many are left?", answer: "10 - 4 = <<10-4=6>>6\n#### 6"),
    ]

    /// Produced by emulating inspect with Python on the same rows:
    /// `np.random.default_rng(42).permutation(12)[:10]` = [0, 7, 6, 9, 11, 3, 5, 2, 4, 10], each
    /// `f"{question}\n\nReasoning:\n{reasoning}\n\nANSWER: {target}"`, joined by blank lines.
    static let goldenSystem = """
        Ada has 2 jars with 1 beads each. How many beads does Ada have?

        Reasoning:
        Ada has 2 * 1 = <<2*1=2>>2 beads.

        ANSWER: 2

        Hal has 9 jars with 22 beads each. How many beads does Hal have?

        Reasoning:
        Hal has 9 * 22 = <<9*22=198>>198 beads.

        ANSWER: 198

        Gus has 8 jars with 19 beads each. How many beads does Gus have?

        Reasoning:
        Gus has 8 * 19 = <<8*19=152>>152 beads.

        ANSWER: 152

        Jo has 11 jars with 28 beads each. How many beads does Jo have?

        Reasoning:
        Jo has 11 * 28 = <<11*28=308>>308 beads.

        ANSWER: 308

        Lu has 13 jars with 34 beads each. How many beads does Lu have?

        Reasoning:
        Lu has 13 * 34 = <<13*34=442>>442 beads.

        ANSWER: 442

        Di has 5 jars with 10 beads each. How many beads does Di have?

        Reasoning:
        Di has 5 * 10 = <<5*10=50>>50 beads.

        ANSWER: 50

        Flo has 7 jars with 16 beads each. How many beads does Flo have?

        Reasoning:
        Flo has 7 * 16 = <<7*16=112>>112 beads.

        ANSWER: 112

        Cy has 4 jars with 7 beads each. How many beads does Cy have?

        Reasoning:
        Cy has 4 * 7 = <<4*7=28>>28 beads.

        ANSWER: 28

        Ed has 6 jars with 13 beads each. How many beads does Ed have?

        Reasoning:
        Ed has 6 * 13 = <<6*13=78>>78 beads.

        ANSWER: 78

        Kai has 12 jars with 31 beads each. How many beads does Kai have?

        Reasoning:
        Kai has 12 * 31 = <<12*31=372>>372 beads.

        ANSWER: 372
        """

    @Test func fewshotSystemMessageIsInspects() {
        let msg = GSM8KTask.fewshotSystemMessage(train: Self.trainRows, fewshot: 10, seed: 42)
        #expect(msg == Self.goldenSystem)
        #expect(msg.count == 1281)
    }

    /// numpy's own outputs, recorded with numpy 2.4 (`default_rng(seed).permutation(n)`).
    @Test func permutationMatchesNumpy() {
        var a = NumpyRandom(seed: 42)
        #expect(Array(a.permutation(7473).prefix(12)) == [3082, 2184, 5897, 2437, 6330, 819, 3812, 5878, 5302, 5876, 5308, 1534])
        var b = NumpyRandom(seed: 42)
        #expect(b.permutation(10) == [5, 6, 0, 7, 3, 2, 4, 9, 1, 8])
        var c = NumpyRandom(seed: 0)
        #expect(c.permutation(5) == [2, 4, 3, 0, 1])
        var d = NumpyRandom(seed: (1 << 40) + 7)
        #expect(Array(d.permutation(100).prefix(10)) == [24, 25, 87, 12, 47, 18, 80, 22, 90, 31])
    }

    @Test func seedSequenceAndPCG64MatchNumpy() {
        #expect(NumpyRandom.seedSequenceState(entropy: 42, words64: 4)
                == [0x9F1E_2E6D_CD54_0AB7, 0xD578_73DC_79FB_94B6, 0x7D28_2A1B_64D4_20B7, 0x3365_7971_4692_D5FF])
        var g = NumpyRandom(seed: 42)
        #expect([g.nextUInt64(), g.nextUInt64(), g.nextUInt64()] == [0xC621_FBCD_16D9_2688, 0x705A_5661_A791_FFC1, 0xDBCD_12C2_6EDA_1624])
    }

    @Test func samplesHaveSystemFewshotUserTemplateAndNumberedIDs() async throws {
        let t = TempHome()
        defer { t.cleanup() }
        let store = TaskDataStore(home: t.home)
        _ = try store.importFile(try t.file("train.jsonl", try jsonl(Self.trainRows)), task: GSM8KTask(), split: "train")
        _ = try store.importFile(try t.file("test.jsonl", try jsonl(Self.testRows)), task: GSM8KTask(), split: "test")
        let samples = try GSM8KTask().samples(home: t.home)
        #expect(samples.map(\.id) == ["1", "2"])
        #expect(samples.map(\.target) == ["6", "6"])
        #expect(samples[0].messages.map(\.role) == ["system", "user"])
        #expect(samples[0].messages[0].content == Self.goldenSystem)
        #expect(samples[0].messages[1].content == """
            Solve the following math problem step by step. The last line of your response should be of the form "ANSWER: $ANSWER" (without quotes) where $ANSWER is the answer to the problem.

            Mo buys 3 pens at $2 each. How much does Mo spend?

            Remember to put your answer on its own line at the end in the form "ANSWER: $ANSWER" (without quotes) where $ANSWER is the answer to the problem, and you do not need to use a \\boxed command.

            Reasoning:
            """)
        #expect(samples[0].metadata?["reasoning"] == "3 * 2 = <<3*2=6>>6")
    }

    @Test func recordSplitFollowsInspect() {
        let r = GSM8KTask.parse(.init(question: "q", answer: "a #### b\n####  1,200 "))
        #expect(r.target == "1,200")
        #expect(r.reasoning == "a #### b")
    }

    @Test func missingDataSaysWhichImportFixesIt() throws {
        let t = TempHome()
        defer { t.cleanup() }
        #expect {
            _ = try GSM8KTask().samples(home: t.home)
        } throws: { error in
            "\(error)".contains("ptb data import gsm8k <path> --split test") && "\(error)".contains("not imported")
        }
        _ = try TaskDataStore(home: t.home).importFile(try t.file("test.jsonl", try jsonl(Self.testRows)), task: GSM8KTask(), split: "test")
        #expect {
            _ = try GSM8KTask().samples(home: t.home)
        } throws: { error in
            "\(error)".contains("ptb data import gsm8k <path> --split train")
        }
    }

    @Test func inspectFormatsTheFewshotBlockAsATemplate() {
        #expect(PythonText.formatTemplate("a {{b}} {reasoning} {other} {x:>3} }", ["reasoning": "R"]) == "a {b} R {other} {x:>3} }")
        #expect(PythonText.formatTemplate("plain", ["reasoning": "R"]) == "plain")
    }

    @Test func defaultsAreTheOriginals() {
        let t = GSM8KTask()
        #expect(t.defaults == TaskDefaults(limit: 150, maxTokens: 4000, maxConnections: 2, gpuMemoryUtilization: 0.3, retryMaxTokens: [3000, 2000]))
        #expect(t.benchmarkName == "GSM8K (Grade School Math 8K)")
        #expect(t.inspectNote)
    }
}
