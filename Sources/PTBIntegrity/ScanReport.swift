import Foundation

/// What `ptb scan` found: every place in the scanned files where a test item's n-gram occurs.
public struct ScanReport: Codable, Sendable, Equatable {
    public var schemaVersion = 1
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
    public var skipped: [SkippedFile]
    /// Sorted by file, line, item.
    public var hits: [ScanHit]
    /// More hits were found than the report keeps.
    public var hitsTruncated: Bool
    /// Distinct (item, field) pairs hit.
    public var contaminatedItems: Int

    public var clean: Bool { hits.isEmpty }
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
}

extension ScanReport {
    /// A human summary: counts, then each hit as file:line, the item and the start of its text.
    public func renderText(index: NGramIndex?, limit: Int = 50) -> String {
        var out: [String] = []
        out.append("task \(task): \(items) test items; indexed \(indexed.questions) questions and \(indexed.answers) answers (\(grams) grams; n=\(n), short-n=\(shortN))")
        if tooShort.questions + tooShort.answers > 0 {
            out.append("not indexed (fewer than \(minTokens) tokens): \(tooShort.questions) questions, \(tooShort.answers) answers")
        }
        out.append("scanned \(filesScanned) file(s), \(bytesScanned) bytes; skipped \(skipped.count)")
        for s in skipped.prefix(limit) { out.append("  skipped \(s.path): \(s.reason)") }
        if skipped.count > limit { out.append("  … \(skipped.count - limit) more skipped") }
        if hits.isEmpty {
            out.append("no test-item n-grams found: clean")
            return out.joined(separator: "\n")
        }
        out.append("CONTAMINATED: \(hits.count)\(hitsTruncated ? "+" : "") hit(s) covering \(contaminatedItems) test item field(s)")
        let previews = Dictionary((index?.items ?? []).map { ("\($0.id)/\($0.field.rawValue)", $0.preview) }, uniquingKeysWith: { a, _ in a })
        for h in hits.prefix(limit) {
            let text = previews["\(h.item)/\(h.field.rawValue)"].map { "  \"\($0.replacingOccurrences(of: "\n", with: " "))\"" } ?? ""
            out.append("  \(h.file):\(h.line)  item \(h.item) \(h.field.rawValue) (\(h.grams) × \(h.gramLength)-gram)\(text)")
        }
        if hits.count > limit { out.append("  … \(hits.count - limit) more hits (use --json for all)") }
        return out.joined(separator: "\n")
    }
}
