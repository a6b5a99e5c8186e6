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
        return a + ["--skip-git-repo-check", "--yolo", "--model", model]
    }

    public func scaffoldEnvironment(_ context: AgentContext) throws -> [String: String] {
        switch config.authMode {
        case .apiKey:
            // As the original (§1.5): Codex reads CODEX_API_KEY, taken from OPENAI_API_KEY when unset.
            return ["CODEX_API_KEY": try requireKey("CODEX_API_KEY", fallback: "OPENAI_API_KEY")]
        case .subscription:
            _ = try authJSON(home: context.home)
            return ["CODEX_API_KEY": "", "OPENAI_API_KEY": ""]
        }
    }

    /// Subscription: the ChatGPT login (`auth.json`) goes into the workspace's `.codex` (the agent's
    /// HOME), and config.toml forces the ChatGPT login so a stray key cannot switch billing.
    public func prepareScaffold(_ context: AgentContext) throws {
        guard config.authMode == .subscription else { return }
        let dir = context.paths.workspace.appendingPathComponent(".codex")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
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
