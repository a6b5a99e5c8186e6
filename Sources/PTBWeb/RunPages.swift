import Foundation
import PTBCore
import PTBResults

extension WebSite {
    func runsTable(_ runs: [CatalogRun], id: String) -> String {
        let rows = runs.map { r -> [String] in
            let s = r.manifest.spec, res = r.result
            let flagged = res?.integrityFlagged
            return [HTML.td(HTML.a("/run/\(HTML.url(r.id))", r.id), sort: r.id),
                    HTML.td(HTML.a("/sweep/\(HTML.url(r.sweep))", r.sweep), sort: r.sweep),
                    HTML.tdText(s.agent), HTML.tdText(s.task), HTML.tdText(s.model),
                    HTML.tdText(RunSpec.formatHours(s.hours), sort: String(s.hours), cls: "num"),
                    HTML.tdText(String(s.gpus), sort: String(s.gpus), cls: "num"),
                    HTML.tdText(r.state, cls: "state state-\(r.manifest.outcome.rawValue)"),
                    HTML.tdText(r.manifest.exit?.description ?? ""),
                    HTML.tdText(HTML.pct(res?.baseScore?.accuracy), sort: String(res?.baseScore?.accuracy ?? -1), cls: "num"),
                    HTML.tdText(res?.finalScore.map { HTML.pct($0.accuracy) } ?? (res?.scoreState ?? ""), sort: String(res?.finalScore?.accuracy ?? -1), cls: "num"),
                    HTML.tdText(flagged == nil ? "" : flagged! ? "FLAGGED" : "clean", cls: flagged == true ? "flag" : "ok"),
                    HTML.tdText(HTML.hms(res?.agentSeconds), sort: String(res?.agentSeconds ?? -1), cls: "num"),
                    HTML.tdText(HTML.iso(r.manifest.createdAt))]
        }
        return HTML.table(["Run", "Sweep", "Agent", "Task", "Model", "Hours", "GPUs", "State", "Exit", "Base", "Final", "Integrity", "Agent time", "Created"],
                          rows, id: id, sortable: true)
    }

    func runsPage(_ query: [String: String]) -> WebPage {
        let runs = catalog.runs()
        return WebPage(body: HTML.page(title: "Runs", body: "<p>\(runs.count) run(s) in \(HTML.esc(config.runsDirs.map(\.path).joined(separator: ", "))).</p>" + runsTable(runs, id: "runs")))
    }

    func sweepsPage() -> WebPage {
        let groups = Dictionary(grouping: catalog.runs(), by: \.sweep)
        let rows = groups.keys.sorted().map { name -> [String] in
            let rs = groups[name]!
            let done = rs.filter { $0.manifest.outcome == .done }.count, failed = rs.filter { $0.manifest.outcome == .failed }.count
            let flagged = rs.filter { $0.result?.integrityFlagged == true }.count
            return [HTML.td(HTML.a("/sweep/\(HTML.url(name))", name), sort: name), HTML.tdText(String(rs.count), cls: "num"),
                    HTML.tdText(String(done), cls: "num"), HTML.tdText(String(failed), cls: "num"),
                    HTML.tdText(String(rs.count - done - failed), cls: "num"), HTML.tdText(String(flagged), cls: flagged > 0 ? "num flag" : "num"),
                    HTML.tdText(Set(rs.map(\.manifest.spec.agent)).sorted().joined(separator: ", "))]
        }
        return WebPage(body: HTML.page(title: "Sweeps", body: HTML.table(["Sweep", "Runs", "Done", "Failed", "Unfinished", "Flagged", "Agents"], rows, id: "sweeps", sortable: true)))
    }

    func sweepPage(name: String) -> WebPage {
        let runs = catalog.runs().filter { $0.sweep == name }
        guard !runs.isEmpty else { return .notFound("No runs in a sweep named \(name).") }
        var counts: [String: Int] = [:]
        for r in runs { counts[r.state, default: 0] += 1 }
        let h = "<p>\(runs.count) run(s): " + counts.keys.sorted().map { "\(counts[$0]!) \(HTML.esc($0))" }.joined(separator: ", ") + "</p>" + runsTable(runs, id: "sweep-runs")
        return WebPage(body: HTML.page(title: "Sweep \(name)", body: h))
    }

    func runPage(id: String) -> WebPage {
        guard let run = catalog.run(id: id) else { return .notFound("No run with id \(id).") }
        let m = run.manifest, s = m.spec, p = run.paths
        var h = "<div class=\"card\" id=\"summary\"><p>"
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
            h += "<p>Score state: \(HTML.esc(res.scoreState))"
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
                [HTML.tdText(r["ts"] as? String ?? ""), HTML.tdText(split(r)), HTML.tdText(r["model_path"] as? String ?? ""),
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
