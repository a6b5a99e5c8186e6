import Foundation

/// The leaderboard's three figures as standalone SVG documents.
public enum LeaderboardCharts {
    static let labelWidth = 250.0, plotWidth = 460.0, rightMargin = 120.0, rowHeight = 26.0, top = 56.0

    /// Agents' weighted scores (×100) as horizontal bars with ± std error bars; the zero-shot baseline
    /// rows as dashed reference lines.
    public static func scores(_ lb: Leaderboard) -> String {
        let agents = lb.rows.filter { !$0.baseline }, refs = lb.rows.filter(\.baseline)
        let maxValue = (agents.map { ($0.avg + ($0.std ?? 0)) * 100 } + refs.map { $0.avg * 100 }).max() ?? 0
        let (xMax, step) = niceAxis(maxValue)
        var c = canvas(rows: max(agents.count, 1))
        c.text("Leaderboard: weighted score (\(lb.weights.scheme.rawValue) weights), mean ± std over sweeps", x: 12, y: 24, size: 15, bold: true)
        axis(&c, rows: max(agents.count, 1), xMax: xMax, step: step, unit: "")
        let x0 = labelWidth, scale = plotWidth / xMax
        for (i, r) in agents.enumerated() {
            let y = top + Double(i) * rowHeight
            c.text("\(r.rank.map { "\($0). " } ?? "")\(r.agent)", x: x0 - 8, y: y + 17, anchor: .end)
            c.rect(x: x0, y: y + 5, width: r.avg * 100 * scale, height: 16, fill: "#4c78a8",
                   title: "\(r.agent): \(LeaderboardText.scoreText(r)) (n=\(r.n))")
            var end = r.avg * 100 * scale
            if let s = r.std {
                let lo = max(0, (r.avg - s) * 100) * scale, hi = (r.avg + s) * 100 * scale
                c.line(x1: x0 + lo, y1: y + 13, x2: x0 + hi, y2: y + 13, stroke: "#222", width: 1.5)
                c.line(x1: x0 + lo, y1: y + 8, x2: x0 + lo, y2: y + 18, stroke: "#222", width: 1.5)
                c.line(x1: x0 + hi, y1: y + 8, x2: x0 + hi, y2: y + 18, stroke: "#222", width: 1.5)
                end = hi
            }
            c.text(LeaderboardText.scoreText(r), x: x0 + end + 6, y: y + 17, size: 11)
        }
        let bottom = top + Double(max(agents.count, 1)) * rowHeight
        for (i, r) in refs.enumerated() {
            let x = x0 + r.avg * 100 * scale
            c.line(x1: x, y1: top - 4, x2: x, y2: bottom, stroke: i == 0 ? "#d62728" : "#2ca02c", width: 1.5, dashed: true)
            c.text("\(r.agent) \(LeaderboardText.pct(r.avg))", x: x + 3, y: top - 8 - Double(i) * 12, size: 10,
                   fill: i == 0 ? "#d62728" : "#2ca02c")
        }
        return c.render()
    }

    /// Mean agent-phase time per agent (hours) with ± std over sweeps and the share of the budget.
    public static func time(_ lb: Leaderboard) -> String {
        let rows = lb.rows.filter { !$0.baseline && $0.time != nil }
        let budgets = Set(rows.compactMap { r in r.time.map { ($0.avgSeconds / $0.percentOfBudget * 100 / 3600 * 1000).rounded() / 1000 } }
            .filter(\.isFinite))
        let budget = budgets.count == 1 ? budgets.first : nil
        let maxValue = (rows.map { ($0.time!.avgSeconds + ($0.time!.stdSeconds ?? 0)) / 3600 } + [budget ?? 0]).max() ?? 0
        let (xMax, step) = niceAxis(maxValue)
        var c = canvas(rows: max(rows.count, 1))
        c.text("Time spent by the agent (hours), mean ± std over sweeps", x: 12, y: 24, size: 15, bold: true)
        axis(&c, rows: max(rows.count, 1), xMax: xMax, step: step, unit: " h")
        let x0 = labelWidth, scale = plotWidth / xMax
        for (i, r) in rows.enumerated() {
            let t = r.time!, y = top + Double(i) * rowHeight, h = t.avgSeconds / 3600
            c.text(r.agent, x: x0 - 8, y: y + 17, anchor: .end)
            c.rect(x: x0, y: y + 5, width: h * scale, height: 16, fill: "#f58518", title: "\(r.agent): \(Durations.hms(t.avgSeconds))")
            var end = h * scale
            if let s = t.stdSeconds {
                let lo = max(0, (t.avgSeconds - s) / 3600) * scale, hi = (t.avgSeconds + s) / 3600 * scale
                c.line(x1: x0 + lo, y1: y + 13, x2: x0 + hi, y2: y + 13, stroke: "#222", width: 1.5)
                c.line(x1: x0 + lo, y1: y + 8, x2: x0 + lo, y2: y + 18, stroke: "#222", width: 1.5)
                c.line(x1: x0 + hi, y1: y + 8, x2: x0 + hi, y2: y + 18, stroke: "#222", width: 1.5)
                end = hi
            }
            c.text("\(Durations.hms(t.avgSeconds)) (\(String(format: "%.1f", t.percentOfBudget))% of budget)", x: x0 + end + 6, y: y + 17, size: 11)
        }
        if let budget {
            let x = x0 + budget * scale
            c.line(x1: x, y1: top - 4, x2: x, y2: top + Double(max(rows.count, 1)) * rowHeight, stroke: "#d62728", width: 1.5, dashed: true)
            c.text("budget \(String(format: "%g", budget)) h", x: x + 3, y: top - 8, size: 10, fill: "#d62728")
        }
        if rows.isEmpty { c.text("no run has a recorded time", x: x0 + 8, y: top + 17, fill: "#888") }
        return c.render()
    }

    /// Model × benchmark cells of one agent (mean over sweeps, ×100); `*` marks a base-score fallback.
    public static func heatMap(_ hm: HeatMap) -> String {
        let cellW = 104.0, cellH = 34.0, left = 170.0, headerY = 70.0
        let title = "\(hm.agent): score per model × benchmark (×100)"
        let note = "* at least one sweep used the zero-shot base score (missing score, flag or judge error)"
        // Wide enough for the title (15 px bold) and the footnote (10 px), not only the cells: with
        // one or two benchmarks both used to be cut off at the right edge.
        let textWidth = max(Double(title.count) * 9.2, Double(note.count) * 5.6) + 24
        var c = SVGCanvas(width: max(left + cellW * Double(max(hm.benchmarks.count, 1)) + 20, textWidth),
                          height: headerY + cellH * Double(max(hm.models.count, 1)) + 44)
        c.text(title, x: 12, y: 24, size: 15, bold: true)
        for (j, b) in hm.benchmarks.enumerated() {
            c.text(PaperBenchmarks.displayName(b), x: left + (Double(j) + 0.5) * cellW, y: headerY - 10, anchor: .middle, size: 11, bold: true)
        }
        for (i, m) in hm.models.enumerated() {
            let y = headerY + Double(i) * cellH
            c.text(m, x: left - 8, y: y + cellH / 2 + 4, anchor: .end, size: 11)
            for (j, b) in hm.benchmarks.enumerated() {
                let key = CellKey(task: b, model: m), x = left + Double(j) * cellW
                let v = hm.values[key]
                let mark = hm.fellBack.contains(key) ? "*" : ""
                c.rect(x: x, y: y, width: cellW - 2, height: cellH - 2, fill: v.map(color) ?? "#dddddd", stroke: "#d0d0d0",
                       title: "\(m) / \(b): \(v.map(LeaderboardText.pct) ?? "n/a")\(mark.isEmpty ? "" : " (base score used)")")
                c.text((v.map(LeaderboardText.pct) ?? "–") + mark, x: x + cellW / 2 - 1, y: y + cellH / 2 + 4, anchor: .middle,
                       size: 12, fill: (v ?? 0) > 0.55 ? "#ffffff" : "#222")
            }
        }
        c.text(note, x: 12,
               y: headerY + cellH * Double(max(hm.models.count, 1)) + 24, size: 10, fill: "#555")
        return c.render()
    }

    /// White → blue over [0,1].
    static func color(_ v: Double) -> String {
        let t = min(1, max(0, v))
        func mix(_ a: Double, _ b: Double) -> Int { Int((a + (b - a) * t).rounded()) }
        return String(format: "#%02x%02x%02x", mix(255, 33), mix(255, 102), mix(255, 172))
    }

    /// The axis end and tick step: the smallest round step that needs at most 8 ticks.
    static func niceAxis(_ x: Double) -> (max: Double, step: Double) {
        let step = [0.25, 0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000].first { (x / $0).rounded(.up) <= 8 } ?? max(1, x / 8)
        return (max(step, (x / step).rounded(.up) * step), step)
    }

    static func canvas(rows: Int) -> SVGCanvas {
        SVGCanvas(width: labelWidth + plotWidth + rightMargin, height: top + Double(rows) * rowHeight + 40)
    }

    static func axis(_ c: inout SVGCanvas, rows: Int, xMax: Double, step: Double, unit: String) {
        let bottom = top + Double(rows) * rowHeight, ticks = Int((xMax / step).rounded())
        c.line(x1: labelWidth, y1: bottom, x2: labelWidth + plotWidth, y2: bottom, stroke: "#444")
        for k in 0...ticks {
            let v = Double(k) * step, x = labelWidth + plotWidth * v / xMax
            c.line(x1: x, y1: top - 2, x2: x, y2: bottom, stroke: "#e5e5e5")
            c.text(String(format: "%g", v) + unit, x: x, y: bottom + 16, anchor: .middle, size: 10, fill: "#444")
        }
    }
}
