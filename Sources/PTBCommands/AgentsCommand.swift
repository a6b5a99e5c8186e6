import ArgumentParser
import Foundation
import PTBAgents
import PTBCore

struct AgentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agents",
        abstract: "List the agents --agent accepts: built-in, shipped definitions and those in $PTB_HOME/agents.",
        discussion: """
            Examples:
              ptb agents                # name, scaffold, model, where it is defined
              ptb agents --json
            """)

    @OptionGroup var homeOptions: HomeOptions
    @Flag(help: "Machine-readable output.") var json = false

    func run() async throws {
        try await reporting {
            let home = homeOptions.ptbHome
            let rows = AgentRegistry.list(home: home, withInstalled: true)
            if json {
                print(String(decoding: try JSONIO.encode(rows), as: UTF8.self), terminator: "")
                return
            }
            let table = [["NAME", "SCAFFOLD", "MODEL", "AUTH", "REPROMPT", "SOURCE", "CLI"]] + rows.map {
                [$0.name, $0.scaffold, $0.model ?? "-", $0.auth ?? "-", $0.reprompt ? "yes" : "-", $0.source.rawValue, $0.installed ?? "-"]
            }
            let widths = (0..<7).map { c in table.map { $0[c].count }.max() ?? 0 }
            for r in table {
                print(r.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
            }
            print("\nAgent CLIs (ptb setup --agents \(AgentBinaries.pins.map(\.installName).joined(separator: ",")) installs the pinned versions):")
            for pin in AgentBinaries.pins {
                let found = AgentBinaries.installedVersions(home: home, scaffold: pin.scaffold)
                let state = AgentBinaries.installed(home: home, scaffold: pin.scaffold).map { "installed: \($0.directory.appendingPathComponent(pin.executable).path)" }
                    ?? (found.isEmpty ? "not installed (the agent would run `\(pin.executable.split(separator: "/").last ?? "")` from PATH)" : "other versions installed: \(found.joined(separator: ", "))")
                print("  \(pin.installName.padding(toLength: 12, withPad: " ", startingAt: 0))\(pin.cliVersion.padding(toLength: 10, withPad: " ", startingAt: 0))\(state)")
            }
            for type in AgentRegistry.scaffolds.types.sorted(by: { $0.scaffold.rawValue < $1.scaffold.rawValue }) where type.binaryPin == nil {
                guard let m = type.manualInstall else { continue }
                print("  \(type.scaffold.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0))-         \(m.manager) only (\(m.command)); not tested by ptb")
            }
            for r in rows { if let p = r.problem { Console.err("warning: \(home.agents.path)/\(r.name).yaml: \(p)") } }
            print("\nAdd your own as \(home.agents.path)/NAME.yaml (a definition there overrides a shipped one of the same name).")
        }
    }
}
