import Foundation

/// What the original's evaluator (inspect_ai 0.3.145, the version its fork pins) does to an
/// assistant message before any scorer sees it: the first `<think …>…</think>` block anywhere in
/// the text (optional `signature="…"` / `redacted="true"` attributes) becomes reasoning, and the
/// text without it, stripped, becomes the completion. Without a closed block the text is left
/// exactly as it was. So a thinking model's draft answer or draft code block inside its reasoning
/// is never what GSM8K's last number, GPQA's `ANSWER:` line or HumanEval's first code block reads.
/// (The judged tasks do their own, different stripping, as the original's scripts do.)
public enum ReasoningBlock {
    // inspect_ai: r'<think(?:\s+signature="([^"]*)")?(?:\s+redacted="(true)")?\s*>(.*?)</think>', re.DOTALL, re.search
    static let pattern = try! NSRegularExpression(
        pattern: #"<think(?:\s+signature="([^"]*)")?(?:\s+redacted="(true)")?\s*>(.*?)</think>"#,
        options: [.dotMatchesLineSeparators])

    public static func split(_ text: String) -> (content: String, reasoning: String?) {
        let ns = text as NSString
        guard let m = pattern.firstMatch(in: text, range: NSRange(location: 0, length: ns.length)) else { return (text, nil) }
        let reasoning = ns.substring(with: m.range(at: 3)).trimmingCharacters(in: .whitespacesAndNewlines)
        let rest = ns.substring(to: m.range.location) + ns.substring(from: m.range.location + m.range.length)
        return (rest.trimmingCharacters(in: .whitespacesAndNewlines), reasoning)
    }
}
