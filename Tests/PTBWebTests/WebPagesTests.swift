import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PTBCore
import PTBResults
import Testing
@testable import PTBWeb

@Suite(.serialized) struct WebPagesTests {
    let s = site()

    @Test func leaderboardShowsEveryMethodWithTheLibrarysNumbers() throws {
        let page = s.get("/?group=method")
        #expect(page.status == 200)
        let sources = ResultSources(importStore: ImportStore(home: PTBHome(root: fixture.layout.home)),
                                    runsDirs: RunCatalog.expand([fixture.layout.runsDir]).map(\.dir))
        let lb = try Leaderboard.build(runs: try sources.load().runs, options: LeaderboardOptions(groupBy: .method, bootstrap: Bootstrap(resamples: 200)))
        // alpha, beta, the sweep, the XSS-named method and the imported one, then the two baseline rows.
        #expect(Set(lb.rows.filter { !$0.baseline }.map(\.agent)) == ["alpha", "beta", "ablation", "orig-method", WebFixture.xssName])
        #expect(count("<tr class=\"agent\">", in: page.body) == 5)
        #expect(count("<tr class=\"baseline\">", in: page.body) == lb.rows.filter(\.baseline).count)
        for r in lb.rows where !r.baseline {
            #expect(page.body.contains("data-sort=\"\(r.avg)\" class=\"num score\">\(String(format: "%.1f", r.avg * 100))</td>"))
        }
        // beta's only run is flagged: one flagged run, one fallback.
        let beta = try lb.row(named: "beta")
        #expect(beta.counts?.flagged == 1)
        #expect(page.body.contains("<a href=\"/agent/beta?group=method\">beta</a>"))
    }

    @Test func userDataIsEscapedEverywhere() {
        let payload = "<script>alert('ptb-xss')</script>"
        let escaped = "&lt;script&gt;alert(&#39;ptb-xss&#39;)&lt;/script&gt;"
        for path in ["/?group=method", "/runs", "/sweeps", "/run/\(WebFixture.xssRun)", "/sweep/\(HTML.url(payload))"] {
            let page = s.get(path)
            #expect(page.status == 200, "\(path)")
            #expect(!page.body.contains(payload), "\(path) has the raw payload")
            #expect(page.body.contains(escaped), "\(path) lacks the escaped payload")
        }
        let trace = s.get("/run/\(WebFixture.bigRun)/trace")
        #expect(!trace.body.contains("<script>alert(\"trace-xss\")"))
        #expect(trace.body.contains("&lt;script&gt;alert(&quot;trace-xss&quot;)&lt;/script&gt;"))
        let samples = s.get("/run/\(WebFixture.bigRun)/samples")
        #expect(!samples.body.contains("<b>not bold</b>") && samples.body.contains("&lt;b&gt;not bold&lt;/b&gt;"))
    }

    @Test func tracePagesAreServedFromTheLineIndex() throws {
        let lines = fixture.layout.traceLines
        let pages = (lines + WebSite.pageLines - 1) / WebSite.pageLines
        let size = try FileManager.default.attributesOfItem(atPath: fixture.layout.runsDir.appendingPathComponent("\(WebFixture.bigRun)/events.jsonl").path)[.size] as! NSNumber
        #expect(size.intValue >= 50 << 20)
        let first = s.get("/run/\(WebFixture.bigRun)/trace")
        #expect(first.body.contains("page 1 of \(pages)"))
        #expect(count("<div class=\"tl", in: first.body) == WebSite.pageLines)
        // Tool calls and long results are collapsed.
        #expect(count("<div class=\"tl k-tool_call\"><details>", in: first.body) == WebSite.pageLines / 4)
        // The page stays small whatever the file's size.
        #expect(first.body.utf8.count < 1 << 20)
        let last = s.get("/run/\(WebFixture.bigRun)/trace?page=\(pages)")
        #expect(last.body.contains("page \(pages) of \(pages)"))
        #expect(last.body.contains("id=\"L\(lines)\""))
        #expect(!last.body.contains("id=\"L\(lines + 1)\""))
        // Out-of-range pages clamp.
        #expect(s.get("/run/\(WebFixture.bigRun)/trace?page=999999").body.contains("page \(pages) of \(pages)"))
    }

    @Test func traceSearchFindsTheNeedleAndLinksToItsPage() {
        let n = fixture.layout.needleLine
        let page = s.get("/run/\(WebFixture.bigRun)/trace?file=events&q=needle-7F3A9C")
        #expect(page.body.contains("1 matching line(s)"))
        #expect(page.body.contains("page=\(n / WebSite.pageLines + 1)&amp;q=needle-7F3A9C#L\(n + 1)"))
        let target = s.get("/run/\(WebFixture.bigRun)/trace?file=events&page=\(n / WebSite.pageLines + 1)&q=needle-7F3A9C")
        #expect(target.body.contains("<mark>\(WebFixture.needle)</mark>"))
        // The raw trace has the same line.
        #expect(s.get("/run/\(WebFixture.bigRun)/trace?file=trace&q=\(WebFixture.needle)").body.contains("1 matching line(s)"))
        #expect(s.get("/run/\(WebFixture.bigRun)/trace?q=no-such-text-anywhere").body.contains("0 matching line(s)"))
    }

    @Test func runPageShowsScoresPhasesIntegrityAndMonitor() {
        let page = s.get("/run/\(WebFixture.flaggedRun)")
        #expect(page.status == 200)
        #expect(page.body.contains("<p class=\"flag\">FLAGGED</p>"))
        #expect(page.body.contains("changed: workspace/task/evaluate.py"))
        #expect(page.body.contains("<li class=\"flag\">evaluator-tamper: flagged</li>"))
        // An optional check that did not run leaves a run clean: the report's own verdict counts.
        #expect(s.get("/run/alpha_gsm8k_1").body.contains("<p class=\"ok\">clean</p>"))
        #expect(page.body.contains(">90.0</td>") && page.body.contains(">20.0</td>"))
        #expect(page.body.contains("change over base: +70.0 points"))
        #expect(count("<td class=\"phase-done\">done</td>", in: page.body) == Phase.allCases.count, "every phase, baseline included")
        let big = s.get("/run/\(WebFixture.bigRun)")
        #expect(big.body.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"monitor\""))
        #expect(big.body.contains("\(WebFixture.monitorSamples) samples"))
        #expect(big.body.contains("GPU util % (mean)"))
        #expect(big.body.contains("cost $3.25 (reported)"))
        #expect(big.body.contains("/run/\(WebFixture.bigRun)/samples?eval=final"))
        // The number of test queries is part of the record.
        #expect(big.body.contains("<p id=\"broker-summary\">2 test-split queries of the benchmark, 1 dev-split request(s)"))
        #expect(big.body.contains(">25.0</td>") && big.body.contains("the engine exited during startup"))
        #expect(!page.body.contains("Evaluation requests"))
    }

    @Test func samplesFilterAndSearch() {
        let base = "/run/\(WebFixture.bigRun)/samples"
        #expect(s.get(base).body.contains("\(WebFixture.samples) sample(s) match"))
        #expect(s.get(base + "?filter=correct").body.contains("\(WebFixture.correctSamples) sample(s) match"))
        #expect(s.get(base + "?filter=incorrect").body.contains("\(WebFixture.samples - WebFixture.correctSamples) sample(s) match"))
        let hit = s.get(base + "?filter=incorrect&q=\(WebFixture.sampleNeedle)")
        #expect(hit.body.contains("1 sample(s) match") && hit.body.contains("humaneval-33"))
        #expect(s.get(base + "?filter=correct&q=\(WebFixture.sampleNeedle)").body.contains("0 sample(s) match"))
        // 25 per page.
        #expect(s.get(base).body.contains("page 1 of 2"))
    }

    @Test func sweepPageListsItsRunsWithTheirStates() {
        let page = s.get("/sweep/\(WebFixture.sweep)")
        #expect(page.body.contains("3 run(s)"))
        for id in ["ablation_1h", "ablation_2h", "ablation_4h"] { #expect(page.body.contains("/run/\(id)")) }
        #expect(page.body.contains(">done</td>") && page.body.contains(">failed</td>") && page.body.contains(">agent (running)</td>"))
        #expect(s.get("/sweeps").body.contains("/sweep/ablation"))
        #expect(s.get("/run/ablation_2h").body.contains("vLLM exited with status 1"))
    }

    @Test func baselinesAndAgentPages() {
        let b = s.get("/baselines")
        #expect(b.status == 200 && b.body.contains("id=\"weights\"") && b.body.contains("Qwen3-1.7B-Base"))
        let a = s.get("/agent/alpha?group=method")
        #expect(a.status == 200 && a.body.contains("/sweep/alpha") && a.body.contains("/run/alpha_gsm8k_1"))
    }

    @Test func traversalAndUnknownPathsAre404() {
        #expect(!RunCatalog.isValidID("../etc") && !RunCatalog.isValidID("a/b") && !RunCatalog.isValidID(".hidden") && !RunCatalog.isValidID(""))
        #expect(RunCatalog.isValidID(WebFixture.bigRun))
        for p in ["/run/..%2F..%2Fetc%2Fpasswd", "/run/..%2f", "/run/%2e%2e/trace", "/run/../runs", "/run/x%00y", "/nope",
                  "/run/\(WebFixture.bigRun)/..%2F..%2Frun.json", "/static/..%2Fapp.js", "/run/does-not-exist"] {
            let page = s.get(p)
            #expect(page.status == 404, "\(p)")
            #expect(page.body.contains("<h1>Not found</h1>"))
        }
    }

    @Test func httpServerChecksTokenAndSetsHeaders() async throws {
        let app = Application(router: WebServer.router(site: site(token: "s3cret")))
        try await app.test(.router) { client in
            try await client.execute(uri: "/", method: .get) { r in #expect(r.status == .unauthorized) }
            try await client.execute(uri: "/?token=wrong", method: .get) { r in #expect(r.status == .unauthorized) }
            try await client.execute(uri: "/runs?token=s3cret", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[HTTPField.Name("Set-Cookie")!]?.hasPrefix("ptb_token=s3cret;") == true)
                #expect(r.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("script-src 'self'") == true)
            }
            try await client.execute(uri: "/runs", method: .get, headers: [.authorization: "Bearer s3cret"]) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/runs", method: .get, headers: [.cookie: "a=b; ptb_token=s3cret"]) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/run/..%2F..%2Fetc%2Fpasswd?token=s3cret", method: .get) { r in
                #expect(r.status == .notFound)
                #expect(!String(buffer: r.body).contains("root:"))
            }
            // Read-only: nothing but GET and HEAD.
            try await client.execute(uri: "/runs?token=s3cret", method: .post) { r in #expect(r.status != .ok) }
        }
    }

    @Test func lineIndexFollowsAGrowingFile() throws {
        let url = fixture.root.appendingPathComponent("grow.txt")
        try Data("a\nbb\nccc".utf8).write(to: url)
        let cache = LineIndexCache()
        #expect(try cache.index(url).count == 3)
        #expect(try cache.lines(url, from: 0, to: 10) == ["a", "bb", "ccc"])
        let h = try FileHandle(forWritingTo: url)
        try h.seekToEnd()
        h.write(Data("c\nDDD\n".utf8))
        try h.close()
        #expect(try cache.lines(url, from: 2, to: 10) == ["cccc", "DDD"])
        #expect(try cache.search(url, needle: "ddd").lines == [3])
    }
}
