import Foundation

/// What `ptb scan` found: every place in the scanned files where a test item's n-gram occurs.
public struct ScanReport: Codable, Sendable, Equatable {
    public var schemaVersion = 2
    public var task: String
    public var n: Int
    public var shortN: Int
    public var minTokens: Int
    /// Test items of the task.
    public var items: Int
    public var indexed: FieldCounts
    /// Items with fewer than `minTokens` tokens: not indexed (they would match everywhere).
    public var tooShort: FieldCounts
    public var grams: Int
    public var filesScanned: Int
    public var bytesScanned: Int
    /// Files with nothing to read as text (model weights such as GGUF): listed, not a gap.
    public var skipped: [SkippedFile]
    /// Files, or parts of files (a member, a decoded blob), the scanner could not read: missing
    /// decoder, corrupt or truncated data, over the size limit, a link it will not follow. A
    /// file may be both scanned and listed here when only part of it could be read.
    public var unscanned: [SkippedFile]
    /// Sorted by file, line, item.
    public var hits: [ScanHit]
    /// More hits were found than the report keeps.
    public var hitsTruncated: Bool
    /// Distinct (item, field) pairs hit.
    public var contaminatedItems: Int

    public var clean: Bool { hits.isEmpty }

    enum CodingKeys: String, CodingKey {
        case schemaVersion, task, n, shortN, minTokens, items, indexed, tooShort, grams, filesScanned, bytesScanned
        case skipped, unscanned, hits, hitsTruncated, contaminatedItems
    }

    public init(task: String, n: Int, shortN: Int, minTokens: Int, items: Int, indexed: FieldCounts, tooShort: FieldCounts,
                grams: Int, filesScanned: Int, bytesScanned: Int, skipped: [SkippedFile], unscanned: [SkippedFile] = [],
                hits: [ScanHit], hitsTruncated: Bool, contaminatedItems: Int) {
        self.task = task
        self.n = n
        self.shortN = shortN
        self.minTokens = minTokens
        self.items = items
        self.indexed = indexed
        self.tooShort = tooShort
        self.grams = grams
        self.filesScanned = filesScanned
        self.bytesScanned = bytesScanned
        self.skipped = skipped
        self.unscanned = unscanned
        self.hits = hits
        self.hitsTruncated = hitsTruncated
        self.contaminatedItems = contaminatedItems
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // Version 1 reports had no `unscanned` (files it could not read were `skipped`).
        schemaVersion = try c.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? 1
        task = try c.decode(String.self, forKey: .task)
        n = try c.decode(Int.self, forKey: .n)
        shortN = try c.decode(Int.self, forKey: .shortN)
        minTokens = try c.decode(Int.self, forKey: .minTokens)
        items = try c.decode(Int.self, forKey: .items)
        indexed = try c.decode(FieldCounts.self, forKey: .indexed)
        tooShort = try c.decode(FieldCounts.self, forKey: .tooShort)
        grams = try c.decode(Int.self, forKey: .grams)
        filesScanned = try c.decode(Int.self, forKey: .filesScanned)
        bytesScanned = try c.decode(Int.self, forKey: .bytesScanned)
        skipped = try c.decode([SkippedFile].self, forKey: .skipped)
        unscanned = try c.decodeIfPresent([SkippedFile].self, forKey: .unscanned) ?? []
        hits = try c.decode([ScanHit].self, forKey: .hits)
        hitsTruncated = try c.decode(Bool.self, forKey: .hitsTruncated)
        contaminatedItems = try c.decode(Int.self, forKey: .contaminatedItems)
    }
}

public struct FieldCounts: Codable, Sendable, Equatable {
    public var questions: Int
    public var answers: Int
}

public struct SkippedFile: Codable, Sendable, Equatable {
    public var path: String
    public var reason: String
}

public struct ScanHit: Codable, Sendable, Equatable {
    public var file: String
    /// 1-based line of the first token of the first matching gram.
    public var line: Int
    public var item: String
    public var field: ScanField
    /// Matching grams that start on this line.
    public var grams: Int
    public var gramLength: Int
    /// How the text was reached when it was not the file's plain bytes, outermost first
    /// ("gzip", "line 3: base64", "zip member a.jsonl", "rot13", …); `line` is then a line of
    /// the innermost decoded text. Nil for plain text.
    public var via: String?

    public init(file: String, line: Int, item: String, field: ScanField, grams: Int, gramLength: Int, via: String? = nil) {
        self.file = file
        self.line = line
        self.item = item
        self.field = field
        self.grams = grams
        self.gramLength = gramLength
        self.via = via
    }
}

extension ScanReport {
    /// A human summary: counts, then each hit as file:line, the item and the start of its text.
    public func renderText(index: NGramIndex?, limit: Int = 50) -> String {
        var out: [String] = []
        out.append("task \(task): \(items) test items; indexed \(indexed.questions) questions and \(indexed.answers) answers (\(grams) grams; n=\(n), short-n=\(shortN))")
        if tooShort.questions + tooShort.answers > 0 {
            out.append("not indexed (fewer than \(minTokens) tokens): \(tooShort.questions) questions, \(tooShort.answers) answers")
        }
        out.append("scanned \(filesScanned) file(s), \(bytesScanned) bytes; skipped \(skipped.count) (not text); UNSCANNED \(unscanned.count)")
        for s in skipped.prefix(limit) { out.append("  skipped \(s.path): \(s.reason)") }
        if skipped.count > limit { out.append("  … \(skipped.count - limit) more skipped") }
        for s in unscanned.prefix(limit) { out.append("  UNSCANNED \(s.path): \(s.reason)") }
        if unscanned.count > limit { out.append("  … \(unscanned.count - limit) more unscanned") }
        if hits.isEmpty {
            out.append("no test-item n-grams found: clean")
            return out.joined(separator: "\n")
        }
        out.append("CONTAMINATED: \(hits.count)\(hitsTruncated ? "+" : "") hit(s) covering \(contaminatedItems) test item field(s)")
        let previews = Dictionary((index?.items ?? []).map { ("\($0.id)/\($0.field.rawValue)", $0.preview) }, uniquingKeysWith: { a, _ in a })
        for h in hits.prefix(limit) {
            let text = previews["\(h.item)/\(h.field.rawValue)"].map { "  \"\($0.replacingOccurrences(of: "\n", with: " "))\"" } ?? ""
            out.append("  \(h.file):\(h.line)  item \(h.item) \(h.field.rawValue) (\(h.grams) × \(h.gramLength)-gram)\(h.via.map { " via \($0)" } ?? "")\(text)")
        }
        if hits.count > limit { out.append("  … \(hits.count - limit) more hits (use --json for all)") }
        return out.joined(separator: "\n")
    }
}
