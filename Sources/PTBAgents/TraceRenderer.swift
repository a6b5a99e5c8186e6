import Foundation

/// The human-readable rendering of unified events (`ptb trace`): one block per event with its
/// time, long outputs cut to their head and tail, and the token totals at the end.
public struct TraceRenderer: Sendable {
    /// Lines of a tool result (or plain output run) shown before the cut.
    public var maxLines: Int
    /// Show events of unknown type (their raw JSON) too.
    public var showUnknown: Bool

    public init(maxLines: Int = 20, showUnknown: Bool = false) {
        self.maxLines = maxLines
        self.showUnknown = showUnknown
    }

    public func render(_ events: [TraceEvent], summary: TraceSummary) -> String {
        var out: [String] = []
        for e in events {
            if let block = render(e) { out.append(block) }
        }
        out.append(footer(summary))
        return out.joined(separator: "\n") + "\n"
    }

    func render(_ e: TraceEvent) -> String? {
        let head = "[\(e.ts ?? "--")] "
        switch e.kind {
        case .sessionStart:
            var s = head + "SESSION \(e.session ?? "")"
            if let m = e.model { s += " model \(m)" }
            return s + indent(e.text)
        case .assistantText: return head + "ASSISTANT" + indent(e.text)
        case .reasoning: return head + "REASONING" + indent(e.text)
        case .toolCall:
            return head + "TOOL CALL \(e.tool ?? "?")" + (e.callID.map { " (\($0))" } ?? "") + indent(e.input.map { "$ " + $0 })
        case .toolResult:
            let status = e.isError == true ? "error" : "ok"
            var s = head + "TOOL RESULT \(e.tool ?? "?")" + (e.callID.map { " (\($0))" } ?? "") + " \(status)"
            if let i = e.input { s += indent("$ " + i) }
            return s + indent(cut(e.text))
        case .usage:
            guard let u = e.usage else { return nil }
            var s = head + "USAGE " + Self.tokens(u)
            if let c = e.costUSD { s += String(format: ", $%.4f", c) }
            return s
        case .error: return head + "ERROR" + indent(e.text)
        case .finalResult:
            var s = head + "RESULT \(e.source ?? "")" + (e.isError == true ? " (error)" : "")
            if let c = e.costUSD { s += String(format: " cost $%.4f", c) }
            return s + indent(cut(e.text))
        case .harness: return head + "PTB \(e.source ?? "")" + (e.text.map { ": \($0)" } ?? "")
        case .output: return head + "| " + (e.text ?? "")
        case .other:
            guard showUnknown else { return nil }
            return head + "EVENT \(e.source ?? "?")" + indent(e.raw ?? e.text)
        }
    }

    func footer(_ s: TraceSummary) -> String {
        var lines = ["---", "scaffold: \(s.scaffold ?? "unknown")" + (s.model.map { ", model \($0)" } ?? ""),
                     "events: \(s.events) (tool calls \(s.toolCalls), errors \(s.errors), unknown \(s.unknown))",
                     "tokens: " + Self.tokens(s.usage)]
        if let c = s.reportedCostUSD { lines.append(String(format: "cost: $%.4f (reported by the CLI)", c)) }
        else if let c = s.estimatedCostUSD { lines.append(String(format: "cost: ~$%.4f (estimated from list prices)", c)) }
        return lines.joined(separator: "\n")
    }

    static func tokens(_ u: TokenUsage) -> String {
        "input \(group(u.input)) (cached \(group(u.cached))), output \(group(u.output)) (reasoning \(group(u.reasoning)))"
    }

    static func group(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, ch) in s.reversed().enumerated() {
            if i > 0, i % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return String(out.reversed())
    }

    func cut(_ text: String?) -> String? {
        guard let text else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count > maxLines else { return text }
        let keep = max(maxLines / 2, 1)
        return (lines.prefix(keep) + ["… \(lines.count - 2 * keep) lines …"] + lines.suffix(keep)).joined(separator: "\n")
    }

    func indent(_ text: String?) -> String {
        guard let text, !text.isEmpty else { return "" }
        return "\n" + text.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
    }
}
