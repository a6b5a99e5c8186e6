import Foundation
import PTBCore

/// Where an agent's definition comes from, for `ptb agents`.
public enum AgentSource: String, Sendable, Codable {
    case builtIn = "built-in"
    case shipped
    case configured
}

/// One row of `ptb agents`.
public struct AgentListing: Sendable, Codable, Equatable {
    public var name: String
    public var scaffold: String
    public var model: String?
    public var auth: String?
    public var reprompt: Bool
    public var source: AgentSource
    public var description: String?
    /// Set when a configured definition cannot be loaded: shown instead of hiding the file.
    public var problem: String?
    /// The version of the scaffold's CLI that `ptb setup --agents` installed (the agent runs it);
    /// nil = not installed by ptb (the CLI is then looked up on PATH).
    public var installed: String? = nil
}

public enum AgentRegistry {
    public static let builtIn = ["reference", "none", "command"]

    /// The CLI scaffolds, one file each; a new scaffold is its file plus its type here. The order
    /// is detection priority for traces whose scaffold is not declared (OpenCode's `part` key wins
    /// over Gemini's `tool_use`, Claude's `result` with `subtype` over Gemini's with `stats`), so
    /// a new scaffold goes last and cannot take over a stream the others already read.
    public static let scaffolds = ScaffoldRegistry([OpenCodeAgent.self, CodexAgent.self, ClaudeCodeAgent.self, GeminiAgent.self])

    /// Names of the config-defined agents in PTB_HOME/agents.
    public static func configured(home: PTBHome) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: home.agents.path)) ?? []
        return files.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
            .map { String($0.prefix(upTo: $0.lastIndex(of: ".")!)) }.sorted()
    }

    /// Agent definitions shipped with ptb (`agents/*.yaml` of the repository).
    public static var shipped: [String] { BuiltInAgents.definitions.keys.sorted() }

    public static func valid(home: PTBHome) -> [String] {
        var seen = Set<String>()
        return (builtIn + configured(home: home) + shipped).filter { seen.insert($0).inserted }
    }

    /// Checks the agent name, its config and (for CLI agents) that its credentials are there,
    /// without building the workspace: `ptb run` fails here instead of hours later.
    public static func validate(agent: String, config: String?, home: PTBHome,
                                environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let adapter = try resolve(agent: agent, config: config, home: home, environment: environment)
        if let cli = adapter as? any CLIScaffoldAdapter { try cli.preflight(home: home) }
    }

    public static func resolve(agent: String, config: String?, home: PTBHome,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> any AgentAdapter {
        switch agent {
        case "reference": return ReferenceAgent()
        case "none": return NoneAgent()
        case "command":
            guard let config else {
                throw PTBError.invalidArgument("agent 'command' needs an agent config file: pass --agent-config FILE (YAML with name, scaffold: command, command).")
            }
            return adapter(for: try AgentConfig.load(URL(fileURLWithPath: config)), environment: environment)
        default:
            // A user's definition in PTB_HOME wins over a shipped one of the same name.
            if let url = configuredFile(agent, home: home) { return adapter(for: try AgentConfig.load(url), environment: environment) }
            if let text = BuiltInAgents.definitions[agent] {
                return adapter(for: try AgentConfig.parse(text, path: "built-in agents/\(agent).yaml", baseDir: nil), environment: environment)
            }
            throw PTBError.unknownChoice(kind: "agent", value: agent, valid: valid(home: home),
                                         hint: "Add your own as \(home.agents.path)/NAME.yaml or use --agent command --agent-config FILE.")
        }
    }

    /// The adapter of a definition's scaffold (the definition was checked when it was loaded).
    public static func adapter(for config: AgentConfig, environment: [String: String] = ProcessInfo.processInfo.environment) -> any AgentAdapter {
        scaffolds.adapter(for: config, environment: environment)
    }

    /// The definition of a named agent, if it has one (not for "reference"/"none"): for trace
    /// parsing (scaffold, and model for pricing). Nil when it no longer loads.
    public static func definition(agent: String, config: String?, home: PTBHome) -> AgentConfig? {
        if agent == "command", let config { return try? AgentConfig.load(URL(fileURLWithPath: config)) }
        if let url = configuredFile(agent, home: home) { return try? AgentConfig.load(url) }
        if let text = BuiltInAgents.definitions[agent] { return try? AgentConfig.parse(text, path: agent, baseDir: nil) }
        return nil
    }

    /// Every agent `--agent` accepts, with where it is defined.
    public static func list(home: PTBHome) -> [AgentListing] {
        var rows = [
            AgentListing(name: "reference", scaffold: "reference", reprompt: false, source: .builtIn,
                         description: "scripted baseline: generates data, fine-tunes, saves final_model"),
            AgentListing(name: "none", scaffold: "none", reprompt: false, source: .builtIn, description: "submits the base model unchanged"),
            AgentListing(name: "command", scaffold: "command", reprompt: false, source: .builtIn,
                         description: "any program: --agent-config FILE"),
        ]
        let configured = configured(home: home)
        for name in configured {
            guard let url = configuredFile(name, home: home) else { continue }
            do { rows.append(listing(try AgentConfig.load(url), source: .configured, name: name)) } catch {
                rows.append(AgentListing(name: name, scaffold: "?", reprompt: false, source: .configured, problem: "\(error)"))
            }
        }
        for name in shipped where !configured.contains(name) {
            if let text = BuiltInAgents.definitions[name], let c = try? AgentConfig.parse(text, path: name, baseDir: nil) {
                rows.append(listing(c, source: .shipped, name: name))
            }
        }
        return rows
    }

    static func listing(_ c: AgentConfig, source: AgentSource, name: String) -> AgentListing {
        AgentListing(name: name, scaffold: c.scaffold, model: c.model, auth: c.scaffoldKind == .command ? nil : c.authMode.rawValue,
                     reprompt: c.reprompt?.enabled ?? false, source: source, description: c.description)
    }

    /// The listing with the installed CLI version of each CLI agent's scaffold.
    public static func list(home: PTBHome, withInstalled: Bool) -> [AgentListing] {
        list(home: home).map { row in
            var r = row
            r.installed = AgentBinaries.installed(home: home, scaffold: Scaffold(rawValue: row.scaffold))?.pin.cliVersion
            return r
        }
    }

    static func configuredFile(_ agent: String, home: PTBHome) -> URL? {
        for ext in ["yaml", "yml"] {
            let url = home.agents.appendingPathComponent("\(agent).\(ext)")
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        return nil
    }
}
