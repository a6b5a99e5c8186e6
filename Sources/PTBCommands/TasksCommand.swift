import ArgumentParser
import Foundation
import PTBCore
import PTBTasks

struct TasksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks",
        abstract: "List the benchmark tasks: official name, how each is scored, its evaluation defaults and whether its data is here.",
        discussion: """
            Examples:
              ptb tasks            # then `ptb data pull TASK` (or `ptb data import …`) where data is missing
              ptb tasks --json
            """)

    @OptionGroup var homeOptions: HomeOptions
    @Flag(help: "Machine-readable output.") var json = false

    struct Row: Codable {
        var id: String
        var benchmark: String
        var scoring: String
        var limit: Int?
        var maxTokens: Int
        var devSplit: Bool
        var data: String
    }

    func run() async throws {
        try await reporting {
            let home = homeOptions.ptbHome
            let store = TaskDataStore(home: home)
            let rows = TaskRegistry.all.map { t -> Row in
                let data: String
                if let d = t.dataset {
                    let splits = store.status([d])
                    let missing = splits.filter { $0.state != .ok }.map(\.split)
                    data = missing.isEmpty ? "ok" : "missing \(missing.joined(separator: ",")) (ptb data list)"
                } else {
                    // Generated (arith) or read from an imported directory (the BFCL AST tasks).
                    do { _ = try t.samples(home: home); data = "ok" } catch { data = "missing (\("\(error)".prefix(80)))" }
                }
                let dev = ((try? t.devSamples(home: home)) ?? nil) != nil
                return Row(id: t.id, benchmark: t.benchmarkName, scoring: t.scoring.rawValue, limit: t.defaults.limit,
                           maxTokens: t.defaults.maxTokens, devSplit: dev, data: data)
            }
            if json {
                print(String(decoding: try JSONIO.encode(rows), as: UTF8.self), terminator: "")
                return
            }
            let table = [["ID", "BENCHMARK", "SCORING", "LIMIT", "MAX TOKENS", "DEV SPLIT", "DATA"]]
                + rows.map { [$0.id, $0.benchmark, $0.scoring, $0.limit.map(String.init) ?? "all", String($0.maxTokens), $0.devSplit ? "yes" : "-", $0.data] }
            let widths = (0..<7).map { c in table.map { $0[c].count }.max() ?? 0 }
            for r in table {
                print(r.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
            }
        }
    }
}
