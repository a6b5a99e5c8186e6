import Foundation
import PTBCore
import PTBProcess
import Yams

/// An agent defined by a config file: the way users add their own agent without Swift code.
///
/// ```yaml
/// name: my-agent
/// scaffold: command
/// command: ["bash", "solve.sh"]      # run in task/; $PROMPT holds the prompt
/// script: ./solve.sh                 # optional: copied into the workspace beside task/
/// env: {MY_SETTING: "1"}             # extra variables
/// pass_env: [OPENAI_API_KEY]         # host variables passed through (nothing else is)
/// non_interactive_line: false
/// ```
public struct AgentConfig: Codable, Sendable, Equatable {
    public var name: String
    public var scaffold: String
    public var command: [String]
    public var script: String?
    public var env: [String: String]?
    public var passEnv: [String]?
    public var nonInteractiveLine: Bool?

    enum CodingKeys: String, CodingKey {
        case name, scaffold, command, script, env
        case passEnv = "pass_env"
        case nonInteractiveLine = "non_interactive_line"
    }

    public static func load(_ url: URL) throws -> AgentConfig {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw PTBError.config(path: url.path, reason: "cannot read it (\(error.localizedDescription))")
        }
        var config: AgentConfig
        do { config = try YAMLDecoder().decode(AgentConfig.self, from: text) } catch {
            throw PTBError.config(path: url.path, reason: "not a valid agent config: \(error). Required keys: name, scaffold, command.")
        }
        guard config.scaffold == "command" else {
            throw PTBError.config(path: url.path, reason: "unknown scaffold '\(config.scaffold)'. Valid scaffolds: command.")
        }
        guard !config.command.isEmpty else { throw PTBError.config(path: url.path, reason: "`command` is empty") }
        if let s = config.script, !s.hasPrefix("/") {
            config.script = url.deletingLastPathComponent().appendingPathComponent(s).standardizedFileURL.path
        }
        return config
    }
}

public struct CommandAgent: AgentAdapter {
    public let config: AgentConfig
    public var name: String { config.name }
    public var nonInteractivePromptLine: Bool { config.nonInteractiveLine ?? false }

    public init(config: AgentConfig) { self.config = config }

    public func prepare(_ context: AgentContext) throws {
        guard let script = config.script else { return }
        let src = URL(fileURLWithPath: script)
        let dest = context.paths.workspace.appendingPathComponent(src.lastPathComponent)
        let fm = FileManager.default
        if fm.fileExists(atPath: dest.path) { try fm.removeItem(at: dest) }
        do { try fm.copyItem(at: src, to: dest) } catch {
            throw PTBError.config(path: script, reason: "the agent script cannot be copied: \(error.localizedDescription)")
        }
    }

    public func command(_ context: AgentContext, prompt: String) throws -> Command {
        var env = context.environment
        let host = ProcessInfo.processInfo.environment
        for k in config.passEnv ?? [] { if let v = host[k] { env[k] = v } }
        for (k, v) in config.env ?? [:] { env[k] = v }
        env["PROMPT"] = prompt
        return Command(config.command[0], Array(config.command.dropFirst()), environment: env)
    }
}
