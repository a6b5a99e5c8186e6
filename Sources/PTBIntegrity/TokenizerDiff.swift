import Foundation

/// How a submitted model's tokenizer differs from its base model's, in everything the inference
/// engine takes from it: `tokenizer.json` (normalizer, pre-tokenizer, post-processor, decoder,
/// model vocabulary and merges, added tokens), the behaviour-changing fields of
/// `tokenizer_config.json` and `special_tokens_map.json`, `added_tokens.json`, the slow tokenizer
/// files, and the chat template. A submitted tokenizer can turn the evaluation into a lookup (a
/// normalizer `Replace` rule that rewrites each test question into its answer scored 1.00), so
/// the final evaluation only takes the submitted one when it is identical or only gained tokens.
///
/// Differences that change nothing the engine does (a re-save's formatting, `padding_side`, a
/// pad token that already was special) are `notes`, never `modified`: an honest
/// `tokenizer.save_pretrained` must stay clean.
public struct TokenizerDiff: Sendable, Equatable {
    public enum Verdict: Sendable, Equatable {
        case identical
        /// New tokens with new ids (as `'<content>' (id N)`); nothing of the base changed.
        case addedTokensOnly([String])
        /// One human-readable line per difference.
        case modified([String])
    }

    public var verdict: Verdict
    /// Differences without effect on serving, each saying why.
    public var notes: [String]
    /// Code the submission carries: `file: auto_map {…}` and Python files (paths relative to the
    /// model directory). Never run (ptb passes no `trust_remote_code`), but a submission is
    /// weights, not code.
    public var modellingCode: [String]

    /// The final evaluation serves the base model's tokenizer instead of the submitted one.
    public var usesBaseTokenizer: Bool {
        if case .modified = verdict { return true }
        return false
    }

    /// `identical`, `added-tokens-only` or `modified`.
    public var state: String {
        switch verdict {
        case .identical: "identical"
        case .addedTokensOnly: "added-tokens-only"
        case .modified: "modified"
        }
    }

    public var differences: [String] {
        if case .modified(let d) = verdict { return d }
        return []
    }

    public var addedTokens: [String] {
        if case .addedTokensOnly(let a) = verdict { return a }
        return []
    }

    /// Compares the tokenizer files of `candidate` with those of `base`. `chatTemplateFixed`:
    /// the evaluation passes its own template to the engine, so a changed template is unused.
    /// Throws only when the base's own files are unreadable; an unreadable candidate file is a
    /// difference.
    public static func compare(base: URL, candidate: URL, chatTemplateFixed: Bool) throws(IntegrityError) -> TokenizerDiff {
        var c = Comparison()
        let b = try Side.load(base, isBase: true)
        // The candidate's unreadable files become `.unreadable` differences, never errors.
        let s = (try? Side.load(candidate, isBase: false)) ?? Side(dir: candidate)
        c.compare(b, s, chatTemplateFixed: chatTemplateFixed)
        let verdict: Verdict = !c.diffs.isEmpty ? .modified(c.diffs) : c.added.isEmpty ? .identical : .addedTokensOnly(c.added)
        return TokenizerDiff(verdict: verdict, notes: c.notes, modellingCode: modellingCode(in: candidate))
    }

    /// `auto_map` in any top-level JSON file (config.json, tokenizer_config.json, …) and every
    /// `*.py`/`*.pyc` file anywhere under `dir` (links are not followed).
    public static func modellingCode(in dir: URL) -> [String] {
        let fm = FileManager.default
        var out: [String] = []
        for name in ((try? fm.contentsOfDirectory(atPath: dir.path)) ?? []).sorted() where name.hasSuffix(".json") {
            let url = dir.appendingPathComponent(name)
            guard let size = (try? fm.attributesOfItem(atPath: url.path))?[.size] as? NSNumber, size.intValue < 64 << 20,
                  let data = try? Data(contentsOf: url), let v = try? StrictJSON.parse(Array(data)), let map = v["auto_map"] else { continue }
            out.append("\(name): auto_map \(short(map.sortedCanonical))")
        }
        let root = dir.standardizedFileURL.path
        if let e = fm.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey, .isSymbolicLinkKey]) {
            var files: [String] = []
            for case let url as URL in e where url.pathExtension == "py" || url.pathExtension == "pyc" {
                let p = url.standardizedFileURL.path
                files.append(p.hasPrefix(root + "/") ? String(p.dropFirst(root.count + 1)) : p)
            }
            out += files.sorted().map { "\($0): Python code" }
        }
        return out
    }
}

// MARK: - The files of one side

private enum Loaded {
    case missing
    case parsed(JSONValue)
    case unreadable(String)

    var value: JSONValue? {
        if case .parsed(let v) = self { return v }
        return nil
    }
}

private struct Side {
    var dir: URL
    var tokenizer: Loaded = .missing
    var config: Loaded = .missing
    var specialMap: Loaded = .missing
    var addedTokensFile: Loaded = .missing
    var templateJSON: Loaded = .missing
    var templateFile: String?

    init(dir: URL) { self.dir = dir }

    static func load(_ dir: URL, isBase: Bool) throws(IntegrityError) -> Side {
        var s = Side(dir: dir)
        func json(_ name: String) throws(IntegrityError) -> Loaded {
            let url = dir.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else { return .missing }
            do {
                let data = try Data(contentsOf: url)
                // tokenizer.json nests Sequences of Sequences; 64 levels is far beyond any real one.
                return .parsed(try StrictJSON.parse(Array(data), maxDepth: 64))
            } catch {
                if isBase { throw IntegrityError.unreadableTokenizer(path: url.path, reason: "\(error)") }
                return .unreadable("\(error)")
            }
        }
        s.tokenizer = try json("tokenizer.json")
        s.config = try json("tokenizer_config.json")
        s.specialMap = try json("special_tokens_map.json")
        s.addedTokensFile = try json("added_tokens.json")
        s.templateJSON = try json("chat_template.json")
        s.templateFile = try? String(contentsOf: dir.appendingPathComponent("chat_template.jinja"), encoding: .utf8)
        return s
    }

    /// The model's vocabulary as id → token (BPE/WordPiece/WordLevel objects, Unigram arrays).
    var vocab: [Int: String] {
        var out: [Int: String] = [:]
        switch tokenizer.value?["model"]?["vocab"] {
        case .object(let members)?:
            for m in members { if case .value(let id) = m.value.nonNegativeInteger { out[id] = m.key } }
        case .array(let entries)?:
            for (id, e) in entries.enumerated() { if case .array(let p) = e, let t = p.first?.stringValue { out[id] = t } }
        default: break
        }
        return out
    }

    /// `added_tokens` of tokenizer.json by id.
    var addedTokens: [Int: JSONValue] {
        guard case .array(let list)? = tokenizer.value?["added_tokens"] else { return [:] }
        var out: [Int: JSONValue] = [:]
        for a in list { if case .value(let id)? = a["id"]?.nonNegativeInteger { out[id] = a } }
        return out
    }

    /// Contents of the tokens the base marks special (the engine hides them from completions).
    var specialContents: Set<String> {
        Set(addedTokens.values.filter { $0["special"] == .bool(true) }.compactMap { $0["content"]?.stringValue })
    }

    /// A named special token: special_tokens_map.json wins over tokenizer_config.json, as in
    /// transformers.
    func special(_ key: String) -> String? {
        for source in [specialMap.value, config.value] {
            if let v = source?[key] { return tokenContent(v) }
        }
        return nil
    }

    /// Every `additional_special_tokens` / `extra_special_tokens` entry (list or named map).
    var extraSpecials: Set<String> {
        var out = Set<String>()
        for source in [specialMap.value, config.value] {
            for key in ["additional_special_tokens", "extra_special_tokens"] {
                switch source?[key] {
                case .array(let a)?: out.formUnion(a.compactMap(tokenContent))
                case .object(let m)?: out.formUnion(m.compactMap { tokenContent($0.value) })
                default: break
                }
            }
        }
        return out
    }

    /// The chat template the engine would use when ptb passes none: chat_template.jinja, then
    /// tokenizer_config's `chat_template`, then chat_template.json.
    var chatTemplate: String? {
        if let t = templateFile { return t }
        if let v = config.value?["chat_template"] { return v.stringValue ?? v.sortedCanonical }
        if let v = templateJSON.value?["chat_template"] { return v.stringValue ?? v.sortedCanonical }
        return nil
    }
}

private func tokenContent(_ v: JSONValue) -> String? {
    v.stringValue ?? v["content"]?.stringValue
}

// MARK: - The comparison

private struct Comparison {
    var diffs: [String] = []
    var notes: [String] = []
    var added: [String] = []
    private var addedIDs: Set<Int> = []
    private var addedContents: Set<String> = []
    /// The base's tokens: the model's vocabulary and its added tokens, by id and by content.
    private var baseVocab: [Int: String] = [:]
    private var baseAdded: [Int: String] = [:]
    private var baseKnown: Set<String> = []

    mutating func compare(_ b: Side, _ c: Side, chatTemplateFixed: Bool) {
        baseVocab = b.vocab
        baseAdded = b.addedTokens.compactMapValues { $0["content"]?.stringValue }
        baseKnown = Set(baseVocab.values).union(baseAdded.values)
        tokenizerJSON(b, c)
        config(b, c)
        addedTokensFile(b, c)
        specialTokens(b, c)
        slowFiles(b, c)
        template(b, c, fixed: chatTemplateFixed)
    }

    // tokenizer.json

    mutating func tokenizerJSON(_ b: Side, _ c: Side) {
        switch (b.tokenizer, c.tokenizer) {
        case (.missing, .missing): return
        case (_, .unreadable(let why)): diffs.append("tokenizer.json: unreadable (\(why))"); return
        case (.parsed, .missing): diffs.append("tokenizer.json: missing (the base has one)"); return
        case (.missing, .parsed): diffs.append("tokenizer.json: added (the base has none)"); return
        default: break
        }
        guard let bt = b.tokenizer.value, let ct = c.tokenizer.value else { return }
        for key in ["normalizer", "pre_tokenizer", "post_processor", "decoder"] {
            let (x, y) = (bt[key] ?? .null, ct[key] ?? .null)
            guard x.sortedCanonical != y.sortedCanonical else { continue }
            let more = replaceRules(y) - replaceRules(x)
            diffs.append(more > 0 ? "\(key): Replace rules added (\(more))" : "\(key): changed")
            var detail: [String] = []
            pathDiff(x, y, at: key, into: &detail)
            diffs += detail.prefix(3)
            if detail.count > 3 { diffs.append("\(key): … \(detail.count - 3) more difference(s)") }
        }
        // transformers sets truncation and padding on the backend before every encode call, so
        // the saved state never reaches the engine (a trainer that padded leaves it behind).
        for key in ["truncation", "padding"] where (bt[key] ?? .null).sortedCanonical != (ct[key] ?? .null).sortedCanonical {
            notes.append("tokenizer.json \(key): \(short(bt[key])) → \(short(ct[key])) (transformers resets it on every call: no effect)")
        }
        model(bt["model"] ?? .null, ct["model"] ?? .null)
        addedTokens(b, c)
    }

    mutating func model(_ b: JSONValue, _ c: JSONValue) {
        let (bType, cType) = (b["type"]?.stringValue, c["type"]?.stringValue)
        guard bType == cType else {
            diffs.append("model: type \(bType ?? "absent") → \(cType ?? "absent")")
            return
        }
        vocab(b["vocab"] ?? .null, c["vocab"] ?? .null)
        let (bm, cm) = (merges(b["merges"]), merges(c["merges"]))
        if bm != cm {
            let common = min(bm.count, cm.count)
            let changed = (0..<common).filter { bm[$0] != cm[$0] }
            var parts: [String] = []
            if !changed.isEmpty { parts.append("\(changed.count) changed") }
            if cm.count > bm.count { parts.append("\(cm.count - bm.count) added") }
            if cm.count < bm.count { parts.append("\(bm.count - cm.count) removed") }
            let first = changed.first ?? common
            let show = { (m: [[String]], i: Int) in i < m.count ? "'\(m[i].joined(separator: " "))'" : "none" }
            diffs.append("merges: \(parts.joined(separator: ", ")) (first at rank \(first): \(show(bm, first)) → \(show(cm, first)))")
        }
        // Fields a newer tokenizers version writes with their defaults: absent means the default.
        let defaults: [String: JSONValue] = ["dropout": .null, "unk_token": .null, "continuing_subword_prefix": .null,
                                             "end_of_word_suffix": .null, "fuse_unk": .bool(false), "byte_fallback": .bool(false),
                                             "ignore_merges": .bool(false)]
        var keys: [String] = []
        for case .object(let m) in [b, c] { for k in m.map(\.key) where !keys.contains(k) { keys.append(k) } }
        for k in keys where !["type", "vocab", "merges"].contains(k) {
            let x = b[k] ?? defaults[k] ?? .null, y = c[k] ?? defaults[k] ?? .null
            if x.sortedCanonical != y.sortedCanonical { diffs.append("model.\(k): \(short(b[k])) → \(short(c[k]))") }
        }
    }

    mutating func vocab(_ b: JSONValue, _ c: JSONValue) {
        switch (b, c) {
        case (.object(let bm), .object(let cm)):
            let bd = Dictionary(bm.map { ($0.key, $0.value.sortedCanonical) }, uniquingKeysWith: { _, last in last })
            let cd = Dictionary(cm.map { ($0.key, $0.value.sortedCanonical) }, uniquingKeysWith: { _, last in last })
            if cd.count != cm.count { diffs.append("vocab: \(cm.count - cd.count) token(s) given twice") }
            let changed = bd.keys.filter { cd[$0] != nil && cd[$0] != bd[$0] }.sorted()
            let removed = bd.keys.filter { cd[$0] == nil }.sorted()
            let gained = cd.keys.filter { bd[$0] == nil }.sorted()
            if !changed.isEmpty {
                let e = changed[0]
                diffs.append("vocab: \(changed.count) entries changed (e.g. '\(e)' id \(bd[e]!) → \(cd[e]!))")
            }
            if !removed.isEmpty { diffs.append("vocab: \(removed.count) entries removed (e.g. '\(removed[0])')") }
            if !gained.isEmpty {
                diffs.append("vocab: \(gained.count) entries added to the model's vocabulary, not as added tokens (e.g. '\(gained[0])')")
            }
        case (.array(let ba), .array(let ca)):
            let common = min(ba.count, ca.count)
            let changed = (0..<common).filter { ba[$0].sortedCanonical != ca[$0].sortedCanonical }
            if !changed.isEmpty { diffs.append("vocab: \(changed.count) entries changed (first at id \(changed[0]))") }
            if ca.count != ba.count { diffs.append("vocab: \(ba.count) → \(ca.count) entries") }
        default:
            if b.sortedCanonical != c.sortedCanonical { diffs.append("vocab: \(short(b)) → \(short(c))") }
        }
    }

    /// Merges as pairs: tokenizers ≥ 0.20 writes `["a", "b"]`, older versions `"a b"`.
    func merges(_ v: JSONValue?) -> [[String]] {
        guard case .array(let list)? = v else { return [] }
        return list.map { m in
            switch m {
            case .string(let s):
                guard let sp = s.firstIndex(of: " ") else { return [s] }
                return [String(s[..<sp]), String(s[s.index(after: sp)...])]
            case .array(let a): return a.map { $0.stringValue ?? $0.sortedCanonical }
            default: return [m.sortedCanonical]
            }
        }
    }

    mutating func addedTokens(_ b: Side, _ c: Side) {
        let (ba, ca) = (b.addedTokens, c.addedTokens)
        for (id, t) in ba.sorted(by: { $0.key < $1.key }) {
            let content = t["content"]?.stringValue ?? "?"
            guard let u = ca[id] else { diffs.append("added token \(id) '\(content)': removed"); continue }
            if u.sortedCanonical != t.sortedCanonical { diffs.append("added token \(id) '\(content)': \(short(t)) → \(short(u))") }
        }
        for (id, t) in ca.sorted(by: { $0.key < $1.key }) where ba[id] == nil {
            newToken(id: id, content: t["content"]?.stringValue ?? "?", source: "added token")
        }
    }

    /// A token the candidate adds: fine with a new id and new content; reusing an id or shadowing
    /// an existing token changes how existing text is encoded.
    mutating func newToken(id: Int, content: String, source: String) {
        if baseAdded[id] == content { return }
        if let old = baseVocab[id] ?? baseAdded[id] {
            diffs.append("\(source) \(id) '\(content)': reuses the id of the base's '\(old)'")
        } else if baseKnown.contains(content) {
            diffs.append("\(source) \(id) '\(content)': shadows a token the base already has")
        } else if !addedIDs.contains(id) {
            addedIDs.insert(id)
            addedContents.insert(content)
            added.append("'\(content)' (id \(id))")
        }
    }

    // tokenizer_config.json

    /// Keys transformers writes that no tokenization or decoding step reads (transformers 5
    /// saves the loading options, `is_local` and `local_files_only`, with every tokenizer).
    static let inert: Set<String> = ["model_max_length", "padding_side", "truncation_side", "name_or_path", "transformers_version",
                                     "processor_class", "model_input_names", "tokenizer_file", "is_local", "local_files_only",
                                     "_commit_hash", "cache_dir", "revision", "subfolder"]
    /// Compared elsewhere in this file.
    static let handled: Set<String> = ["chat_template", "added_tokens_decoder", "bos_token", "eos_token", "unk_token", "sep_token",
                                       "cls_token", "mask_token", "pad_token", "additional_special_tokens", "extra_special_tokens"]
    /// Absent means this value (transformers' default).
    static let defaults: [String: JSONValue] = ["clean_up_tokenization_spaces": .bool(false), "split_special_tokens": .bool(false)]

    mutating func config(_ b: Side, _ c: Side) {
        if case .unreadable(let why) = c.config { diffs.append("tokenizer_config.json: unreadable (\(why))"); return }
        if case .unreadable(let why) = c.specialMap { diffs.append("special_tokens_map.json: unreadable (\(why))") }
        let (bc, cc) = (b.config.value ?? .object([]), c.config.value ?? .object([]))
        var keys: [String] = []
        for case .object(let m) in [bc, cc] { for k in m.map(\.key) where !keys.contains(k) { keys.append(k) } }
        for k in keys where !Self.inert.contains(k) && !Self.handled.contains(k) {
            let x = bc[k] ?? Self.defaults[k], y = cc[k] ?? Self.defaults[k]
            guard x?.sortedCanonical != y?.sortedCanonical else { continue }
            if Self.sameBackend(k, x?.stringValue, y?.stringValue) {
                notes.append("tokenizer_config \(k): \(short(bc[k])) → \(short(cc[k])) (a re-save by another transformers version: same tokenizer.json backend)")
            } else {
                diffs.append("tokenizer_config \(k): \(short(bc[k])) → \(short(cc[k]))")
            }
        }
        // added_tokens_decoder: transformers adds these entries to the tokenizer on load.
        let baseDecoder = Dictionary(Self.decoderEntries(bc), uniquingKeysWith: { a, _ in a })
        for (id, content) in Self.decoderEntries(cc) where baseDecoder[id] != content {
            newToken(id: id, content: content, source: "tokenizer_config added_tokens_decoder")
        }
    }

    static func decoderEntries(_ config: JSONValue) -> [(Int, String)] {
        guard case .object(let m)? = config["added_tokens_decoder"] else { return [] }
        return m.compactMap { e in Int(e.key).flatMap { id in tokenContent(e.value).map { (id, $0) } } }
    }

    /// A re-save by another transformers version: version 5 writes `TokenizersBackend` (which
    /// runs tokenizer.json as it is) and `backend: tokenizers`; version 4 writes the class with or
    /// without the `Fast` suffix. Any other class change could bring class-specific behaviour.
    static func sameBackend(_ key: String, _ a: String?, _ b: String?) -> Bool {
        switch key {
        case "tokenizer_class":
            guard let a, let b else { return false }
            let strip = { (s: String) in s.hasSuffix("Fast") ? String(s.dropLast(4)) : s }
            return strip(a) == strip(b) || b == "TokenizersBackend"
        case "backend": return a == nil && b == "tokenizers"
        default: return false
        }
    }

    mutating func specialTokens(_ b: Side, _ c: Side) {
        let alreadySpecial = b.specialContents.union(b.extraSpecials)
        let newlyAdded = addedContents
        for key in ["bos_token", "eos_token", "unk_token", "sep_token", "cls_token", "mask_token", "pad_token"] {
            let (x, y) = (b.special(key), c.special(key))
            guard x != y else { continue }
            let what = "\(key): \(x.map { "'\($0)'" } ?? "unset") → \(y.map { "'\($0)'" } ?? "unset")"
            // The engine never pads; a pad token that is already special hides nothing new.
            if key == "pad_token", y.map({ alreadySpecial.contains($0) || newlyAdded.contains($0) }) ?? true {
                notes.append(what + " (the engine never pads)")
            } else {
                diffs.append(what)
            }
        }
        let (bx, cx) = (b.extraSpecials, c.extraSpecials)
        for t in cx.subtracting(bx).sorted() where !alreadySpecial.contains(t) && !newlyAdded.contains(t) {
            diffs.append("additional special token '\(t)': an ordinary token made special (the engine hides it from completions)")
        }
        let dropped = bx.subtracting(cx)
        if !dropped.isEmpty {
            notes.append("additional special tokens no longer listed: \(dropped.sorted().joined(separator: ", ")) (still special in tokenizer.json)")
        }
    }

    mutating func addedTokensFile(_ b: Side, _ c: Side) {
        if case .unreadable(let why) = c.addedTokensFile { diffs.append("added_tokens.json: unreadable (\(why))"); return }
        guard case .object(let entries)? = c.addedTokensFile.value else { return }
        let base = b.addedTokensFile.value
        for e in entries {
            guard case .value(let id) = e.value.nonNegativeInteger else { diffs.append("added_tokens.json: '\(e.key)' has no integer id"); continue }
            if base?[e.key] == e.value { continue }
            newToken(id: id, content: e.key, source: "added_tokens.json")
        }
    }

    // Slow tokenizer files: transformers only reads them without a tokenizer.json, but a
    // tokenizer_class change could make it, so they must match the base too.

    mutating func slowFiles(_ b: Side, _ c: Side) {
        let fm = FileManager.default
        let baseTokenizer = b.tokenizer.value
        for name in ["vocab.json", "merges.txt", "tokenizer.model", "vocab.txt", "spiece.model", "sentencepiece.bpe.model"] {
            let (bu, cu) = (b.dir.appendingPathComponent(name), c.dir.appendingPathComponent(name))
            let (bHas, cHas) = (fm.fileExists(atPath: bu.path), fm.fileExists(atPath: cu.path))
            if !cHas {
                if bHas && c.tokenizer.value == nil { diffs.append("\(name): missing (the base has one, and there is no tokenizer.json)") }
                continue
            }
            guard let cd = try? Data(contentsOf: cu) else { diffs.append("\(name): unreadable"); continue }
            if bHas, let bd = try? Data(contentsOf: bu), bd == cd { continue }
            let same: Bool
            switch name {
            case "vocab.json":
                let want = bHas ? (try? Data(contentsOf: bu)).flatMap { try? StrictJSON.parse(Array($0)) }.map(Self.vocabMap)
                                : baseTokenizer?["model"]?["vocab"].map(Self.vocabMap)
                same = want != nil && want == (try? StrictJSON.parse(Array(cd))).map(Self.vocabMap)
            case "merges.txt":
                let want = bHas ? (try? Data(contentsOf: bu)).map(Self.mergeLines)
                                : baseTokenizer.map { t in merges(t["model"]?["merges"]).map { $0.joined(separator: " ") } }
                same = want != nil && want == Self.mergeLines(cd)
            default:
                same = false
            }
            if !same { diffs.append("\(name): differs from the base's" + (bHas ? "" : " tokenizer (the base has no \(name))")) }
        }
    }

    static func vocabMap(_ v: JSONValue) -> [String: String] {
        guard case .object(let m) = v else { return [:] }
        return Dictionary(m.map { ($0.key, $0.value.sortedCanonical) }, uniquingKeysWith: { _, last in last })
    }

    static func mergeLines(_ d: Data) -> [String] {
        String(decoding: d, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
            .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
            .filter { !$0.hasPrefix("#version") }
    }

    // The chat template

    mutating func template(_ b: Side, _ c: Side, fixed: Bool) {
        if case .unreadable(let why) = c.templateJSON { diffs.append("chat_template.json: unreadable (\(why))") }
        guard b.chatTemplate != c.chatTemplate else { return }
        let what = "chat template: \(b.chatTemplate == nil ? "none" : "the base's") → \(c.chatTemplate == nil ? "none" : "a different one")"
        if fixed {
            notes.append(what + " (unused: the evaluation passes ptb's own template to the engine)")
        } else {
            diffs.append(what + " (the engine would render every prompt with it)")
        }
    }
}

// MARK: - Helpers

/// Number of `Replace` normalizers anywhere in a normalizer tree.
private func replaceRules(_ v: JSONValue) -> Int {
    switch v {
    case .object(let m): return (v["type"]?.stringValue == "Replace" ? 1 : 0) + m.reduce(0) { $0 + replaceRules($1.value) }
    case .array(let a): return a.reduce(0) { $0 + replaceRules($1) }
    default: return 0
    }
}

/// Where two JSON values differ, as `path: old → new` lines.
private func pathDiff(_ a: JSONValue?, _ b: JSONValue?, at path: String, into out: inout [String]) {
    guard out.count < 20 else { return }
    switch (a, b) {
    case (.object(let x)?, .object(let y)?):
        var keys = x.map(\.key)
        for k in y.map(\.key) where !keys.contains(k) { keys.append(k) }
        for k in keys { pathDiff(a?[k], b?[k], at: "\(path).\(k)", into: &out) }
    case (.array(let x)?, .array(let y)?):
        for i in 0..<max(x.count, y.count) {
            pathDiff(i < x.count ? x[i] : nil, i < y.count ? y[i] : nil, at: "\(path)[\(i)]", into: &out)
        }
    default:
        if a?.sortedCanonical != b?.sortedCanonical { out.append("\(path): \(short(a)) → \(short(b))") }
    }
}

private func short(_ v: JSONValue?) -> String {
    guard let v else { return "absent" }
    return short(v.sortedCanonical)
}

private func short(_ s: String) -> String {
    s.count <= 100 ? s : String(s.prefix(97)) + "…"
}

extension JSONValue {
    /// Canonical text with object members sorted by key: the same tokenizer saved by another
    /// version (or by Python's json with sort_keys) compares equal.
    var sortedCanonical: String {
        switch self {
        case .object(let m):
            return "{" + m.sorted { $0.key < $1.key }.map { "\(quoted($0.key)):\($0.value.sortedCanonical)" }.joined(separator: ",") + "}"
        case .array(let a): return "[" + a.map(\.sortedCanonical).joined(separator: ",") + "]"
        case .number(let n):
            // 1.0 and 1 are the same score; keep integers as written.
            if let d = Double(n), n.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return String(d) }
            return n
        case .string(let s): return quoted(s)
        default: return canonical
        }
    }
}

/// A JSON string literal (`canonical` does not escape, so `a","b` could pass for two strings).
private func quoted(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "\""
}
