import Foundation

/// Tokens of one usage report, in one convention for every scaffold: `input` counts every prompt
/// token (cache reads and writes included), `cached` the part read from a cache; `output` every
/// generated token, `reasoning` the part spent thinking.
public struct TokenUsage: Codable, Sendable, Equatable {
    public var input: Int
    public var cached: Int
    public var output: Int
    public var reasoning: Int

    public init(input: Int = 0, cached: Int = 0, output: Int = 0, reasoning: Int = 0) {
        self.input = input
        self.cached = cached
        self.output = output
        self.reasoning = reasoning
    }

    public static func + (a: TokenUsage, b: TokenUsage) -> TokenUsage {
        TokenUsage(input: a.input + b.input, cached: a.cached + b.cached, output: a.output + b.output, reasoning: a.reasoning + b.reasoning)
    }

    public var isZero: Bool { self == TokenUsage() }
}

/// One event of an agent's run in the unified model (`events.jsonl`), whatever the scaffold.
public struct TraceEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case sessionStart = "session_start"
        case assistantText = "assistant_text"
        case reasoning
        case toolCall = "tool_call"
        case toolResult = "tool_result"
        case usage
        case error
        case finalResult = "final_result"
        /// ptb's own lines: trace events (`start`, `exit`…) and the re-prompt marker.
        case harness
        /// A line that is not JSON (CUDA precheck, a CLI's warning, plain-text agents).
        case output
        /// A JSON event of a type this parser does not know: kept whole in `raw`, never dropped.
        case other
    }

    public var ts: String?
    public var kind: Kind
    /// The scaffold's own event type (`assistant`, `item.completed`, `tool_use`…).
    public var source: String?
    public var text: String?
    public var tool: String?
    public var callID: String?
    /// Tool input as compact JSON, or the shell command where the tool is a shell.
    public var input: String?
    public var isError: Bool?
    public var session: String?
    public var model: String?
    public var usage: TokenUsage?
    /// As the CLI reported it (Claude's `total_cost_usd`, OpenCode's step cost).
    public var costUSD: Double?
    public var raw: String?

    public init(ts: String? = nil, kind: Kind, source: String? = nil, text: String? = nil, tool: String? = nil, callID: String? = nil,
                input: String? = nil, isError: Bool? = nil, session: String? = nil, model: String? = nil, usage: TokenUsage? = nil,
                costUSD: Double? = nil, raw: String? = nil) {
        self.ts = ts
        self.kind = kind
        self.source = source
        self.text = text
        self.tool = tool
        self.callID = callID
        self.input = input
        self.isError = isError
        self.session = session
        self.model = model
        self.usage = usage
        self.costUSD = costUSD
        self.raw = raw
    }

    enum CodingKeys: String, CodingKey {
        case ts, kind, source, text, tool, input, session, model, usage, raw
        case callID = "call_id"
        case isError = "is_error"
        case costUSD = "cost_usd"
    }
}

/// Turns one scaffold's JSON events into unified events. In its scaffold's file; stateful because
/// some streams split one thing over several lines (deltas, per-block usage).
public protocol TraceParser {
    /// A parser at the start of a trace.
    init()
    /// Events for one JSON object of the agent's output.
    mutating func parse(_ object: [String: JSONValue], ts: String?) -> [TraceEvent]
    /// Events still held back when the stream ends (a killed agent never sends its result).
    mutating func finish() -> [TraceEvent]
}

extension TraceParser {
    public mutating func finish() -> [TraceEvent] { [] }
}

extension TraceEvent {
    /// The catch-all for event types a parser does not know.
    static func other(_ o: [String: JSONValue], ts: String?, source: String?) -> TraceEvent {
        TraceEvent(ts: ts, kind: .other, source: source, raw: o.compact)
    }
}
