import Foundation

/// OpenCode `run --format json`: `step_start`, `text`, `reasoning`, `tool_use` (part.tool, part.callID,
/// part.state: status/input/output/error/title), `step_finish` (reason, cost, tokens {input, output,
/// reasoning, cache {read, write}}) and `error` (error.name, error.data.message). Event times are
/// epoch milliseconds in `timestamp`.
public struct OpenCodeTraceParser: TraceParser {
    public init() {}

    public mutating func parse(_ o: [String: JSONValue], ts: String?) -> [TraceEvent] {
        let type = o.str("type") ?? ""
        let part = o.obj("part") ?? [:]
        switch type {
        case "step_start":
            return [TraceEvent(ts: ts, kind: .other, source: type, session: o.str("sessionID"), raw: o.compact)]
        case "text":
            return [TraceEvent(ts: ts, kind: .assistantText, source: type, text: part.str("text"))]
        case "reasoning":
            return [TraceEvent(ts: ts, kind: .reasoning, source: type, text: part.str("text"))]
        case "tool_use":
            let state = part.obj("state") ?? [:]
            let input = state.obj("input") ?? [:]
            let tool = part.str("tool")
            let shown = tool == "bash" ? input.str("command") : nil
            let status = state.str("status") ?? "?"
            let call = TraceEvent(ts: ts, kind: .toolCall, source: "tool_use", tool: tool, callID: part.str("callID"), input: shown ?? input.compact)
            guard status == "completed" || status == "error" else { return [call] }
            let result = TraceEvent(ts: ts, kind: .toolResult, source: "tool_use/\(status)", text: state.str("output") ?? state["error"]?.text,
                                    tool: tool, callID: part.str("callID"), isError: status == "error")
            return [call, result]
        case "step_finish":
            let t = part.obj("tokens") ?? [:]
            let cache = t.obj("cache") ?? [:]
            let read = cache.int("read") ?? 0, write = cache.int("write") ?? 0
            let reasoning = t.int("reasoning") ?? 0
            // OpenCode counts cache reads/writes and reasoning apart from input/output.
            let usage = TokenUsage(input: (t.int("input") ?? 0) + read + write, cached: read, output: (t.int("output") ?? 0) + reasoning,
                                   reasoning: reasoning)
            return [TraceEvent(ts: ts, kind: .usage, source: "step_finish/\(part.str("reason") ?? "?")", usage: usage, costUSD: part["cost"]?.double)]
        case "error":
            let e = o.obj("error") ?? [:]
            let message = e.obj("data")?.str("message") ?? e.str("message") ?? o.compact
            return [TraceEvent(ts: ts, kind: .error, source: type, text: "\(e.str("name") ?? "Error"): \(message)", isError: true)]
        default:
            return [.other(o, ts: ts, source: type)]
        }
    }
}
