import ArgumentParser
import Foundation
import PTBCore

struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the model catalog (built in, and $PTB_HOME/models.yaml) and whether each model is on this machine.",
        discussion: """
            Examples:
              ptb models              # id, display name, instruct references, template, where it is
              ptb models --json
            Any Hugging Face id works with --model too; the catalog adds references and names.
            """)

    @OptionGroup var homeOptions: HomeOptions
    @Flag(help: "Machine-readable output.") var json = false

    struct Row: Codable {
        var id: String
        var displayName: String
        var instruct: [String]
        var template: String
        var status: String
        var directory: String?
    }

    func run() async throws {
        try await reporting {
            let home = homeOptions.ptbHome
            let env = ProcessInfo.processInfo.environment
            let catalog = try ModelCatalog.load(home: home)
            let rows = catalog.entries.map { m -> Row in
                do {
                    let dir = try ModelCatalog.resolveDirectory(m, home: home, env: env)
                    return Row(id: m.id, displayName: m.displayName, instruct: m.instruct, template: m.template, status: "ready", directory: dir.path)
                } catch {
                    let fetch = m.local ? "ptb setup" : ModelCatalog.pullCommand(m.id, revision: m.revision)
                    return Row(id: m.id, displayName: m.displayName, instruct: m.instruct, template: m.template, status: "missing (\(fetch))", directory: nil)
                }
            }
            if json {
                print(String(decoding: try JSONIO.encode(rows), as: UTF8.self), terminator: "")
                return
            }
            let table = [["ID", "NAME", "INSTRUCT", "TEMPLATE", "STATUS"]]
                + rows.map { [$0.id, $0.displayName, $0.instruct.isEmpty ? "-" : $0.instruct.joined(separator: ","), $0.template, $0.status] }
            let widths = (0..<5).map { c in table.map { $0[c].count }.max() ?? 0 }
            for r in table {
                print(r.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
            }
            if let f = catalog.file { print("\ncatalog file: \(f.path)") }
        }
    }
}
