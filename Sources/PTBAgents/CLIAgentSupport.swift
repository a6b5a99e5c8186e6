import Foundation
import PTBCore
import PTBProcess

/// One CLI scaffold, whole in its own file: how to start the CLI (flags, environment, credentials),
/// how to read its output stream (`Parser`, `detects`), and its static facts (name, example model,
/// the definition keys it honours, the pinned binary). `AgentRegistry.scaffolds` lists the types;
/// nothing else in ptb names a scaffold. What the adapters share (the environment they start from,
/// the credential checks, the re-prompt loop) is in the extension below.
public protocol CLIScaffoldAdapter: AgentAdapter {
    /// The stream parser of this CLI's JSON output.
    associatedtype Parser: TraceParser
    /// `scaffold:` and `trace_format:` in agent definitions, `ptb trace --scaffold`, and the install
    /// directory `$PTB_HOME/agents/<name>/` of a pinned binary.
    static var scaffold: Scaffold { get }
    /// The CLI's own name in messages ("Codex", "Gemini CLI").
    static var displayName: String { get }
    /// Named in the error when a definition has no `model:`.
    static var exampleModel: String { get }
    /// The definition keys beyond the common ones that this scaffold honours.
    static var options: ScaffoldOptions { get }
    /// The binary `ptb setup --agents` installs from a PyPI wheel; nil = the CLI comes from PATH.
    static var binaryPin: AgentBinaryPin? { get }
    /// Other names `ptb setup --agents` accepts for the pinned binary (`claude`).
    static var installAliases: Set<String> { get }
    /// How users install a CLI that ptb does not pin (`ptb agents`, `ptb setup --agents`).
    static var manualInstall: ManualInstall? { get }
    /// Variables the CLI reads whose values are secrets although their names do not say so
    /// (`SandboxSupport.isSecretName` covers `*_API_KEY`, `*_TOKEN`, `*_SECRET`).
    static var secretVariables: Set<String> { get }
    /// Variables beside HOME for `--version` of the pinned binary, so that it reads no user state
    /// and changes nothing (`scratch` is an empty directory).
    static func versionEnvironment(scratch: URL) -> [String: String]
    /// Whether one JSON line of agent output has this CLI's stream shape; the registry asks the
    /// scaffolds in its order and the first that says yes parses the whole trace.
    static func detects(_ object: [String: JSONValue]) -> Bool

    init(config: AgentConfig, host: [String: String])

    var config: AgentConfig { get }
    /// ptb's own environment, injected so tests see a fixed one (no API key leaks from the host).
    var host: [String: String] { get }
    /// The first invocation, the prompt last.
    func arguments(prompt: String) -> [String]
    /// The invocation that continues the agent's last session with `message`.
    func resumeArguments(message: String) -> [String]
    /// The scaffold's own variables: its API key (or the emptied keys and the OAuth token), tunables.
    func scaffoldEnvironment(_ context: AgentContext) throws -> [String: String]
    /// Scaffold-specific files in the workspace (config files, copied credentials).
    func prepareScaffold(_ context: AgentContext) throws
    /// Files whose contents are secrets (for the trace redactor).
    func secretFiles(home: PTBHome) -> [URL]
    /// Credential files `prepare` copied into the workspace, to delete once the agent has exited
    /// so that no login stays at rest in the run directory.
    func copiedCredentials(_ context: AgentContext) -> [URL]
}

/// Definition keys that only some scaffolds honour; a definition using one its scaffold lacks is
/// refused when it is loaded, with the scaffolds that have it.
public struct ScaffoldOptions: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// `base_url:` (a gateway or self-hosted endpoint).
    public static let baseURL = ScaffoldOptions(rawValue: 1 << 0)
    /// `provider:` (extra settings of the CLI's custom provider).
    public static let provider = ScaffoldOptions(rawValue: 1 << 1)
    /// `auth: subscription` (a login instead of an API key).
    public static let subscription = ScaffoldOptions(rawValue: 1 << 2)
}

/// How to install a CLI that ptb does not pin, e.g. `npm`, `npm install -g @google/gemini-cli`.
public struct ManualInstall: Sendable, Equatable {
    public var manager: String
    public var command: String
    public init(manager: String, command: String) {
        self.manager = manager
        self.command = command
    }
}

extension CLIScaffoldAdapter {
    public static var options: ScaffoldOptions { [] }
    public static var binaryPin: AgentBinaryPin? { nil }
    public static var installAliases: Set<String> { [] }
    public static var manualInstall: ManualInstall? { nil }
    public static var secretVariables: Set<String> { [] }
    public static func versionEnvironment(scratch: URL) -> [String: String] { [:] }
    /// A fresh parser for one trace.
    public static func makeParser() -> any TraceParser { Parser() }

    public var name: String { config.name }
    public var model: String { config.model ?? "" }

    public func prepareScaffold(_ context: AgentContext) throws {}
    public func secretFiles(home: PTBHome) -> [URL] { [] }
    public func copiedCredentials(_ context: AgentContext) -> [URL] { [] }

    /// Deletes what `copiedCredentials` names; idempotent.
    public func removeCopiedCredentials(_ context: AgentContext) throws {
        for url in copiedCredentials(context) where FileManager.default.fileExists(atPath: url.path) {
            try FileManager.default.removeItem(at: url)
        }
    }

    public func prepare(_ context: AgentContext) throws {
        try prepareScaffold(context)
        let script = context.paths.workspace.appendingPathComponent(CLIAgentSupport.loopScriptName)
        if let policy = config.reprompt, policy.enabled {
            try AtomicFile.write(Data(CLIAgentSupport.repromptScript(adapter: self, policy: policy,
                                                                      timer: context.paths.task.appendingPathComponent("timer.sh")).utf8),
                                 to: script)
        } else if FileManager.default.fileExists(atPath: script.path) {
            // A definition edited between attempts must not leave a stale loop behind.
            try FileManager.default.removeItem(at: script)
        }
    }

    public func command(_ context: AgentContext, prompt: String) throws -> Command {
        var env = context.environment
        for k in (config.passEnv ?? []) + (config.secrets ?? []) { if let v = host[k] { env[k] = v } }
        for (k, v) in try scaffoldEnvironment(context) { env[k] = v }
        for (k, v) in config.env ?? [:] { env[k] = v }
        if let bin = installedBinDirectory(home: context.home) {
            // The CLI that `ptb setup --agents` installed comes first; the sandbox shows it read-only.
            env["PATH"] = bin.path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        }
        // The original passes the prompt in $PROMPT too; the loop script reads it from there.
        env["PROMPT"] = prompt
        if let policy = config.reprompt, policy.enabled {
            return Command("bash", [context.paths.workspace.appendingPathComponent(CLIAgentSupport.loopScriptName).path], environment: env)
        }
        let argv = arguments(prompt: prompt)
        return Command(argv[0], Array(argv.dropFirst()), environment: env)
    }

    /// The directory of the scaffold's executable when ptb installed it (`ptb setup --agents`),
    /// as a real path: the sandbox binds paths at their real location only.
    public func installedBinDirectory(home: PTBHome) -> URL? {
        AgentBinaries.installed(home: home, pin: Self.binaryPin).map {
            $0.directory.appendingPathComponent($0.pin.executable).deletingLastPathComponent().resolvingSymlinksInPath()
        }
    }

    /// Fails early (at `ptb run`, before any phase) when the credentials cannot be there.
    public func preflight(home: PTBHome) throws {
        _ = try scaffoldEnvironment(AgentContext(
            spec: RunSpec(task: "", model: "", agent: name), paths: RunPaths(dir: home.runs.appendingPathComponent("preflight")),
            home: home, baseModelDir: home.models, environment: [:]))
    }

    /// The configured credentials file, or the default one under `$PTB_HOME/credentials`.
    func credentialsFile(home: PTBHome, defaultName: String) -> URL {
        config.credentials.map { URL(fileURLWithPath: $0) } ?? home.root.appendingPathComponent("credentials/\(defaultName)")
    }

    /// The API key of this scaffold from ptb's environment, with a message that says how to fix it.
    func requireKey(_ name: String, fallback: String? = nil) throws -> String {
        if let v = host[name], !v.isEmpty { return v }
        if let fallback, let v = host[fallback], !v.isEmpty { return v }
        let alt = fallback.map { " (or \($0))" } ?? ""
        throw PTBError.invalidArgument(
            "agent '\(config.name)': \(name)\(alt) is not set in ptb's environment. Export it before `ptb run`, or use `auth: subscription` in the agent definition where the scaffold supports it.")
    }

    func rejectEffort(_ scaffold: String) throws {
        if config.effort != nil {
            throw PTBError.invalidArgument("agent '\(config.name)': \(scaffold) has no reasoning-effort setting; remove `effort:` from its definition.")
        }
    }
}

public enum CLIAgentSupport {
    /// Written into the workspace beside task/ (as the original's `agent_solve.sh`).
    public static let loopScriptName = "agent_solve.sh"

    /// The re-prompt loop of the original `*_reprompt` agents: run once, then while `timer.sh` is not
    /// expired and at least `minRemainingMinutes` are left, resume the session with the message.
    /// Each round prints one JSON line (`ptb.reprompt`) so the trace shows where it resumed.
    public static func repromptScript(adapter: some CLIScaffoldAdapter, policy: RepromptPolicy, timer: URL) -> String {
        let first = adapter.arguments(prompt: "__PTB_PROMPT__").map(shellQuote).joined(separator: " ")
            .replacingOccurrences(of: "__PTB_PROMPT__", with: "\"$PROMPT\"")
        let resume = adapter.resumeArguments(message: "__PTB_MESSAGE__").map(shellQuote).joined(separator: " ")
            .replacingOccurrences(of: "__PTB_MESSAGE__", with: "\"$msg\"")
        return """
            #!/bin/bash
            # Generated by ptb for agent \(adapter.name): run it, then re-prompt while the budget lasts.
            \(first)
            status=$?
            round=0
            while [ "$round" -lt \(policy.maxRounds) ]; do
                out=$(bash \(shellQuote(timer.path)))
                case "$out" in *expired*) break ;; esac
                rem=$(printf '%s\\n' "$out" | tail -n 1)
                h=${rem%%:*}
                m=${rem#*:}
                [ $((10#$h * 60 + 10#$m)) -ge \(policy.minRemainingMinutes) ] || break
                round=$((round + 1))
                msg=\(shellQuote(policy.message))
                msg=${msg//"{H}"/$h}
                msg=${msg//"{M}"/$m}
                printf '{"type":"ptb.reprompt","round":%d,"remaining":"%s"}\\n' "$round" "$rem"
                \(resume)
                status=$?
            done
            exit $status

            """
    }
}
