import Foundation

extension LeaderboardCharts {
    /// Score (×100) against the pivot's setting, one line per agent with ± std bars; values are
    /// equally spaced (ablation budgets like 1, 2, 5, 10 h stay readable) and labelled.
    public static func pivot(_ p: Pivot) -> String {
        let palette = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac", "#eeca3b"]
        let left = 60.0, top = 50.0, plotW = 520.0, plotH = 300.0, legendW = 240.0
        var c = SVGCanvas(width: left + plotW + legendW, height: top + plotH + 60)
        c.text("Score vs \(p.dimension == .hours ? "time budget (hours)" : "GPUs"), mean ± std over sweeps", x: 12, y: 24, size: 15, bold: true)
        let maxValue = p.cells.values.flatMap { $0.values.map { ($0.avg + ($0.std ?? 0)) * 100 } }.max() ?? 0
        let (yMax, step) = niceAxis(maxValue)
        let ticks = Int((yMax / step).rounded())
        for k in 0...ticks {
            let v = Double(k) * step, y = top + plotH - plotH * v / yMax
            c.line(x1: left, y1: y, x2: left + plotW, y2: y, stroke: "#e5e5e5")
            c.text(String(format: "%g", v), x: left - 6, y: y + 4, anchor: .end, size: 10, fill: "#444")
        }
        c.line(x1: left, y1: top + plotH, x2: left + plotW, y2: top + plotH, stroke: "#444")
        func x(_ i: Int) -> Double { left + (p.values.count > 1 ? Double(i) / Double(p.values.count - 1) * (plotW - 40) + 20 : plotW / 2) }
        for (i, v) in p.values.enumerated() {
            c.text(p.label(v), x: x(i), y: top + plotH + 16, anchor: .middle, size: 11, fill: "#444")
        }
        func y(_ v: Double) -> Double { top + plotH - plotH * v * 100 / yMax }
        for (k, a) in p.agents.enumerated() {
            let color = palette[k % palette.count]
            var prev: (Double, Double)?
            for (i, v) in p.values.enumerated() {
                guard let cell = p.cells[a]?[v] else { prev = nil; continue }
                let px = x(i), py = y(cell.avg)
                if let prev { c.line(x1: prev.0, y1: prev.1, x2: px, y2: py, stroke: color, width: 2) }
                if let s = cell.std {
                    c.line(x1: px, y1: y(max(0, cell.avg - s)), x2: px, y2: y(cell.avg + s), stroke: color, width: 1.2)
                }
                c.rect(x: px - 3, y: py - 3, width: 6, height: 6, fill: color,
                       title: "\(a) at \(p.label(v)): \(LeaderboardText.pct(cell.avg))\(cell.std.map { " ± " + LeaderboardText.pct($0) } ?? "") (n=\(cell.n))")
                prev = (px, py)
            }
            c.rect(x: left + plotW + 16, y: top + Double(k) * 18, width: 10, height: 10, fill: color)
            c.text(a, x: left + plotW + 32, y: top + Double(k) * 18 + 9, size: 11)
        }
        if p.agents.isEmpty { c.text("no runs record \(p.dimension.rawValue)", x: left + 10, y: top + 20, fill: "#888") }
        return c.render()
    }
}
