import Foundation
import PTBCore

/// Totals of a converted trace.
public struct TraceSummary: Codable, Sendable, Equatable {
    public var scaffold: String?
    public var model: String?
    public var usage: TokenUsage
    /// What the CLI reported (Claude's `total_cost_usd`, OpenCode's step costs), summed.
    public var reportedCostUSD: Double?
    /// From the price table, when nothing was reported and the model is in it.
    public var estimatedCostUSD: Double?
    public var toolCalls: Int
    public var errors: Int
    public var events: Int
    public var unknown: Int
    /// The CLI's own words for the last error it reported (an API error, a failed turn), so that a
    /// run that ended badly says why in its record, not only deep in the trace.
    public var lastError: String? = nil

    enum CodingKeys: String, CodingKey {
        case scaffold, model, usage, errors, events, unknown, lastError, reportedCostUSD, estimatedCostUSD, toolCalls
    }

    /// usage.json written before ptb's one key style (camelCase) spelled these in snake_case.
    enum LegacyKeys: String, CodingKey {
        case lastError = "last_error", reportedCostUSD = "reported_cost_usd", estimatedCostUSD = "estimated_cost_usd", toolCalls = "tool_calls"
    }

    public init(scaffold: String?, model: String?, usage: TokenUsage, reportedCostUSD: Double?, estimatedCostUSD: Double?,
                toolCalls: Int, errors: Int, events: Int, unknown: Int, lastError: String? = nil) {
        self.scaffold = scaffold
        self.model = model
        self.usage = usage
        self.reportedCostUSD = reportedCostUSD
        self.estimatedCostUSD = estimatedCostUSD
        self.toolCalls = toolCalls
        self.errors = errors
        self.events = events
        self.unknown = unknown
        self.lastError = lastError
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let old = try decoder.container(keyedBy: LegacyKeys.self)
        scaffold = try c.decodeIfPresent(String.self, forKey: .scaffold)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        usage = try c.decode(TokenUsage.self, forKey: .usage)
        reportedCostUSD = try c.decodeIfPresent(Double.self, forKey: .reportedCostUSD) ?? old.decodeIfPresent(Double.self, forKey: .reportedCostUSD)
        estimatedCostUSD = try c.decodeIfPresent(Double.self, forKey: .estimatedCostUSD) ?? old.decodeIfPresent(Double.self, forKey: .estimatedCostUSD)
        toolCalls = try c.decodeIfPresent(Int.self, forKey: .toolCalls) ?? old.decode(Int.self, forKey: .toolCalls)
        errors = try c.decode(Int.self, forKey: .errors)
        events = try c.decode(Int.self, forKey: .events)
        unknown = try c.decode(Int.self, forKey: .unknown)
        lastError = try c.decodeIfPresent(String.self, forKey: .lastError) ?? old.decodeIfPresent(String.self, forKey: .lastError)
    }
}

/// Reads `trace.jsonl` (lines `{"ts","line"}` of agent output and `{"ts","event","detail"}` of ptb)
/// and produces unified events. The scaffold is given (from the agent's definition) or detected
/// from the first agent JSON line; every line yields at least one event, so nothing is dropped.
public struct TraceConverter {
    public private(set) var scaffold: Scaffold?
    var parser: (any TraceParser)?
    var model: String?
    let scaffolds: ScaffoldRegistry

    public init(scaffold: Scaffold? = nil, model: String? = nil, scaffolds: ScaffoldRegistry = AgentRegistry.scaffolds) {
        self.scaffold = scaffold
        self.model = model
        self.scaffolds = scaffolds
        if let scaffold { parser = scaffolds.type(of: scaffold)?.makeParser() }
    }

    /// The scaffold whose stream this object belongs to, from its shape.
    public static func detect(_ o: [String: JSONValue]) -> Scaffold? { detect(o, in: AgentRegistry.scaffolds) }

    public static func detect(_ o: [String: JSONValue], in scaffolds: ScaffoldRegistry) -> Scaffold? {
        scaffolds.detect(o)?.scaffold
    }

    /// Events of one `trace.jsonl` line.
    public mutating func convert(traceLine: String) -> [TraceEvent] {
        guard let rec = JSONValue.object(line: traceLine) else {
            // Not a trace record at all (a truncated last line after a crash): keep it as output.
            return [TraceEvent(kind: .output, text: traceLine)]
        }
        let ts = rec.str("ts")
        if let event = rec.str("event") {
            return [TraceEvent(ts: ts, kind: .harness, source: event, text: rec.str("detail"))]
        }
        guard let line = rec.str("line") else { return [.other(rec, ts: ts, source: "trace")] }
        return convert(agentLine: line, ts: ts)
    }

    /// Events of one line the agent printed.
    public mutating func convert(agentLine line: String, ts: String?) -> [TraceEvent] {
        guard let o = JSONValue.object(line: line) else { return [TraceEvent(ts: ts, kind: .output, text: line)] }
        if o.str("type") == "ptb.reprompt" {
            return [TraceEvent(ts: ts, kind: .harness, source: "reprompt", text: "round \(o.int("round") ?? 0), \(o.str("remaining") ?? "?") remaining")]
        }
        if parser == nil, scaffold == nil, let type = scaffolds.detect(o) {
            scaffold = type.scaffold
            parser = type.makeParser()
        }
        guard var p = parser else { return [.other(o, ts: ts, source: o.str("type"))] }
        let events = p.parse(o, ts: ts)
        parser = p
        return events
    }

    public mutating func finish() -> [TraceEvent] {
        guard var p = parser else { return [] }
        let events = p.finish()
        parser = p
        return events
    }

    /// Converts a whole trace file.
    public static func convert(trace: URL, scaffold: Scaffold? = nil, model: String? = nil,
                               scaffolds: ScaffoldRegistry = AgentRegistry.scaffolds) throws -> ([TraceEvent], TraceSummary) {
        let text: String
        do { text = try String(contentsOf: trace, encoding: .utf8) } catch {
            throw PTBError.io("cannot read \(trace.path): \(error.localizedDescription)")
        }
        var c = TraceConverter(scaffold: scaffold, model: model, scaffolds: scaffolds)
        var events: [TraceEvent] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) { events += c.convert(traceLine: String(line)) }
        events += c.finish()
        return (events, summarize(events, scaffold: c.scaffold, model: model))
    }

    /// Writes `events.jsonl` (one unified event per line) and returns the summary.
    @discardableResult
    public static func writeEvents(trace: URL, to out: URL, scaffold: Scaffold? = nil, model: String? = nil,
                                   scaffolds: ScaffoldRegistry = AgentRegistry.scaffolds) throws -> TraceSummary {
        let (events, summary) = try convert(trace: trace, scaffold: scaffold, model: model, scaffolds: scaffolds)
        var data = Data()
        for e in events { data.append(Data((try JSONIO.line(e) + "\n").utf8)) }
        try AtomicFile.write(data, to: out)
        return summary
    }

    public static func summarize(_ events: [TraceEvent], scaffold: Scaffold?, model: String?) -> TraceSummary {
        let model = model ?? events.first { $0.model != nil }?.model
        let usage = events.filter { $0.kind == .usage }.compactMap(\.usage).reduce(TokenUsage(), +)
        let costs = events.filter { $0.kind == .usage }.compactMap(\.costUSD)
        let reported: Double? = costs.isEmpty ? nil : costs.reduce(0, +)
        let estimated = reported == nil && !usage.isZero ? model.flatMap { PriceTable().price(for: $0) }?.cost(usage) : nil
        return TraceSummary(scaffold: scaffold?.rawValue, model: model, usage: usage, reportedCostUSD: reported, estimatedCostUSD: estimated,
                            toolCalls: events.filter { $0.kind == .toolCall }.count, errors: events.filter { $0.kind == .error }.count,
                            events: events.count, unknown: events.filter { $0.kind == .other }.count,
                            lastError: events.last { ($0.kind == .error || $0.kind == .finalResult) && $0.isError == true && $0.text?.isEmpty == false }?.text)
    }
}
