import Foundation
import PTBCore

/// Text renderings of a leaderboard. People see scores ×100 with one decimal (the README's form);
/// CSV and JSON keep fractions.
public enum LeaderboardText {
    public static func markdown(_ lb: Leaderboard) -> String {
        let header = ["Rank", "Agent", "Score", "n"] + lb.benchmarks.map(PaperBenchmarks.displayName)
        var lines = ["| " + header.joined(separator: " | ") + " |",
                     "|" + (["---:", ":---", "---:", "---:"] + lb.benchmarks.map { _ in "---:" }).joined(separator: "|") + "|"]
        for r in lb.rows {
            let cells = [r.rank.map(String.init) ?? "", markdownEscape(r.agent), scoreText(r), r.baseline ? "" : String(r.n)]
                + lb.benchmarks.map { r.benchmarks[$0].map(pct) ?? "" }
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func csv(_ lb: Leaderboard) -> String {
        let header = ["rank", "agent", "avg", "std", "n"] + lb.benchmarks
            + ["normalized", "ci95_low", "ci95_high", "runs", "flagged", "judge_errors", "fallbacks", "time_avg_seconds", "time_percent_of_budget", "baseline",
               "cost_usd", "cost_per_run_usd", "input_tokens", "output_tokens", "gpu_hours", "score_per_dollar", "score_per_gpu_hour",
               "integrity_policy"]
        var lines = [header.map(csvField).joined(separator: ",")]
        for r in lb.rows {
            var cells: [String] = [r.rank.map(String.init) ?? "", r.agent, frac(r.avg), r.std.map(frac) ?? "", String(r.n)]
            cells += lb.benchmarks.map { r.benchmarks[$0].map(frac) ?? "" }
            cells += [r.normalized.map(frac) ?? "", r.ci95.map { frac($0[0]) } ?? "", r.ci95.map { frac($0[1]) } ?? ""]
            let counts: [Int?] = [r.counts?.runs, r.counts?.flagged, r.counts?.judgeErrors, r.counts?.fallbacks]
            cells += counts.map { $0.map(String.init) ?? "" }
            cells.append(r.time.map { String(Int($0.avgSeconds)) } ?? "")
            cells.append(r.time.map { String(format: "%.1f", $0.percentOfBudget) } ?? "")
            cells.append(r.baseline ? "true" : "false")
            cells += usageCSV(r.usage)
            cells.append(policyText(r.counts?.policies))
            lines.append(cells.map(csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `{"rows": [...]}`, keys sorted, pretty-printed: a stable interface for scripts and the web UI.
    public static func json(_ lb: Leaderboard) throws -> String {
        struct Document: Encodable { var rows: [LeaderboardRow] }
        return String(decoding: try JSONIO.encode(Document(rows: lb.rows)), as: UTF8.self)
    }

    /// The terminal table: score with its spread, CI, normalised score, flags, time, then benchmarks.
    public static func table(_ lb: Leaderboard) -> String {
        let header = ["#", "AGENT", "SCORE", "N", "95% CI", "NORM", "FLAGGED", "JUDGE ERR", "FALLBACK", "POLICY", "TIME"]
            + lb.benchmarks.map(PaperBenchmarks.displayName)
        let body = lb.rows.map { r -> [String] in
            var cells = [r.rank.map(String.init) ?? "-", r.agent, scoreText(r), r.baseline ? "" : String(r.n)]
            cells.append(r.ci95.map { "\(pct($0[0]))–\(pct($0[1]))" } ?? "")
            cells.append(r.normalized.map { String(format: "%.2f", $0) } ?? "")
            let counts: [Int?] = [r.counts?.flagged, r.counts?.judgeErrors, r.counts?.fallbacks]
            cells += counts.map { $0.map(String.init) ?? "" }
            cells.append(policyText(r.counts?.policies))
            cells.append(r.time.map { "\(Durations.hms($0.avgSeconds)) (\(String(format: "%.1f", $0.percentOfBudget))%)" } ?? "")
            return cells + lb.benchmarks.map { r.benchmarks[$0].map(pct) ?? "" }
        }
        var header2 = header, body2 = body
        if lb.rows.contains(where: { $0.usage != nil }) {
            // Cost columns only when some run recorded usage, so boards of imported results stay as they were.
            header2 += ["COST/RUN", "PTS/$", "PTS/GPU-H"]
            body2 = zip(body, lb.rows).map { cells, r in cells + usageColumns(r.usage) }
        }
        return render(header2, body2, lb)
    }

    static func usageColumns(_ u: UsageSummary?) -> [String] {
        let cost: String = u?.costPerRun.map { String(format: "$%.2f", $0) } ?? ""
        let perDollar: String = u?.scorePerDollar.map { String(format: "%.2f", $0 * 100) } ?? ""
        let perGPUHour: String = u?.scorePerGPUHour.map { String(format: "%.2f", $0 * 100) } ?? ""
        return [cost, perDollar, perGPUHour]
    }

    /// cost_usd, cost_per_run_usd, input_tokens, output_tokens, gpu_hours, score_per_dollar, score_per_gpu_hour.
    static func usageCSV(_ u: UsageSummary?) -> [String] {
        guard let u else { return Array(repeating: "", count: 7) }
        var out: [String] = []
        out.append(u.runsWithCost > 0 ? String(format: "%.4f", u.costUSD) : "")
        out.append(u.costPerRun.map { String(format: "%.4f", $0) } ?? "")
        out.append(u.runsWithTokens > 0 ? String(u.inputTokens) : "")
        out.append(u.runsWithTokens > 0 ? String(u.outputTokens) : "")
        out.append(u.runsWithGPUHours > 0 ? String(format: "%.4f", u.gpuHours) : "")
        out.append(u.scorePerDollar.map(frac) ?? "")
        out.append(u.scorePerGPUHour.map(frac) ?? "")
        return out
    }

    static func render(_ header: [String], _ body: [[String]], _ lb: Leaderboard) -> String {
        let widths = header.indices.map { i in ([header[i]] + body.map { $0[i] }).map(\.count).max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                i == 1 ? c.padding(toLength: widths[i], withPad: " ", startingAt: 0) : String(repeating: " ", count: widths[i] - c.count) + c
            }.joined(separator: "  ")
        }
        var out = [line(header)] + body.map(line)
        out.append("")
        out.append("weights: \(lb.weights.scheme.rawValue) (\(lb.weights.values.keys.sorted().map { "\($0) \(String(format: "%.4f", lb.weights.values[$0]!))" }.joined(separator: ", ")))")
        out.append("models: \(lb.models.joined(separator: ", "))")
        let all = lb.rows.compactMap { $0.counts?.policies }.reduce(into: [String: Int]()) { $0.merge($1, uniquingKeysWith: +) }
        if !all.isEmpty {
            // Which rules replaced scores decides what a number means (README: integrity policies).
            out.append("integrity policy: \(policyText(all, alwaysCount: true)) (runs)")
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// `ptb`, or `ptb 10, original 2` when a row mixes policies; runs are counted when asked.
    public static func policyText(_ policies: [String: Int]?, alwaysCount: Bool = false) -> String {
        guard let policies, !policies.isEmpty else { return "" }
        if policies.count == 1 && !alwaysCount { return policies.keys.first! }
        return policies.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    /// `avg ± std` ×100, or just `avg` for a single sweep.
    static func scoreText(_ r: LeaderboardRow) -> String {
        pct(r.avg) + (r.std.map { " ± " + pct($0) } ?? "")
    }

    static func pct(_ x: Double) -> String { String(format: "%.1f", x * 100) }
    static func frac(_ x: Double) -> String { String(format: "%.6f", x) }

    static func csvField(_ s: String) -> String {
        s.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    static func markdownEscape(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
}

public enum Durations {
    /// `H:MM:SS` of whole seconds (the original writes `format(int(h·3600))` the same way).
    public static func hms(_ seconds: Double) -> String {
        let t = Int(seconds.rounded(.down))
        return String(format: "%d:%02d:%02d", t / 3600, t % 3600 / 60, t % 60)
    }
}
