import Foundation

/// The answer matching of the original harness (inspect_ai's `match(location="end",
/// ignore_case=True, numeric=True)` at the pinned fork), quirks included: the last number-like
/// word must *end with* the normalised target, so target `70` is matched by `170`.
/// `strict` compares the last number exactly instead; runs record which mode scored them.
public enum NumericMatch {
    public enum Mode: String, Codable, Sendable { case original, strict }

    public static func match(completion: String, target: String, mode: Mode = .original) -> (answer: String, correct: Bool) {
        var v = completion.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        var t = target.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard isNumeric(t) else {
            return (v, v.hasSuffix(t))
        }
        v = stripNumericPunctuation(v)
        t = normalizeNumber(stripNumericPunctuation(t))
        let words = v.split(whereSeparator: { $0.isWhitespace }).map(String.init)
        let candidate = words.reversed().first { isNumeric($0.replacingOccurrences(of: ".", with: "")) } ?? words.last ?? ""
        let answer = normalizeNumber(candidate)
        switch mode {
        case .original:
            return (answer, answer.hasSuffix(t))
        case .strict:
            if let a = Double(answer), let b = Double(t) { return (answer, a == b) }
            return (answer, answer == t)
        }
    }

    /// Python's `str.isnumeric()`: non-empty and every character numeric ("-5" and "3.5" are not).
    static func isNumeric(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.numericType != nil }
    }

    /// Removes `$ , £ € * _` and every `.` not followed by a digit.
    static func stripNumericPunctuation(_ s: String) -> String {
        let chars = Array(s)
        var out = ""
        for (i, c) in chars.enumerated() {
            if "$,£€*_".contains(c) { continue }
            if c == "." {
                let next = i + 1 < chars.count ? chars[i + 1] : nil
                if next == nil || next!.isWhitespace || !(next!.isASCII && next!.isNumber) { continue }
            }
            out.append(c)
        }
        return out
    }

    /// `format(float(x), ".5g")` for number-like strings, else unchanged.
    static func normalizeNumber(_ s: String, precision: Int = 5) -> String {
        guard isNumeric(s.replacingOccurrences(of: ".", with: "")), let d = Double(s) else { return s }
        return pythonG(d, precision: precision)
    }

    /// Python's `g` format: C's `%g` matches it except for the exponent, which Python also pads
    /// to two digits — so the C output is already identical.
    static func pythonG(_ d: Double, precision: Int) -> String {
        String(format: "%.\(precision)g", d)
    }
}
