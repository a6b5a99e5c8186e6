import Foundation
import PTBCore

extension WebSite {
    /// One page of a trace, served from the line index: a 10-hour trace costs one seek and one read
    /// of `pageLines` lines per request, and a search one streaming scan.
    /// The lines of one trace page as JSON: each the file's own JSON line, verbatim.
    struct TraceDocument: Encodable {
        var file: String
        var page: Int
        var pages: Int
        var totalLines: Int
        var firstLine: Int
        var lines: [String]
        var matches: [Int]?
    }

    func tracePage(id: String, _ query: [String: String], json: Bool = false) throws -> WebPage {
        guard let run = catalog.run(id: id) else { return .notFound("No run with id \(id).", json: json) }
        let wantEvents = (query["file"] ?? "events") == "events"
        let eventsExist = FileManager.default.fileExists(atPath: run.paths.events.path)
        let useEvents = wantEvents && eventsExist
        let url = useEvents ? run.paths.events : run.paths.trace
        let fileName = useEvents ? "events" : "trace"
        guard FileManager.default.fileExists(atPath: url.path) else { return .notFound("Run \(id) has no trace yet.", json: json) }
        let idx = try lines.index(url)
        let per = Self.pageLines
        let pages = max(1, (idx.count + per - 1) / per)
        let q = (query["q"] ?? "").trimmingCharacters(in: .whitespaces)
        var page = Int(query["page"] ?? "") ?? 1
        page = min(max(1, page), pages)
        if json {
            let first = (page - 1) * per
            return .json(TraceDocument(file: fileName, page: page, pages: pages, totalLines: idx.count, firstLine: first + 1,
                                       lines: try lines.lines(url, from: first, to: first + per),
                                       matches: q.isEmpty ? nil : try lines.search(url, needle: q).lines.map { $0 + 1 }))
        }
        let base = "/run/\(HTML.url(id))/trace"
        func link(_ p: Int, anchor: Int? = nil) -> String {
            HTML.link(base, [("file", fileName), ("page", String(p)), ("q", q.isEmpty ? nil : q)]) + (anchor.map { "#L\($0 + 1)" } ?? "")
        }
        var h = "<p>\(HTML.a("/run/\(HTML.url(id))", "← run \(id)")) · "
        h += useEvents ? "events.jsonl (unified) · \(HTML.a(HTML.link(base, [("file", "trace")]), "raw trace.jsonl"))"
            : "trace.jsonl (raw)" + (eventsExist ? " · \(HTML.a(HTML.link(base, [("file", "events")]), "unified events"))" : "")
        h += " · \(idx.count) lines, \(ByteCountFormatter.string(fromByteCount: Int64(idx.end), countStyle: .file))</p>"
        h += "<form method=\"get\" action=\"\(HTML.esc(base))\" id=\"search\"><input type=\"hidden\" name=\"file\" value=\"\(fileName)\">"
        h += "<input type=\"search\" name=\"q\" value=\"\(HTML.esc(q))\" placeholder=\"search the whole trace\" size=\"40\"> <button>Search</button></form>"
        if !q.isEmpty {
            let found = try lines.search(url, needle: q)
            h += "<div class=\"card\" id=\"matches\"><p>\(found.lines.count)\(found.truncated ? "+" : "") matching line(s) for “\(HTML.esc(q))”</p><ul>"
            for ln in found.lines.prefix(100) {
                let text = (try? lines.lines(url, from: ln, to: ln + 1).first) ?? ""
                h += "<li>\(HTML.a(link(ln / per + 1, anchor: ln), "line \(ln + 1)")) (page \(ln / per + 1)): <code>\(highlight(snippet(text, around: q), q))</code></li>"
            }
            if found.lines.count > 100 { h += "<li class=\"muted\">… \(found.lines.count - 100) more; refine the search</li>" }
            h += "</ul></div>"
        }
        let pager = HTML.pager(page: page, pages: pages) { link($0) }
        h += pager + "<div id=\"trace\">"
        let first = (page - 1) * per
        for (i, text) in try lines.lines(url, from: first, to: first + per).enumerated() {
            h += useEvents ? eventLine(text, n: first + i, q: q) : rawLine(text, n: first + i, q: q)
        }
        h += "</div>" + pager
        return WebPage(body: HTML.page(title: "Trace of \(id)", body: h))
    }

    /// Text around the first match, so a 100 kB line does not become a 100 kB list item.
    func snippet(_ text: String, around q: String, width: Int = 160) -> String {
        guard let r = text.range(of: q, options: .caseInsensitive) else { return String(text.prefix(width)) }
        let start = text.index(r.lowerBound, offsetBy: -width / 2, limitedBy: text.startIndex) ?? text.startIndex
        let end = text.index(r.upperBound, offsetBy: width / 2, limitedBy: text.endIndex) ?? text.endIndex
        return (start > text.startIndex ? "…" : "") + String(text[start..<end]) + (end < text.endIndex ? "…" : "")
    }

    /// Escapes `text` and wraps case-insensitive matches of `q` in <mark>.
    func highlight(_ text: String, _ q: String) -> String {
        guard !q.isEmpty else { return HTML.esc(text) }
        var out = "", rest = text[...]
        while let r = rest.range(of: q, options: .caseInsensitive) {
            out += HTML.esc(String(rest[..<r.lowerBound])) + "<mark>" + HTML.esc(String(rest[r])) + "</mark>"
            rest = rest[r.upperBound...]
        }
        return out + HTML.esc(String(rest))
    }

    func lineHead(_ n: Int, ts: String?) -> String {
        "<a class=\"ln\" id=\"L\(n + 1)\" href=\"#L\(n + 1)\">\(n + 1)</a> <span class=\"ts\">\(HTML.esc(ts ?? ""))</span> "
    }

    /// A collapsed block: summary always visible, body on demand (open when it holds a match).
    func collapsed(_ n: Int, ts: String?, kind: String, summary: String, body: String, q: String) -> String {
        let open = !q.isEmpty && body.range(of: q, options: .caseInsensitive) != nil
        return "<div class=\"tl k-\(kind)\"><details\(open ? " open" : "")><summary>\(lineHead(n, ts: ts))\(summary)</summary><pre>\(highlight(body, q))</pre></details></div>"
    }

    func eventLine(_ text: String, n: Int, q: String) -> String {
        guard let o = text.data(using: .utf8).flatMap({ try? JSONSerialization.jsonObject(with: $0) }) as? [String: Any] else {
            return "<div class=\"tl\">\(lineHead(n, ts: nil))<pre>\(highlight(text, q))</pre></div>"
        }
        let kind = o["kind"] as? String ?? "other", ts = o["ts"] as? String
        let body = o["text"] as? String ?? ""
        switch kind {
        case "tool_call":
            let tool = o["tool"] as? String ?? "tool", input = o["input"] as? String ?? ""
            return collapsed(n, ts: ts, kind: kind, summary: "⚙ <b>\(HTML.esc(tool))</b> \(highlight(String(input.prefix(140)), q))", body: input, q: q)
        case "tool_result":
            let err = (o["is_error"] as? Bool) == true
            return collapsed(n, ts: ts, kind: kind, summary: "↳ result\(err ? " <span class=\"flag\">error</span>" : "") (\(body.count) chars) \(highlight(String(body.prefix(120)), q))", body: body, q: q)
        case "assistant_text", "reasoning", "final_result":
            if body.count > 1500 {
                return collapsed(n, ts: ts, kind: kind, summary: "\(kind == "reasoning" ? "thinking:" : "»") \(highlight(String(body.prefix(200)), q))…", body: body, q: q)
            }
            return "<div class=\"tl k-\(kind)\">\(lineHead(n, ts: ts))\(kind == "reasoning" ? "thinking:" : "»")<pre>\(highlight(body, q))</pre></div>"
        case "usage":
            let u = o["usage"] as? [String: Any] ?? [:]
            let parts = ["input", "cached", "output", "reasoning"].compactMap { k in (u[k] as? NSNumber).map { "\(k) \($0)" } }
            return "<div class=\"tl k-usage muted\">\(lineHead(n, ts: ts))tokens: \(HTML.esc(parts.joined(separator: ", ")))</div>"
        default:
            let shown = body.isEmpty ? (o["raw"] as? String ?? text) : body
            if shown.count > 300 {
                return collapsed(n, ts: ts, kind: kind, summary: "[\(HTML.esc(kind))] \(highlight(String(shown.prefix(160)), q))…", body: shown, q: q)
            }
            return "<div class=\"tl k-\(HTML.esc(kind))\">\(lineHead(n, ts: ts))[\(HTML.esc(kind))] \(highlight(shown, q))</div>"
        }
    }

    func rawLine(_ text: String, n: Int, q: String) -> String {
        guard let o = text.data(using: .utf8).flatMap({ try? JSONSerialization.jsonObject(with: $0) }) as? [String: Any] else {
            return "<div class=\"tl\">\(lineHead(n, ts: nil))\(highlight(text, q))</div>"
        }
        let ts = o["ts"] as? String
        if let event = o["event"] as? String {
            return "<div class=\"tl k-harness\">\(lineHead(n, ts: ts))ptb: <b>\(HTML.esc(event))</b> \(highlight(o["detail"] as? String ?? "", q))</div>"
        }
        let line = o["line"] as? String ?? ""
        let isTool = ["\"tool_use\"", "\"function_call\"", "\"tool_call\"", "\"command_execution\""].contains { line.contains($0) }
        if isTool || line.count > 300 {
            return collapsed(n, ts: ts, kind: isTool ? "tool_call" : "output", summary: (isTool ? "⚙ tool call " : "") + highlight(String(line.prefix(160)), q) + "…", body: line, q: q)
        }
        return "<div class=\"tl\">\(lineHead(n, ts: ts))\(highlight(line, q))</div>"
    }

    func samplesPage(id: String, _ query: [String: String], json: Bool = false) throws -> WebPage {
        guard let run = catalog.run(id: id) else { return .notFound("No run with id \(id).", json: json) }
        let which = query["eval"] == "base" ? "base" : "final"
        let url = (which == "base" ? run.paths.baseEval : run.paths.finalEval).appendingPathComponent("samples.jsonl")
        guard FileManager.default.fileExists(atPath: url.path) else { return .notFound("Run \(id) has no \(which) evaluation samples.", json: json) }
        let filter = ["correct", "incorrect"].contains(query["filter"] ?? "") ? query["filter"]! : "all"
        let q = (query["q"] ?? "").trimmingCharacters(in: .whitespaces)
        let flags = try sampleFlags(url)
        var selected = Array(flags.indices)
        if filter != "all" { selected = selected.filter { flags[$0] == (filter == "correct") } }
        if !q.isEmpty {
            let hits = Set(try lines.search(url, needle: q, limit: max(flags.count, 1)).lines)
            selected = selected.filter(hits.contains)
        }
        let per = Self.pageSamples, pages = max(1, (selected.count + per - 1) / per)
        let page = min(max(1, Int(query["page"] ?? "") ?? 1), pages)
        if json {
            struct Doc: Encodable { var eval: String; var filter: String; var total: Int; var matching: Int; var page: Int; var pages: Int; var samples: [String] }
            let shown = try selected.dropFirst((page - 1) * per).prefix(per).map { try lines.lines(url, from: $0, to: $0 + 1).first ?? "" }
            return .json(Doc(eval: which, filter: filter, total: flags.count, matching: selected.count, page: page, pages: pages, samples: shown))
        }
        let base = "/run/\(HTML.url(id))/samples"
        let correct = flags.filter { $0 == true }.count
        var h = "<p>\(HTML.a("/run/\(HTML.url(id))", "← run \(id)")) · \(which) evaluation: \(flags.count) samples, \(correct) correct</p>"
        h += "<form method=\"get\" action=\"\(HTML.esc(base))\" id=\"filters\"><input type=\"hidden\" name=\"eval\" value=\"\(which)\"> Show "
        h += "<select name=\"filter\">" + ["all", "correct", "incorrect"].map { "<option\($0 == filter ? " selected" : "")>\($0)</option>" }.joined() + "</select> "
        h += "<input type=\"search\" name=\"q\" value=\"\(HTML.esc(q))\" placeholder=\"search prompts and outputs\"> <button>Apply</button></form>"
        h += "<p id=\"sample-count\">\(selected.count) sample(s) match</p>"
        let pager = HTML.pager(page: page, pages: pages) {
            HTML.link(base, [("eval", which), ("filter", filter), ("q", q.isEmpty ? nil : q), ("page", String($0))])
        }
        h += pager + "<div id=\"samples\">"
        for n in selected.dropFirst((page - 1) * per).prefix(per) {
            let text = (try? lines.lines(url, from: n, to: n + 1).first) ?? ""
            h += sampleCard(text, n: n, q: q)
        }
        h += "</div>" + pager
        return WebPage(body: HTML.page(title: "Samples of \(id)", body: h))
    }

    func sampleCard(_ text: String, n: Int, q: String) -> String {
        guard let o = text.data(using: .utf8).flatMap({ try? JSONSerialization.jsonObject(with: $0) }) as? [String: Any] else {
            return "<div class=\"card sample\"><pre>\(HTML.esc(text))</pre></div>"
        }
        let ok = o["correct"] as? Bool
        let prompt = (o["prompt"] as? [[String: Any]] ?? []).map { m in "[\(m["role"] as? String ?? "?")]\n\(m["content"] as? String ?? "")" }.joined(separator: "\n\n")
        var h = "<div class=\"card sample \(ok == true ? "correct" : "incorrect")\"><p><b>\(HTML.esc(o["id"] as? String ?? "#\(n + 1)"))</b>"
        if let e = o["epoch"] as? NSNumber { h += " epoch \(e)" }
        h += " · <span class=\"\(ok == true ? "ok" : "flag")\">\(ok == true ? "correct" : "incorrect")</span>"
        h += " · target <code>\(highlight(o["target"] as? String ?? "", q))</code> · answer <code>\(highlight(o["answer"] as? String ?? "–", q))</code></p>"
        h += "<details\(!q.isEmpty && prompt.range(of: q, options: .caseInsensitive) != nil ? " open" : "")><summary>prompt</summary><pre>\(highlight(prompt, q))</pre></details>"
        h += "<pre class=\"completion\">\(highlight(o["completion"] as? String ?? "", q))</pre></div>"
        return h
    }
}
