import Foundation
import GRDB
import PTBCore
import PTBResults
import PTBStore
import Testing
@testable import PTBWeb

/// A runs directory of `n` runs with varied agent, task, state and integrity, plus one live run
/// whose trace reports a training loss. Each test gets its own directory.
struct ManyRuns {
    static let agents = ["a0", "a1", "a2", "a3"], tasks = ["gsm8k", "humaneval", "bfcl"]
    let root: URL
    let runs: URL
    let n: Int
    static let live = "live_run_1"

    init(_ n: Int, name: String = #function) throws {
        root = fixture.root.appendingPathComponent("many-\(name.filter(\.isLetter))-\(UUID().uuidString.prefix(8))")
        runs = root.appendingPathComponent("runs")
        self.n = n
        try FileManager.default.createDirectory(at: runs, withIntermediateDirectories: true)
        let t0 = Date(timeIntervalSince1970: 1_790_000_000)
        for i in 0..<n {
            let agent = Self.agents[i % 4], task = Self.tasks[i % 3]
            let state: RunOutcome = i % 10 == 3 ? .failed : .done
            try WebFixture.run(runs, id: String(format: "run_%@_%@_%04d", agent, task, i),
                               spec: RunSpec(task: task, model: WebFixture.model, agent: agent, hours: Double(1 + (i / 4) % 3), gpus: 1, name: "sweep-\(agent)"),
                               created: t0.addingTimeInterval(Double(i) * 60), final: state == .failed ? nil : Double(i % 100) / 100, base: 0.1,
                               agentSeconds: 1800, evidence: i % 25 == 0 ? ["changed: evaluate.py"] : [], state: state)
            if i == 7 { try Data("tried a cosine schedule, NOTE-XYZ\n".utf8).write(to: runs.appendingPathComponent("run_a3_humaneval_0007/notes.md")) }
        }
        try Self.writeLive(runs.appendingPathComponent(Self.live), start: Date().addingTimeInterval(-600))
    }

    /// A run in its agent phase: deadline in 50 minutes, a trace with "step N loss X" lines, a
    /// monitor sample, one broker request.
    static func writeLive(_ dir: URL, start: Date) throws {
        let p = RunPaths(dir: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var m = RunManifest(id: p.id, spec: RunSpec(task: "gsm8k", model: WebFixture.model, agent: "a0", hours: 1, gpus: 1, name: "sweep-a0"),
                            createdAt: start, ptbVersion: PTBVersion.current)
        m[.prepare] = PhaseRecord(state: .done, attempts: 1, startedAt: start, endedAt: start.addingTimeInterval(10), detail: nil)
        m[.agent] = PhaseRecord(state: .running, attempts: 1, startedAt: start.addingTimeInterval(10), endedAt: nil, detail: nil)
        m.deadline = start.addingTimeInterval(10 + 3600)
        m.outcome = .running
        try JSONIO.write(m, to: p.manifest)
        // Its driver is a ptb process on another node with a fresh heartbeat: running, not interrupted.
        try JSONIO.write(RunDriver(host: "fixture-node", pid: 1, processStart: nil, heartbeatAt: Date()),
                         to: dir.appendingPathComponent(RunDriver.fileName))
        try appendTrace(p.trace, start: start.addingTimeInterval(20), steps: 0..<5)
        try Data("{\"gpus\":[{\"index\":0,\"memoryTotalMiB\":80000,\"memoryUsedMiB\":40000,\"utilization\":87}],\"load1\":2.5,\"memAvailableMiB\":64000,\"memTotalMiB\":128000,\"ts\":\"\(Timestamps.iso(start.addingTimeInterval(60)))\"}\n".utf8).write(to: p.monitor)
        try Data(#"{"ts":"2026-12-07T10:00:00Z","request":1,"split":"dev","accuracy":0.375,"n":8,"seconds":5,"error":null}"#.utf8 + [0x0A]).write(to: dir.appendingPathComponent("broker.jsonl"))
    }

    /// Raw trace lines of a training script's output: "step N loss X", 30 s apart.
    static func appendTrace(_ url: URL, start: Date, steps: Range<Int>) throws {
        var out = ""
        for s in steps {
            let ts = Timestamps.iso(start.addingTimeInterval(Double(s) * 30))
            out += "{\"line\":\"{\\\"type\\\":\\\"tool_result\\\",\\\"text\\\":\\\"step \(s * 10) loss \(String(format: "%.3f", 3.0 / Double(s + 1)))\\\"}\",\"ts\":\"\(ts)\"}\n"
        }
        if !FileManager.default.fileExists(atPath: url.path) { FileManager.default.createFile(atPath: url.path, contents: nil) }
        let h = try FileHandle(forWritingTo: url)
        try h.seekToEnd()
        h.write(Data(out.utf8))
        try h.close()
    }

    func site(indexPath: URL? = nil) -> WebSite {
        WebSite(config: WebConfig(runsDirs: [runs], importStore: nil, bootstrap: 0, indexPath: indexPath))
    }
}

@Suite(.serialized) struct ScaleAndLiveTests {
    @Test func indexRefreshesOnlyChangedRunDirectoriesAndSurvivesASchemaChange() throws {
        let many = try ManyRuns(30)
        let path = many.root.appendingPathComponent("idx/web.sqlite")
        let idx = try CatalogIndex(path: path)
        let sources = RunCatalog.expand([many.runs])
        let first = try idx.refresh(sources)
        #expect(first.read == 31 && first.unchanged == 0 && first.problems.isEmpty)
        let g = idx.generation
        let again = try idx.refresh(sources)
        #expect(again.read == 0 && again.unchanged == 31 && !again.changed)
        #expect(idx.generation == g)
        // One run finishes: only its directory is read again.
        let live = RunPaths(dir: many.runs.appendingPathComponent(ManyRuns.live))
        var m = try JSONIO.read(RunManifest.self, from: live.manifest)
        m.outcome = .failed
        m.failure = "agent: killed"
        try JSONIO.write(m, to: live.manifest)
        let third = try idx.refresh(sources)
        #expect(third.read == 1 && third.unchanged == 30)
        #expect(try idx.row(id: ManyRuns.live)?.outcome == "failed")
        #expect(idx.generation == g + 1)
        // A removed directory leaves the index.
        try FileManager.default.removeItem(at: many.runs.appendingPathComponent("run_a0_gsm8k_0000"))
        #expect(try idx.refresh(sources).removed == 1)
        #expect(idx.count == 30)
        // The file persists; an index of another schema version is dropped and rebuilt.
        #expect(try CatalogIndex(path: path).count == 30)
        try idx.db.write { try $0.execute(sql: "PRAGMA user_version = 0") }
        let rebuilt = try CatalogIndex(path: path)
        #expect(rebuilt.count == 0)
        #expect(try rebuilt.refresh(sources).read == 30)
    }

    @Test func runsPageIsPagedAndFilterableAndHasJSON() throws {
        let many = try ManyRuns(120)
        let s = many.site()
        let p1 = s.get("/runs")
        #expect(p1.body.contains("121 run(s) match"))
        #expect(p1.body.contains("page 1 of 3"))
        #expect(count("<tr data-run=", in: p1.body) == 50)
        let p3 = s.get("/runs?page=3")
        #expect(count("<tr data-run=", in: p3.body) == 21 && p3.body.contains("page 3 of 3"))
        // Out-of-range pages clamp to the last.
        #expect(s.get("/runs?page=99").body.contains("page 3 of 3"))
        #expect(s.get("/runs?agent=a1").body.contains("30 run(s) match"))
        #expect(s.get("/runs?agent=a1&task=gsm8k").body.contains("10 run(s) match"))
        #expect(s.get("/runs?state=failed").body.contains("12 run(s) match"))
        #expect(s.get("/runs?state=agent").body.contains("1 run(s) match"))
        #expect(s.get("/runs?integrity=flagged").body.contains("5 run(s) match"))
        #expect(s.get("/runs?sweep=sweep-a2").body.contains("30 run(s) match"))
        // Free text over ids and notes (notes.md, failure texts, integrity reasons).
        let note = s.get("/runs?q=note-xyz")
        #expect(note.body.contains("1 run(s) match") && note.body.contains("run_a3_humaneval_0007"))
        #expect(s.get("/runs?q=_0042").body.contains("1 run(s) match"))
        #expect(s.get("/runs?q=evaluator-tamper").body.contains("5 run(s) match"))
        // LIKE wildcards in the text are literal.
        #expect(s.get("/runs?q=%25").body.contains("0 run(s) match"))
        // Links keep the filter; the pager keeps it too.
        let f = s.get("/runs?agent=a1&per=10")
        #expect(f.body.contains("page 1 of 3") && f.body.contains("/runs?agent=a1&amp;per=10&amp;page=2"))
        #expect(f.body.contains("<option value=\"a1\" selected>a1</option>"))
        // Sorted by final score: the best first.
        let best = s.get("/runs?sort=final&per=1")
        #expect(best.body.contains("run_a3_gsm8k_0099"))
        // JSON: by suffix and by Accept header, the same rows.
        let j = s.get("/runs.json?agent=a1&per=10")
        #expect(j.contentType == "application/json")
        let doc = try JSONSerialization.jsonObject(with: Data(j.body.utf8)) as! [String: Any]
        #expect(doc["total"] as? Int == 30 && (doc["runs"] as? [Any])?.count == 10 && doc["pages"] as? Int == 3)
        let viaAccept = s.respond(path: "/runs", query: ["agent": "a1", "per": "10"], accept: "application/json")
        #expect(viaAccept.body == j.body)
        // Every list page stays small.
        #expect(p1.body.utf8.count < 300_000)
        let sweeps = s.get("/sweeps")
        #expect(sweeps.body.contains("/sweep/sweep-a0") && sweeps.body.contains("4 sweep(s)"))
        let sweepJSON = try JSONSerialization.jsonObject(with: Data(s.get("/sweep/sweep-a0.json").body.utf8)) as! [String: Any]
        #expect(sweepJSON["total"] as? Int == 31)
    }

    @Test func liveSnapshotFollowsTheGrowingTrace() throws {
        let many = try ManyRuns(2)
        let s = many.site()
        let page = s.get("/run/\(ManyRuns.live)")
        #expect(page.body.contains("id=\"live\" data-src=\"/run/\(ManyRuns.live)/live\""))
        #expect(page.body.contains("<b data-field=\"phase\">agent</b>"))
        func snap() throws -> [String: Any] { try JSONSerialization.jsonObject(with: Data(s.get("/run/\(ManyRuns.live)/live").body.utf8)) as! [String: Any] }
        let a = try snap()
        #expect(a["live"] as? Bool == true && a["phase"] as? String == "agent" && a["traceLines"] as? Int == 5)
        // About 50 minutes of the hour remain.
        let left = try #require(a["timeLeftSeconds"] as? Double)
        #expect(left > 2900 && left <= 3010)
        #expect((a["monitor"] as? String)?.contains("GPU util % (mean) 87") == true)
        #expect((a["broker"] as? String) == "1 request(s), last accuracy 37.5")
        #expect(a["lossPoints"] as? Int == 5 && (a["lossSVG"] as? String)?.contains("<polyline") == true)
        #expect((a["events"] as? [String])?.last?.contains("step 40 loss 0.600") == true)
        // The agent trains on: the next poll shows the new lines and the longer loss curve.
        try ManyRuns.appendTrace(RunPaths(dir: many.runs.appendingPathComponent(ManyRuns.live)).trace, start: Date(), steps: 5..<9)
        let b = try snap()
        #expect(b["traceLines"] as? Int == 9 && b["lossPoints"] as? Int == 9)
        #expect(b["lastLoss"] as? String == "0.3330 at step 80")
        #expect((b["events"] as? [String])?.last?.contains("step 80 loss 0.333") == true)
        // A finished run is not live: no live card, and its loss curve is a plain chart.
        #expect(!s.get("/run/run_a0_gsm8k_0000").body.contains("id=\"live\""))
    }

    @Test func sweepPagePollsWhileRunsAreUnfinished() throws {
        let many = try ManyRuns(8)
        let s = many.site()
        let sweep = s.get("/sweep/sweep-a0?poll=500")
        #expect(sweep.body.contains("id=\"sweep-live\" data-src=\"/sweep/sweep-a0.json\" data-interval=\"500\""))
        #expect(sweep.body.contains("<tr data-run=\"\(ManyRuns.live)\">"))
        #expect(!s.get("/sweep/sweep-a1").body.contains("sweep-live"))
    }

    @Test func agentPageShowsScoreVsBudgetAndCost() throws {
        let many = try ManyRuns(24)
        let site = many.site()
        let page = site.get("/agent/sweep-a1")
        #expect(page.status == 200)
        #expect(page.body.contains("id=\"score-vs-budget\"") && page.body.contains("time budget (h:mm)"))
        // Every run of the fixture reported $3.25 (usage.json): one column of points at 3.25.
        // Five finished runs of a1 (run 13 failed), a point each in both charts.
        #expect(page.body.contains("id=\"score-vs-cost\"") && page.body.contains("agent cost (USD)"))
        #expect(count("<circle", in: page.body) == 2 * 5)
        #expect(LineChart.ticks(span: 0.3, axis: .steps).count >= 3)
        let row = try #require(try site.catalog.index.row(id: "run_a1_humaneval_0001"))
        #expect(row.costUSD == 3.25)
    }

    @Test func comparePutsRunsSideBySideAndAlignsTraces() throws {
        let many = try ManyRuns(4)
        // A second live run, a minute behind in its own clock, so both traces have minute-0 events.
        try ManyRuns.writeLive(many.runs.appendingPathComponent("live_run_2"), start: Date().addingTimeInterval(-300))
        let s = many.site()
        let page = s.get("/compare?id=\(ManyRuns.live)&id=live_run_2&id=run_a1_humaneval_0001&id=../etc")
        #expect(page.status == 200)
        #expect(page.body.contains("<table id=\"compare\">"))
        for id in [ManyRuns.live, "live_run_2", "run_a1_humaneval_0001"] { #expect(page.body.contains("<a href=\"/run/\(id)\">\(id)</a>")) }
        #expect(page.body.contains("id=\"compare-tasks\"") && page.body.contains("<td>humaneval</td>"))
        #expect(page.body.contains("id=\"compare-loss\""))
        // Aligned: minute 0:00 holds both live runs' first training steps.
        #expect(page.body.contains("<table id=\"aligned-traces\">"))
        #expect(page.body.contains("<td class=\"num\">0:00</td>"))
        let json = try JSONSerialization.jsonObject(with: Data(s.get("/compare.json?ids=\(ManyRuns.live),live_run_2").body.utf8)) as! [String: Any]
        let aligned = try #require(json["aligned"] as? [[String: Any]])
        #expect(!aligned.isEmpty)
        let first = try #require(aligned.first?["events"] as? [[String]])
        #expect(first.count == 2 && first.allSatisfy { !$0.isEmpty })
        #expect(first[0][0].contains("step 0 loss 3.000"))
        // A later window.
        #expect(s.get("/compare?ids=\(ManyRuns.live),live_run_2&at=60").body.contains("No trace events in this window."))
        #expect(s.get("/compare").body.contains("Select two or more runs"))
    }

    @Test func runFilesDownloadOnlyInsideTheRunDirectory() throws {
        let many = try ManyRuns(2)
        let s = many.site()
        let dir = many.runs.appendingPathComponent("run_a0_gsm8k_0000")
        // A symlink out of the run directory is neither listed nor served.
        try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("escape.json"), withDestinationURL: URL(fileURLWithPath: "/etc/passwd"))
        let files = s.get("/run/run_a0_gsm8k_0000/files")
        #expect(files.body.contains("/run/run_a0_gsm8k_0000/file/result.json") && !files.body.contains("escape.json"))
        let r = s.get("/run/run_a0_gsm8k_0000/file/result.json")
        #expect(r.status == 200 && r.contentType.hasPrefix("text/plain"))
        #expect(r.data == (try Data(contentsOf: dir.appendingPathComponent("result.json"))))
        #expect(r.headers.contains { $0.0 == "Content-Disposition" && $0.1 == "attachment; filename=\"result.json\"" })
        for bad in ["/run/run_a0_gsm8k_0000/file/escape.json", "/run/run_a0_gsm8k_0000/file/..%2F..%2Fetc%2Fpasswd",
                    "/run/run_a0_gsm8k_0000/file/../run_a1_humaneval_0001/result.json", "/run/run_a0_gsm8k_0000/file/%2Fetc%2Fpasswd",
                    "/run/run_a0_gsm8k_0000/file/nope.txt", "/run/run_a0_gsm8k_0000/file/eval"] {
            let p = s.get(bad)
            #expect(p.status == 404, "\(bad)")
            #expect(p.data == nil)
        }
    }

    @Test func jsonForEveryPageAndLeaderboardWithWeightsModelsPolicyNotes() throws {
        let s = site()
        let lb = try JSONSerialization.jsonObject(with: Data(s.get("/leaderboard.json?group=method").body.utf8)) as! [String: Any]
        #expect((lb["weights"] as? [String: Any])?["values"] != nil)
        #expect((lb["models"] as? [String])?.isEmpty == false)
        #expect((lb["policy"] as? [String: Any])?["groupBy"] as? String == "method")
        #expect(lb["notes"] is [String] && (lb["rows"] as? [Any])?.isEmpty == false)
        for path in ["/runs.json", "/sweeps.json", "/sweep/ablation.json", "/run/\(WebFixture.flaggedRun).json", "/agent/alpha.json?group=method",
                     "/compare.json?ids=\(WebFixture.flaggedRun),alpha_gsm8k_1", "/run/\(WebFixture.bigRun)/files.json", "/leaderboard.json",
                     "/baselines.json", "/run/\(WebFixture.bigRun)/trace.json?page=2", "/run/\(WebFixture.bigRun)/samples.json?filter=correct"] {
            let p = s.get(path)
            #expect(p.status == 200 && p.contentType == "application/json", "\(path)")
            #expect((try? JSONSerialization.jsonObject(with: Data(p.body.utf8))) != nil, "\(path)")
        }
        #expect(s.respond(path: "/", query: [:], accept: "application/json").contentType == "application/json")
        let trace = try JSONSerialization.jsonObject(with: Data(s.get("/run/\(WebFixture.bigRun)/trace.json?q=\(WebFixture.needle)").body.utf8)) as! [String: Any]
        #expect(trace["matches"] as? [Int] == [fixture.layout.needleLine + 1] && (trace["lines"] as? [String])?.count == WebSite.pageLines)
        let samples = try JSONSerialization.jsonObject(with: Data(s.get("/run/\(WebFixture.bigRun)/samples.json?filter=correct").body.utf8)) as! [String: Any]
        #expect(samples["matching"] as? Int == WebFixture.correctSamples && (samples["samples"] as? [String])?.count == WebSite.pageSamples)
        let run = try JSONSerialization.jsonObject(with: Data(s.get("/run/\(WebFixture.flaggedRun).json").body.utf8)) as! [String: Any]
        #expect((run["integrity"] as? [String: Any])?["flagged"] as? Bool == true)
        #expect(s.get("/run/nope.json").status == 404 && s.get("/run/nope.json").contentType == "application/json")
    }

    @Test func chartsHaveElapsedTicksAndTitlesThatFit() throws {
        for stamp in ["2026-12-07T10:00:00Z", "2024-02-29T23:59:59Z", "1999-12-31T00:00:01.250Z", "2026-03-01T00:00:00+02:00"] {
            let mine = try #require(MonitorChart.parseISO(stamp)), foundation = try #require(Timestamps.parse(stamp))
            #expect(abs(mine.timeIntervalSince(foundation)) < 0.001, "\(stamp)")
        }
        #expect(MonitorChart.parseISO("2026-13-07T10:00:00Z") == nil && MonitorChart.parseISO("yesterday") == nil)
        #expect(LineChart.hmm(0) == "0:00" && LineChart.hmm(3660) == "1:01" && LineChart.hmm(36_000) == "10:00")
        #expect(LineChart.ticks(span: 36_000, axis: .elapsed) == stride(from: 0.0, through: 36_000, by: 7200).map { $0 })
        #expect(LineChart.ticks(span: 600, axis: .elapsed) == stride(from: 0.0, through: 600, by: 120).map { $0 })
        let big = site().get("/run/\(WebFixture.bigRun)").body
        // 600 one-minute samples: 10 hours, ticked every 2 h.
        for t in ["0:00", "2:00", "4:00", "8:00"] { #expect(big.contains("<text class=\"tick\"") && big.contains(">\(t)</text>"), "\(t)") }
        #expect(big.contains("elapsed (h:mm)"))
        let long = LineChart.svg(title: String(repeating: "a very long chart title ", count: 12), series: [], xAxis: .elapsed, yLabel: "y", width: 400)
        #expect(count("font-weight=\"bold\"", in: long) >= 4)
        // The heat map of an agent with one benchmark is as wide as its title and footnote.
        let agent = site().get("/agent/alpha?group=method").body
        let svg = try #require(agent.range(of: "<div class=\"card heatmap\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\""))
        let width = Double(agent[svg.upperBound...].prefix { $0 != "\"" }) ?? 0
        #expect(width >= 86 * 5.6 + 24)
    }

    @Test func lossScanReadsStepLossLinesIncrementally() throws {
        let url = fixture.root.appendingPathComponent("loss-\(UUID().uuidString).txt")
        try Data("Step 10: loss 2.5\nstep=20 loss=1.25 lr=1e-5\nsteps 30 loss 9\n{\\\"step\\\": 40, \\\"loss\\\": 0.75}\nepoch 1 loss 5\nstep 50".utf8).write(to: url)
        var scan = LossCurve.update(LossCurve.Scan(), file: url)
        #expect(scan.sorted.map(\.0) == [10, 20, 40] && scan.sorted.map(\.1) == [2.5, 1.25, 0.75])
        // The unfinished last line is read once it ends.
        let h = try FileHandle(forWritingTo: url)
        try h.seekToEnd()
        h.write(Data(" loss 0.5\n".utf8))
        try h.close()
        scan = LossCurve.update(scan, file: url)
        #expect(scan.sorted.map(\.0) == [10, 20, 40, 50] && scan.sorted.last?.1 == 0.5)
    }
}

@Suite struct InterruptedRunPageTests {
    /// A run whose ptb died changes no file, so the index cannot know: rows held as running are
    /// checked when they are read, and the page says interrupted with the resume command.
    @Test func aRunWhoseDriverIsGoneShowsAsInterrupted() throws {
        let many = try ManyRuns(2)
        let idx = try CatalogIndex(path: many.root.appendingPathComponent("idx/web.sqlite"))
        _ = try idx.refresh(RunCatalog.expand([many.runs]))
        #expect(try idx.row(id: ManyRuns.live)?.outcome == "running")
        // The driver's last heartbeat was 10 minutes ago, from another node.
        try JSONIO.write(RunDriver(host: "fixture-node", pid: 1, processStart: nil, heartbeatAt: Date().addingTimeInterval(-600)),
                         to: many.runs.appendingPathComponent(ManyRuns.live).appendingPathComponent(RunDriver.fileName))
        let row = try #require(try idx.row(id: ManyRuns.live))
        #expect(row.outcome == "interrupted" && row.state.contains("ptb resume \(ManyRuns.live)"), "\(row.state)")
        #expect(try idx.page(CatalogFilter(), offset: 0, limit: 50).rows.contains { $0.id == ManyRuns.live && $0.outcome == "interrupted" })
    }
}
