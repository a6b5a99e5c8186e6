import Foundation
import PTBCore

extension Scaffold {
    public static let codex = Scaffold(declaring: "codex")
}

/// Codex CLI (`agents/codex`, `codex_non_api*` of the original): `exec --json` JSONL on stdout,
/// web search on, no approvals, detailed reasoning summaries.
public struct CodexAgent: CLIScaffoldAdapter {
    public typealias Parser = CodexTraceParser
    public static let scaffold = Scaffold.codex
    public static let displayName = "Codex"
    public static let exampleModel = "gpt-5.2"
    public static let options: ScaffoldOptions = [.baseURL, .provider, .subscription]

    public static let binaryPin: AgentBinaryPin? = AgentBinaryPin(
        scaffold: .codex, package: "openai-codex-cli-bin", packageVersion: "0.163.0", cliVersion: "0.163.0",
        wheel: "openai_codex_cli_bin-0.163.0-py3-none-manylinux_2_17_x86_64.whl",
        sha256: "76db41fb07fdf9ddacbe892b48d21dfde270031ec0f5666b5e558114355f006d",
        member: "codex_cli_bin/", executable: "bin/codex",
        executableSHA256: "399ff69c431c066e40de318fba45c2b07f45a76b19939d247ee4828fc70c4215")

    /// Codex keeps its state in CODEX_HOME, not under HOME.
    public static func versionEnvironment(scratch: URL) -> [String: String] { ["CODEX_HOME": scratch.path] }

    /// `exec --json`: `thread.*`, `turn.*`, `item.*` events, or the older `{"id", "msg"}` lines.
    public static func detects(_ o: [String: JSONValue]) -> Bool {
        let type = o.str("type") ?? ""
        return type.hasPrefix("thread.") || type.hasPrefix("turn.") || type.hasPrefix("item.") || (o["type"] == nil && o["msg"] != nil)
    }

    public let config: AgentConfig
    public let host: [String: String]
    public let nonInteractivePromptLine = false

    public static let authFile = "codex_auth.json"

    public init(config: AgentConfig, host: [String: String] = ProcessInfo.processInfo.environment) {
        self.config = config
        self.host = host
    }

    public func arguments(prompt: String) -> [String] {
        ["codex", "--search", "exec", "--json"] + options + [prompt]
    }

    /// `exec resume --last` continues the newest session (the original `codex_non_api_reprompt`).
    public func resumeArguments(message: String) -> [String] {
        ["codex", "--search", "exec", "resume", "--last", "--json"] + options + [message]
    }

    var options: [String] {
        var a = ["-c", "model_reasoning_summary=detailed"]
        // The original wrote effort into config.toml; a `-c` override says the same without a file.
        if let e = config.effort { a += ["-c", "model_reasoning_effort=\(e)"] }
        // Otherwise 0.163.0 also contacts the vendor's analytics and plugin hosts.
        a += ["-c", "analytics.enabled=false", "-c", "features.plugins=false", "-c", "features.apps=false"]
        // Commands run as `bash -lc` by default: the login shell's /etc/profile resets PATH and
        // drops the Python environment (`python: command not found`, seen with 0.163.0).
        a += ["-c", "allow_login_shell=false"]
        a += providerOptions
        return a + ["--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox", "--model", model]
    }

    /// The name of the custom provider a `base_url` defines.
    static let provider = "ptb"

    /// A custom provider for `base_url` (Codex ignores OPENAI_BASE_URL): the Responses API at that
    /// URL, keyed by CODEX_API_KEY, or, on a subscription, by the ChatGPT login with its backend
    /// calls (`chatgpt_base_url`) sent to the same host.
    var providerOptions: [String] {
        guard let url = config.baseURL else { return [] }
        let p = "model_providers.\(Self.provider)"
        var a = ["-c", "model_provider=\"\(Self.provider)\"", "-c", "\(p).name=\"\(Self.provider)\"",
                 "-c", "\(p).base_url=\(Self.toml(url))", "-c", "\(p).wire_api=\"responses\""]
        var extra = config.provider ?? [:]
        let chatgpt = extra.removeValue(forKey: "chatgpt_base_url")
        switch config.authMode {
        case .apiKey: a += ["-c", "\(p).env_key=\"CODEX_API_KEY\""]
        case .subscription:
            a += ["-c", "\(p).requires_openai_auth=true", "-c", "chatgpt_base_url=\(Self.toml(chatgpt ?? Self.chatGPTBase(url)))"]
        }
        for (k, v) in extra.sorted(by: { $0.key < $1.key }) { a += ["-c", "\(p).\(k)=\(Self.toml(v))"] }
        return a
    }

    /// The ChatGPT backend beside a gateway's Responses API: `http://h:p/v1` → `http://h:p/backend-api/`.
    static func chatGPTBase(_ url: String) -> String {
        var u = url.hasSuffix("/") ? String(url.dropLast()) : url
        if u.hasSuffix("/v1") { u = String(u.dropLast(3)) }
        return u + "/backend-api/"
    }

    /// A TOML value: integers and booleans as they are, anything else a quoted string.
    static func toml(_ v: String) -> String {
        if Int(v) != nil || v == "true" || v == "false" { return v }
        return "\"" + v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    public func scaffoldEnvironment(_ context: AgentContext) throws -> [String: String] {
        // Its own state (sessions for `resume --last`, the login) in the run's workspace, never a
        // ~/.codex the machine may already have.
        var env = ["CODEX_HOME": context.paths.workspace.appendingPathComponent(".codex").path]
        switch config.authMode {
        case .apiKey:
            // As the original (§1.5): Codex reads CODEX_API_KEY, taken from OPENAI_API_KEY when unset.
            env["CODEX_API_KEY"] = try requireKey("CODEX_API_KEY", fallback: "OPENAI_API_KEY")
        case .subscription:
            _ = try authJSON(home: context.home)
            env["CODEX_API_KEY"] = ""
            env["OPENAI_API_KEY"] = ""
        }
        return env
    }

    /// Subscription: the ChatGPT login (`auth.json`) goes into the workspace's `.codex` (the agent's
    /// HOME), and config.toml forces the ChatGPT login so a stray key cannot switch billing.
    public func prepareScaffold(_ context: AgentContext) throws {
        // CODEX_HOME must exist: 0.163.0 exits at once ("CODEX_HOME points to …, but that path
        // does not exist") otherwise.
        let dir = context.paths.workspace.appendingPathComponent(".codex")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        guard config.authMode == .subscription else { return }
        let auth = dir.appendingPathComponent("auth.json")
        try AtomicFile.write(try authJSON(home: context.home), to: auth)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: auth.path)
        let toml = dir.appendingPathComponent("config.toml")
        var text = (try? String(contentsOf: toml, encoding: .utf8)) ?? ""
        if !text.contains("forced_login_method") {
            if !text.isEmpty, !text.hasSuffix("\n") { text += "\n" }
            text += "forced_login_method = \"chatgpt\"\n"
            try AtomicFile.write(text, to: toml)
        }
    }

    public func secretFiles(home: PTBHome) -> [URL] {
        config.authMode == .subscription ? [credentialsFile(home: home, defaultName: Self.authFile)] : []
    }

    public func copiedCredentials(_ context: AgentContext) -> [URL] {
        config.authMode == .subscription ? [context.paths.workspace.appendingPathComponent(".codex/auth.json")] : []
    }

    func authJSON(home: PTBHome) throws -> Data {
        let file = credentialsFile(home: home, defaultName: Self.authFile)
        guard let data = try? Data(contentsOf: file), !data.isEmpty else {
            throw PTBError.invalidArgument(
                "agent '\(config.name)': the Codex login \(file.path) cannot be read. Log in with `codex login` (ChatGPT) and copy ~/.codex/auth.json there, or set `credentials:` in the agent definition.")
        }
        return data
    }
}

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
