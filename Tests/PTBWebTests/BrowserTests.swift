import Foundation
import PTBWeb
import Testing

/// `ptb serve` on the fixture, every page loaded in headless Chromium: the DOM after scripts ran
/// is checked, and a screenshot is taken. CI sets PTB_REQUIRE_INTEGRATION=1 and installs chromium.
@Suite(.serialized) struct BrowserTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs a command to completion (or kills it after `timeout` seconds); returns stdout.
    static func capture(_ exe: String, _ args: [String], timeout: Double = 90) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let killer = DispatchWorkItem { if p.isRunning { p.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        killer.cancel()
        return String(decoding: data, as: UTF8.self)
    }

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
    static func startServer() throws -> (Process, String) {
        let p = Process()
        p.executableURL = ptbBinary
        p.arguments = ["serve", "--port", "0", "--runs-dir", fixture.layout.runsDir.path, "--home", fixture.layout.home.path, "--bootstrap", "200"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let r = text.range(of: #"http://127\.0\.0\.1:\d+/"#, options: .regularExpression) {
                return (p, String(text[r].dropLast()))
            }
        }
        p.terminate()
        throw TestFailure(description: "ptb serve printed no address: \(text)")
    }

    @Test func everyPageRendersInHeadlessChromium() throws {
        guard let chromium = Self.chromium else {
            #expect(!requireIntegration, "chromium is required in CI (apt-get install chromium)")
            return
        }
        _ = fixture
        let (server, base) = try Self.startServer()
        defer { server.terminate(); server.waitUntilExit() }
        let shots = fixture.root.appendingPathComponent("screenshots")
        try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--user-data-dir=\(fixture.root.appendingPathComponent("chromium-profile").path)"]
        func dom(_ path: String) throws -> String {
            try Self.capture(chromium, flags + ["--virtual-time-budget=3000", "--dump-dom", base + path])
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
            _ = try Self.capture(chromium, flags + ["--window-size=1280,1600", "--screenshot=\(png.path)", base + page.path])
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
}
