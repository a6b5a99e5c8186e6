import Foundation
import PTBCore

extension Scaffold {
    public static let gemini = Scaffold(declaring: "gemini")
}

/// Gemini CLI (`agents/gemini` of the original): stream-json on stdout, tools auto-approved, and its
/// own sandbox off (ptb's sandbox is the boundary).
public struct GeminiAgent: CLIScaffoldAdapter {
    public typealias Parser = GeminiTraceParser
    public static let scaffold = Scaffold.gemini
    public static let displayName = "Gemini CLI"
    public static let exampleModel = "models/gemini-3-pro-preview"
    public static let manualInstall: ManualInstall? = ManualInstall(manager: "npm", command: "npm install -g @google/gemini-cli")

    /// stream-json: `init`, `message`, `tool_use`, `tool_result`, and a `result` with `stats`.
    public static func detects(_ o: [String: JSONValue]) -> Bool {
        let type = o.str("type") ?? ""
        return ["init", "message", "tool_use", "tool_result"].contains(type) || (type == "result" && o["stats"] != nil)
    }

    public let config: AgentConfig
    public let host: [String: String]
    public let nonInteractivePromptLine = false

    public init(config: AgentConfig, host: [String: String] = ProcessInfo.processInfo.environment) {
        self.config = config
        self.host = host
    }

    public func arguments(prompt: String) -> [String] {
        ["gemini", "--yolo", "--model", model, "--output-format", "stream-json", "-p", prompt]
    }

    /// `--resume latest` reloads the newest saved session of this project (Gemini CLI ≥ 0.20;
    /// the original never re-prompted Gemini).
    public func resumeArguments(message: String) -> [String] {
        ["gemini", "--yolo", "--resume", "latest", "--model", model, "--output-format", "stream-json", "-p", message]
    }

    public func scaffoldEnvironment(_ context: AgentContext) throws -> [String: String] {
        try rejectEffort("gemini")
        return ["GEMINI_SANDBOX": "false", "GEMINI_API_KEY": try requireKey("GEMINI_API_KEY")]
    }
}

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
