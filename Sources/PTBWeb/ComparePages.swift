import Foundation
import PTBCore
import Synchronization
import PTBStore

/// `/compare?ids=a,b,…` (or repeated `id=`): runs side by side — scores per task, time, cost,
/// integrity, overlaid loss and GPU curves, and their traces aligned by elapsed time.
struct CompareDocument: Encodable {
    struct Run: Encodable {
        var id: String
        var index: CatalogRow
        var costUSD: Double?
        var tokens: RunFiles.Usage?
        var integrityReasons: [String]
        var budgetPercent: Double?
        var lossPoints: Int
        var lastLoss: Double?
    }
    struct Minute: Encodable {
        var minute: Int
        /// Per run (in `runs` order): the events of that minute, and how many more were cut.
        var events: [[String]]
        var more: [Int]
    }
    var runs: [Run]
    var missing: [String]
    var tasks: [String]
    var windowStartMinutes: Int
    var windowMinutes: Int
    var aligned: [Minute]
}

extension WebSite {
    static let maxCompared = 8

    func comparePage(_ query: [String: String], json: Bool) throws -> WebPage {
        var ids: [String] = []
        for raw in ((query["ids"] ?? "") + "," + (query["id"] ?? "")).split(separator: ",") {
            let id = raw.trimmingCharacters(in: .whitespaces)
            if RunCatalog.isValidID(id), !ids.contains(id) { ids.append(id) }
        }
        ids = Array(ids.prefix(Self.maxCompared))
        let runs = ids.compactMap { catalog.run(id: $0) }
        let missing = ids.filter { id in !runs.contains { $0.id == id } }
        let at = max(0, Int(query["at"] ?? "") ?? 0), span = min(120, max(1, Int(query["span"] ?? "") ?? 10))
        let doc = compareDocument(runs, missing: missing, at: at, span: span)
        if json { return .json(doc) }
        guard !runs.isEmpty else {
            return WebPage(body: HTML.page(title: "Compare runs", body: "<p>Select two or more runs on \(HTML.a("/runs", "the runs page")) and press “Compare selected”, or open <code>/compare?ids=RUN1,RUN2</code>.</p>"
                + (missing.isEmpty ? "" : "<p class=\"flag\">Unknown run(s): \(HTML.esc(missing.joined(separator: ", ")))</p>")))
        }
        let idList = runs.map(\.id).joined(separator: ",")
        var h = missing.isEmpty ? "" : "<p class=\"flag\">Unknown run(s) left out: \(HTML.esc(missing.joined(separator: ", ")))</p>"
        h += "<p class=\"muted\">\(HTML.a(HTML.link("/compare.json", [("ids", idList), ("at", String(at)), ("span", String(span))]), "JSON"))</p>"
        // Side by side: one column per run.
        let cols = doc.runs
        func row(_ label: String, _ cells: [String]) -> String { "<tr><th>\(HTML.esc(label))</th>" + cells.joined() + "</tr>" }
        var t = "<table id=\"compare\"><thead><tr><th></th>" + cols.map { "<th>\(HTML.a("/run/\(HTML.url($0.id))", $0.id))</th>" }.joined() + "</tr></thead><tbody>"
        t += row("Agent", cols.map { HTML.tdText($0.index.agent) }) + row("Task", cols.map { HTML.tdText($0.index.task) })
        t += row("Model", cols.map { HTML.tdText($0.index.model) }) + row("Sweep", cols.map { HTML.td(HTML.a("/sweep/\(HTML.url($0.index.sweep))", $0.index.sweep)) })
        t += row("Budget", cols.map { HTML.tdText("\(RunSpec.formatHours($0.index.hours)) h × \($0.index.gpus) GPU") })
        t += row("State", cols.map { HTML.tdText($0.index.state, cls: "state state-\($0.index.outcome)") })
        t += row("Base ×100", cols.map { HTML.tdText(HTML.pct($0.index.baseAccuracy), cls: "num") })
        t += row("Final ×100", cols.map { HTML.tdText($0.index.finalAccuracy.map { HTML.pct($0) } ?? ($0.index.scoreState ?? "–"), cls: "num score") })
        t += row("Change", cols.map { c in
            HTML.tdText(c.index.finalAccuracy.flatMap { f in c.index.baseAccuracy.map { String(format: "%+.1f", (f - $0) * 100) } } ?? "–", cls: "num")
        })
        t += row("Integrity", cols.map { c in
            HTML.td(HTML.esc(c.index.integrity) + (c.integrityReasons.isEmpty ? "" : "<ul>" + c.integrityReasons.map { "<li>\(HTML.esc($0))</li>" }.joined() + "</ul>"),
                    cls: c.index.integrity == "flagged" ? "flag" : "ok")
        })
        t += row("Agent time", cols.map { HTML.tdText(HTML.hms($0.index.agentSeconds) + ($0.budgetPercent.map { String(format: " (%.0f%% of budget)", $0) } ?? ""), cls: "num") })
        t += row("Cost", cols.map { HTML.tdText($0.costUSD.map { String(format: "$%.2f", $0) } ?? "–", cls: "num") })
        t += row("Tokens in/out", cols.map { HTML.tdText($0.tokens.map { "\($0.input) / \($0.output)" } ?? "–", cls: "num") })
        t += row("Last loss", cols.map { HTML.tdText($0.lastLoss.map { String(format: "%.4f", $0) } ?? "–", cls: "num") })
        h += "<h2>Side by side</h2>" + t + "</tbody></table>"
        // Scores per task.
        let taskRows = doc.tasks.map { task in
            [HTML.tdText(task)] + cols.map { c in c.index.task == task ? HTML.tdText(HTML.pct(c.index.finalAccuracy), cls: "num score") : HTML.tdText("", cls: "muted") }
        }
        h += "<h2>Scores per task (final ×100)</h2>" + HTML.table(["Task"] + cols.map(\.id), taskRows, id: "compare-tasks")
        // Overlaid curves.
        let lossSeries = runs.enumerated().compactMap { i, r -> LineChart.Series? in
            guard let url = liveTrace(r.paths) else { return nil }
            let pts = loss(url)
            return pts.count >= 2 ? LineChart.Series(name: r.id, color: LineChart.palette[i % LineChart.palette.count], points: LineChart.thin(pts, max: 300)) : nil
        }
        if !lossSeries.isEmpty {
            h += "<div class=\"card\" id=\"compare-loss\">" + LineChart.svg(title: "Training loss", series: lossSeries, xAxis: .steps, yLabel: "loss", cssClass: "loss") + "</div>"
        }
        let gpuSeries = runs.enumerated().compactMap { i, r -> LineChart.Series? in
            guard let idx = try? lines.index(r.paths.monitor), idx.count > 0 else { return nil }
            let step = max(1, idx.count / 300)
            let sampled = ((try? lines.lines(r.paths.monitor, from: 0, to: min(idx.count, 20_000))) ?? []).enumerated().filter { $0.offset % step == 0 }.map(\.element)
            let (times, series) = MonitorChart.series(lines: sampled)
            guard let gpu = series.first(where: { $0.name.hasPrefix("GPU util") }) else { return nil }
            let xs = MonitorChart.elapsed(times, start: r.manifest[.agent].startedAt)
            let pts = zip(xs, gpu.values).compactMap { x, v -> (Double, Double)? in x.flatMap { x in v.map { (x, $0) } } }
            return LineChart.Series(name: r.id, color: LineChart.palette[i % LineChart.palette.count], points: pts)
        }
        if !gpuSeries.isEmpty {
            h += "<div class=\"card\" id=\"compare-gpu\">" + LineChart.svg(title: "GPU utilisation since the agent started", series: gpuSeries, xAxis: .elapsed,
                                                                            yLabel: "GPU util %", yRange: 0...100, cssClass: "monitor") + "</div>"
        }
        // Traces aligned by elapsed time since each agent started.
        func win(_ a: Int) -> String { HTML.link("/compare", [("ids", idList), ("at", String(a)), ("span", String(span))]) + "#aligned" }
        h += "<h2 id=\"aligned\">Traces aligned by elapsed time</h2><p>Minutes \(LineChart.hmm(Double(at * 60)))–\(LineChart.hmm(Double((at + span) * 60))) after each agent started · "
        h += (at > 0 ? HTML.a(win(max(0, at - span)), "← earlier") + " · " : "") + HTML.a(win(at + span), "later →")
        h += " <form class=\"inline\" method=\"get\" action=\"/compare\"><input type=\"hidden\" name=\"ids\" value=\"\(HTML.esc(idList))\">"
        h += " jump to minute <input type=\"number\" name=\"at\" value=\"\(at)\" min=\"0\" size=\"5\"> window <input type=\"number\" name=\"span\" value=\"\(span)\" min=\"1\" max=\"120\" size=\"4\"> <button>Go</button></form></p>"
        var a = "<table id=\"aligned-traces\"><thead><tr><th>elapsed</th>" + cols.map { "<th>\(HTML.esc($0.id))</th>" }.joined() + "</tr></thead><tbody>"
        for m in doc.aligned {
            a += "<tr><td class=\"num\">\(LineChart.hmm(Double(m.minute * 60)))</td>"
            for (i, evs) in m.events.enumerated() {
                a += "<td>" + evs.map { "<div class=\"ev\">\(HTML.esc($0))</div>" }.joined() + (m.more[i] > 0 ? "<div class=\"muted\">+\(m.more[i]) more</div>" : "") + "</td>"
            }
            a += "</tr>"
        }
        h += a + "</tbody></table>"
        if doc.aligned.isEmpty { h += "<p class=\"muted\">No trace events in this window.</p>" }
        return WebPage(body: HTML.page(title: "Compare \(runs.count) run(s)", body: h))
    }

    func compareDocument(_ runs: [CatalogRun], missing: [String], at: Int, span: Int) -> CompareDocument {
        let docs = runs.map { r -> CompareDocument.Run in
            let u = RunFiles.usage(r.paths)
            let pts = liveTrace(r.paths).map(loss) ?? []
            return CompareDocument.Run(id: r.id, index: r.row, costUSD: u?.reportedCostUSD ?? u?.estimatedCostUSD, tokens: u,
                                       integrityReasons: RunFiles.integrity(r.paths)?.reasons ?? [],
                                       budgetPercent: r.row.agentSeconds.map { $0 / max(1, r.row.hours * 3600) * 100 },
                                       lossPoints: pts.count, lastLoss: pts.last?.1)
        }
        // Per run: the events of each minute of the window.
        let perRun = runs.map { eventsByMinute($0, at: at, span: span) }
        var aligned: [CompareDocument.Minute] = []
        for minute in at..<(at + span) {
            let evs = perRun.map { $0[minute]?.events ?? [] }, more = perRun.map { $0[minute]?.more ?? 0 }
            if evs.contains(where: { !$0.isEmpty }) { aligned.append(.init(minute: minute, events: evs, more: more)) }
        }
        return CompareDocument(runs: docs, missing: missing, tasks: Array(Set(runs.map(\.row.task))).sorted(),
                               windowStartMinutes: at, windowMinutes: span, aligned: aligned)
    }

    static let eventsPerMinute = 4, linesPerWindow = 400

    /// The run's trace events from minute `at` to `at + span` after its agent started: the first
    /// line is found by binary search on the line index (timestamps only grow), then at most
    /// `linesPerWindow` lines are read.
    func eventsByMinute(_ run: CatalogRun, at: Int, span: Int) -> [Int: (events: [String], more: Int)] {
        guard let url = liveTrace(run.paths), let idx = try? lines.index(url), idx.count > 0 else { return [:] }
        let t0 = run.manifest[.agent].startedAt ?? run.manifest.createdAt
        let from = t0.addingTimeInterval(Double(at * 60)), to = t0.addingTimeInterval(Double((at + span) * 60))
        func ts(_ text: String) -> Date? {
            guard let r = text.range(of: "\"ts\":\""), let e = text[r.upperBound...].firstIndex(of: "\"") else { return nil }
            return MonitorChart.parseISO(String(text[r.upperBound..<e]))
        }
        var lo = 0, hi = idx.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let t = (try? lines.lines(url, from: mid, to: mid + 1).first).flatMap(ts)
            if let t, t >= from { hi = mid } else { lo = mid + 1 }
        }
        var out: [Int: (events: [String], more: Int)] = [:]
        for text in (try? lines.lines(url, from: lo, to: min(idx.count, lo + Self.linesPerWindow))) ?? [] {
            guard let t = ts(text) else { continue }
            if t >= to { break }
            let minute = Int(t.timeIntervalSince(t0) / 60)
            var cell = out[minute] ?? ([], 0)
            if cell.events.count < Self.eventsPerMinute {
                let offset = t.timeIntervalSince(t0)
                cell.events.append(String(format: "%d:%02d ", Int(offset) / 60, Int(offset) % 60) + summarize(text, time: false))
            } else {
                cell.more += 1
            }
            out[minute] = cell
        }
        return out
    }
}
