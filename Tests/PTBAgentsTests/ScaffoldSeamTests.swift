import Foundation
import PTBAgents
import PTBCore
import PTBProcess
import PTBTestSupport
import Testing

/// A scaffold that exists only in this test target: a CLI (bash) that prints its own JSON stream.
/// It conforms to the same protocol as the shipped scaffolds and is used through the same generic
/// paths (definition check, adapter, command, trace detection and parsing) by passing a registry
/// that holds it: adding a scaffold is this one type plus one registry entry, nothing in Sources.
struct EchoCLIAgent: CLIScaffoldAdapter {
    typealias Parser = EchoTraceParser
    static let scaffold = Scaffold(declaring: "echo-cli")
    static let displayName = "Echo CLI"
    static let exampleModel = "echo-1"
    static let options: ScaffoldOptions = [.baseURL]
    static let secretVariables: Set<String> = ["ECHO_LOGIN"]
    static let manualInstall: ManualInstall? = ManualInstall(manager: "pip", command: "pip install echo-cli")

    static func detects(_ o: [String: JSONValue]) -> Bool { o["echo"] != nil }

    let config: AgentConfig
    let host: [String: String]
    let nonInteractivePromptLine = false

    init(config: AgentConfig, host: [String: String]) {
        self.config = config
        self.host = host
    }

    /// Prints a session start with the model, the prompt as the reply, and a usage line.
    static let script = #"""
        printf '{"echo":"start","model":"%s"}\n' "$1"
        printf '{"echo":"say","text":"%s"}\n' "$2"
        printf '{"echo":"usage","input":10,"output":3,"login_seen":%s}\n' "$([ -n "$ECHO_LOGIN" ] && echo true || echo false)"
        """#

    func arguments(prompt: String) -> [String] { ["bash", "-c", Self.script, "echo-cli", model, prompt] }
    func resumeArguments(message: String) -> [String] { arguments(prompt: message) }

    func scaffoldEnvironment(_ context: AgentContext) throws -> [String: String] {
        guard let login = host["ECHO_LOGIN"], !login.isEmpty else {
            throw PTBError.invalidArgument("agent '\(config.name)': ECHO_LOGIN is not set in ptb's environment.")
        }
        return ["ECHO_LOGIN": login]
    }
}

struct EchoTraceParser: TraceParser {
    init() {}

    mutating func parse(_ o: [String: JSONValue], ts: String?) -> [TraceEvent] {
        switch o.str("echo") {
        case "start": [TraceEvent(ts: ts, kind: .sessionStart, source: "start", model: o.str("model"))]
        case "say": [TraceEvent(ts: ts, kind: .assistantText, source: "say", text: o.str("text"))]
        case "usage": [TraceEvent(ts: ts, kind: .usage, source: "usage", usage: TokenUsage(input: o.int("input") ?? 0, output: o.int("output") ?? 0))]
        default: [TraceEvent(ts: ts, kind: .other, source: o.str("echo"))]
        }
    }
}

@Suite struct ScaffoldSeamTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    /// Each shipped scaffold's recorded stream (TraceFixtures), by name: a new scaffold adds its own.
    static let fixtures = ["claude-code": TraceFixtures.claude, "codex": TraceFixtures.codex, "gemini": TraceFixtures.gemini,
                           "opencode": TraceFixtures.opencode]

    @Test func everyRegisteredScaffoldRoundTripsNameAdapterParserAndDetection() throws {
        let registry = AgentRegistry.scaffolds
        let names = registry.types.map { $0.scaffold.rawValue }
        #expect(Set(names).count == names.count && !names.contains(Scaffold.command.rawValue), "scaffold names are unique and not `command`")
        #expect(registry.names == names.sorted() && Scaffold.valid() == ["command"] + names.sorted())
        for type in registry.types {
            let name = type.scaffold.rawValue
            #expect(Scaffold(rawValue: name) == type.scaffold)
            let encoded = try JSONEncoder().encode(type.scaffold)
            #expect(String(decoding: encoded, as: UTF8.self) == "\"\(name)\"")
            #expect(try JSONDecoder().decode(Scaffold.self, from: encoded) == type.scaffold)

            // name → definition → adapter of this very type.
            let def = try config("name: x\nscaffold: \(name)\nmodel: \(type.exampleModel)\n")
            #expect(def.scaffoldKind == type.scaffold && def.traceScaffold == type.scaffold)
            let adapter = AgentRegistry.adapter(for: def, environment: fakeHost)
            #expect(ObjectIdentifier(Swift.type(of: adapter)) == ObjectIdentifier(type), "\(name) resolves to its own adapter")
            #expect { try config("name: x\nscaffold: \(name)\n") } throws: { "\($0)".contains("(e.g. \(type.exampleModel))") }

            // name → parser; and detection over the whole registry never names another scaffold.
            let lines = try #require(Self.fixtures[name], "add a recorded stream of \(name) to TraceFixtures and here")
                .filter { JSONValue.object(line: $0) != nil }
            #expect(JSONValue.object(line: lines[0]).flatMap(TraceConverter.detect) == type.scaffold)
            for l in lines { #expect([nil, type.scaffold].contains(JSONValue.object(line: l).flatMap(TraceConverter.detect)), "\(name): \(l)") }
            var converter = TraceConverter(scaffold: type.scaffold)
            let events = lines.flatMap { converter.convert(agentLine: $0, ts: nil) } + converter.finish()
            #expect(events.contains { $0.kind != .other }, "\(name)'s parser reads its own stream")

            if let pin = type.binaryPin {
                #expect(pin.scaffold == type.scaffold && AgentBinaries.pin(type.scaffold) == pin && AgentBinaries.pins.contains(pin))
            } else {
                #expect(type.manualInstall != nil, "\(name) is neither pinned nor says how to install it")
            }
        }
        #expect(AgentBinaries.pins.map(\.installName) == AgentBinaries.pins.map(\.installName).sorted())
    }

    @Test func aTestOnlyScaffoldPlugsInThroughTheRegistry() async throws {
        let s = try Scratch.agentRun()
        defer { s.cleanup() }
        let registry = ScaffoldRegistry(AgentRegistry.scaffolds.types + [EchoCLIAgent.self])
        let yaml = "name: echo\nscaffold: echo-cli\nmodel: echo-1\n"

        // Unknown to ptb's own registry, known to the extended one, with the same messages.
        #expect { try config(yaml) } throws: { "\($0)".contains("unknown scaffold 'echo-cli'") }
        #expect(Scaffold(rawValue: "echo-cli") == nil && Scaffold("echo-cli", in: registry) == EchoCLIAgent.scaffold)
        #expect { try AgentConfig.parse("name: m\nscaffold: martian\n", path: "m.yaml", baseDir: nil, scaffolds: registry) } throws: {
            "\($0)".contains("CLI agent scaffolds (with model:): claude-code, codex, echo-cli, gemini, opencode.")
        }
        #expect { try AgentConfig.parse("name: g\nscaffold: gemini\nmodel: m\nbase_url: http://h/v1\n", path: "g.yaml", baseDir: nil, scaffolds: registry) } throws: {
            "\($0)".contains("base_url is supported for claude-code, codex and echo-cli; for gemini")
        }
        #expect { try AgentConfig.parse(yaml + "auth: subscription\n", path: "e.yaml", baseDir: nil, scaffolds: registry) } throws: {
            "\($0)".contains("auth: subscription is supported for claude-code and codex only; use auth: api-key for echo-cli.")
        }
        #expect(registry.secretVariables.isSuperset(of: ["ECHO_LOGIN", "CLAUDE_CODE_OAUTH_TOKEN"]))

        // Definition → adapter → the command ptb runs, run for real.
        let def = try AgentConfig.parse(yaml, path: "echo.yaml", baseDir: nil, scaffolds: registry)
        let adapter = registry.adapter(for: def, environment: ["ECHO_LOGIN": "login-1234567"])
        #expect(adapter is EchoCLIAgent && AgentRegistry.adapter(for: def, environment: [:]) is CommandAgent)
        try adapter.prepare(s.context())
        let command = try adapter.command(s.context(), prompt: "Fine-tune it.")
        #expect(command.environment["ECHO_LOGIN"] == "login-1234567" && command.environment["PROMPT"] == "Fine-tune it.")
        let (termination, lines) = try await ProcessRunner().run(command)
        #expect(termination.succeeded && lines.count == 3)

        // Its output → trace.jsonl → detected and parsed through the registry, as the agent phase does.
        let trace = try s.write(TraceFixtures.trace(lines), "trace.jsonl")
        let (events, summary) = try TraceConverter.convert(trace: trace, scaffolds: registry)
        #expect(summary.scaffold == "echo-cli" && summary.model == "echo-1")
        #expect(events.map(\.kind) == [.harness, .sessionStart, .assistantText, .usage, .harness])
        #expect(events[2].text == "Fine-tune it." && summary.usage == TokenUsage(input: 10, output: 3))
        #expect(lines[2].contains("\"login_seen\":true"), "the adapter's environment reached the CLI")
        // ptb's own registry does not know the stream: every line stays, unparsed.
        let (plain, unknown) = try TraceConverter.convert(trace: trace)
        #expect(unknown.scaffold == nil && plain.filter { $0.kind == .other }.count == 3)
    }

    /// What a scaffold is stays in its file: no other source file spells a scaffold's name as a
    /// string literal (a switch on names, a hard-coded list, a special case).
    @Test func scaffoldNamesAppearOnlyInTheirOwnFiles() throws {
        let files = try #require(FileManager.default.enumerator(atPath: Self.sources.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") }
        var texts: [String: String] = [:]
        for f in files { texts[f] = try String(contentsOf: Self.sources.appendingPathComponent(f), encoding: .utf8) }
        for type in AgentRegistry.scaffolds.types {
            let name = type.scaffold.rawValue
            let owners = texts.filter { $0.value.contains("Scaffold(declaring: \"\(name)\")") }.map(\.key)
            #expect(owners.count == 1, "\(name) is declared in exactly one file")
            let spelled = texts.filter { $0.value.contains("\"\(name)\"") }.map(\.key).sorted()
            #expect(spelled == owners, "\(name) is spelled outside its file: \(spelled)")
        }
    }
}
