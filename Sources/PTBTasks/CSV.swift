import Foundation

/// RFC 4180 CSV as upstream GPQA ships it: quoted fields with embedded newlines, commas and
/// doubled quotes; CRLF or LF rows; an optional UTF-8 byte-order mark. Values are kept verbatim
/// (no trimming), as the Hugging Face loader keeps them.
enum CSV {
    struct Failure: Error, CustomStringConvertible {
        var row: Int
        var reason: String
        var description: String { "CSV row \(row): \(reason)" }
    }

    static func parse(_ text: String) throws -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var fieldStarted = false
        var it = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        var first = true
        func next() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return it.next()
        }
        while let c = next() {
            if first { first = false; if c == "\u{FEFF}" { continue } }
            if quoted {
                if c == "\"" {
                    if let n = next() {
                        if n == "\"" { field.unicodeScalars.append("\""); continue }
                        quoted = false
                        pending = n
                    } else { quoted = false }
                } else {
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where !fieldStarted:
                quoted = true
                fieldStarted = true
            case ",":
                row.append(field); field = ""; fieldStarted = false
            case "\r":
                if let n = next(), n != "\n" { pending = n }
                row.append(field); rows.append(row); row = []; field = ""; fieldStarted = false
            case "\n":
                row.append(field); rows.append(row); row = []; field = ""; fieldStarted = false
            default:
                field.unicodeScalars.append(c)
                fieldStarted = true
            }
        }
        if quoted { throw Failure(row: rows.count + 1, reason: "a quoted field is not closed (truncated file?)") }
        if fieldStarted || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }

    /// Rows as dictionaries keyed by the header row; rows that are entirely empty are skipped.
    static func records(_ text: String) throws -> [[String: String]] {
        let rows = try parse(text)
        guard let header = rows.first else { return [] }
        var out: [[String: String]] = []
        for (i, r) in rows.dropFirst().enumerated() {
            if r.allSatisfy(\.isEmpty) { continue }
            guard r.count == header.count else {
                throw Failure(row: i + 2, reason: "\(r.count) fields, but the header has \(header.count)")
            }
            out.append(Dictionary(zip(header, r), uniquingKeysWith: { a, _ in a }))
        }
        return out
    }
}
