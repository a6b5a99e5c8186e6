import Foundation
import PTBCore

/// Codex CLI (`agents/codex`, `codex_non_api*` of the original): `exec --json` JSONL on stdout,
/// web search on, no approvals, detailed reasoning summaries.
public struct CodexAgent: CLIScaffoldAdapter {
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
