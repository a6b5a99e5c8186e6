import Foundation
import PTBCore

/// Gemini CLI (`agents/gemini` of the original): stream-json on stdout, tools auto-approved, and its
/// own sandbox off (ptb's sandbox is the boundary).
public struct GeminiAgent: CLIScaffoldAdapter {
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
