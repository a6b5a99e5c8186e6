import Foundation
import PTBCore

extension Scaffold {
    public static let opencode = Scaffold(declaring: "opencode")
}

/// OpenCode (`agents/opencode` of the original): `run --format json` events on stdout, providers
/// configured from environment variables in a generated `opencode.json`.
public struct OpenCodeAgent: CLIScaffoldAdapter {
    public typealias Parser = OpenCodeTraceParser
    public static let scaffold = Scaffold.opencode
    public static let displayName = "OpenCode"
    public static let exampleModel = "zai/glm-5"
    public static let manualInstall: ManualInstall? = ManualInstall(manager: "npm", command: "npm install -g opencode-ai")

    /// `run --format json`: events carry a `part`, or are a step's start or finish.
    public static func detects(_ o: [String: JSONValue]) -> Bool {
        o["part"] != nil || ["step_start", "step_finish"].contains(o.str("type") ?? "")
    }

    public let config: AgentConfig
    public let host: [String: String]
    public let nonInteractivePromptLine = false

    /// Provider prefix of `model` → the variable holding its key.
    public static let providerKeys = [
        "anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY", "opencode": "OPENCODE_API_KEY", "zai": "ZAI_API_KEY",
    ]

    public init(config: AgentConfig, host: [String: String] = ProcessInfo.processInfo.environment) {
        self.config = config
        self.host = host
    }

    public func arguments(prompt: String) -> [String] {
        ["opencode", "run", "--model", model, "--format", "json", prompt]
    }

    /// `--continue` resumes the last session (the original never re-prompted OpenCode).
    public func resumeArguments(message: String) -> [String] {
        ["opencode", "run", "--continue", "--model", model, "--format", "json", message]
    }

    public func scaffoldEnvironment(_ context: AgentContext) throws -> [String: String] {
        try rejectEffort("opencode")
        let provider = String(model.prefix(while: { $0 != "/" }))
        guard model.contains("/"), let key = Self.providerKeys[provider] else {
            throw PTBError.invalidArgument(
                "agent '\(config.name)': OpenCode model '\(model)' must be PROVIDER/MODEL with provider one of \(Self.providerKeys.keys.sorted().joined(separator: ", ")) (e.g. zai/glm-5).")
        }
        return [key: try requireKey(key)]
    }

    /// Written to task/ (the agent's working directory), as the original does. Keys stay
    /// `{env:…}` references, so the file itself holds no secret.
    public func prepareScaffold(_ context: AgentContext) throws {
        try AtomicFile.write(Self.configJSON, to: context.paths.task.appendingPathComponent("opencode.json"))
    }

    public static let configJSON = """
        {
          "$schema": "https://opencode.ai/config.json",
          "permission": "allow",
          "provider": {
            "anthropic": {"options": {"apiKey": "{env:ANTHROPIC_API_KEY}"}},
            "openai": {"options": {"apiKey": "{env:OPENAI_API_KEY}"}},
            "opencode": {"options": {"apiKey": "{env:OPENCODE_API_KEY}"}},
            "zai": {
              "npm": "@ai-sdk/openai-compatible",
              "name": "Z.AI",
              "options": {"baseURL": "https://api.z.ai/api/paas/v4", "apiKey": "{env:ZAI_API_KEY}"},
              "models": {"glm-5": {"name": "GLM-5"}, "glm-4.7": {"name": "GLM-4.7"}}
            }
          }
        }

        """
}

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
