import Foundation
import PTBCore
import PTBIntegrity
import PTBTasks
import PTBTestSupport
import Testing

/// Three test items: a long question (n-grams), a mid-length one (short-n grams), a short one
/// (whole item), with answers of 1 token (not indexed) and 6 tokens (indexed).
let scanSamples = [
    Sample(id: "q1", messages: [ChatMessage(role: "system", content: "You are helpful."),
                                ChatMessage(role: "user", content: "Mia has 3 apples. She gets 4 more apples from Noah. How many apples does Mia have now?")],
           target: "7"),
    Sample(id: "q2", messages: [ChatMessage(role: "user", content: "What is the capital city of the old kingdom?")],
           target: "The old capital was called Arendel."),
    Sample(id: "q3", messages: [ChatMessage(role: "user", content: "Leo asks: what is 9 minus 2?")], target: "7"),
]

@Suite struct NormalizerTests {
    @Test func lowercasesAndSplitsOnPunctuationAndWhitespace() {
        #expect(TextNormalizer.normalize("Mia's BOX:\t3  apples!!\n(and 4.5 pears)") == "mia s box 3 apples and 4 5 pears")
        #expect(TextNormalizer.normalize(#"{"q":"Mia has 3","a":"7"}"#) == "q mia has 3 a 7")
        #expect(TextNormalizer.normalize("  ") == "")
    }

    @Test func handlesUnicode() {
        #expect(TextNormalizer.normalize("Café ÉTÉ Ωmega ПРИВЕТ") == "café été ωmega привет")
        #expect(TextNormalizer.normalize("“Hi”—there…\u{00A0}you") == "hi there you")
        #expect(TextNormalizer.normalize("a\u{FF0C}b 3×4") == "a b 3 4")
        // Invalid UTF-8 does not crash and still separates nothing.
        let bad = String(decoding: [0x61, 0xFF, 0x62], as: UTF8.self)
        #expect(TextNormalizer.tokens(bad).count == 1)
    }

    @Test func decodesStringEscapesOnlyWhereFilesEscape() {
        #expect(TextNormalizer.normalize(#"caf\u00e9\nHello \"you\" \\times \ud83d\ude00x"#, escapes: true) == "café hello you times 😀x")
        #expect(TextNormalizer.normalize(#"apples.\nHow"#, escapes: false) == "apples nhow")
        #expect(TextNormalizer.normalize(#"\times"#, escapes: false) == "times")
    }

    /// The byte-at-a-time lexer must agree with a plain reference and with hashing each
    /// normalised token, for every token length, at the buffer's end too.
    @Test func byteLexerAgreesWithAPlainReference() {
        var rng = SplitMix64(seed: 7)
        let alphabet = Array("abcXYZ0189 ,.-_\n\t@[`{/:")
        for _ in 0..<2000 {
            let len = Int(rng.next() % 90)
            let s = String((0..<len).map { _ in
                rng.next() % 4 == 0 ? alphabet[Int(rng.next() % UInt64(alphabet.count))] : alphabet[Int(rng.next() % 10)]
            })
            let reference = s.lowercased().split { !($0.isASCII && ($0.isLetter || $0.isNumber)) }.map(String.init)
            #expect(TextNormalizer.tokens(s) == reference)
            #expect(TextNormalizer.tokenHashes(s) == reference.map { TextNormalizer.hash(normalizedToken: $0) })
        }
    }

    /// The scanner's block lexer (bit masks, 256-byte chunks, handing non-ASCII and rare escapes
    /// to the byte lexer) must yield exactly the byte lexer's tokens and offsets: over random text
    /// whose tokens, escapes and multi-byte characters fall on every chunk boundary, with tokens
    /// longer than a chunk, and with and without escape decoding.
    @Test func blockLexerAgreesWithTheByteLexer() {
        var rng = SplitMix64(seed: 11)
        // Escapes as they appear in files (raw strings: `\n` here is a backslash and an n).
        let escapesInFiles = [#"\n"#, #"\t"#, #"\r"#, #"\f"#, #"\b"#, #"\\"#, #"\\n"#, #"\\\n"#, #"\\\\"#, #"\u00e9"#,
                              #"\ud83d\ude00"#, #"\u00"#, #"\uZZZZ"#, #"\\u00e9"#, #"\q"#, #"\"#, #"\x"#, #"\/"#, #"\""#, #"\r\n"#]
        // Common ones weighted up, so many chunks hold only escapes the mask path handles.
        let pieces: [[UInt8]] = (["a", "Zq", "7", "hello", "WORLD", "x1y2z3", " ", "  ", ",", ".", "\n", "\n\n", "\t",
                                  "é", "Ω", "😀", "—", "\u{00A0}", "ÉTÉ", "中文字", "한국어", "\u{E000}", "。", "ПРИВЕТ"]
            + escapesInFiles + Array(repeating: #"\n"#, count: 12) + Array(repeating: #"\t"#, count: 6)
            + Array(repeating: "plain", count: 20)).map { Array($0.utf8) }
            + [[0xFF], [0xC3], [0x7F], [0x40], [0x5B], [0x60], [0x7B], [0x2F], [0x3A], [0x5C],
               [0xED, 0xA0, 0x80], [0xE4, 0xB8], [0xE4, 0x41, 0x42], [0xEE, 0x80], [0xC0, 0x80], [0xF4, 0x90, 0x80, 0x80]]
        let ascii = pieces.filter { $0.allSatisfy { $0 < 0x80 } }
        let maskable = ascii.filter { !String(decoding: $0, as: UTF8.self).contains(#"\"#) && !String(decoding: $0, as: UTF8.self).contains(#"\u"#) }
        var cases: [[UInt8]] = []
        for k in 0..<3000 {
            let choice = [pieces, ascii, maskable][k % 3]
            var bytes: [UInt8] = []
            let target = Int(rng.next() % 1200)
            while bytes.count < target {
                if rng.next() % 200 == 0 {
                    // A token longer than a chunk.
                    bytes += (0..<(200 + Int(rng.next() % 400))).map { _ in UInt8(ascii: "a") + UInt8(rng.next() % 26) }
                } else {
                    bytes += choice[Int(rng.next() % UInt64(choice.count))]
                }
            }
            cases.append(bytes)
        }
        // Plain ASCII prose, so most chunks take the mask path.
        for _ in 0..<300 {
            var bytes: [UInt8] = []
            let target = Int(rng.next() % 3000)
            while bytes.count < target {
                let word = (0..<(1 + Int(rng.next() % 12))).map { _ in
                    rng.next() % 5 == 0 ? UInt8(ascii: "A") + UInt8(rng.next() % 26) : UInt8(ascii: "0") + UInt8(rng.next() % 10)
                }
                bytes += word + [[0x20], [0x0A], [0x2C, 0x20], [0x22, 0x3A], [0x5C, 0x6E]][Int(rng.next() % 5)]
            }
            cases.append(bytes)
        }
        var checked = 0
        for bytes in cases {
            for escapes in [false, true] {
                let slow = TextNormalizer.hashedTokens(bytes, escapes: escapes, blockwise: false)
                let fast = TextNormalizer.hashedTokens(bytes, escapes: escapes, blockwise: true)
                if slow != fast {
                    Issue.record("escapes \(escapes): block lexer disagrees on \(String(decoding: bytes, as: UTF8.self).debugDescription)")
                    return
                }
                checked += slow.count
            }
        }
        #expect(checked > 100_000)
    }

    /// The same agreement on real files: the Arena-Hard answers (raw UTF-8, CJK, markdown,
    /// `\n` escapes) and HealthBench (`\uXXXX` everywhere) from `../shared/data`.
    @Test func blockLexerAgreesOnRealBenchmarkFiles() throws {
        let shared = try Integration.require(Integration.sharedData, "../shared/data must hold the benchmark data copies")
        let files = ["arenahardwriting/baseline-Qwen3-1.7B.jsonl", "arenahardwriting/question.jsonl",
                     "healthbench/healthbench-easy-245.jsonl"].map { shared.appendingPathComponent($0) }
        guard files.allSatisfy({ FileManager.default.fileExists(atPath: $0.path) }) else { try Integration.skip("\(shared.path) must hold the benchmark data copies") }
        for file in files {
            let bytes = try [UInt8](Data(contentsOf: file))
            for escapes in [true, false] {
                let slow = TextNormalizer.hashedTokens(bytes, escapes: escapes, blockwise: false)
                let fast = TextNormalizer.hashedTokens(bytes, escapes: escapes, blockwise: true)
                #expect(slow.count > 10_000)
                let firstDifference = (0..<min(slow.count, fast.count)).first { slow[$0] != fast[$0] }
                guard let k = firstDifference ?? (slow.count == fast.count ? nil : min(slow.count, fast.count)) else { continue }
                let at = k < slow.count ? slow[k].offset : bytes.count
                let context = String(decoding: bytes[max(0, at - 40)..<min(bytes.count, at + 40)], as: UTF8.self)
                Issue.record("\(file.lastPathComponent) (escapes \(escapes)): token \(k) differs near byte \(at): \(context.debugDescription)")
            }
        }
    }

    @Test func scannerHashesEqualHashesOfNormalisedTokens() {
        var rng = SplitMix64(seed: 42)
        let alphabet = Array("aZ9 ,.'\"\n\té€—“\\u00e9ÅΩ😀-_")
        for _ in 0..<500 {
            let s = String((0..<Int(rng.next() % 40)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
            #expect(TextNormalizer.tokenHashes(s) == TextNormalizer.tokens(s).map { TextNormalizer.hash(normalizedToken: $0) })
        }
    }
}

@Suite struct ScannerTests {
    let index = NGramIndex(samples: scanSamples, n: 13, shortN: 8, minTokens: 4)

    @Test func indexesQuestionsAndAnswersByLength() {
        #expect(index.sampleCount == 3)
        #expect(index.indexed(.question) == 3)
        #expect(index.indexed(.answer) == 1)
        #expect(index.skippedShort[.answer] == 2)
        // 18-token question → 13-grams, 9 tokens → 8-grams, 7 tokens → itself, 6-token answer → itself.
        #expect(index.lengths == [6, 7, 8, 13])
        #expect(index.gramCount == 6 + 2 + 1 + 1)
    }

    func scan(_ files: [String: String], jobs: Int = 2) throws -> (ScanReport, String) {
        let tmp = try Scratch(prefix: "ptb-integrity")
        defer { tmp.cleanup() }
        for (name, text) in files {
            let url = tmp.url.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        let report = try ContaminationScanner(index: index, task: "toy", jobs: jobs).scan(paths: [tmp.url.path])
        return (report, tmp.url.path)
    }

    @Test func findsItemsWithFileLineAndItem() throws {
        let (r, root) = try scan([
            "data/train.jsonl": """
                {"question": "How many pears?", "answer": "2"}
                {"question":"MIA has 3 apples.\\nShe gets 4 more apples from Noah. How many apples does Mia have now?","answer":"7"}
                """,
            "notes.txt": "Some text.\nThe capital: what is the capital city of\nthe old kingdom? Answer: the old capital was called Arendel!\n",
            "gen.py": "prompts = [\"leo asks - WHAT is 9 minus 2\"]\n",
            "clean.csv": "question,answer\nWhat is the capital of France?,Paris\nMia has 3 apples,3\n",
        ])
        #expect(r.filesScanned == 4 && r.skipped.isEmpty)
        let got = r.hits.map { "\($0.file.replacingOccurrences(of: root, with: "")):\($0.line) \($0.item) \($0.field.rawValue) \($0.grams)×\($0.gramLength)" }
        #expect(got == [
            "/data/train.jsonl:2 q1 question 6×13",
            "/gen.py:1 q3 question 1×7",
            "/notes.txt:2 q2 question 2×8",
            "/notes.txt:3 q2 answer 1×6",
        ])
        #expect(r.contaminatedItems == 4)
        #expect(!r.clean)
    }

    @Test func cleanFilesHaveNoHits() throws {
        // Overlaps shorter than a gram are not hits; neither are 1-token answers.
        let (r, _) = try scan(["a.jsonl": #"{"q": "Mia has 3 apples. She gets 4 more", "a": "7"}"#, "b.txt": "7\n7 7 7\n"])
        #expect(r.clean && r.hits.isEmpty && r.filesScanned == 2)
        #expect(r.renderText(index: index).contains("clean"))
    }

    /// Binary-looking files are read (a NUL byte or a name is no reason to skip); containers
    /// without a reader are UNSCANNED with the reason; only weights are skipped as "not text".
    @Test func readsBinaryLookingFilesAndReportsWhatItCannotRead() throws {
        let (r, _) = try scan(["w.bin": "Leo asks: what is 9 minus 2?", "d.parquet": "PAR1", "blob": "Mia has 3 apples\u{0}Leo asks: what is 9 minus 2?",
                               "m.gguf": "GGUF"])
        #expect(r.filesScanned == 2)
        #expect(r.hits.map { ($0.file as NSString).lastPathComponent }.sorted() == ["blob", "w.bin"])
        #expect(r.skipped.map(\.reason) == ["GGUF model weights"])
        #expect(r.unscanned.count == 1 && r.unscanned[0].path.hasSuffix("d.parquet"))
        #expect(r.unscanned[0].reason.hasPrefix("Parquet"), "\(r.unscanned)")
    }

    @Test func missingPathsAreReportedOrRefused() throws {
        #expect(throws: IntegrityError.noScanTargets(["/nonexistent/x"])) {
            try ContaminationScanner(index: index, task: "toy").scan(paths: ["/nonexistent/x"])
        }
    }

    @Test func reportIsTheSameForAnyThreadCount() throws {
        var files: [String: String] = [:]
        for k in 0..<12 { files["f\(k).txt"] = String(repeating: "filler words here\n", count: k * 50) + "Leo asks: what is 9 minus 2?\n" }
        let (one, _) = try scan(files, jobs: 1)
        let (many, _) = try scan(files, jobs: 4)
        #expect(one.hits.count == 12)
        #expect(one.hits.map(\.line).sorted() == (0..<12).map { $0 * 50 + 1 })
        #expect(one.hits.map(\.line) == many.hits.map(\.line))
        #expect(one.hits.map(\.file).map { ($0 as NSString).lastPathComponent } == many.hits.map(\.file).map { ($0 as NSString).lastPathComponent })
    }

    @Test func veryShortItemsUseTheWholeItemAsOneGram() throws {
        let idx = NGramIndex(samples: [Sample(id: "s", messages: [ChatMessage(role: "user", content: "red fox jumps")], target: "x")],
                             n: 13, shortN: 8, minTokens: 2)
        #expect(idx.lengths == [3])
        let scanner = ContaminationScanner(index: idx, task: "toy", jobs: 1)
        let text = Array("the Red-Fox jumps high\nred fox\njumps".utf8)
        let hits = text.withUnsafeBytes { scanner.scan(bytes: $0, escapes: false) }
        #expect(hits.map(\.line) == [1, 2])  // the second spans two lines and is reported where it starts
    }
}
