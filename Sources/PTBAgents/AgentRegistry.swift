import Foundation
import PTBCore

public enum AgentRegistry {
    public static let builtIn = ["reference", "none", "command"]

    /// Names of the config-defined agents in PTB_HOME/agents.
    public static func configured(home: PTBHome) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: home.agents.path)) ?? []
        return files.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
            .map { String($0.prefix(upTo: $0.lastIndex(of: ".")!)) }.sorted()
    }

    public static func valid(home: PTBHome) -> [String] { builtIn + configured(home: home) }

    /// Checks the agent name (and its config) without building the adapter.
    public static func validate(agent: String, config: String?, home: PTBHome) throws {
        _ = try resolve(agent: agent, config: config, home: home)
    }

    public static func resolve(agent: String, config: String?, home: PTBHome) throws -> any AgentAdapter {
        switch agent {
        case "reference": return ReferenceAgent()
        case "none": return NoneAgent()
        case "command":
            guard let config else {
                throw PTBError.invalidArgument("agent 'command' needs an agent config file: pass --agent-config FILE (YAML with name, scaffold: command, command).")
            }
            return CommandAgent(config: try AgentConfig.load(URL(fileURLWithPath: config)))
        default:
            for ext in ["yaml", "yml"] {
                let url = home.agents.appendingPathComponent("\(agent).\(ext)")
                if FileManager.default.fileExists(atPath: url.path) { return CommandAgent(config: try AgentConfig.load(url)) }
            }
            throw PTBError.unknownChoice(kind: "agent", value: agent, valid: valid(home: home),
                                         hint: "Add your own as \(home.agents.path)/NAME.yaml or use --agent command --agent-config FILE.")
        }
    }
}
