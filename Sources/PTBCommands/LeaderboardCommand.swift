import ArgumentParser
import Foundation
import PTBCore
import PTBResults

struct LeaderboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leaderboard",
        abstract: "Aggregate results into the PostTrainBench leaderboard (the original's formulas).",
        discussion: """
            Sources: imports in $PTB_HOME/imports (see `ptb import`), original-layout directories given with --results, \
            and ptb's own runs (--runs-dir, default $PTB_HOME/runs). Per method the newest run of each task × model \
            counts; a missing score, a judge flag or judge error, or a ptb integrity flag replaces it with the \
            zero-shot base score. Agents (--agents FILE: `AGENT = method1, method2` lines) show mean ± sample std \
            over their sweeps.

            Examples:
              ptb leaderboard
              ptb leaderboard --format svg --plot heatmap --output board.svg
              ptb leaderboard --pivot hours --format markdown
            """)

    @OptionGroup var homeOptions: HomeOptions
    @Option(help: "table, markdown, csv, json or svg.") var format = "table"
    @Option(help: "agent (methods grouped by --agents) or method.") var groupBy = "agent"
    @Option(help: "Agent map: `AGENT = method1, method2` per line, or a JSON object of lists.") var agents: String?
    @Option(parsing: .upToNextOption, help: "Original-layout results directories to read in place.") var results: [String] = []
    @Option(parsing: .upToNextOption, help: "ptb runs directories (default $PTB_HOME/runs).") var runsDir: [String] = []
    @Flag(inversion: .prefixedNo, help: "Include the imports in $PTB_HOME/imports.") var imports = true
    @Option(help: "auto, paper (factors.json), derived (1/(Ī−B̄) from the baselines) or equal.") var weights = "auto"
    @Option(help: "Baseline table in aggregated_baseline.csv format (default: the published one).") var baselines: String?
    @Option(help: "With --format svg: leaderboard, time or heatmap.") var plot = "leaderboard"
    @Option(help: "Score vs a run setting instead of the board: hours (time-budget ablations) or gpus; every format, svg draws it.")
    var pivot: String?
    @Option(help: "With --plot heatmap: the row to draw (default: the top-ranked).") var heatmapAgent: String?
    @Option(help: "Bootstrap resamples for the 95% interval (0 = none).") var bootstrap = 2000
    @Option(help: "Bootstrap seed.") var seed: UInt64 = 0
    @Option(help: "Write here instead of standard output.") var output: String?

    func run() async throws {
        try await reporting {
            let home = homeOptions.ptbHome
            let sources = ResultSources(importStore: imports ? ImportStore(home: home) : nil,
                                        resultsDirs: results.map { URL(fileURLWithPath: $0) },
                                        runsDirs: runsDir.isEmpty ? [home.runs] : runsDir.map { URL(fileURLWithPath: $0) })
            let loaded = try sources.load()
            let options = LeaderboardOptions(weights: try choice(weights, "weights", WeightScheme.self),
                                             groupBy: try choice(groupBy, "grouping", GroupBy.self),
                                             agents: try agents.map { try AgentMap.load(URL(fileURLWithPath: $0)) } ?? .empty,
                                             baselines: try baselineTable(),
                                             bootstrap: Bootstrap(resamples: max(0, bootstrap), seed: seed))
            if let pivot {
                let p = try Pivot.build(runs: loaded.runs, options: options, dimension: try choice(pivot, "pivot", PivotDimension.self))
                for n in p.notes { Console.err("note: \(n)") }
                return try emit(try render(p))
            }
            let board = try Leaderboard.build(runs: loaded.runs, options: options)
            if loaded.runs.isEmpty {
                Console.err("note: no results found; `ptb import --posttrainbench DIR` or --results DIR adds some (baseline rows only)")
            }
            for n in board.notes { Console.err("note: \(n)") }
            try emit(try render(board))
        }
    }

    func render(_ board: Leaderboard) throws -> String {
        switch format {
        case "table": return LeaderboardText.table(board)
        case "markdown": return LeaderboardText.markdown(board)
        case "csv": return LeaderboardText.csv(board)
        case "json": return try LeaderboardText.json(board)
        case "svg":
            switch plot {
            case "leaderboard": return LeaderboardCharts.scores(board)
            case "time": return LeaderboardCharts.time(board)
            case "heatmap": return LeaderboardCharts.heatMap(try board.heatMap(agent: heatmapAgent))
            default: throw PTBError.unknownChoice(kind: "plot", value: plot, valid: ["leaderboard", "time", "heatmap"])
            }
        default: throw PTBError.unknownChoice(kind: "format", value: format, valid: ["table", "markdown", "csv", "json", "svg"])
        }
    }

    func render(_ p: Pivot) throws -> String {
        switch format {
        case "table": return p.table()
        case "markdown": return p.markdown()
        case "csv": return p.csv()
        case "json": return try p.json()
        case "svg": return LeaderboardCharts.pivot(p)
        default: throw PTBError.unknownChoice(kind: "format", value: format, valid: ["table", "markdown", "csv", "json", "svg"])
        }
    }

    func emit(_ text: String) throws {
        guard let output else { return print(text, terminator: "") }
        do { try AtomicFile.write(Data(text.utf8), to: URL(fileURLWithPath: output)) } catch {
            throw PTBError.io("cannot write \(output): \(error)")
        }
        Console.err("wrote \(output)")
    }

    func baselineTable() throws -> BaselineTable {
        guard let baselines else { return .published }
        guard let text = try? String(contentsOf: URL(fileURLWithPath: baselines), encoding: .utf8) else {
            throw PTBError.io("cannot read the baselines file \(baselines)")
        }
        return try BaselineTable.parseCSV(text, path: baselines)
    }

    func choice<T: RawRepresentable & CaseIterable>(_ value: String, _ kind: String, _: T.Type) throws -> T where T.RawValue == String {
        guard let v = T(rawValue: value) else {
            throw PTBError.unknownChoice(kind: kind, value: value, valid: T.allCases.map(\.rawValue))
        }
        return v
    }
}
