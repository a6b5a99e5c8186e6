import ArgumentParser
import Foundation
import PTBCore
import PTBRunner
import PTBStore

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show runs: phase, elapsed time, base and final score.",
        discussion: """
            Examples:
              ptb status
              ptb status --sweep march --results-dir /shared/ptb
            """)

    @OptionGroup var homeOptions: HomeOptions
    @Option(help: "Runs directory (default $PTB_HOME/runs).") var runsDir: String?
    @Flag(help: "Machine-readable output.") var json = false
    @Option(help: "Show a sweep instead: scheduler state merged with its runs' manifests (as `ptb sweep status`).") var sweep: String?
    @Option(help: "With --sweep: the results directory that holds it.") var resultsDir: String?

    func run() async throws {
        if let sweep {
            var ref = SweepCommand.SweepRef()
            ref.name = sweep
            ref.resultsDir = resultsDir
            try await SweepCommand.StatusCmd.show(ref, home: homeOptions.ptbHome, json: json)
            return
        }
        try await reporting {
            let home = homeOptions.ptbHome
            let runs = runsDir.map { URL(fileURLWithPath: $0) } ?? home.runs
            let index = try RunIndex(path: home.index)
            let (_, problems) = try index.rebuild(from: [runs])
            for p in problems { Console.err("warning: \(p)") }
            let rows = try index.all()
            if json {
                print(String(decoding: try JSONIO.encode(rows), as: UTF8.self), terminator: "")
            } else {
                print(StatusTable.render(rows))
            }
        }
    }
}

struct Index: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Maintain the SQLite index (derived from run directories).",
        subcommands: [Rebuild.self])

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recreate the index from run directories.",
            discussion: """
                Examples:
                  ptb index rebuild
                  ptb index rebuild --runs-dir /shared/ptb/march/runs
                """)
        @OptionGroup var homeOptions: HomeOptions
        @Option(help: "Runs directories to index (default $PTB_HOME/runs).") var runsDir: [String] = []

        func run() async throws {
            try await reporting {
                let home = homeOptions.ptbHome
                let dirs = runsDir.isEmpty ? [home.runs] : runsDir.map { URL(fileURLWithPath: $0) }
                let index = try RunIndex(path: home.index)
                let (n, problems) = try index.rebuild(from: dirs)
                for p in problems { Console.err("skipped \(p)") }
                print("indexed \(n) run(s) into \(index.location.url.path)")
            }
        }
    }
}
