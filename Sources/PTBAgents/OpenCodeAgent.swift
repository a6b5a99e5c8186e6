import Foundation
import PTBCore

/// OpenCode (`agents/opencode` of the original): `run --format json` events on stdout, providers
/// configured from environment variables in a generated `opencode.json`.
public struct OpenCodeAgent: CLIScaffoldAdapter {
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
