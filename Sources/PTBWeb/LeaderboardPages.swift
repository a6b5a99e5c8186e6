import Foundation
import PTBCore
import Synchronization
import PTBResults
import PTBStore

extension WebSite {
    static let boardPerPage = 50

    func leaderboardPage(_ query: [String: String]) throws -> WebPage {
        let group = GroupBy(query: query)
        let (full, loaded) = try board(groupBy: group)
        var h = "<p>Group by: " + GroupBy.allCases.map { g in
            g == group ? "<b>\(HTML.esc(g.rawValue))</b>" : HTML.a(HTML.link("/", [("group", g.rawValue)]), g.rawValue)
        }.joined(separator: " · ") + " · " + HTML.a("/leaderboard.json?group=\(group.rawValue)", "JSON") + "</p>"
        let hasUsage = full.rows.contains { $0.usage != nil }
        // A board of hundreds of methods is paged like every list: the table and the charts show
        // one page of rows (in rank order); the JSON has them all.
        let per = min(200, max(1, Int(query["per"] ?? "") ?? Self.boardPerPage))
        let pages = max(1, (full.rows.count + per - 1) / per), page = min(pages, max(1, Int(query["page"] ?? "") ?? 1))
        var lb = full
        lb.rows = Array(full.rows.dropFirst((page - 1) * per).prefix(per))
        let pager = HTML.pager(page: page, pages: pages) {
            HTML.link("/", [("group", group == .agent ? nil : group.rawValue), ("per", per == Self.boardPerPage ? nil : String(per)), ("page", String($0))])
        }
        let header = ["#", group == .agent ? "Agent" : "Method", "Score", "± std", "n", "95% CI", "Norm", "Runs", "Flagged", "Judge err", "Fallbacks", "Policy", "Time", "% budget"]
            + lb.benchmarks.map(PaperBenchmarks.displayName) + (hasUsage ? ["Cost/run", "Pts/$", "Pts/GPU-h"] : [])
        let rows = lb.rows.map { r -> [String] in
            let name = r.baseline ? HTML.esc(r.agent) : HTML.a("/agent/\(HTML.url(r.agent))?group=\(group.rawValue)", r.agent)
            var cells = [HTML.tdText(r.rank.map(String.init) ?? "", sort: String(r.rank ?? 9999), cls: "num"),
                         HTML.td(name, sort: r.agent),
                         HTML.tdText(HTML.pct(r.avg), sort: String(r.avg), cls: "num score"),
                         HTML.tdText(r.std.map { HTML.pct($0) } ?? "", sort: String(r.std ?? -1), cls: "num"),
                         HTML.tdText(r.baseline ? "" : String(r.n), sort: String(r.n), cls: "num"),
                         HTML.tdText(r.ci95.map { "\(HTML.pct($0[0]))–\(HTML.pct($0[1]))" } ?? "", sort: String(r.ci95?[0] ?? -1)),
                         HTML.tdText(r.normalized.map { String(format: "%.2f", $0) } ?? "", sort: String(r.normalized ?? -99), cls: "num")]
            let counts: [Int?] = [r.counts?.runs, r.counts?.flagged, r.counts?.judgeErrors, r.counts?.fallbacks]
            cells += counts.enumerated().map { i, c in
                HTML.tdText(c.map(String.init) ?? "", sort: String(c ?? -1), cls: i == 1 && (c ?? 0) > 0 ? "num flag" : "num")
            }
            let policy = LeaderboardText.policyText(r.counts?.policies)
            cells.append(HTML.tdText(policy, sort: policy))
            cells.append(HTML.tdText(r.time.map { HTML.hms($0.avgSeconds) } ?? "", sort: String(r.time?.avgSeconds ?? -1), cls: "num"))
            cells.append(HTML.tdText(r.time.map { String(format: "%.1f", $0.percentOfBudget) } ?? "", sort: String(r.time?.percentOfBudget ?? -1), cls: "num"))
            cells += lb.benchmarks.map { b in HTML.tdText(HTML.pct(r.benchmarks[b]), sort: String(r.benchmarks[b] ?? -1), cls: "num") }
            if hasUsage {
                let u = r.usage
                cells.append(HTML.tdText(u?.costPerRun.map { String(format: "$%.2f", $0) } ?? "", sort: String(u?.costPerRun ?? -1), cls: "num"))
                cells.append(HTML.tdText(u?.scorePerDollar.map { String(format: "%.2f", $0 * 100) } ?? "", sort: String(u?.scorePerDollar ?? -1), cls: "num"))
                cells.append(HTML.tdText(u?.scorePerGPUHour.map { String(format: "%.2f", $0 * 100) } ?? "", sort: String(u?.scorePerGPUHour ?? -1), cls: "num"))
            }
            return cells
        }
        h += (pages > 1 ? pager : "") + HTML.table(header, rows, id: "leaderboard", sortable: true, rowClass: lb.rows.map { $0.baseline ? "baseline" : "agent" })
            + (pages > 1 ? pager + "<p class=\"muted\">\(full.rows.count) rows; sorting a column sorts this page; the charts show this page's rows.</p>" : "")
        h += "<p class=\"muted\">Scores ×100. Weights: \(HTML.esc(lb.weights.scheme.rawValue)) (" + lb.weights.values.keys.sorted().map {
            "\(HTML.esc($0)) \(String(format: "%.4f", lb.weights.values[$0]!))" }.joined(separator: ", ") + "). Models: \(HTML.esc(lb.models.joined(separator: ", "))).</p>"
        if !lb.notes.isEmpty { h += "<details><summary>Notes (\(lb.notes.count))</summary><ul>" + lb.notes.map { "<li>\(HTML.esc($0))</li>" }.joined() + "</ul></details>" }
        h += "<details><summary>Sources</summary><ul>" + loaded.summary.map { "<li>\(HTML.esc($0))</li>" }.joined() + "</ul>"
        if !loaded.skipped.isEmpty {
            h += "<p>Skipped entries (\(loaded.skipped.count)):</p><ul>" + loaded.skipped.prefix(200).map { "<li>\(HTML.esc($0.method))/\(HTML.esc($0.name)): \(HTML.esc($0.reason))</li>" }.joined() + "</ul>"
        }
        h += "</details>"
        h += "<h2>Charts</h2><div class=\"card\">" + inlineSVG(LeaderboardCharts.scores(lb)) + "</div>"
        h += "<div class=\"card\">" + inlineSVG(LeaderboardCharts.time(lb)) + "</div>"
        // Ablations over the time budget: only when the runs span more than one budget.
        if var p = boardCache.withLock({ $0[group.rawValue]?.pivot }), p.values.count > 1 {
            let shown = Set(lb.rows.map(\.agent))
            p.agents = p.agents.filter(shown.contains)
            h += "<div class=\"card\" id=\"score-vs-hours\">" + inlineSVG(LeaderboardCharts.pivot(p)) + "</div>"
        }
        return WebPage(body: HTML.page(title: "Leaderboard", body: h))
    }

    /// A standalone SVG document without its XML declaration, for embedding in HTML.
    func inlineSVG(_ doc: String) -> String {
        guard let r = doc.range(of: "<svg") else { return "" }
        return String(doc[r.lowerBound...])
    }

    /// The board with what it was computed under: weights, models, benchmarks, the policy
    /// (grouping, baseline method, bootstrap) and the notes the terminal prints.
    struct LeaderboardDocument: Encodable {
        struct Policy: Encodable {
            var groupBy: String
            var weightScheme: String
            var bootstrapResamples: Int
            var baselineMethod: String
            /// Runs per integrity policy over the whole board: which rules replaced scores.
            var integrityPolicies: [String: Int]
        }
        var rows: [LeaderboardRow]
        var weights: BenchmarkWeights
        var models: [String]
        var benchmarks: [String]
        var policy: Policy
        var notes: [String]
        var sources: [String]
    }

    func leaderboardJSON(_ query: [String: String]) throws -> WebPage {
        let group = GroupBy(query: query)
        let (lb, loaded) = try board(groupBy: group)
        let opts = LeaderboardOptions(groupBy: group, agents: config.agents, baselines: config.baselines, bootstrap: Bootstrap(resamples: config.bootstrap))
        return .json(LeaderboardDocument(rows: lb.rows, weights: lb.weights, models: lb.models, benchmarks: lb.benchmarks,
                                         policy: .init(groupBy: group.rawValue, weightScheme: lb.weights.scheme.rawValue,
                                                       bootstrapResamples: config.bootstrap, baselineMethod: opts.baselineMethod,
                                                       integrityPolicies: lb.rows.compactMap { $0.counts?.policies }
                                                           .reduce(into: [:]) { $0.merge($1, uniquingKeysWith: +) }),
                                         notes: lb.notes, sources: loaded.summary))
    }

    func agentPage(name: String, _ query: [String: String], json: Bool) throws -> WebPage {
        let group = GroupBy(query: query)
        let (lb, _) = try board(groupBy: group)
        guard let row = lb.rows.first(where: { $0.agent == name && !$0.baseline }) else { return .notFound("No agent named \(name).", json: json) }
        if json {
            struct Cell: Encodable { var sweep, task, model: String; var value: Double?; var scoreCell, flags: String; var fallback: String?; var run: String? }
            struct Doc: Encodable { var row: LeaderboardRow; var cells: [Cell] }
            let cells = row.methods.flatMap { m in
                (lb.methods[m]?.cells ?? [:]).sorted { ($0.key.task, $0.key.model) < ($1.key.task, $1.key.model) }.map { key, c in
                    Cell(sweep: m, task: key.task, model: key.model, value: c.value, scoreCell: c.scoreCell, flags: c.flagCell,
                         fallback: c.fallback?.rawValue, run: c.run?.name)
                }
            }
            return .json(Doc(row: row, cells: cells))
        }
        var h = "<div class=\"card\"><p>Score <b>\(HTML.pct(row.avg))</b>\(row.std.map { " ± " + HTML.pct($0) } ?? "") over \(row.n) sweep(s)"
        h += row.rank.map { ", rank \($0)" } ?? ""
        h += ".</p><p>Sweeps: " + row.methods.enumerated().map { i, m in
            HTML.a("/sweep/\(HTML.url(m))", m) + " (\(HTML.pct(row.sweeps[i])))"
        }.joined(separator: ", ") + "</p></div>"
        if let hm = try? lb.heatMap(agent: name) { h += "<div class=\"card heatmap\">" + inlineSVG(LeaderboardCharts.heatMap(hm)) + "</div>" }
        h += agentBudgetChart(row.methods)
        // The cells behind the score: newest run per task × model, with why a cell fell back.
        var rows: [[String]] = []
        for m in row.methods {
            guard let mr = lb.methods[m] else { continue }
            for key in mr.cells.keys.sorted(by: { ($0.task, $0.model) < ($1.task, $1.model) }) {
                let c = mr.cells[key]!
                let runLink = c.run.map { r in r.origin == .ptb ? HTML.a("/run/\(HTML.url(r.name))", r.name) : HTML.esc(r.name) } ?? "–"
                rows.append([HTML.td(HTML.a("/sweep/\(HTML.url(m))", m)), HTML.tdText(key.task), HTML.tdText(key.model),
                             HTML.tdText(HTML.pct(c.value), sort: String(c.value ?? -1), cls: "num"), HTML.tdText(c.scoreCell),
                             HTML.tdText(c.flagCell, cls: c.flagCell.isEmpty ? nil : "flag"), HTML.tdText(c.fallback?.rawValue ?? ""), HTML.td(runLink)])
            }
        }
        h += "<h2>Cells</h2>" + HTML.table(["Sweep", "Task", "Model", "Value", "Score cell", "Flags", "Fallback", "Run"], rows, id: "cells", sortable: true)
        return WebPage(body: HTML.page(title: "Agent \(name)", body: h))
    }

    func baselinesPage(json: Bool = false) throws -> WebPage {
        let (lb, _) = try board(groupBy: .agent)
        if json {
            struct Doc: Encodable { var weights: BenchmarkWeights; var baselines: BaselineTable }
            return .json(Doc(weights: lb.weights, baselines: lb.baselines))
        }
        var h = ""
        if let report = try? BaselineReport(table: config.baselines) {
            let rows = report.lines.map { l in
                [HTML.tdText(PaperBenchmarks.displayName(l.benchmark)), HTML.tdText(String(format: "%.2f", l.baseMean * 100), cls: "num"),
                 HTML.tdText(String(format: "%.2f", l.instructMean * 100), cls: "num"), HTML.tdText(String(format: "%.6f", l.derivedWeight), cls: "num"),
                 HTML.tdText(l.paperWeight.map { String(format: "%.6f", $0) } ?? "–", cls: "num")]
            }
            h += "<h2>Weights</h2>" + HTML.table(["Benchmark", "Base B̄ %", "Instruct Ī %", "Derived ŵ", "Paper ŵ"], rows, id: "weights", sortable: true)
            h += "<p>Weighted zero-shot score: base models \(String(format: "%.1f", report.baseScore * 100)), instruct models \(String(format: "%.1f", report.instructScore * 100)) (paper weights).</p>"
        }
        let table = lb.baselines
        let benches = Set(table.values.values.flatMap(\.keys)).sorted()
        let rows = table.models.map { m in
            [HTML.tdText(m)] + benches.map { b in HTML.tdText(HTML.pct(table.value(model: m, benchmark: b)), sort: String(table.value(model: m, benchmark: b) ?? -1), cls: "num") }
        }
        h += "<h2>Zero-shot scores in use</h2><p class=\"muted\">The published table, overridden by recorded baselines (`ptb baseline`, imported baseline_zeroshot runs, ptb's base-model evaluations).</p>"
        h += HTML.table(["Model"] + benches.map(PaperBenchmarks.displayName), rows, id: "baselines", sortable: true)
        return WebPage(body: HTML.page(title: "Baselines", body: h))
    }

    /// Final score against the time budget and against the agent's cost, one series per task,
    /// over the finished runs of the agent's sweeps (from the index: no run directory is read).
    func agentBudgetChart(_ sweeps: [String]) -> String {
        var byTask: [String: [(hours: Double, cost: Double?, score: Double)]] = [:]
        for sweep in sweeps {
            guard let rows = try? catalog.index.page(CatalogFilter(sweep: sweep, state: "done"), offset: 0, limit: 5000).rows else { continue }
            for r in rows { if let f = r.finalAccuracy { byTask[r.task, default: []].append((r.hours, r.costUSD, f * 100)) } }
        }
        let tasks = byTask.keys.sorted()
        func color(_ i: Int) -> String { LineChart.palette[i % LineChart.palette.count] }
        var h = ""
        // Only when the agent ran more than one budget: a single column says nothing about it.
        if Set(byTask.values.flatMap { $0.map(\.hours) }).count > 1 {
            let series = tasks.enumerated().map { i, t in
                LineChart.Series(name: t, color: color(i), points: byTask[t]!.map { ($0.hours * 3600, $0.score) }.sorted { $0.0 < $1.0 })
            }
            h += "<div class=\"card\" id=\"score-vs-budget\">" + LineChart.svg(title: "Final score vs time budget (finished runs)", series: series,
                                                                               xAxis: .elapsed, yLabel: "score ×100", yRange: 0...100, scatter: true,
                                                                               xLabel: "time budget (h:mm)") + "</div>"
        }
        let costed = tasks.enumerated().compactMap { i, t -> LineChart.Series? in
            let pts = byTask[t]!.compactMap { r in r.cost.map { ($0, r.score) } }
            return pts.isEmpty ? nil : LineChart.Series(name: t, color: color(i), points: pts)
        }
        if !costed.isEmpty {
            h += "<div class=\"card\" id=\"score-vs-cost\">" + LineChart.svg(title: "Final score vs agent cost (finished runs)", series: costed,
                                                                             xAxis: .steps, yLabel: "score ×100", yRange: 0...100, scatter: true,
                                                                             xLabel: "agent cost (USD)") + "</div>"
        }
        return h
    }
}
