import Foundation
import PTBCore
import Synchronization
import PTBStore

/// What a running run's page shows and refreshes by polling `/run/ID/live`: phase, time left,
/// the last trace events, the monitor's last sample, the broker's requests and the loss curve.
struct LiveSnapshot: Encodable {
    var id: String
    /// False once the run is done or failed: the page stops polling and reloads.
    var live: Bool
    var state: String
    var phase: String
    var elapsed: String
    var elapsedSeconds: Double
    var timeLeft: String
    var timeLeftSeconds: Double?
    var monitor: String
    var broker: String
    var brokerRequests: [[String]]
    var events: [String]
    var traceLines: Int
    var lossPoints: Int
    var lastLoss: String
    var lossSVG: String
}

/// One run's data as `/run/ID.json` serves it.
struct RunDocument: Encodable {
    var index: CatalogRow
    var manifest: RunManifest
    var result: RunResult?
    var integrity: RunFiles.Integrity?
    var usage: RunFiles.Usage?
    var live: LiveSnapshot
    var files: String
}

extension WebSite {
    static let liveEvents = 12

    /// The trace a live page follows: the raw trace while the agent runs (events.jsonl is
    /// written when it ends), else the unified events.
    func liveTrace(_ p: RunPaths) -> URL? {
        let fm = FileManager.default
        let ev = fm.fileExists(atPath: p.events.path), tr = fm.fileExists(atPath: p.trace.path)
        if ev && tr {
            let mt = { (u: URL) in (try? fm.attributesOfItem(atPath: u.path)[.modificationDate] as? Date) ?? .distantPast }
            return mt(p.trace) > mt(p.events) ? p.trace : p.events
        }
        return ev ? p.events : tr ? p.trace : nil
    }

    /// The loss curve of a trace file, scanned from where the last request stopped.
    func loss(_ url: URL) -> [(Double, Double)] {
        let old = lossCache.withLock { $0[url.path] } ?? LossCurve.Scan()
        let new = LossCurve.update(old, file: url)
        lossCache.withLock { $0[url.path] = new }
        return new.sorted
    }

    func lossSVG(_ pts: [(Double, Double)], title: String) -> String {
        guard pts.count >= 2 else { return "" }
        return LineChart.svg(title: title, series: [LineChart.Series(name: "training loss", color: "#d62728", points: LineChart.thin(pts))],
                             xAxis: .steps, yLabel: "loss", cssClass: "loss")
    }

    /// One trace line in a sentence: time, kind, the first 200 characters.
    func summarize(_ text: String, time: Bool = true) -> String {
        guard let o = text.data(using: .utf8).flatMap({ try? JSONSerialization.jsonObject(with: $0) }) as? [String: Any] else {
            return String(text.prefix(200))
        }
        let ts = time ? (o["ts"] as? String).map { String($0.dropFirst(11).prefix(8)) + " " } ?? "" : ""
        if let event = o["event"] as? String { return ts + "ptb: \(event) " + String((o["detail"] as? String ?? "").prefix(180)) }
        if let line = o["line"] as? String { return ts + String(line.prefix(200)) }
        let kind = o["kind"] as? String ?? "event"
        let body = kind == "tool_call" ? "\(o["tool"] as? String ?? "tool"): \(o["input"] as? String ?? "")" : (o["text"] as? String ?? "")
        return ts + "[\(kind)] " + String(body.prefix(200))
    }

    func liveSnapshot(_ run: CatalogRun, now: Date = Date()) -> LiveSnapshot {
        let m = run.manifest, p = run.paths
        let elapsed = max(0, (run.result?.finishedAt ?? (run.isLive ? now : m.phases.values.compactMap(\.endedAt).max() ?? now)).timeIntervalSince(m.createdAt))
        let agent = m[.agent]
        var left: Double?, leftText: String
        if agent.state == .running {
            let deadline = m.deadline ?? agent.startedAt?.addingTimeInterval(m.spec.budgetSeconds)
            left = deadline.map { max(0, $0.timeIntervalSince(now)) }
            leftText = left.map { HTML.hms($0) + " of \(RunSpec.formatHours(m.spec.hours)) h" } ?? "–"
        } else if agent.endedAt != nil {
            leftText = "agent finished" + (run.result?.agentSeconds.map { " after \(HTML.hms($0))" } ?? "")
        } else {
            leftText = "agent not started (budget \(RunSpec.formatHours(m.spec.hours)) h)"
        }
        var monitor = "no samples yet"
        if let idx = try? lines.index(p.monitor), idx.count > 0, let last = try? lines.lines(p.monitor, from: idx.count - 1, to: idx.count) {
            let (times, series) = MonitorChart.series(lines: last)
            let parts = series.compactMap { s in s.values.first.flatMap { $0 }.map { "\(s.name.hasPrefix("load1") ? "load1 % of max" : s.name) \(String(format: "%.0f", $0))" } }
            monitor = (times.first.map { String($0.dropFirst(11).prefix(8)) + " · " } ?? "") + parts.joined(separator: " · ") + " (\(idx.count) samples)"
        }
        var broker = "no evaluation requests", brokerRows: [[String]] = []
        if let text = try? String(contentsOf: p.dir.appendingPathComponent("broker.jsonl"), encoding: .utf8) {
            let reqs = text.split(separator: "\n").compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
            let num = { (v: Any?) in (v as? NSNumber)?.doubleValue }
            brokerRows = reqs.suffix(5).map { r in
                [r["ts"] as? String ?? "", r["split"] as? String ?? "test", num(r["accuracy"]).map { String(format: "%.1f", $0 * 100) } ?? "–",
                 r["error"] as? String ?? ""]
            }
            let last = reqs.last.flatMap { num($0["accuracy"]) }.map { String(format: ", last accuracy %.1f", $0 * 100) } ?? ""
            broker = "\(reqs.count) request(s)\(last)"
        }
        var events: [String] = [], traceLines = 0, pts: [(Double, Double)] = []
        if let url = liveTrace(p), let idx = try? lines.index(url) {
            traceLines = idx.count
            events = ((try? lines.lines(url, from: max(0, idx.count - Self.liveEvents), to: idx.count)) ?? []).map { summarize($0) }
            pts = loss(url)
        }
        return LiveSnapshot(id: run.id, live: run.isLive, state: run.state, phase: m.outcome == .done ? "done" : m.currentPhase.rawValue,
                            elapsed: HTML.hms(elapsed), elapsedSeconds: elapsed, timeLeft: leftText, timeLeftSeconds: left,
                            monitor: monitor, broker: broker, brokerRequests: brokerRows, events: events, traceLines: traceLines,
                            lossPoints: pts.count, lastLoss: pts.last.map { String(format: "%.4f at step %.0f", $0.1, $0.0) } ?? "–",
                            lossSVG: lossSVG(pts, title: "Training loss (from the trace)"))
    }

    func liveJSON(id: String) -> WebPage {
        guard let run = catalog.run(id: id) else { return .notFound("No run with id \(id).", json: true) }
        return .json(liveSnapshot(run))
    }

    /// The live card: rendered now, then refreshed in place by the page script.
    func liveCard(_ run: CatalogRun, _ snap: LiveSnapshot, interval: Int) -> String {
        var h = "<div class=\"card\" id=\"live\" data-src=\"/run/\(HTML.url(run.id))/live\" data-interval=\"\(interval)\" data-polls=\"0\">"
        h += "<p><span class=\"pulse\">● live</span> Phase <b data-field=\"phase\">\(HTML.esc(snap.phase))</b> · state <b data-field=\"state\">\(HTML.esc(snap.state))</b>"
        h += " · elapsed <span data-field=\"elapsed\">\(HTML.esc(snap.elapsed))</span> · time left <b data-field=\"timeLeft\">\(HTML.esc(snap.timeLeft))</b></p>"
        h += "<p>Monitor: <span data-field=\"monitor\">\(HTML.esc(snap.monitor))</span></p>"
        h += "<p>Broker: <span data-field=\"broker\">\(HTML.esc(snap.broker))</span> · loss <span data-field=\"lastLoss\">\(HTML.esc(snap.lastLoss))</span>"
        h += " · trace lines <span data-field=\"traceLines\">\(snap.traceLines)</span></p>"
        h += "<div id=\"live-loss\">\(snap.lossSVG)</div>"
        h += "<p class=\"muted\">Latest trace events:</p><ol id=\"live-events\">" + snap.events.map { "<li>\(HTML.esc($0))</li>" }.joined() + "</ol></div>"
        return h
    }

    // MARK: files

    static let maxDownload: UInt64 = 512 << 20

    /// The run's files (regular files only, symlinks not followed), at most 2,000.
    func runFiles(_ run: CatalogRun) -> [(path: String, size: UInt64)] {
        let root = run.paths.dir.resolvingSymlinksInPath()
        guard let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey, .isSymbolicLinkKey]) else { return [] }
        var out: [(String, UInt64)] = []
        let prefix = root.path + "/"
        for case let u as URL in e {
            guard let v = try? u.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey, .isSymbolicLinkKey]) else { continue }
            if v.isSymbolicLink == true || v.isRegularFile != true { continue }
            guard u.path.hasPrefix(prefix) else { continue }
            out.append((String(u.path.dropFirst(prefix.count)), UInt64(v.fileSize ?? 0)))
            if out.count >= 2000 { break }
        }
        return out.sorted { $0.0 < $1.0 }
    }

    func filesPage(id: String, json: Bool) throws -> WebPage {
        guard let run = catalog.run(id: id) else { return .notFound("No run with id \(id).", json: json) }
        let files = runFiles(run)
        struct F: Encodable { var path: String; var size: UInt64; var url: String }
        let list = files.map { F(path: $0.path, size: $0.size, url: "/run/\(HTML.url(id))/file/" + $0.path.split(separator: "/").map { HTML.url(String($0)) }.joined(separator: "/")) }
        if json { return .json(list) }
        let rows = list.map { f in
            [HTML.td(f.size <= Self.maxDownload ? HTML.a(f.url, f.path) : HTML.esc(f.path) + " <span class=\"muted\">(too large to download here)</span>"),
             HTML.tdText(ByteCountFormatter.string(fromByteCount: Int64(f.size), countStyle: .file), sort: String(f.size), cls: "num")]
        }
        let h = "<p>\(HTML.a("/run/\(HTML.url(id))", "← run \(id)")) · \(files.count) file(s)\(files.count >= 2000 ? " (first 2,000)" : "")</p>"
            + HTML.table(["File", "Size"], rows, id: "files", sortable: true)
        return WebPage(body: HTML.page(title: "Files of \(id)", body: h))
    }

    /// A file inside the run directory: every segment is a plain name, and the resolved path
    /// (symlinks followed) must still lie inside the resolved run directory.
    func fileDownload(id: String, relative: [String]) throws -> WebPage {
        guard let run = catalog.run(id: id) else { return .notFound("No run with id \(id).") }
        guard !relative.isEmpty, relative.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && !$0.contains("/") && !$0.contains("\u{0}") }) else {
            return .notFound("No such file.")
        }
        let root = run.paths.dir.resolvingSymlinksInPath()
        let target = relative.reduce(root) { $0.appendingPathComponent($1) }.resolvingSymlinksInPath()
        var isDir: ObjCBool = false
        guard target.path.hasPrefix(root.path + "/"), FileManager.default.fileExists(atPath: target.path, isDirectory: &isDir), !isDir.boolValue else {
            return .notFound("No such file in run \(id).")
        }
        let size = (try FileManager.default.attributesOfItem(atPath: target.path)[.size] as? NSNumber)?.uint64Value ?? 0
        guard size <= Self.maxDownload else {
            return WebPage(status: 413, body: HTML.page(title: "Too large", body: "<p>\(HTML.esc(relative.joined(separator: "/"))) is \(size) bytes; copy it from \(HTML.esc(target.path)) instead.</p>"))
        }
        let ext = target.pathExtension.lowercased()
        let text = ["json", "jsonl", "md", "txt", "log", "py", "sh", "yaml", "yml", "csv", "toml"].contains(ext)
        var page = WebPage(body: "", contentType: text ? "text/plain; charset=utf-8" : "application/octet-stream")
        page.data = try Data(contentsOf: target, options: .mappedIfSafe)
        let name = target.lastPathComponent.unicodeScalars.map { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-._".unicodeScalars.contains($0)) ? String($0) : "_" }.joined()
        page.headers = [("Content-Disposition", "attachment; filename=\"\(name)\"")]
        return page
    }
}
