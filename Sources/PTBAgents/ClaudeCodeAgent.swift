import Foundation
import PTBCore
#if canImport(Glibc)
import Glibc
#endif

/// Claude Code (`agents/claude`, `claude_non_api*` of the original): stream-json on stdout, every
/// permission skipped, 10 h per bash tool call.
public struct ClaudeCodeAgent: CLIScaffoldAdapter {
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
