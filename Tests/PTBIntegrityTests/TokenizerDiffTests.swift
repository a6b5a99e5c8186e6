import Foundation
import PTBIntegrity
import PTBTestSupport
import Testing

/// The submitted tokenizer against the base's, on small real-format `tokenizer.json` files (a
/// byte-level BPE as tokenizers writes it) and, with PTB_TEST_HOME, on the tiny model's tokenizer
/// re-saved by the pinned transformers.
@Suite struct TokenizerDiffTests {
    /// A byte-level BPE tokenizer.json with one special added token.
    static var baseTokenizer: [String: Any] { [
        "version": "1.0", "truncation": NSNull(), "padding": NSNull(),
        "added_tokens": [["id": 6, "content": "<|endoftext|>", "single_word": false, "lstrip": false, "rstrip": false,
                          "normalized": false, "special": true]],
        "normalizer": NSNull(),
        "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true],
        "post_processor": NSNull(),
        "decoder": ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true],
        "model": ["type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "continuing_subword_prefix": NSNull(),
                  "end_of_word_suffix": NSNull(), "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                  "vocab": ["a": 0, "b": 1, "c": 2, "ab": 3, "abc": 4, "d": 5], "merges": [["a", "b"], ["ab", "c"]]] as [String: Any],
    ] }
    static var baseConfig: [String: Any] { ["tokenizer_class": "TokenizersBackend", "backend": "tokenizers", "eos_token": "<|endoftext|>",
                                            "model_max_length": 512, "chat_template": "{{ messages[0]['content'] }}"] }

    struct Pair {
        let tmp: Scratch
        let base: URL
        let candidate: URL

        /// Base files as above; the candidate gets the same files after `edit`.
        init(tokenizer edit: (inout [String: Any]) -> Void = { _ in }, config editConfig: (inout [String: Any]) -> Void = { _ in }) throws {
            tmp = try Scratch(prefix: "ptb-integrity")
            base = try tmp.directory("base")
            candidate = try tmp.directory("final_model")
            try Self.write(TokenizerDiffTests.baseTokenizer, to: base.appendingPathComponent("tokenizer.json"))
            try Self.write(TokenizerDiffTests.baseConfig, to: base.appendingPathComponent("tokenizer_config.json"))
            var t = TokenizerDiffTests.baseTokenizer
            edit(&t)
            var c = TokenizerDiffTests.baseConfig
            editConfig(&c)
            try Self.write(t, to: candidate.appendingPathComponent("tokenizer.json"))
            try Self.write(c, to: candidate.appendingPathComponent("tokenizer_config.json"))
        }

        static func write(_ object: [String: Any], to url: URL) throws {
            try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]).write(to: url)
        }

        func diff(templateFixed: Bool = true) throws -> TokenizerDiff {
            try TokenizerDiff.compare(base: base, candidate: candidate, chatTemplateFixed: templateFixed)
        }
    }

    static func model(_ t: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
        var m = t["model"] as! [String: Any]
        edit(&m)
        t["model"] = m
    }

    @Test func anUnchangedCopyIsIdentical() throws {
        let p = try Pair()
        defer { p.tmp.cleanup() }
        let d = try p.diff()
        #expect(d.verdict == .identical)
        #expect(d.notes.isEmpty && d.modellingCode.isEmpty)
        #expect(!d.usesBaseTokenizer)
    }

    /// Another tokenizers version writes merges as "a b" strings and leaves default fields out.
    @Test func aReSaveInAnotherFormatIsIdentical() throws {
        let p = try Pair(tokenizer: { t in
            Self.model(&t) { m in
                m["merges"] = ["a b", "ab c"]
                m["ignore_merges"] = nil
                m["byte_fallback"] = nil
            }
            t["padding"] = ["strategy": "BatchLongest", "pad_id": 6, "pad_token": "<|endoftext|>"]
        }, config: { c in c["padding_side"] = "left" })
        defer { p.tmp.cleanup() }
        let d = try p.diff()
        #expect(d.verdict == .identical, "\(d)")
        #expect(d.notes.contains { $0.hasPrefix("tokenizer.json padding:") })
    }

    @Test func appendedAddedTokensAreFine() throws {
        let p = try Pair(tokenizer: { t in
            var added = t["added_tokens"] as! [[String: Any]]
            added.append(["id": 7, "content": "<think>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": false])
            t["added_tokens"] = added
        })
        defer { p.tmp.cleanup() }
        let d = try p.diff()
        #expect(d.verdict == .addedTokensOnly(["'<think>' (id 7)"]))
        #expect(!d.usesBaseTokenizer)
    }

    /// The cheat that beat ptb: normalizer rules that rewrite each test question into its answer.
    @Test func normalizerReplaceRulesAreAModification() throws {
        let rules: [[String: Any]] = (1...3).map { i in
            ["type": "Replace", "pattern": ["String": "What is \(i)+\(i)?"], "content": "\(2 * i)"]
        }
        let p = try Pair(tokenizer: { t in t["normalizer"] = ["type": "Sequence", "normalizers": rules] })
        defer { p.tmp.cleanup() }
        let d = try p.diff()
        #expect(d.usesBaseTokenizer)
        #expect(d.differences.first == "normalizer: Replace rules added (3)", "\(d.differences)")
        #expect(d.differences.contains { $0.hasPrefix("normalizer: null → {") && $0.contains("Replace") })
    }

    @Test func changedMergesAreAModification() throws {
        let p = try Pair(tokenizer: { t in Self.model(&t) { m in m["merges"] = [["a", "b"], ["c", "d"], ["ab", "c"]] } })
        defer { p.tmp.cleanup() }
        let d = try p.diff()
        #expect(d.usesBaseTokenizer)
        #expect(d.differences == ["merges: 1 changed, 1 added (first at rank 1: 'ab c' → 'c d')"], "\(d.differences)")
    }

    @Test func swappedVocabularyIdsAreAModification() throws {
        let p = try Pair(tokenizer: { t in
            Self.model(&t) { m in m["vocab"] = ["a": 1, "b": 0, "c": 2, "ab": 3, "abc": 4, "d": 5] }
        })
        defer { p.tmp.cleanup() }
        let d = try p.diff()
        #expect(d.usesBaseTokenizer)
        #expect(d.differences == ["vocab: 2 entries changed (e.g. 'a' id 0 → 1)"], "\(d.differences)")
    }

    @Test func anAddedTokenThatShadowsOrReusesIsAModification() throws {
        let p = try Pair(tokenizer: { t in
            var added = t["added_tokens"] as! [[String: Any]]
            added.append(["id": 7, "content": "abc", "single_word": false, "lstrip": false, "rstrip": false, "normalized": true, "special": false])
            added.append(["id": 2, "content": "zz", "single_word": false, "lstrip": false, "rstrip": false, "normalized": true, "special": false])
            t["added_tokens"] = added
        })
        defer { p.tmp.cleanup() }
        let d = try p.diff()
        #expect(d.differences.contains("added token 7 'abc': shadows a token the base already has"), "\(d.differences)")
        #expect(d.differences.contains("added token 2 'zz': reuses the id of the base's 'c'"))
    }

    @Test func specialTokensAndTheChatTemplate() throws {
        // pad = an already special token: the engine never pads; the template is ptb's anyway.
        let padded = try Pair(config: { c in
            c["pad_token"] = "<|endoftext|>"
            c["chat_template"] = "{{ 'The answer is 4.' }}"
        })
        defer { padded.tmp.cleanup() }
        let fixed = try padded.diff(templateFixed: true)
        #expect(fixed.verdict == .identical, "\(fixed)")
        #expect(fixed.notes.contains { $0.hasPrefix("pad_token: unset → '<|endoftext|>'") })
        #expect(fixed.notes.contains { $0.hasPrefix("chat template:") && $0.contains("unused") })
        // Without ptb's own template the engine would render every prompt with the submitted one.
        let own = try padded.diff(templateFixed: false)
        #expect(own.usesBaseTokenizer)
        #expect(own.differences.contains { $0.hasPrefix("chat template:") })

        let eos = try Pair(config: { c in c["eos_token"] = "d" })
        defer { eos.tmp.cleanup() }
        #expect(try eos.diff().differences == ["eos_token: '<|endoftext|>' → 'd'"])

        let hidden = try Pair(config: { c in c["extra_special_tokens"] = ["c"] })
        defer { hidden.tmp.cleanup() }
        #expect(try hidden.diff().differences.contains { $0.hasPrefix("additional special token 'c'") })

        let flag = try Pair(config: { c in c["clean_up_tokenization_spaces"] = true; c["tokenizer_class"] = "BertTokenizer" })
        defer { flag.tmp.cleanup() }
        let fd = try flag.diff().differences
        #expect(fd.contains("tokenizer_config clean_up_tokenization_spaces: absent → true"), "\(fd)")
        #expect(fd.contains("tokenizer_config tokenizer_class: \"TokenizersBackend\" → \"BertTokenizer\""))
    }

    @Test func missingOrUnreadableFilesAreModifications() throws {
        let p = try Pair()
        defer { p.tmp.cleanup() }
        try Data("{\"model\": ".utf8).write(to: p.candidate.appendingPathComponent("tokenizer.json"))
        #expect(try p.diff().differences.first?.hasPrefix("tokenizer.json: unreadable") == true)
        try FileManager.default.removeItem(at: p.candidate.appendingPathComponent("tokenizer.json"))
        #expect(try p.diff().differences == ["tokenizer.json: missing (the base has one)"])
        // An unreadable base is ptb's problem, not the submission's: an error, never a verdict.
        try Data("{".utf8).write(to: p.base.appendingPathComponent("tokenizer.json"))
        #expect(throws: IntegrityError.self) { try p.diff() }
    }

    @Test func modellingCodeIsFound() throws {
        let p = try Pair()
        defer { p.tmp.cleanup() }
        #expect(TokenizerDiff.modellingCode(in: p.candidate).isEmpty)
        let config = #"{"model_type": "llama", "auto_map": {"AutoModelForCausalLM": "modeling_cheat.CheatForCausalLM"}}"#
        try Data(config.utf8).write(to: p.candidate.appendingPathComponent("config.json"))
        let sub = p.candidate.appendingPathComponent("custom_generate")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        try Data("print('hi')\n".utf8).write(to: sub.appendingPathComponent("generate.py"))
        let code = try p.diff().modellingCode
        #expect(code == ["config.json: auto_map {\"AutoModelForCausalLM\":\"modeling_cheat.CheatForCausalLM\"}",
                         "custom_generate/generate.py: Python code"], "\(code)")
        // auto_map in tokenizer_config also changes how the tokenizer loads.
        let t = try Pair(config: { c in c["auto_map"] = ["AutoTokenizer": ["tok.CheatTokenizer", NSNull()]] })
        defer { t.tmp.cleanup() }
        let d = try t.diff()
        #expect(d.usesBaseTokenizer)
        #expect(d.modellingCode.first?.hasPrefix("tokenizer_config.json: auto_map") == true)
    }

    // MARK: - The tiny model's tokenizer, re-saved by the pinned transformers

    static var testHome: URL? {
        guard let p = ProcessInfo.processInfo.environment["PTB_TEST_HOME"],
              FileManager.default.fileExists(atPath: "\(p)/models/tiny/tokenizer.json"),
              FileManager.default.isExecutableFile(atPath: "\(p)/envs/py/bin/python") else { return nil }
        return URL(fileURLWithPath: p)
    }

    /// Runs `code` with the PTB_TEST_HOME Python (transformers as pinned by `ptb setup`), with
    /// `base` and `out` defined.
    static func python(_ code: String, base: URL, out: URL) throws {
        let p = Process()
        p.executableURL = testHome!.appendingPathComponent("envs/py/bin/python")
        p.arguments = ["-c", "import sys\nfrom transformers import AutoTokenizer\nbase, out = sys.argv[1], sys.argv[2]\n" + code, base.path, out.path]
        p.environment = ProcessInfo.processInfo.environment.merging(["HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"]) { _, b in b }
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }

    @Test(.enabled(if: testHome != nil, "needs PTB_TEST_HOME (a home made by `ptb setup`)"))
    func theTinyTokenizerReSavedByTransformersStaysClean() throws {
        let tmp = try Scratch(prefix: "ptb-integrity")
        defer { tmp.cleanup() }
        let base = Self.testHome!.appendingPathComponent("models/tiny")
        // What an honest trainer does: load, set a pad token, add a token, save.
        let (plain, padded, added, replaced) = (try tmp.directory("plain"), try tmp.directory("padded"), try tmp.directory("added"), try tmp.directory("replaced"))
        let used = try tmp.directory("used")
        try Self.python("""
            t = AutoTokenizer.from_pretrained(base); t.save_pretrained(out + "/plain")
            t = AutoTokenizer.from_pretrained(base); t(["12+30=", "a"], padding=True, truncation=True, max_length=8)
            t.save_pretrained(out + "/used")
            t = AutoTokenizer.from_pretrained(base); t.pad_token = t.eos_token; t.save_pretrained(out + "/padded")
            t = AutoTokenizer.from_pretrained(base); t.add_tokens(["<think>"]); t.save_pretrained(out + "/added")
            from tokenizers import normalizers, Regex
            t = AutoTokenizer.from_pretrained(base)
            t.backend_tokenizer.normalizer = normalizers.Sequence([normalizers.Replace("12+30", "42")])
            t.save_pretrained(out + "/replaced")
            """, base: base, out: tmp.url)
        let p = try TokenizerDiff.compare(base: base, candidate: plain, chatTemplateFixed: true)
        #expect(p.verdict == .identical, "\(p)")
        // A trainer that padded leaves padding/truncation in tokenizer.json; transformers resets
        // both on every call, so they are notes, not modifications.
        let u = try TokenizerDiff.compare(base: base, candidate: used, chatTemplateFixed: true)
        #expect(u.verdict == .identical, "\(u)")
        #expect(u.notes.contains { $0.hasPrefix("tokenizer.json padding:") })
        let d = try TokenizerDiff.compare(base: base, candidate: padded, chatTemplateFixed: true)
        #expect(!d.usesBaseTokenizer, "\(d)")
        let a = try TokenizerDiff.compare(base: base, candidate: added, chatTemplateFixed: true)
        #expect(a.verdict == .addedTokensOnly(["'<think>' (id 512)"]), "\(a)")
        let r = try TokenizerDiff.compare(base: base, candidate: replaced, chatTemplateFixed: true)
        #expect(r.differences.first == "normalizer: Replace rules added (1)", "\(r)")
    }
}
