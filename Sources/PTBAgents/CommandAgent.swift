import Foundation
import PTBCore
import PTBProcess

/// The `command` scaffold: runs the program an agent definition names, with `$PROMPT` set.
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
        for k in (config.passEnv ?? []) + (config.secrets ?? []) { if let v = host[k] { env[k] = v } }
        for (k, v) in config.env ?? [:] { env[k] = v }
        env["PROMPT"] = prompt
        guard let program = config.command.first else {
            throw PTBError.invalidArgument("agent '\(config.name)': `command` is empty; give the program to run, e.g. command: [bash, solve.sh].")
        }
        return Command(program, Array(config.command.dropFirst()), environment: env)
    }
}
