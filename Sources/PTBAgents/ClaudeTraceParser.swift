import Foundation

/// Claude Code `--output-format stream-json`: `system` (subtype `init`), `assistant` and `user`
/// messages with content blocks (text, thinking, tool_use / tool_result), and one `result` per
/// invocation carrying the cumulative usage and `total_cost_usd`.
public struct ClaudeTraceParser: TraceParser {
    /// Usage of assistant messages since the last `result`, by message id: Claude Code repeats a
    /// message's usage on every content block, so it is counted once per id, and only used when
    /// the invocation never reached its `result` (killed at the deadline).
    var pending: [String: TokenUsage] = [:]
    var pendingOrder: [String] = []
    var lastTS: String?
    var toolNames: [String: String] = [:]

    public init() {}

    static func usage(_ u: [String: JSONValue]?) -> TokenUsage? {
        guard let u else { return nil }
        let fresh = u.int("input_tokens") ?? 0, write = u.int("cache_creation_input_tokens") ?? 0, read = u.int("cache_read_input_tokens") ?? 0
        return TokenUsage(input: fresh + write + read, cached: read, output: u.int("output_tokens") ?? 0)
    }

    public mutating func parse(_ o: [String: JSONValue], ts: String?) -> [TraceEvent] {
        lastTS = ts ?? lastTS
        let type = o.str("type") ?? ""
        switch type {
        case "system" where o.str("subtype") == "init":
            let tools = o["tools"]?.array?.compactMap(\.string) ?? []
            var text = "tools: \(tools.joined(separator: ", "))"
            if let cwd = o.str("cwd") { text += "\ncwd: \(cwd)" }
            return [TraceEvent(ts: ts, kind: .sessionStart, source: "system/init", text: text, session: o.str("session_id"), model: o.str("model"))]
        case "assistant":
            let message = o.obj("message") ?? [:]
            if let id = message.str("id"), let u = Self.usage(message.obj("usage")) {
                if pending[id] == nil { pendingOrder.append(id) }
                pending[id] = u
            }
            return (message["content"]?.array ?? []).map { block in
                let b = block.objectValue ?? [:]
                switch b.str("type") {
                case "text": return TraceEvent(ts: ts, kind: .assistantText, source: type, text: b.str("text"))
                case "thinking": return TraceEvent(ts: ts, kind: .reasoning, source: type, text: b.str("thinking"))
                case "tool_use":
                    let input = b.obj("input") ?? [:]
                    if let id = b.str("id"), let n = b.str("name") { toolNames[id] = n }
                    // A shell command reads better as itself than as {"command": …}.
                    let shown = input.count <= 2 ? input.str("command") ?? input.str("code") : nil
                    return TraceEvent(ts: ts, kind: .toolCall, source: type, tool: b.str("name"), callID: b.str("id"), input: shown ?? input.compact)
                default: return .other(b, ts: ts, source: "assistant/\(b.str("type") ?? "?")")
                }
            }
        case "user":
            let content = o.obj("message")?["content"]
            if let s = content?.string { return [TraceEvent(ts: ts, kind: .other, source: type, text: s, raw: o.compact)] }
            return (content?.array ?? []).map { block in
                let b = block.objectValue ?? [:]
                guard b.str("type") == "tool_result" else { return .other(b, ts: ts, source: "user/\(b.str("type") ?? "?")") }
                let text: String? = b["content"]?.string
                    ?? b["content"]?.array?.compactMap { $0["text"]?.string }.joined(separator: "\n")
                let id = b.str("tool_use_id")
                return TraceEvent(ts: ts, kind: .toolResult, source: type, text: text, tool: id.flatMap { toolNames[$0] }, callID: id,
                                  isError: b["is_error"]?.bool ?? false)
            }
        case "result":
            // The invocation's own total: it replaces the per-message figures seen so far.
            pending = [:]
            pendingOrder = []
            let usage = Self.usage(o.obj("usage"))
            var events = [TraceEvent(ts: ts, kind: .finalResult, source: "result/\(o.str("subtype") ?? "?")", text: o.str("result"),
                                     isError: o["is_error"]?.bool, session: o.str("session_id"), costUSD: o["total_cost_usd"]?.double)]
            if let usage { events.append(TraceEvent(ts: ts, kind: .usage, source: "result", usage: usage, costUSD: o["total_cost_usd"]?.double)) }
            return events
        default:
            return [.other(o, ts: ts, source: type)]
        }
    }

    public mutating func finish() -> [TraceEvent] {
        guard !pendingOrder.isEmpty else { return [] }
        let total = pendingOrder.compactMap { pending[$0] }.reduce(TokenUsage(), +)
        pending = [:]
        pendingOrder = []
        return [TraceEvent(ts: lastTS, kind: .usage, source: "assistant messages (no result event)", usage: total)]
    }
}
