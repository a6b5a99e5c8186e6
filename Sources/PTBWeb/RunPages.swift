import Foundation
import PTBCore
import Synchronization
import PTBResults
import PTBStore

/// A list page's request: filters, sort, page.
struct ListRequest {
    var filter: CatalogFilter
    var sort: CatalogSort
    var page: Int
    var per: Int

    static let defaultPer = 50, maxPer = 200

    init(_ q: [String: String], sweep: String? = nil) {
        func v(_ k: String) -> String? { q[k].flatMap { $0.isEmpty ? nil : $0 } }
        filter = CatalogFilter(agent: v("agent"), task: v("task"), model: v("model"), sweep: sweep ?? v("sweep"),
                               state: v("state"), integrity: v("integrity"), text: v("q"))
        sort = v("sort").flatMap(CatalogSort.init(rawValue:)) ?? .newest
        page = max(1, Int(q["page"] ?? "") ?? 1)
        per = min(Self.maxPer, max(1, Int(q["per"] ?? "") ?? Self.defaultPer))
    }

    /// The query of this request with `page` replaced; the sweep of a sweep page stays in its path.
    func query(page: Int, dropSweep: Bool) -> [(String, String?)] {
        [("agent", filter.agent), ("task", filter.task), ("model", filter.model), ("sweep", dropSweep ? nil : filter.sweep),
         ("state", filter.state), ("integrity", filter.integrity), ("q", filter.text),
         ("sort", sort == .newest ? nil : sort.rawValue), ("per", per == Self.defaultPer ? nil : String(per)), ("page", page == 1 ? nil : String(page))]
    }
}

/// The JSON of a list page: the same rows the HTML shows.
struct RunListDocument: Encodable {
    var total: Int
    var page: Int
    var pages: Int
    var per: Int
    var sort: CatalogSort
    var filter: CatalogFilter
    var counts: [String: Int]
    var runs: [CatalogRow]
}

extension WebSite {
    static let states = RunOutcome.allCases.map(\.rawValue) + Phase.allCases.map(\.rawValue)

    func runsTable(_ rows: [CatalogRow], id: String, selectable: Bool = true) -> String {
        var s = "<table id=\"\(id)\" class=\"sortable runs\"><thead><tr>" + (selectable ? "<th title=\"select to compare\">⇆</th>" : "")
        s += ["Run", "Sweep", "Agent", "Task", "Model", "Hours", "GPUs", "State", "Exit", "Base", "Final", "Integrity", "Agent time", "Created"]
            .map { "<th>\($0)</th>" }.joined() + "</tr></thead><tbody>"
        for r in rows {
            s += "<tr data-run=\"\(HTML.esc(r.id))\">"
            if selectable { s += "<td><input type=\"checkbox\" name=\"id\" value=\"\(HTML.esc(r.id))\" form=\"compare-form\"></td>" }
            s += HTML.td(HTML.a("/run/\(HTML.url(r.id))", r.id), sort: r.id)
            s += HTML.td(HTML.a("/sweep/\(HTML.url(r.sweep))", r.sweep), sort: r.sweep)
            s += HTML.tdText(r.agent) + HTML.tdText(r.task) + HTML.tdText(r.model)
            s += HTML.tdText(RunSpec.formatHours(r.hours), sort: String(r.hours), cls: "num")
            s += HTML.tdText(String(r.gpus), sort: String(r.gpus), cls: "num")
            s += HTML.tdText(r.state, cls: "state state-\(r.outcome)")
            s += HTML.tdText(r.exitClass ?? "")
            s += HTML.tdText(HTML.pct(r.baseAccuracy), sort: String(r.baseAccuracy ?? -1), cls: "num")
            s += HTML.tdText(r.finalAccuracy.map { HTML.pct($0) } ?? (r.scoreState ?? ""), sort: String(r.finalAccuracy ?? -1), cls: "num final")
            s += HTML.tdText(r.integrity == "none" ? "" : r.integrity == "flagged" ? "FLAGGED" : "clean", cls: "integrity " + (r.integrity == "flagged" ? "flag" : "ok"))
            s += HTML.tdText(HTML.hms(r.agentSeconds), sort: String(r.agentSeconds ?? -1), cls: "num")
            s += HTML.tdText(HTML.iso(r.createdAt)) + "</tr>"
        }
        return s + "</tbody></table>"
    }

    /// The filter form, the matching runs of one page, the pager and the compare button.
    func runList(_ req: ListRequest, action: String, fixedSweep: Bool, tableID: String) throws -> (html: String, doc: RunListDocument) {
        let idx = catalog.index
        let (rows0, total) = try idx.page(req.filter, sort: req.sort, offset: (req.page - 1) * req.per, limit: req.per)
        let pages = max(1, (total + req.per - 1) / req.per)
        var req = req, rows = rows0
        if req.page > pages {
            req.page = pages
            rows = try idx.page(req.filter, sort: req.sort, offset: (pages - 1) * req.per, limit: req.per).rows
        }
        let counts = try idx.outcomes(req.filter)
        func select(_ name: String, _ label: String, _ values: [String], _ current: String?) -> String {
            "<label>\(label) <select name=\"\(name)\"><option value=\"\">any</option>" + values.map {
                "<option value=\"\(HTML.esc($0))\"\($0 == current ? " selected" : "")>\(HTML.esc($0))</option>"
            }.joined() + "</select></label> "
        }
        var h = "<form method=\"get\" action=\"\(HTML.esc(action))\" id=\"filters\" class=\"filters\">"
        h += select("agent", "Agent", try idx.values("agent"), req.filter.agent)
        h += select("task", "Task", try idx.values("task"), req.filter.task)
        h += select("model", "Model", try idx.values("model"), req.filter.model)
        if !fixedSweep { h += select("sweep", "Sweep", try idx.values("sweep"), req.filter.sweep) }
        h += select("state", "State", Self.states, req.filter.state)
        h += select("integrity", "Integrity", ["clean", "flagged", "none"], req.filter.integrity)
        h += "<label>Text <input type=\"search\" name=\"q\" value=\"\(HTML.esc(req.filter.text ?? ""))\" placeholder=\"run id or notes\"></label> "
        h += "<label>Sort <select name=\"sort\">" + CatalogSort.allCases.map {
            "<option\($0 == req.sort ? " selected" : "")>\($0.rawValue)</option>" }.joined() + "</select></label> "
        h += "<button>Filter</button> " + HTML.a(action, "clear") + "</form>"
        let countText = Self.states.prefix(4).compactMap { s in counts[s].map { "\($0) \(s)" } }.joined(separator: ", ")
        h += "<p id=\"match-count\">\(total) run(s) match" + (countText.isEmpty ? "" : " (\(HTML.esc(countText)))") + "</p>"
        let pager = HTML.pager(page: req.page, pages: pages) { HTML.link(action, req.query(page: $0, dropSweep: fixedSweep)) }
        h += "<form method=\"get\" action=\"/compare\" id=\"compare-form\"><button id=\"compare-button\">Compare selected</button> "
        h += "<span class=\"muted\">tick two or more runs</span></form>"
        h += pager + runsTable(rows, id: tableID) + pager
        h += "<p class=\"muted\">" + HTML.a(HTML.link(action + ".json", req.query(page: req.page, dropSweep: fixedSweep)), "this page as JSON") + "</p>"
        return (h, RunListDocument(total: total, page: req.page, pages: pages, per: req.per, sort: req.sort, filter: req.filter, counts: counts, runs: rows))
    }

    func runsPage(_ query: [String: String], json: Bool) throws -> WebPage {
        let (h, doc) = try runList(ListRequest(query), action: "/runs", fixedSweep: false, tableID: "runs")
        if json { return .json(doc) }
        var dirs = "<p class=\"muted\" id=\"index-info\">\(catalog.index.count) run(s) indexed in \(HTML.esc(config.runsDirs.map(\.path).joined(separator: ", ")))"
        if let r = catalog.lastRefresh.withLock({ $0 }) {
            dirs += String(format: "; last refresh: %d read, %d unchanged, %d removed in %.3f s", r.stats.read, r.stats.unchanged, r.stats.removed, r.seconds)
            if !r.stats.problems.isEmpty { dirs += "; \(r.stats.problems.count) unreadable: " + HTML.esc(r.stats.problems.prefix(3).joined(separator: "; ")) }
        }
        dirs += "</p>"
        return WebPage(body: HTML.page(title: "Runs", body: dirs + h))
    }

    func sweepsPage(_ query: [String: String], json: Bool) throws -> WebPage {
        let per = 100, page = max(1, Int(query["page"] ?? "") ?? 1)
        let (sweeps, total) = try catalog.index.sweeps(offset: (page - 1) * per, limit: per)
        struct Doc: Encodable { var total: Int; var page: Int; var sweeps: [SweepSummary] }
        if json { return .json(Doc(total: total, page: page, sweeps: sweeps)) }
        let rows = sweeps.map { s -> [String] in
            [HTML.td(HTML.a("/sweep/\(HTML.url(s.sweep))", s.sweep), sort: s.sweep), HTML.tdText(String(s.runs), cls: "num"),
             HTML.tdText(String(s.done), cls: "num"), HTML.tdText(String(s.failed), cls: "num"),
             HTML.tdText(String(s.runs - s.done - s.failed), cls: "num"), HTML.tdText(String(s.flagged), cls: s.flagged > 0 ? "num flag" : "num"),
             HTML.tdText(s.agents.split(separator: ",").sorted().joined(separator: ", ")), HTML.tdText(HTML.iso(s.newest))]
        }
        let pages = max(1, (total + per - 1) / per)
        let pager = HTML.pager(page: min(page, pages), pages: pages) { HTML.link("/sweeps", [("page", String($0))]) }
        return WebPage(body: HTML.page(title: "Sweeps", body: "<p>\(total) sweep(s)</p>" + pager
            + HTML.table(["Sweep", "Runs", "Done", "Failed", "Unfinished", "Flagged", "Agents", "Newest run"], rows, id: "sweeps", sortable: true) + pager))
    }

    func sweepPage(name: String, _ query: [String: String], json: Bool) throws -> WebPage {
        let req = ListRequest(query, sweep: name)
        let all = try catalog.index.outcomes(CatalogFilter(sweep: name))
        let n = all.values.reduce(0, +)
        guard n > 0 else { return .notFound("No runs in a sweep named \(name).", json: json) }
        let action = "/sweep/\(HTML.url(name))"
        let (list, doc) = try runList(req, action: action, fixedSweep: true, tableID: "sweep-runs")
        if json { return .json(doc) }
        let unfinished = (all["running"] ?? 0) + (all["pending"] ?? 0)
        var h = "<p id=\"sweep-counts\">\(n) run(s): " + all.keys.sorted().map { "\(all[$0]!) \(HTML.esc($0))" }.joined(separator: ", ") + "</p>"
        if unfinished > 0 {
            // The page script polls this page's JSON and moves each row's state as runs progress.
            let src = HTML.link(action + ".json", req.query(page: req.page, dropSweep: true))
            h += "<p class=\"muted\" id=\"sweep-live\" data-src=\"\(HTML.esc(src))\" data-interval=\"\(pollInterval(query))\">\(unfinished) unfinished: this page updates itself.</p>"
        }
        return WebPage(body: HTML.page(title: "Sweep \(name)", body: h + list))
    }

    /// Milliseconds between a live page's polls (`?poll=` for tests and impatient people, ≥ 250).
    func pollInterval(_ query: [String: String]) -> Int { max(250, Int(query["poll"] ?? "") ?? 3000) }

    func runPage(id: String, _ query: [String: String], json: Bool) throws -> WebPage {
        guard let run = catalog.run(id: id) else { return .notFound("No run with id \(id).", json: json) }
        let m = run.manifest, s = m.spec, p = run.paths
        let snap = liveSnapshot(run)
        if json {
            return .json(RunDocument(index: run.row, manifest: m, result: run.result, integrity: RunFiles.integrity(p), usage: RunFiles.usage(p),
                                     live: snap, files: "/run/\(HTML.url(id))/files.json"))
        }
        var h = "<p class=\"muted\">" + [HTML.a("/run/\(HTML.url(id))/files", "files (download)"), HTML.a("/run/\(HTML.url(id)).json", "JSON"),
                                          HTML.a(HTML.link("/runs", [("sweep", run.sweep)]), "runs of this sweep to compare")].joined(separator: " · ") + "</p>"
        if run.isLive { h += liveCard(run, snap, interval: pollInterval(query)) }
        h += "<div class=\"card\" id=\"summary\"><p>"
        h += "Sweep \(HTML.a("/sweep/\(HTML.url(run.sweep))", run.sweep)) · agent <b>\(HTML.esc(s.agent))</b> · task <b>\(HTML.esc(s.task))</b> · model <b>\(HTML.esc(s.model))</b>"
        h += " · budget \(HTML.esc(RunSpec.formatHours(s.hours))) h · \(s.gpus) GPU(s) \(HTML.esc(s.gpuName))</p>"
        h += "<p>State <b>\(HTML.esc(run.state))</b>, exit \(HTML.esc(m.exit?.description ?? "–")), created \(HTML.esc(HTML.iso(m.createdAt)))"
        h += m.deadline.map { ", deadline \(HTML.esc(HTML.iso($0)))" } ?? ""
        h += "</p>" + (m.failure.map { "<p class=\"flag\">Failure: \(HTML.esc($0))</p>" } ?? "") + "</div>"

        // Scores.
        let res = run.result
        h += "<h2>Scores</h2>"
        let scoreRows = [("base (unchanged model)", res?.baseScore), ("final (submitted model)", res?.finalScore)].map { label, sc in
            [HTML.tdText(label), HTML.tdText(HTML.pct(sc?.accuracy), cls: "num score"),
             HTML.tdText(sc.map { String(format: "%.2f", $0.stderr * 100) } ?? "–", cls: "num"), HTML.tdText(sc.map { String($0.n) } ?? "–", cls: "num")]
        }
        h += HTML.table(["Evaluation", "Accuracy ×100", "Stderr ×100", "n"], scoreRows, id: "scores")
        if let res {
            h += "<p>Score state: \(HTML.esc(res.scoreState.rawValue))"
            if let f = res.finalScore?.accuracy, let b = res.baseScore?.accuracy { h += String(format: " · change over base: %+.1f points", (f - b) * 100) }
            h += "</p>"
        } else {
            h += "<p class=\"muted\">No result.json yet.</p>"
        }
        h += "<p>" + ["final", "base"].compactMap { which in
            let dir = which == "final" ? p.finalEval : p.baseEval
            return FileManager.default.fileExists(atPath: dir.appendingPathComponent("samples.jsonl").path)
                ? HTML.a("/run/\(HTML.url(run.id))/samples?eval=\(which)", "\(which) evaluation samples") : nil
        }.joined(separator: " · ") + "</p>"

        // The agent's evaluate.py requests: how often it queried the benchmark, and what came back.
        if let text = try? String(contentsOf: p.dir.appendingPathComponent("broker.jsonl"), encoding: .utf8) {
            let requests = text.split(separator: "\n").compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
            // Lines written before dev splits existed have no split: they were all test queries.
            let split = { (r: [String: Any]) in r["split"] as? String ?? "test" }
            let tests = requests.filter { split($0) == "test" }.count
            h += "<h2>Evaluation requests</h2><p id=\"broker-summary\">\(tests) test-split quer\(tests == 1 ? "y" : "ies") of the benchmark, "
                + "\(requests.count - tests) dev-split request(s) (evaluate.py through the evaluation broker)</p>"
            let number = { (v: Any?) -> Double? in (v as? NSNumber)?.doubleValue ?? (v as? Double) ?? (v as? Int).map(Double.init) }
            let num = { (v: Double?, f: String) in v.map { String(format: f, $0) } ?? "–" }
            let rows = requests.map { r in
                [HTML.tdText(r["ts"] as? String ?? ""), HTML.tdText(split(r)), HTML.tdText(JSONKeys.value(r, "modelPath") as? String ?? ""),
                 HTML.tdText(num(number(r["limit"]), "%.0f"), cls: "num"), HTML.tdText(num(number(r["accuracy"]).map { $0 * 100 }, "%.1f"), cls: "num score"),
                 HTML.tdText(num(number(r["n"]), "%.0f"), cls: "num"), HTML.tdText(num(number(r["seconds"]), "%.1f"), cls: "num"),
                 HTML.tdText(r["error"] as? String ?? "", cls: r["error"] is String ? "flag" : "")]
            }
            h += HTML.table(["Time", "Split", "Model", "Limit", "Accuracy ×100", "n", "Seconds", "Error"], rows, id: "broker")
        }

        // Phase timeline.
        h += "<h2>Phases</h2>" + phaseTimeline(m)

        // Integrity.
        h += "<h2>Integrity</h2>"
        if let integ = RunFiles.integrity(p) {
            h += integ.flagged ? "<p class=\"flag\">FLAGGED</p>" : "<p class=\"ok\">clean</p>"
            if let policy = integ.policy { h += "<p class=\"muted\">policy: \(HTML.esc(policy))</p>" }
            if !integ.reasons.isEmpty { h += "<ul id=\"integrity-reasons\">" + integ.reasons.map { "<li class=\"flag\">\(HTML.esc($0))</li>" }.joined() + "</ul>" }
            let rows = integ.checks.map { c in
                [HTML.tdText(c.name), HTML.tdText(c.required.map { $0 ? "required" : "optional" } ?? ""), HTML.tdText(c.ran ? "yes" : "no"),
                 HTML.tdText(c.verdict, cls: c.ran && c.verdict == "clean" ? "ok" : "flag"),
                 HTML.td(c.evidence.isEmpty ? "<span class=\"muted\">none</span>" : "<ul>" + c.evidence.map { "<li><pre>\(HTML.esc($0))</pre></li>" }.joined() + "</ul>")]
            }
            h += HTML.table(["Check", "Required", "Ran", "Verdict", "Evidence"], rows, id: "integrity")
            h += "<details><summary>integrity.json</summary><pre>\(HTML.esc(integ.raw))</pre></details>"
        } else {
            h += "<p class=\"muted\">No integrity.json (the integrity phase has not run).</p>"
        }

        // Usage.
        if let u = RunFiles.usage(p) {
            h += "<h2>Agent usage</h2><p>Tokens: input \(u.input) (cached \(u.cached)), output \(u.output) (reasoning \(u.reasoning))"
            if let t = u.toolCalls { h += " · \(t) tool calls" }
            if let c = u.reportedCostUSD { h += String(format: " · cost $%.2f (reported)", c) } else if let c = u.estimatedCostUSD { h += String(format: " · cost ≈ $%.2f (list prices)", c) }
            h += "</p>"
        }

        // Trace and monitor.
        h += "<h2>Trace</h2><p>"
        var traceLinks: [String] = []
        for (file, label) in [("events", "events (unified)"), ("trace", "raw trace")] {
            let url = file == "events" ? p.events : p.trace
            if let size = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber {
                traceLinks.append(HTML.a("/run/\(HTML.url(run.id))/trace?file=\(file)", label) + " (\(ByteCountFormatter.string(fromByteCount: size.int64Value, countStyle: .file)))")
            }
        }
        h += (traceLinks.isEmpty ? "<span class=\"muted\">no trace recorded</span>" : traceLinks.joined(separator: " · ")) + "</p>"
        if !run.isLive, !snap.lossSVG.isEmpty {
            h += "<h2>Training loss</h2><div class=\"card\" id=\"loss\">\(snap.lossSVG)<p class=\"muted\">\(snap.lossPoints) steps read from the trace (“step N … loss X”).</p></div>"
        }
        h += "<h2>Monitor</h2>"
        if let idx = try? lines.index(p.monitor), idx.count > 0 {
            let step = max(1, idx.count / 600)
            var sampled: [String] = []
            if idx.count <= 20_000 {
                // One read for the whole file (a 10-hour run at 60 s is 600 lines), then every step-th line.
                let all = (try? lines.lines(p.monitor, from: 0, to: idx.count)) ?? []
                sampled = stride(from: 0, to: all.count, by: step).map { all[$0] }
            } else {
                var i = 0
                while i < idx.count {
                    sampled += (try? lines.lines(p.monitor, from: i, to: i + 1)) ?? []
                    i += step
                }
            }
            h += "<div class=\"card\">" + MonitorChart.svg(lines: sampled) + "<p class=\"muted\">\(idx.count) samples\(step > 1 ? ", every \(step)th shown" : "")</p></div>"
        } else {
            h += "<p class=\"muted\">No monitor samples.</p>"
        }

        // Spec.
        let specJSON = (try? JSONIO.encode(s)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        h += "<h2>Spec</h2><details open><summary>run.json spec</summary><pre id=\"spec\">\(HTML.esc(specJSON))</pre></details>"
        if let res, !res.versions.isEmpty {
            h += "<p class=\"muted\">Versions: " + res.versions.keys.sorted().map { "\(HTML.esc($0)) \(HTML.esc(res.versions[$0]!))" }.joined(separator: ", ") + "</p>"
        }
        h += "<p class=\"muted\">Directory: \(HTML.esc(p.dir.path))</p>"
        return WebPage(body: HTML.page(title: "Run \(run.id)", body: h))
    }

    /// A table of the phases and an SVG bar per phase on one time axis from the run's creation.
    func phaseTimeline(_ m: RunManifest) -> String {
        let t0 = m.createdAt
        let ends = Phase.allCases.compactMap { m[$0].endedAt ?? m[$0].startedAt }
        let span = max(1, (ends.max() ?? t0).timeIntervalSince(t0))
        let w = 560.0, left = 80.0
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" width=\"\(Int(left + w + 90))\" height=\"\(Phase.allCases.count * 22 + 10)\" font-size=\"11\" font-family=\"sans-serif\">"
        let colors: [PhaseState: String] = [.done: "#59a14f", .failed: "#e15759", .running: "#edc948", .skipped: "#bab0ac", .pending: "#dddddd"]
        var rows: [[String]] = []
        for (i, ph) in Phase.allCases.enumerated() {
            let r = m[ph], y = Double(i * 22 + 4)
            svg += "<text x=\"\(Int(left - 6))\" y=\"\(Int(y + 13))\" text-anchor=\"end\">\(ph.rawValue)</text>"
            if let s = r.startedAt {
                let e = r.endedAt ?? (r.state == .running ? Date() : s)
                let x = left + s.timeIntervalSince(t0) / span * w, bw = max(2, e.timeIntervalSince(s) / span * w)
                svg += "<rect x=\"\(String(format: "%.1f", x))\" y=\"\(Int(y))\" width=\"\(String(format: "%.1f", bw))\" height=\"16\" fill=\"\(colors[r.state]!)\"><title>\(ph.rawValue): \(HTML.hms(e.timeIntervalSince(s)))</title></rect>"
                svg += "<text x=\"\(String(format: "%.1f", min(x + bw + 4, left + w)))\" y=\"\(Int(y + 13))\">\(HTML.hms(e.timeIntervalSince(s)))</text>"
            }
            let dur = r.startedAt.flatMap { s in r.endedAt.map { $0.timeIntervalSince(s) } }
            rows.append([HTML.tdText(ph.rawValue), HTML.tdText(r.state.rawValue, cls: "phase-\(r.state.rawValue)"), HTML.tdText(String(r.attempts), cls: "num"),
                         HTML.tdText(HTML.iso(r.startedAt)), HTML.tdText(HTML.iso(r.endedAt)), HTML.tdText(HTML.hms(dur), cls: "num"),
                         HTML.td("<pre>\(HTML.esc(r.detail ?? ""))</pre>")])
        }
        svg += "</svg>"
        return "<div class=\"card\">" + svg + "</div>" + HTML.table(["Phase", "State", "Attempts", "Started", "Ended", "Duration", "Detail"], rows, id: "phases")
    }
}
