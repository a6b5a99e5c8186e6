import Foundation
import PTBCore
import Yams

/// How a CLI agent authenticates.
public enum AuthMode: String, Codable, Sendable, CaseIterable {
    /// Only this scaffold's API key passes into the sandbox (the original `claude`, `codex`, … dirs).
    case apiKey = "api-key"
    /// A subscription login (Claude OAuth token, ChatGPT `auth.json`); every API key is emptied so the
    /// CLI cannot silently fall back to metered billing (the original `*_non_api` dirs).
    case subscription
}

/// When an agent stops early, resume its session with a nudge (the original `*_reprompt` dirs).
public struct RepromptPolicy: Codable, Sendable, Equatable {
    public var enabled: Bool
    /// Re-prompt only while at least this much of the budget is left (the original: 30 min).
    public var minRemainingMinutes: Int
    /// `{H}` and `{M}` become the remaining hours and minutes as `timer.sh` prints them.
    public var message: String
    /// Upper bound on re-prompts, so a CLI that exits at once cannot spin until the deadline.
    public var maxRounds: Int

    public static let defaultMessage =
        "You still have {H}h {M}m remaining. Please continue improving your result and maximize performance."

    public init(enabled: Bool = true, minRemainingMinutes: Int = 30, message: String = RepromptPolicy.defaultMessage,
                maxRounds: Int = 100) {
        self.enabled = enabled
        self.minRemainingMinutes = minRemainingMinutes
        self.message = message
        self.maxRounds = maxRounds
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, message
        case minRemainingMinutes = "min_remaining_minutes"
        case maxRounds = "max_rounds"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        minRemainingMinutes = try c.decodeIfPresent(Int.self, forKey: .minRemainingMinutes) ?? 30
        message = try c.decodeIfPresent(String.self, forKey: .message) ?? Self.defaultMessage
        maxRounds = try c.decodeIfPresent(Int.self, forKey: .maxRounds) ?? 100
    }
}

/// The scaffold an agent definition names: the built-in `command` (runs any program) or one of
/// the CLI scaffolds of `AgentRegistry.scaffolds`, one file each (`ClaudeCodeAgent.swift`, …).
/// Stored and compared as its name; a name outside the registry does not make a `Scaffold`.
public struct Scaffold: RawRepresentable, Codable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public static let command = Scaffold(declaring: "command")

    /// `command` or a registered CLI scaffold; nil otherwise.
    public init?(rawValue: String) { self.init(rawValue, in: AgentRegistry.scaffolds) }

    /// `command` or a scaffold of `registry`; nil otherwise.
    public init?(_ name: String, in registry: ScaffoldRegistry) {
        guard name == Self.command.rawValue || registry.type(named: name) != nil else { return nil }
        rawValue = name
    }

    /// A scaffold file names itself with this (the registry is built from those names, so it
    /// cannot check them here); `ScaffoldSeamTests` checks that every registered name is unique.
    public init(declaring name: String) { rawValue = name }

    /// What `ptb trace --scaffold` and the errors list: `command`, then the CLI scaffolds by name.
    public static func valid(in registry: ScaffoldRegistry = AgentRegistry.scaffolds) -> [String] {
        [command.rawValue] + registry.names
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let s = Scaffold(rawValue: name) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "unknown scaffold '\(name)'. Valid: \(Self.valid().joined(separator: ", "))."))
        }
        self = s
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// An agent defined by a config file: the way users add their own agent without Swift code.
///
/// ```yaml
/// name: my-agent
/// scaffold: command
/// command: ["bash", "solve.sh"]      # run in task/; $PROMPT holds the prompt
/// script: ./solve.sh                 # optional: copied into the workspace beside task/
/// env: {MY_SETTING: "1"}             # extra variables
/// pass_env: [OPENAI_API_KEY]         # host variables passed through (nothing else is)
/// secrets: [MY_SERVICE_LOGIN]        # also secret (redacted, kept out of argv), passed like pass_env;
///                                    # *_API_KEY, *_TOKEN, *_SECRET are secret anyway
/// trace_format: claude-code          # parse the output as this scaffold's stream (default: detect)
/// model: claude-opus-4-6             # for the price table when the stream reports no cost
/// container_path: /usr/bin:/bin      # PATH inside podman/apptainer (default: ptb's image PATH)
/// read_only_paths: [/opt/my-agent]   # host paths the sandbox also shows, read-only (it shows
///                                    # nothing of the host beyond its allow-list otherwise)
/// non_interactive_line: false
/// ```
///
/// A CLI agent names its scaffold and model instead of a command:
///
/// ```yaml
/// name: claude-opus-4-6
/// scaffold: claude-code              # claude-code | codex | gemini | opencode
/// model: claude-opus-4-6
/// effort: high                       # optional; per scaffold (see the adapters)
/// auth: api-key                      # api-key | subscription
/// credentials: ~/.claude-oauth-token # subscription: token file (Claude) or auth.json (Codex)
/// reprompt: {enabled: true, min_remaining_minutes: 30}
/// base_url: https://gateway.example/anthropic   # optional: a gateway or self-hosted endpoint
/// provider: {request_max_retries: 2}           # optional: extra settings of Codex's provider
/// ```
public struct AgentConfig: Codable, Sendable, Equatable {
    public var name: String
    public var scaffold: String
    /// The program of a `command` agent; empty for the CLI scaffolds.
    public var command: [String]
    public var script: String?
    public var env: [String: String]?
    public var passEnv: [String]?
    public var nonInteractiveLine: Bool?
    public var model: String?
    public var effort: String?
    public var auth: AuthMode?
    /// Subscription credentials file; nil = `$PTB_HOME/credentials/<default name>` (see the adapter).
    public var credentials: String?
    public var reprompt: RepromptPolicy?
    /// Free text shown by `ptb agents`.
    public var description: String?
    /// Host variables that are secrets whatever their names: passed in like `pass_env`, redacted
    /// from every stored file, and given to container runtimes without their values in argv.
    public var secrets: [String]?
    /// `command` agents that speak a CLI's stream format: which parser reads their trace.
    public var traceFormat: String?
    /// PATH inside a container runtime (podman, apptainer) for this agent's image.
    public var containerPath: String?
    /// Host paths the sandbox shows read-only besides its allow-list (the agent's own program).
    public var readOnlyPaths: [String]?
    /// Where the CLI sends its model calls instead of the vendor's API: a gateway, a self-hosted
    /// endpoint, a scripted server. Claude Code: `ANTHROPIC_BASE_URL`; Codex: a custom provider
    /// (`…/v1`, Responses API).
    public var baseURL: String?
    /// Extra keys of the Codex custom provider (`request_max_retries`, `stream_max_retries`,
    /// `stream_idle_timeout_ms`, …), written as `-c model_providers.ptb.KEY=VALUE`.
    public var provider: [String: String]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, scaffold, command, script, env, model, effort, auth, credentials, reprompt, description, secrets
        case passEnv = "pass_env"
        case nonInteractiveLine = "non_interactive_line"
        case traceFormat = "trace_format"
        case containerPath = "container_path"
        case readOnlyPaths = "read_only_paths"
        case baseURL = "base_url"
        case provider
    }

    public init(name: String, scaffold: String, command: [String] = [], script: String? = nil, env: [String: String]? = nil,
                passEnv: [String]? = nil, nonInteractiveLine: Bool? = nil, model: String? = nil, effort: String? = nil,
                auth: AuthMode? = nil, credentials: String? = nil, reprompt: RepromptPolicy? = nil, description: String? = nil) {
        self.name = name
        self.scaffold = scaffold
        self.command = command
        self.script = script
        self.env = env
        self.passEnv = passEnv
        self.nonInteractiveLine = nonInteractiveLine
        self.model = model
        self.effort = effort
        self.auth = auth
        self.credentials = credentials
        self.reprompt = reprompt
        self.description = description
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        scaffold = try c.decode(String.self, forKey: .scaffold)
        command = try c.decodeIfPresent([String].self, forKey: .command) ?? []
        script = try c.decodeIfPresent(String.self, forKey: .script)
        env = try c.decodeIfPresent([String: String].self, forKey: .env)
        passEnv = try c.decodeIfPresent([String].self, forKey: .passEnv)
        nonInteractiveLine = try c.decodeIfPresent(Bool.self, forKey: .nonInteractiveLine)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        effort = try c.decodeIfPresent(String.self, forKey: .effort)
        auth = try c.decodeIfPresent(AuthMode.self, forKey: .auth)
        credentials = try c.decodeIfPresent(String.self, forKey: .credentials)
        reprompt = try c.decodeIfPresent(RepromptPolicy.self, forKey: .reprompt)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        secrets = try c.decodeIfPresent([String].self, forKey: .secrets)
        traceFormat = try c.decodeIfPresent(String.self, forKey: .traceFormat)
        containerPath = try c.decodeIfPresent(String.self, forKey: .containerPath)
        readOnlyPaths = try c.decodeIfPresent([String].self, forKey: .readOnlyPaths)
        baseURL = try c.decodeIfPresent(String.self, forKey: .baseURL)
        provider = try c.decodeIfPresent([String: String].self, forKey: .provider)
    }

    /// The parser for this agent's trace: its scaffold's, or for a `command` agent the declared
    /// `trace_format` (nil = detect from the first JSON line).
    public var traceScaffold: Scaffold? {
        if let kind = scaffoldKind, kind != .command { return kind }
        return traceFormat.flatMap(Scaffold.init(rawValue:))
    }

    /// Every variable name this agent's run treats as secret beyond the name rule.
    public var declaredSecrets: Set<String> { Set(secrets ?? []) }

    public var scaffoldKind: Scaffold? { Scaffold(rawValue: scaffold) }
    public var authMode: AuthMode { auth ?? .apiKey }

    public static func load(_ url: URL) throws -> AgentConfig {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw PTBError.config(path: url.path, reason: "cannot read it (\(error.localizedDescription))")
        }
        return try parse(text, path: url.path, baseDir: url.deletingLastPathComponent())
    }

    /// Parses and checks a definition; relative `script`/`credentials` paths resolve against `baseDir`.
    public static func parse(_ text: String, path: String, baseDir: URL?,
                             scaffolds: ScaffoldRegistry = AgentRegistry.scaffolds) throws -> AgentConfig {
        // A mistyped key would otherwise be ignored: `comand:` or `reprompt: {max_round: 3}`.
        var config: AgentConfig
        do {
            let keys = CodingKeys.allCases.map(\.rawValue)
            let doc: SafeYAML.Document?
            do {
                doc = try ConfigKeys.check(text: text, path: path, allowed: keys,
                                           sections: ["reprompt": RepromptPolicy.CodingKeys.allCases.map(\.rawValue)])
            } catch let f as ConfigKeys.Failure where f.problems.contains(where: { $0.message.contains("unknown key") }) {
                throw PTBError.config(path: f.location, reason: f.reason + ". Keys: " + keys.joined(separator: ", ") + ".")
            }
            config = try ConfigKeys.decode(AgentConfig.self, text: text, path: path, document: doc)
        } catch let f as ConfigKeys.Failure {
            throw PTBError.config(path: f.location, reason: "not a valid agent config: \(f.reason). Required keys: name, scaffold, and command (scaffold command) or model (CLI scaffolds).")
        }
        let cli = scaffolds.names.joined(separator: ", ")
        guard config.scaffold == Scaffold.command.rawValue || scaffolds.type(named: config.scaffold) != nil else {
            // The first sentence is what users of the `command` scaffold have always seen.
            throw PTBError.config(path: path, reason: "unknown scaffold '\(config.scaffold)'. Valid scaffolds: command. CLI agent scaffolds (with model:): \(cli).")
        }
        if let f = config.traceFormat, scaffolds.type(named: f) == nil {
            throw PTBError.config(path: path, reason: "unknown trace_format '\(f)'. Valid: \(cli).")
        }
        if let type = scaffolds.type(named: config.scaffold) {
            let kind = type.scaffold.rawValue
            guard let m = config.model, !m.isEmpty else {
                throw PTBError.config(path: path, reason: "scaffold \(kind) needs `model:` (e.g. \(type.exampleModel)).")
            }
            if let u = config.baseURL, URL(string: u)?.scheme.map({ $0 == "http" || $0 == "https" }) != true {
                throw PTBError.config(path: path, reason: "base_url '\(u)' is not an http(s) URL (e.g. http://127.0.0.1:8080 or https://gateway.example/v1).")
            }
            let has = type.options
            if config.baseURL != nil, !has.contains(.baseURL) {
                throw PTBError.config(path: path, reason: "base_url is supported for \(ScaffoldRegistry.listed(scaffolds.having(.baseURL).map { $0.scaffold.rawValue })); for \(kind) set the CLI's own variable with `env:`.")
            }
            if config.provider != nil, !has.contains(.provider) {
                let owners = ScaffoldRegistry.listed(scaffolds.having(.provider).map { $0.displayName })
                throw PTBError.config(path: path, reason: "`provider:` sets \(owners)'s custom provider; scaffold \(kind) has none. Remove it.")
            }
            if config.authMode == .subscription, !has.contains(.subscription) {
                throw PTBError.config(path: path, reason: "auth: subscription is supported for \(ScaffoldRegistry.listed(scaffolds.having(.subscription).map { $0.scaffold.rawValue })) only; use auth: api-key for \(kind).")
            }
        } else {
            guard !config.command.isEmpty else { throw PTBError.config(path: path, reason: "`command` is empty") }
        }
        if let baseDir {
            if let s = config.script { config.script = resolve(s, against: baseDir) }
            if let s = config.credentials { config.credentials = resolve(s, against: baseDir) }
        }
        return config
    }

    static func resolve(_ path: String, against dir: URL) -> String {
        if path.hasPrefix("/") { return path }
        if path.hasPrefix("~/") {
            return URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(String(path.dropFirst(2))).path
        }
        return dir.appendingPathComponent(path).standardizedFileURL.path
    }
}
