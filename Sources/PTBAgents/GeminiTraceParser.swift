import Foundation

/// Gemini CLI `--output-format stream-json`: `init` (session, model), `message` (role, content; the
/// assistant's text arrives as `delta` chunks, merged here into one event per reply), `tool_use`,
/// `tool_result`, `error` (severity, message) and `result` (status, stats).
public struct GeminiTraceParser: TraceParser {
    var buffer: String?
    var bufferTS: String?
    var toolNames: [String: String] = [:]

    public init() {}

    public mutating func parse(_ o: [String: JSONValue], ts: String?) -> [TraceEvent] {
        let type = o.str("type") ?? ""
        let when = ts ?? o.str("timestamp")
        if type == "message", o.str("role") == "assistant" {
            let chunk = o.str("content") ?? ""
            if o["delta"]?.bool == true {
                if buffer == nil { bufferTS = when }
                buffer = (buffer ?? "") + chunk
                return []
            }
            return flush() + [TraceEvent(ts: when, kind: .assistantText, source: type, text: chunk)]
        }
        var events = flush()
        switch type {
        case "init":
            events.append(TraceEvent(ts: when, kind: .sessionStart, source: type, session: o.str("session_id"), model: o.str("model")))
        case "message":
            // The user's prompt, echoed back.
            events.append(TraceEvent(ts: when, kind: .other, source: "message/\(o.str("role") ?? "?")", text: o.str("content"), raw: o.compact))
        case "tool_use":
            let params = o.obj("parameters") ?? [:]
            if let id = o.str("tool_id"), let n = o.str("tool_name") { toolNames[id] = n }
            events.append(TraceEvent(ts: when, kind: .toolCall, source: type, tool: o.str("tool_name"), callID: o.str("tool_id"),
                                     input: params.count == 1 ? params.str("command") ?? params.compact : params.compact))
        case "tool_result":
            let failed = o.str("status") != "success"
            let id = o.str("tool_id")
            events.append(TraceEvent(ts: when, kind: .toolResult, source: type, text: o.str("output") ?? o.obj("error")?.str("message"),
                                     tool: id.flatMap { toolNames[$0] }, callID: id, isError: failed))
        case "error":
            events.append(TraceEvent(ts: when, kind: .error, source: type, text: "\(o.str("severity") ?? "error"): \(o.str("message") ?? o.compact)",
                                     isError: true))
        case "result":
            let s = o.obj("stats") ?? [:]
            events.append(TraceEvent(ts: when, kind: .finalResult, source: "result/\(o.str("status") ?? "?")",
                                     text: o.obj("error")?.str("message"), isError: o.str("status").map { $0 != "success" }))
            if !s.isEmpty {
                events.append(TraceEvent(ts: when, kind: .usage, source: type,
                                         usage: TokenUsage(input: s.int("input_tokens") ?? 0, cached: s.int("cached") ?? 0,
                                                           output: s.int("output_tokens") ?? 0, reasoning: s.int("thoughts") ?? 0)))
            }
        default:
            events.append(.other(o, ts: when, source: type))
        }
        return events
    }

    public mutating func finish() -> [TraceEvent] { flush() }

    mutating func flush() -> [TraceEvent] {
        guard let text = buffer else { return [] }
        buffer = nil
        return [TraceEvent(ts: bufferTS, kind: .assistantText, source: "message (deltas)", text: text)]
    }
}
