import Foundation

/// Codex CLI `exec --json`: `thread.started`, `turn.started`/`turn.completed` (usage per turn),
/// `turn.failed`, `item.started`/`item.updated`/`item.completed` (agent_message, reasoning,
/// command_execution, file_change, mcp_tool_call, web_search, todo_list, error) and `error`.
/// Items are reported when completed; a started command is shown as its call. Older Codex versions
/// (the original's early traces) print `{"id", "msg": {"type": …}}` instead: see `legacy`.
public struct CodexTraceParser: TraceParser {
    /// Threads seen so far, the current one, and the usage already counted per thread: a resumed
    /// thread (`exec resume --last`, the re-prompt loop) starts again with the same id, and 0.163.0
    /// then reports the thread's cumulative usage in `turn.completed`, earlier turns included.
    var threads: Set<String> = []
    var resumed: Set<String> = []
    var thread: String?
    var counted: [String: TokenUsage] = [:]

    public init() {}

    public mutating func parse(_ o: [String: JSONValue], ts: String?) -> [TraceEvent] {
        if o["type"] == nil, let msg = o.obj("msg") { return [legacy(msg, ts: ts, raw: o)] }
        let type = o.str("type") ?? ""
        switch type {
        case "thread.started":
            thread = o.str("thread_id")
            if let t = thread, !threads.insert(t).inserted { resumed.insert(t) }
            return [TraceEvent(ts: ts, kind: .sessionStart, source: type, session: o.str("thread_id"))]
        case "turn.started", "item.updated":
            // Progress only; the completed item carries everything.
            return [TraceEvent(ts: ts, kind: .other, source: type, raw: o.compact)]
        case "turn.completed":
            let u = o.obj("usage") ?? [:]
            var usage = TokenUsage(input: u.int("input_tokens") ?? 0, cached: u.int("cached_input_tokens") ?? 0,
                                   output: u.int("output_tokens") ?? 0, reasoning: u.int("reasoning_output_tokens") ?? 0)
            if let t = thread {
                let before = counted[t] ?? TokenUsage()
                if resumed.contains(t), usage.input >= before.input, usage.cached >= before.cached, usage.output >= before.output,
                   usage.reasoning >= before.reasoning {
                    // Cumulative over the resumed thread: count only what is new.
                    counted[t] = usage
                    usage = TokenUsage(input: usage.input - before.input, cached: usage.cached - before.cached,
                                       output: usage.output - before.output, reasoning: usage.reasoning - before.reasoning)
                } else {
                    counted[t] = before + usage
                }
            }
            return [TraceEvent(ts: ts, kind: .usage, source: type, usage: usage)]
        case "turn.failed":
            return [TraceEvent(ts: ts, kind: .error, source: type, text: o.obj("error")?.str("message") ?? o.compact, isError: true)]
        case "error":
            return [TraceEvent(ts: ts, kind: .error, source: type, text: o.str("message") ?? o.compact, isError: true)]
        case "item.started":
            let item = o.obj("item") ?? [:]
            if item.str("type") == "command_execution" {
                return [TraceEvent(ts: ts, kind: .toolCall, source: "item.started/command_execution", tool: "shell", callID: item.str("id"),
                                   input: item.str("command"))]
            }
            return [TraceEvent(ts: ts, kind: .other, source: "item.started/\(item.str("type") ?? "?")", raw: o.compact)]
        case "item.completed":
            return [completed(o.obj("item") ?? [:], ts: ts, raw: o)]
        default:
            return [.other(o, ts: ts, source: type)]
        }
    }

    func completed(_ item: [String: JSONValue], ts: String?, raw: [String: JSONValue]) -> TraceEvent {
        let kind = item.str("type") ?? "?"
        let source = "item.completed/\(kind)"
        let id = item.str("id")
        switch kind {
        case "agent_message": return TraceEvent(ts: ts, kind: .assistantText, source: source, text: item.str("text"))
        case "reasoning": return TraceEvent(ts: ts, kind: .reasoning, source: source, text: item.str("text"))
        case "command_execution":
            let exit = item.int("exit_code")
            var text = item.str("aggregated_output") ?? ""
            if let exit { text += (text.isEmpty || text.hasSuffix("\n") ? "" : "\n") + "[exit \(exit)]" }
            return TraceEvent(ts: ts, kind: .toolResult, source: source, text: text, tool: "shell", callID: id, input: item.str("command"),
                              isError: item.str("status") == "failed" || (exit ?? 0) != 0)
        case "file_change":
            let changes = (item["changes"]?.array ?? []).map { "\($0["kind"]?.string ?? "?") \($0["path"]?.string ?? "?")" }
            return TraceEvent(ts: ts, kind: .toolResult, source: source, text: changes.joined(separator: "\n"), tool: "file_change", callID: id,
                              isError: item.str("status") == "failed")
        case "mcp_tool_call":
            return TraceEvent(ts: ts, kind: .toolResult, source: source, text: item["result"]?.text ?? item["error"]?.text,
                              tool: "\(item.str("server") ?? "?")/\(item.str("tool") ?? "?")", callID: id, input: item["arguments"]?.compact,
                              isError: item.str("status") == "failed")
        case "web_search":
            return TraceEvent(ts: ts, kind: .toolCall, source: source, tool: "web_search", callID: id, input: item.str("query"))
        case "error": return TraceEvent(ts: ts, kind: .error, source: source, text: item.str("message"), isError: true)
        default: return TraceEvent(ts: ts, kind: .other, source: source, raw: raw.compact)
        }
    }

    /// The pre-`item` protocol: agent_message, agent_reasoning, exec_command_begin/end, token_count
    /// (`info.last_token_usage` per turn; flat fields in the oldest versions), error.
    func legacy(_ m: [String: JSONValue], ts: String?, raw: [String: JSONValue]) -> TraceEvent {
        let type = m.str("type") ?? "?"
        let source = "msg/\(type)"
        switch type {
        case "agent_message": return TraceEvent(ts: ts, kind: .assistantText, source: source, text: m.str("message"))
        case "agent_reasoning": return TraceEvent(ts: ts, kind: .reasoning, source: source, text: m.str("text"))
        case "exec_command_begin":
            let cmd = m["command"]?.array?.compactMap(\.string).joined(separator: " ") ?? m["command"]?.text
            return TraceEvent(ts: ts, kind: .toolCall, source: source, tool: "shell", callID: m.str("call_id"), input: cmd)
        case "exec_command_end":
            let exit = m.int("exit_code") ?? 0
            let out = [m.str("stdout"), m.str("stderr")].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "\n")
            return TraceEvent(ts: ts, kind: .toolResult, source: source, text: out + (out.isEmpty ? "" : "\n") + "[exit \(exit)]", tool: "shell",
                              callID: m.str("call_id"), isError: exit != 0)
        case "token_count":
            let u = m.obj("info")?.obj("last_token_usage") ?? m
            return TraceEvent(ts: ts, kind: .usage, source: source,
                              usage: TokenUsage(input: u.int("input_tokens") ?? 0, cached: u.int("cached_input_tokens") ?? 0,
                                                output: u.int("output_tokens") ?? 0, reasoning: u.int("reasoning_output_tokens") ?? 0))
        case "error", "stream_error": return TraceEvent(ts: ts, kind: .error, source: source, text: m.str("message"), isError: true)
        default: return TraceEvent(ts: ts, kind: .other, source: source, raw: raw.compact)
        }
    }
}
