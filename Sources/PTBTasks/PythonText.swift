import Foundation

/// The few Python / inspect_ai string behaviours the original's prompts and scorers depend on,
/// reproduced so that prompts and verdicts match byte for byte.
enum PythonText {
    /// `string.whitespace + string.punctuation`, what inspect's `strip_punctuation` strips.
    static let asciiWhitespaceAndPunctuation = Set(" \t\n\r\u{0B}\u{0C}" + "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")

    /// `s.strip(string.whitespace + string.punctuation)`.
    static func stripPunctuation(_ s: String) -> String {
        var chars = Substring(s)
        while let f = chars.first, asciiWhitespaceAndPunctuation.contains(f) { chars.removeFirst() }
        while let l = chars.last, asciiWhitespaceAndPunctuation.contains(l) { chars.removeLast() }
        return String(chars)
    }

    /// Python's `repr(float)`: the shortest string that round-trips (Swift's description agrees).
    static func floatRepr(_ d: Double) -> String { d.description }

    /// inspect_ai's `format_template(template, params)`: `str.format` that leaves unknown fields
    /// in place. Used where inspect formats a text it did not write (the GSM8K few-shot block is
    /// passed to `system_message` as a template): `{{`/`}}` collapse and `{field}` is looked up.
    /// Conversions and format specs of unknown fields are kept verbatim; a lone brace is kept
    /// (Python would raise, so such text never reached the original's models).
    static func formatTemplate(_ template: String, _ params: [String: String]) -> String {
        guard template.contains("{") || template.contains("}") else { return template }
        let chars = Array(template)
        var out = ""
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "{", i + 1 < chars.count, chars[i + 1] == "{" { out.append("{"); i += 2; continue }
            if c == "}", i + 1 < chars.count, chars[i + 1] == "}" { out.append("}"); i += 2; continue }
            if c == "{", let close = chars[(i + 1)...].firstIndex(where: { $0 == "}" || $0 == "{" }), chars[close] == "}" {
                let field = String(chars[(i + 1)..<close])
                let name = String(field.prefix { $0 != "!" && $0 != ":" })
                if let v = params[name], name == field { out += v } else { out += "{" + field + "}" }
                i = close + 1
                continue
            }
            out.append(c)
            i += 1
        }
        return out
    }

    /// `re.sub(pattern, template, s)` for patterns written in Python syntax that ICU reads the same
    /// way. `unixLines` makes `.`, `^` and `$` treat only `\n` as a line end, as Python does.
    static func regex(_ pattern: String, _ options: NSRegularExpression.Options = []) -> NSRegularExpression? {
        try? NSRegularExpression(pattern: pattern, options: options.union(.useUnixLineSeparators))
    }

    static func sub(_ re: NSRegularExpression, _ template: String, _ s: String) -> String {
        re.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: template)
    }

    /// The capture groups of every match, in order (`re.findall` for a one-group pattern).
    static func findAll(_ re: NSRegularExpression, _ s: String, group: Int = 1) -> [String] {
        re.matches(in: s, range: NSRange(s.startIndex..., in: s)).compactMap { m in
            Range(m.range(at: group), in: s).map { String(s[$0]) }
        }
    }

    /// Group `group` of the first match (`re.search(...).group(n)`).
    static func search(_ re: NSRegularExpression, _ s: String, group: Int = 1) -> String? {
        guard let m = re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) else { return nil }
        return Range(m.range(at: group), in: s).map { String(s[$0]) }
    }

    /// Python's `str.strip()` (Unicode whitespace at both ends).
    static func strip(_ s: String) -> String { s.trimmingCharacters(in: .whitespacesAndNewlines) }
}
