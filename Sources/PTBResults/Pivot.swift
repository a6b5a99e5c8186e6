import Foundation

public enum PivotDimension: String, Sendable, CaseIterable {
    /// The time budget in hours (ablations over time).
    case hours
    /// GPUs the agent had.
    case gpus
}

/// Score against one run setting, for ablations: the faithful aggregation run once per value of
/// the setting on the runs that have it (baselines included in each), so every cell is an ordinary
/// leaderboard score (newest run per cell, fallbacks, weights, mean ± std over sweeps).
public struct Pivot: Sendable {
    public struct Cell: Sendable, Equatable, Encodable {
        public var avg: Double
        public var std: Double?
        public var n: Int
    }

    public var dimension: PivotDimension
    /// The setting's values, ascending.
    public var values: [Double]
    /// Agents (or methods) in order of first appearance on the best-ranked board.
    public var agents: [String]
    /// agent → value → cell.
    public var cells: [String: [Double: Cell]]
    public var notes: [String]

    public static func value(_ r: ResultRun, _ d: PivotDimension) -> Double? {
        switch d {
        case .hours: r.budgetHours
        case .gpus: r.gpus.map(Double.init)
        }
    }

    public static func build(runs: [ResultRun], options: LeaderboardOptions, dimension: PivotDimension) throws -> Pivot {
        let isBaseline = { (r: ResultRun) in r.method == options.baselineMethod }
        let unknown = runs.filter { !isBaseline($0) && value($0, dimension) == nil }
        var notes: [String] = []
        if !unknown.isEmpty { notes.append("\(unknown.count) run(s) do not record \(dimension.rawValue): left out") }
        let values = Set(runs.filter { !isBaseline($0) }.compactMap { value($0, dimension) }).sorted()
        var cells: [String: [Double: Cell]] = [:]
        var order: [String] = []
        for v in values {
            let subset = runs.filter { isBaseline($0) || value($0, dimension) == v }
            let board = try Leaderboard.build(runs: subset, options: options)
            for r in board.rows where !r.baseline {
                if cells[r.agent] == nil { order.append(r.agent) }
                cells[r.agent, default: [:]][v] = Cell(avg: r.avg, std: r.std, n: r.n)
            }
        }
        return Pivot(dimension: dimension, values: values, agents: order, cells: cells, notes: notes)
    }

    public var unit: String { dimension == .hours ? "h" : " GPU" }

    public func label(_ v: Double) -> String { String(format: "%g", v) + unit }

    /// Rows of agents, a column per value: `avg ± std (n)` ×100.
    public func table() -> String {
        let header = ["AGENT"] + values.map(label)
        let body = agents.map { a in
            [a] + values.map { v in cells[a]?[v].map { c in LeaderboardText.pct(c.avg) + (c.std.map { " ± " + LeaderboardText.pct($0) } ?? "") + " (\(c.n))" } ?? "–" }
        }
        let widths = header.indices.map { i in ([header[i]] + body.map { $0[i] }).map(\.count).max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                i == 0 ? c.padding(toLength: widths[i], withPad: " ", startingAt: 0) : String(repeating: " ", count: widths[i] - c.count) + c
            }.joined(separator: "  ")
        }
        return ([line(header)] + body.map(line)).joined(separator: "\n") + "\n"
    }

    public func markdown() -> String {
        var lines = ["| Agent | " + values.map(label).joined(separator: " | ") + " |", "|:---|" + values.map { _ in "---:|" }.joined()]
        for a in agents {
            lines.append("| \(LeaderboardText.markdownEscape(a)) | " + values.map { v in
                cells[a]?[v].map { LeaderboardText.pct($0.avg) + ($0.std.map { " ± " + LeaderboardText.pct($0) } ?? "") } ?? "" }.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Long form: one line per agent × value, fractions.
    public func csv() -> String {
        var lines = ["agent,\(dimension.rawValue),avg,std,n"]
        for a in agents {
            for v in values {
                guard let c = cells[a]?[v] else { continue }
                lines.append([LeaderboardText.csvField(a), String(format: "%g", v), LeaderboardText.frac(c.avg), c.std.map(LeaderboardText.frac) ?? "", String(c.n)].joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public func json() throws -> String {
        struct Row: Encodable { var agent: String; var cells: [Point] }
        struct Point: Encodable { var value: Double; var avg: Double; var std: Double?; var n: Int }
        struct Doc: Encodable { var dimension: String; var values: [Double]; var rows: [Row] }
        let rows = agents.map { a in Row(agent: a, cells: values.compactMap { v in cells[a]?[v].map { Point(value: v, avg: $0.avg, std: $0.std, n: $0.n) } }) }
        return String(decoding: try JSONEncoder.sortedPretty.encode(Doc(dimension: dimension.rawValue, values: values, rows: rows)), as: UTF8.self) + "\n"
    }
}

extension JSONEncoder {
    static var sortedPretty: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }
}
