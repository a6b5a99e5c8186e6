import Foundation
import PTBCore
import PTBWeb
import Synchronization
import PTBTestSupport
import Testing

/// `ptb serve` on the fixture, every page loaded in headless Chromium: the DOM after scripts ran
/// is checked, and a screenshot is taken. CI sets PTB_REQUIRE_INTEGRATION=1 and installs chromium.
@Suite(.serialized) struct BrowserTests {
    static let chromium = Chromium.path

    /// `<script` openings that are elements, not the start of an attribute value (`="<script…`).
    static func scriptElements(_ dom: String) -> Int {
        var n = 0, rest = dom[...]
        while let r = rest.range(of: "<script") {
            if !rest[..<r.lowerBound].hasSuffix("=\"") { n += 1 }
            rest = rest[r.upperBound...]
        }
        return n
    }

    /// Starts `ptb serve --port 0` and reads the address it prints.
    static func startServer(runsDir: URL = fixture.layout.runsDir, home: URL = fixture.layout.home, extra: [String] = []) throws -> (Process, String) {
        try Chromium.startServe(ptbBinary, ["serve", "--port", "0", "--runs-dir", runsDir.path, "--home", home.path, "--bootstrap", "200"] + extra)
    }

    @Test func everyPageRendersInHeadlessChromium() throws {
        guard let chromium = Self.chromium else { try Integration.skip("chromium is required in CI (apt-get install chromium)") }
        _ = fixture
        let (server, base) = try Self.startServer()
        defer { server.terminate(); server.waitUntilExit() }
        let shots = fixture.root.appendingPathComponent("screenshots")
        try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--user-data-dir=\(fixture.root.appendingPathComponent("chromium-profile").path)"]
        func dom(_ path: String) throws -> String {
            try Chromium.capture(chromium, flags + ["--virtual-time-budget=3000", "--dump-dom", base + path])
        }
        let n = fixture.layout.needleLine, lines = fixture.layout.traceLines
        let pages: [(name: String, path: String, checks: [String])] = [
            ("leaderboard", "/?group=method", ["<table id=\"leaderboard\" class=\"sortable\">", "<a href=\"/agent/beta?group=method\">beta</a>",
                                               "&lt;script&gt;alert('ptb-xss')&lt;/script&gt;", "class=\"baseline\""]),
            ("sweeps", "/sweeps", ["<a href=\"/sweep/ablation\">ablation</a>"]),
            ("sweep", "/sweep/ablation", ["3 run(s)", "agent (running)", ">failed</td>"]),
            ("runs", "/runs", ["/run/\(WebFixture.bigRun)"]),
            ("run", "/run/\(WebFixture.flaggedRun)", ["FLAGGED", "changed: workspace/task/evaluate.py", "class=\"timeline\""]),
            ("run-big", "/run/\(WebFixture.bigRun)", ["class=\"monitor\"", "<polyline"]),
            ("trace", "/run/\(WebFixture.bigRun)/trace",
             ["page 1 of \((lines + WebSite.pageLines - 1) / WebSite.pageLines)", "&lt;script&gt;alert(\"trace-xss\")&lt;/script&gt;", "<details>"]),
            ("trace-search", "/run/\(WebFixture.bigRun)/trace?q=\(WebFixture.needle)", ["1 matching line(s)", "#L\(n + 1)"]),
            ("trace-needle", "/run/\(WebFixture.bigRun)/trace?page=\(n / WebSite.pageLines + 1)&q=\(WebFixture.needle)",
             ["<mark>\(WebFixture.needle)</mark>"]),
            ("samples", "/run/\(WebFixture.bigRun)/samples?filter=correct", ["25 sample(s) match", "&lt;b&gt;not bold&lt;/b&gt;"]),
            ("baselines", "/baselines", ["id=\"weights\""]),
            ("agent", "/agent/alpha?group=method", ["/run/alpha_gsm8k_1"]),
        ]
        for page in pages {
            let d = try dom(page.path)
            // The page script ran under the Content-Security-Policy.
            #expect(d.contains("data-js=\"ready\""), "\(page.name): script did not run")
            // The only script element is the page's own; a payload shows up as text (or inside an attribute value).
            #expect(Self.scriptElements(d) == 1, "\(page.name): unexpected script element")
            for c in page.checks { #expect(d.contains(c), "\(page.name): missing \(c)") }
            let png = shots.appendingPathComponent("\(page.name).png")
            _ = try Chromium.capture(chromium, flags + ["--window-size=1280,1600", "--screenshot=\(png.path)", base + page.path])
            let size = (try? FileManager.default.attributesOfItem(atPath: png.path)[.size] as? NSNumber)?.intValue ?? 0
            #expect(size > 10_000, "\(page.name): screenshot missing or blank (\(size) bytes)")
        }
        // Sorting by the score column (index 2) ascending puts the lowest agent score first.
        let sorted = try dom("/?group=method#sort=2:asc")
        let scores = sorted.components(separatedBy: "class=\"num score\">").dropFirst().compactMap { Double($0.prefix { $0 != "<" }) }
        #expect(scores.count == count("class=\"num score\">", in: site().get("/?group=method").body))
        #expect(scores.count >= 6)
        #expect(scores == scores.sorted())
        let notFound = try dom("/run/..%2F..%2Fetc%2Fpasswd")
        #expect(notFound.contains("<h1>Not found</h1>") && !notFound.contains("root:"))
    }

    /// Integer value of `attr="N"` in a dumped DOM (0 when absent).
    static func attribute(_ attr: String, in dom: String) -> Int {
        guard let r = dom.range(of: "\(attr)=\"") else { return 0 }
        return Int(dom[r.upperBound...].prefix { $0.isNumber }) ?? 0
    }

    /// The issue-20 pages in a real browser: paging and filtering of 121 runs, the compare view,
    /// and a live run and a sweep whose pages change by themselves while a writer moves them on.
    @Test func liveUpdateFilteringPagingAndComparisonInChromium() throws {
        guard let chromium = Self.chromium else { try Integration.skip("chromium is required in CI (apt-get install chromium)") }
        let many = try ManyRuns(120)
        let (server, base) = try Self.startServer(runsDir: many.runs, home: many.root.appendingPathComponent("home"), extra: ["--index-refresh", "0.2"])
        defer { server.terminate(); server.waitUntilExit() }
        let shots = fixture.root.appendingPathComponent("screenshots")
        try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--user-data-dir=\(many.root.appendingPathComponent("chromium-profile").path)"]
        func dom(_ path: String, budget: Int = 3000) throws -> String {
            try Chromium.capture(chromium, flags + ["--virtual-time-budget=\(budget)", "--dump-dom", base + path])
        }
        func shot(_ name: String, _ path: String) throws {
            let png = shots.appendingPathComponent("\(name).png")
            _ = try Chromium.capture(chromium, flags + ["--window-size=1280,1400", "--virtual-time-budget=2000", "--screenshot=\(png.path)", base + path])
            let size = (try? FileManager.default.attributesOfItem(atPath: png.path)[.size] as? NSNumber)?.intValue ?? 0
            #expect(size > 10_000, "\(name): screenshot missing or blank (\(size) bytes)")
        }

        // Paging and filtering.
        let runs = try dom("/runs?agent=a1&per=10&page=2")
        #expect(runs.contains("data-js=\"ready\""))
        #expect(runs.contains("30 run(s) match") && runs.contains("page 2 of 3"))
        #expect(count("<tr data-run=", in: runs) == 10)
        #expect(runs.contains("<option value=\"a1\" selected=\"\">a1</option>"))
        // The compare button waits for two ticked runs (the script disabled it).
        #expect(runs.contains("id=\"compare-button\" disabled=\"\">Compare selected (0)"))
        try shot("runs-filtered", "/runs?agent=a1&per=10&page=2")
        let text = try dom("/runs?q=note-xyz")
        #expect(text.contains("1 run(s) match") && text.contains("run_a3_humaneval_0007"))

        // Comparison.
        let compare = try dom("/compare?id=\(ManyRuns.live)&id=run_a1_humaneval_0001&id=run_a2_bfcl_0002")
        #expect(compare.contains("<table id=\"compare\">") && compare.contains("id=\"aligned-traces\"") && compare.contains("id=\"compare-tasks\""))
        #expect(Self.scriptElements(compare) == 1)
        try shot("compare", "/compare?id=\(ManyRuns.live)&id=run_a1_humaneval_0001&id=run_a2_bfcl_0002")

        // Live: a writer appends training steps while the page polls every 250 ms.
        let live = RunPaths(dir: many.runs.appendingPathComponent(ManyRuns.live))
        let writer = Repeating(every: 0.05) { i in
            try? ManyRuns.appendTrace(live.trace, start: Date(), steps: (5 + i)..<(6 + i))
        }
        let livePage = try dom("/run/\(ManyRuns.live)?poll=250", budget: 60_000)
        #expect(livePage.contains("id=\"live\""))
        #expect(Self.attribute("data-polls", in: livePage) >= 2, "the live page did not poll")
        #expect(Self.attribute("data-changes", in: livePage) >= 1, "the live page never changed")
        #expect(livePage.contains("id=\"live-loss\"><svg") && livePage.contains("<b data-field=\"phase\">agent</b>"))
        try shot("live-run", "/run/\(ManyRuns.live)?poll=250")
        writer.stop()

        // A sweep page moves its rows' states: the writer flips the live run between phases.
        let flipper = Repeating(every: 0.1) { i in
            guard var m = try? JSONIO.read(RunManifest.self, from: live.manifest) else { return }
            let phase: Phase = i % 2 == 0 ? .collect : .agent
            m[.agent] = PhaseRecord(state: phase == .agent ? .running : .done, attempts: 1, startedAt: m[.agent].startedAt,
                                    endedAt: phase == .agent ? nil : Date(), detail: nil)
            m[.collect] = PhaseRecord(state: phase == .collect ? .running : .pending, attempts: phase == .collect ? 1 : 0,
                                      startedAt: nil, endedAt: nil, detail: nil)
            try? JSONIO.write(m, to: live.manifest)
        }
        let sweep = try dom("/sweep/sweep-a0?poll=250", budget: 120_000)
        flipper.stop()
        #expect(sweep.contains("id=\"sweep-live\""))
        #expect(Self.attribute("data-polls", in: sweep) >= 2, "the sweep page did not poll")
        #expect(Self.attribute("data-changes", in: sweep) >= 1, "no row of the sweep page changed state")
        try shot("sweep-live", "/sweep/sweep-a0?poll=250")
        try shot("leaderboard-many", "/")
    }
}

/// Runs `body` every `every` seconds on its own thread until `stop()` (which waits for it).
final class Repeating: @unchecked Sendable {
    private let stopped = Mutex(false)
    private let done = DispatchSemaphore(value: 0)

    /// `body` gets the iteration number (0, 1, …).
    init(every: Double, _ body: @escaping @Sendable (Int) -> Void) {
        let thread = Thread { [self] in
            var i = 0
            while !stopped.withLock({ $0 }) {
                body(i)
                i += 1
                Thread.sleep(forTimeInterval: every)
            }
            done.signal()
        }
        thread.start()
    }

    func stop() {
        stopped.withLock { $0 = true }
        done.wait()
    }
}
