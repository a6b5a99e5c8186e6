import ArgumentParser
import Foundation
import PTBAgents
import PTBCore
import PTBRunner

struct TraceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Show a run's agent trace readably: tool calls and results, token use and cost.",
        discussion: """
            Also writes events.jsonl (the unified events) beside the run's trace.jsonl. Paged through $PAGER on a terminal.

            Examples:
              ptb trace latest
              ptb trace RUN_ID --json        # tokens and cost only
            """)

    @OptionGroup var homeOptions: HomeOptions
    @Argument(help: "Run id (or run directory).") var runID: String
    @Option(help: "Runs directory (default $PTB_HOME/runs).") var runsDir: String?
    @Option(help: "Trace format: \(ScaffoldRegistry.listed(AgentRegistry.scaffolds.names, conjunction: "or")) (default: from the agent, else detected).") var scaffold: String?
    @Option(help: "Lines of a tool result shown before the cut.") var maxLines = 20
    @Flag(help: "Also show events of unknown type (raw JSON).") var all = false
    @Flag(help: "Print the token and cost summary as JSON only.") var json = false
    @Flag(help: "Never page.") var noPager = false

    func run() async throws {
        try await reporting {
            let home = homeOptions.ptbHome
            let paths = try RunStore.find(runID, in: [runsDir.map { URL(fileURLWithPath: $0) } ?? home.runs])
            guard FileManager.default.fileExists(atPath: paths.trace.path) else {
                throw PTBError.io("run \(paths.id) has no trace.jsonl yet: the agent phase has not started.")
            }
            let spec = try JSONIO.read(RunManifest.self, from: paths.manifest).spec
            let def = AgentRegistry.definition(agent: spec.agent, config: spec.agentConfig, home: home)
            var kind = def?.scaffoldKind
            if let scaffold {
                guard let k = Scaffold(rawValue: scaffold) else {
                    throw PTBError.unknownChoice(kind: "scaffold", value: scaffold, valid: Scaffold.valid())
                }
                kind = k
            }
            let events = paths.dir.appendingPathComponent("events.jsonl")
            let summary = try TraceConverter.writeEvents(trace: paths.trace, to: events, scaffold: kind == .command ? nil : kind, model: def?.model)
            if json {
                print(String(decoding: try JSONIO.encode(summary), as: UTF8.self), terminator: "")
                return
            }
            let (list, _) = try TraceConverter.convert(trace: paths.trace, scaffold: kind == .command ? nil : kind, model: def?.model)
            Pager.show(TraceRenderer(maxLines: maxLines, showUnknown: all).render(list, summary: summary), enabled: !noPager)
        }
    }
}

/// Pages long output through $PAGER (default `less -R`) when stdout is a terminal.
enum Pager {
    static func show(_ text: String, enabled: Bool) {
        let env = ProcessInfo.processInfo.environment
        guard enabled, isatty(STDOUT_FILENO) == 1 else { print(text, terminator: ""); return }
        let pager = env["PAGER"].flatMap { $0.isEmpty ? nil : $0 } ?? "less -R"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", pager]
        let pipe = Pipe()
        p.standardInput = pipe
        do { try p.run() } catch {
            print(text, terminator: "")
            return
        }
        pipe.fileHandleForWriting.write(Data(text.utf8))
        try? pipe.fileHandleForWriting.close()
        p.waitUntilExit()
    }
}
