import Foundation

/// Server-rendered HTML. Every value that comes from a run, an import or a request goes through
/// `esc` (text and attribute values alike); markup is only ever built from literals.
public enum HTML {
    public static func esc(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// A path segment or query value for links.
    public static func url(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// `/path?k=v&…` with every value encoded; nil values left out.
    public static func link(_ path: String, _ query: [(String, String?)] = []) -> String {
        let q = query.compactMap { k, v in v.map { "\(url(k))=\(url($0))" } }
        return q.isEmpty ? path : path + "?" + q.joined(separator: "&")
    }

    public static func page(title: String, nav: String = "", body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(esc(title)) · ptb</title><link rel="stylesheet" href="/static/style.css"></head>
        <body><header><a class="brand" href="/">ptb</a> <a href="/">Leaderboard</a> <a href="/sweeps">Sweeps</a> <a href="/runs">Runs</a> <a href="/compare">Compare</a> <a href="/baselines">Baselines</a>\(nav)</header>
        <main><h1>\(esc(title))</h1>
        \(body)
        </main><script src="/static/app.js"></script></body></html>

        """
    }

    public static func table(_ header: [String], _ rows: [[String]], id: String? = nil, sortable: Bool = false, rowClass: [String?] = []) -> String {
        var s = "<table\(id.map { " id=\"\(esc($0))\"" } ?? "")\(sortable ? " class=\"sortable\"" : "")><thead><tr>"
        s += header.map { "<th>\(esc($0))</th>" }.joined()
        s += "</tr></thead><tbody>"
        for (i, r) in rows.enumerated() {
            let cls = i < rowClass.count ? rowClass[i] : nil
            s += (cls.map { "<tr class=\"\(esc($0))\">" } ?? "<tr>") + r.joined() + "</tr>"
        }
        return s + "</tbody></table>"
    }

    /// A cell of already-built markup; `sort` is the value the column sorts by.
    public static func td(_ markup: String, sort: String? = nil, cls: String? = nil) -> String {
        "<td\(sort.map { " data-sort=\"\(esc($0))\"" } ?? "")\(cls.map { " class=\"\(esc($0))\"" } ?? "")>\(markup)</td>"
    }

    public static func tdText(_ text: String, sort: String? = nil, cls: String? = nil) -> String { td(esc(text), sort: sort, cls: cls) }

    public static func a(_ href: String, _ text: String) -> String { "<a href=\"\(esc(href))\">\(esc(text))</a>" }

    public static func pct(_ x: Double?) -> String { x.map { String(format: "%.1f", $0 * 100) } ?? "–" }

    public static func iso(_ d: Date?) -> String {
        guard let d else { return "–" }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: d)
    }

    /// "H:MM:SS".
    public static func hms(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite else { return "–" }
        let t = Int(seconds.rounded(.down))
        return String(format: "%d:%02d:%02d", t / 3600, t % 3600 / 60, t % 60)
    }

    /// Pager links: « 1 … prev N next … last ».
    public static func pager(page: Int, pages: Int, link: (Int) -> String) -> String {
        guard pages > 1 else { return "<p class=\"pager\">page 1 of 1</p>" }
        var parts: [String] = []
        if page > 1 { parts += [a(link(1), "« first"), a(link(page - 1), "‹ prev")] }
        parts.append("<span class=\"pageinfo\">page \(page) of \(pages)</span>")
        if page < pages { parts += [a(link(page + 1), "next ›"), a(link(pages), "last »")] }
        return "<p class=\"pager\">" + parts.joined(separator: " ") + "</p>"
    }
}

/// The one stylesheet and script, served from memory: pages carry no inline script, so the
/// Content-Security-Policy can forbid it and an unescaped payload could not run anyway.
public enum StaticAssets {
    public static let css = """
    body{font-family:system-ui,Helvetica,Arial,sans-serif;margin:0;color:#222;background:#fafafa}
    header{background:#1f3b57;padding:8px 16px}header a{color:#fff;margin-right:14px;text-decoration:none}
    header .brand{font-weight:bold}main{padding:12px 20px}h1{font-size:1.4em}
    table{border-collapse:collapse;margin:8px 0;background:#fff}th,td{border:1px solid #ddd;padding:3px 7px;font-size:13px;text-align:left;vertical-align:top}
    th{background:#eef2f6}table.sortable th{cursor:pointer}td.num{text-align:right;font-variant-numeric:tabular-nums}
    tr.baseline td{color:#666;font-style:italic}.flag{color:#b00;font-weight:bold}.ok{color:#070}.muted{color:#888}
    pre{white-space:pre-wrap;word-break:break-word;margin:2px 0;font-size:12px}
    .tl{font-family:ui-monospace,monospace;font-size:12px;border-bottom:1px solid #eee;padding:2px 0}
    .tl .ln{color:#999;display:inline-block;min-width:6em}.tl .ts{color:#557}
    .k-tool_call summary{color:#7a3e00}.k-tool_result summary{color:#355}.k-harness{color:#06c}.k-error{color:#b00}
    mark{background:#ff0}.pager{margin:6px 0}.card{background:#fff;border:1px solid #ddd;padding:8px 12px;margin:8px 0}
    .phase-done{background:#dfd}.phase-failed{background:#fdd}.phase-running{background:#ffd}.phase-skipped{background:#eee}
    form.inline{display:inline}.filters label{margin-right:8px;white-space:nowrap}.filters{margin:6px 0}
    .pulse{color:#c00}td.changed{background:#ffa}.ev{font-family:ui-monospace,monospace;font-size:11px;margin:1px 0}
    #aligned-traces td{max-width:36em;word-break:break-word}#compare th{text-align:left}#live-events{font-family:ui-monospace,monospace;font-size:12px}
    svg{max-width:100%;height:auto}
    """

    public static let js = #"""
    // Click a header to sort its table; cells sort by data-sort (numbers numerically), else text.
    document.querySelectorAll('table.sortable').forEach(function (table) {
      table.querySelectorAll('th').forEach(function (th, col) {
        th.addEventListener('click', function () {
          var body = table.tBodies[0];
          var rows = Array.prototype.slice.call(body.rows);
          var dir = th.getAttribute('data-dir') === 'asc' ? 'desc' : 'asc';
          table.querySelectorAll('th').forEach(function (h) { h.removeAttribute('data-dir'); });
          th.setAttribute('data-dir', dir);
          function key(r) {
            var c = r.cells[col]; if (!c) return '';
            var v = c.hasAttribute('data-sort') ? c.getAttribute('data-sort') : c.textContent;
            var n = parseFloat(v); return isNaN(n) ? v.toLowerCase() : n;
          }
          rows.sort(function (a, b) {
            var x = key(a), y = key(b);
            var r = (typeof x === typeof y) ? (x < y ? -1 : x > y ? 1 : 0) : (typeof x === 'number' ? -1 : 1);
            return dir === 'asc' ? r : -r;
          });
          rows.forEach(function (r) { body.appendChild(r); });
        });
      });
      // #sort=COLUMN or #sort=COLUMN:desc sorts on load (links to a sorted view; the browser tests use it).
      var m = /sort=(\d+)(?::(asc|desc))?/.exec(location.hash);
      var th = m && table.querySelectorAll('th')[+m[1]];
      if (th) { th.click(); if (m[2] === 'desc') th.click(); }
    });
    // Live pages: poll the element's data-src (JSON) every data-interval ms and apply the answer;
    // `apply` returning false stops the polling (the run or sweep finished).
    function poll(el, apply) {
      var interval = +el.getAttribute('data-interval') || 3000, stopped = false;
      function tick() {
        fetch(el.getAttribute('data-src'), { headers: { 'Accept': 'application/json' }, credentials: 'same-origin' })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (j) {
            if (!j) return;
            el.setAttribute('data-polls', String((+el.getAttribute('data-polls') || 0) + 1));
            if (apply(j) === false) stopped = true;
          })
          .catch(function () {})
          .then(function () { if (!stopped) setTimeout(tick, interval); });
      }
      setTimeout(tick, interval);
    }
    var live = document.getElementById('live');
    if (live) poll(live, function (j) {
      live.querySelectorAll('[data-field]').forEach(function (f) {
        var v = j[f.getAttribute('data-field')];
        if (v !== undefined && v !== null) f.textContent = String(v);
      });
      var ol = document.getElementById('live-events');
      if (ol && ol.textContent !== j.events.join('')) {
        // Counted so that people (and the browser tests) can see the page moved by itself.
        live.setAttribute('data-changes', String((+live.getAttribute('data-changes') || 0) + 1));
        ol.textContent = '';
        j.events.forEach(function (e) { var li = document.createElement('li'); li.textContent = e; ol.appendChild(li); });
      }
      var loss = document.getElementById('live-loss');
      if (loss && j.lossSVG) loss.innerHTML = j.lossSVG;  // server-built and escaped, like the page itself
      if (!j.live) {
        live.setAttribute('data-live', 'ended');
        var p = document.createElement('p'); p.className = 'ok'; p.textContent = 'The run has finished: reload for its full report.';
        live.insertBefore(p, live.firstChild);
        return false;
      }
    });
    var sweepLive = document.getElementById('sweep-live');
    if (sweepLive) poll(sweepLive, function (j) {
      j.runs.forEach(function (r) {
        var tr = document.querySelector('tr[data-run="' + CSS.escape(r.id) + '"]');
        if (!tr) return;
        var st = tr.querySelector('td.state');
        var text = (r.outcome === 'done' || r.outcome === 'failed' || r.outcome === 'failed-to-start') ? r.outcome : r.outcome === 'running' ? r.phase + ' (running)' : r.phase;
        if (st && st.textContent !== text) {
          st.textContent = text; st.className = 'state state-' + r.outcome + ' changed';
          sweepLive.setAttribute('data-changes', String((+sweepLive.getAttribute('data-changes') || 0) + 1));
        }
        var fin = tr.querySelector('td.final');
        if (fin) fin.textContent = r.finalAccuracy != null ? (r.finalAccuracy * 100).toFixed(1) : (r.scoreState || '');
        var integ = tr.querySelector('td.integrity');
        if (integ && r.integrity !== 'none') { integ.textContent = r.integrity === 'flagged' ? 'FLAGGED' : 'clean'; integ.className = 'integrity ' + (r.integrity === 'flagged' ? 'flag' : 'ok'); }
      });
      var counts = document.getElementById('sweep-counts');
      if (counts) counts.textContent = j.total + ' run(s): ' + Object.keys(j.counts).sort().map(function (k) { return j.counts[k] + ' ' + k; }).join(', ');
      if (!(j.counts.running || j.counts.pending)) { sweepLive.setAttribute('data-live', 'ended'); sweepLive.textContent = 'All runs have finished.'; return false; }
    });
    // Compare: enabled once two runs are ticked; filter menus apply on change.
    var compareButton = document.getElementById('compare-button');
    if (compareButton) {
      var boxes = document.querySelectorAll('input[form=compare-form]');
      var update = function () {
        var n = document.querySelectorAll('input[form=compare-form]:checked').length;
        compareButton.disabled = n < 2;
        compareButton.textContent = 'Compare selected (' + n + ')';
      };
      boxes.forEach(function (b) { b.addEventListener('change', update); });
      update();
    }
    document.querySelectorAll('#filters select').forEach(function (s) { s.addEventListener('change', function () { s.form.submit(); }); });
    document.body.setAttribute('data-js', 'ready');
    """#
}
