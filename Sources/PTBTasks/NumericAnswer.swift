import Foundation

/// The original's `match(numeric=True)` (location end), shared by the tasks whose
/// `matchesNumericAnswer` is true: arith, gsm8k, aime2025 (`EvalTask.score(_:completion:mode:)`).
/// `ptb score --strict-match` scores them with exact numeric equality instead.
enum NumericAnswer {
    /// inspect's `match_str(location="end", numeric=True)`: numeric targets (Python `isnumeric`,
    /// so digits only) go through `NumericMatch`; any other target — a GSM8K answer such as `-3`
    /// or `1,000` — takes inspect's text path: strip, casefold, strip ASCII punctuation and
    /// whitespace from both ends of both, then `endswith`.
    static func match(completion: String, target: String, mode: NumericMatch.Mode) -> (answer: String, correct: Bool) {
        let t = PythonText.strip(target).lowercased()
        if NumericMatch.isNumeric(t) { return NumericMatch.match(completion: completion, target: target, mode: mode) }
        let answer = PythonText.strip(completion)
        let v = PythonText.stripPunctuation(answer.lowercased())
        let tt = PythonText.stripPunctuation(t)
        switch mode {
        case .original: return (answer, v.hasSuffix(tt))
        case .strict:
            // Exact numeric equality on the last number-like word (signs allowed), else exact text.
            let drop = Set(",$£€*_")
            let words = answer.lowercased().split(whereSeparator: \.isWhitespace).map {
                String($0.filter { !drop.contains($0) }).trimmingCharacters(in: CharacterSet(charactersIn: ".:;!?()[]{}'\""))
            }
            if let b = Double(String(t.filter { !drop.contains($0) })), let word = words.last(where: { Double($0) != nil }),
               let a = Double(word) {
                return (word, a == b)
            }
            return (answer, v == tt)
        }
    }
}
