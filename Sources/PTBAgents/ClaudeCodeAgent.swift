import Foundation
import PTBCore
#if canImport(Glibc)
import Glibc
#endif

extension Scaffold {
    public static let claudeCode = Scaffold(declaring: "claude-code")
}

/// Claude Code (`agents/claude`, `claude_non_api*` of the original): stream-json on stdout, every
/// permission skipped, 10 h per bash tool call.
public struct ClaudeCodeAgent: CLIScaffoldAdapter {
    public typealias Parser = ClaudeTraceParser
    public static let scaffold = Scaffold.claudeCode
    public static let displayName = "Claude Code"
    public static let exampleModel = "claude-opus-4-6"
    public static let options: ScaffoldOptions = [.baseURL, .subscription]
    /// `claude` is what `ptb setup --agents` has accepted since before the scaffold was named.
    public static let installAliases: Set<String> = ["claude"]
    /// The subscription login: named here so that it stays secret whatever the name rule becomes.
    public static let secretVariables: Set<String> = ["CLAUDE_CODE_OAUTH_TOKEN"]

    public static let binaryPin: AgentBinaryPin? = AgentBinaryPin(
        scaffold: .claudeCode, package: "claude-agent-sdk", packageVersion: "0.2.184", cliVersion: "2.1.327",
        wheel: "claude_agent_sdk-0.2.184-py3-none-manylinux_2_17_x86_64.whl",
        sha256: "40509cadce72d62ded6c3ed831bbcffbff1a7fed8a19cfe1670b3a55418ed089",
        member: "claude_agent_sdk/_bundled/claude", executable: "bin/claude",
        executableSHA256: "343c744baa14bfd38286a7cb90871051f04379956da6c5b803a9e66019a76ac9")

    /// Its state lives under HOME; `--version` must not try to update the binary.
    public static func versionEnvironment(scratch: URL) -> [String: String] { ["DISABLE_AUTOUPDATER": "1"] }

    /// stream-json: `system`/`assistant`/`user` messages and a `result` with `subtype`.
    public static func detects(_ o: [String: JSONValue]) -> Bool {
        let type = o.str("type") ?? ""
        return ["system", "assistant", "user"].contains(type) || (type == "result" && o["subtype"] != nil)
    }

    public let config: AgentConfig
    public let host: [String: String]
    /// The original gives Claude Code the extra "non-interactive mode" prompt line.
    public let nonInteractivePromptLine = true

    public static let oauthTokenFile = "claude_oauth_token"

    public init(config: AgentConfig, host: [String: String] = ProcessInfo.processInfo.environment) {
        self.config = config
        self.host = host
    }

    public func arguments(prompt: String) -> [String] { base(resume: false) + [prompt] }

    /// `--continue` resumes the most recent conversation in this directory (the original `claude_reprompt`).
    public func resumeArguments(message: String) -> [String] { base(resume: true) + [message] }

    func base(resume: Bool) -> [String] {
        var a = ["claude", "--print", "--verbose"]
        if resume { a.append("--continue") }
        a += ["--model", model, "--output-format", "stream-json", "--dangerously-skip-permissions"]
        // The subscription agents pass effort as a flag (`claude_non_api`: `--effort high`).
        if config.authMode == .subscription, let e = config.effort { a += ["--effort", e] }
        return a
    }

    public func scaffoldEnvironment(_ context: AgentContext) throws -> [String: String] {
        var env = [
            "BASH_MAX_TIMEOUT_MS": "36000000",
            // Without this the CLI also talks to the vendor's hosts beside its API (5 connections
            // seen with 2.1.327: telemetry, error reports, update and feature checks).
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1", "DISABLE_ERROR_REPORTING": "1",
        ]
        if let url = config.baseURL { env["ANTHROPIC_BASE_URL"] = url }
        // As root, --dangerously-skip-permissions is refused ("cannot be used with root/sudo
        // privileges") unless the CLI is told it runs in a sandbox, which under ptb it does.
        if geteuid() == 0 { env["IS_SANDBOX"] = "1" }
        switch config.authMode {
        case .apiKey:
            env["ANTHROPIC_API_KEY"] = try requireKey("ANTHROPIC_API_KEY")
            // API-key runs set effort through the environment (`claude_non_api_max` did the same).
            if let e = config.effort { env["CLAUDE_CODE_EFFORT_LEVEL"] = e }
        case .subscription:
            // Emptied, not absent: an API key would take precedence over the OAuth login.
            env["ANTHROPIC_API_KEY"] = ""
            env["CLAUDE_CODE_OAUTH_TOKEN"] = try readToken(home: context.home)
        }
        return env
    }

    public func secretFiles(home: PTBHome) -> [URL] {
        config.authMode == .subscription ? [credentialsFile(home: home, defaultName: Self.oauthTokenFile)] : []
    }

    func readToken(home: PTBHome) throws -> String {
        let file = credentialsFile(home: home, defaultName: Self.oauthTokenFile)
        guard let text = try? String(contentsOf: file, encoding: .utf8) else {
            throw PTBError.invalidArgument(
                "agent '\(config.name)': the Claude OAuth token file \(file.path) cannot be read. Create it with `claude setup-token > \(file.path)` or set `credentials:` in the agent definition.")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            throw PTBError.invalidArgument("agent '\(config.name)': the Claude OAuth token file \(file.path) is empty. Run `claude setup-token` again.")
        }
        return token
    }
}

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
