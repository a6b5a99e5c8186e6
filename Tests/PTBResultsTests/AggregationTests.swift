import Foundation
import PTBCore
import PTBResults
import Testing

@Suite struct AggregationTests {
    func board(_ f: ResultsFixture, _ options: LeaderboardOptions = LeaderboardOptions(bootstrap: Bootstrap(resamples: 0))) throws -> Leaderboard {
        try Leaderboard.build(runs: try PostTrainBenchImporter(root: f.root).read().runs, options: options)
    }

    /// baselines.md: the 4 base rows weigh 7.5276 (README 7.5), the 4 instruct rows 51.1359 (51.1). Here as
    /// baseline rows, as a sweep that scores exactly the base values, as a sweep whose every run has no
    /// metrics (so every cell falls back), and as a sweep that scores the instruct counterparts' values.
    @Test func reproducesThePublishedBaselineScores() throws {
        let f = try ResultsFixture()
        defer { f.remove() }
        try f.baselines(models: PaperBenchmarks.baseModels)
        let base = BaselineTable.published
        try f.sweep("as_base") { base.value(model: $0, benchmark: $1)! }
        try f.sweep("as_instruct") { base.value(model: Published.instructOf[$0]!, benchmark: $1)! }
        for m in PaperBenchmarks.baseModels {
            for t in PaperBenchmarks.ids { try f.run("all_err", t, m, id: 5, metrics: nil) }
        }
        let lb = try board(f)
        #expect(lb.models == PaperBenchmarks.baseModels)
        #expect(lb.benchmarks == PaperBenchmarks.ids)
        #expect(lb.weights == .paper)
        for (name, expected) in [(Leaderboard.baseRowName, Published.baseScore), ("as_base", Published.baseScore),
                                 ("all_err", Published.baseScore), (Leaderboard.instructRowName, Published.instructScore),
                                 ("as_instruct", Published.instructScore)] {
            let row = try #require(lb.named(name))
            #expect(abs(row.avg - expected) < 5e-7, "\(name): \(row.avg * 100)")
        }
        #expect(String(format: "%.1f", lb.named("as_base")!.avg * 100) == "7.5")
        #expect(String(format: "%.1f", lb.named("as_instruct")!.avg * 100) == "51.1")
        #expect(abs(lb.named("as_instruct")!.normalized! - 1) < 1e-12)
        #expect(abs(lb.named("all_err")!.normalized!) < 1e-12)
        // Per-benchmark columns are 100 · mean over models (baselines.md: gsm8k 20.4 base, 87.0 instruct).
        #expect(String(format: "%.1f", lb.named("as_base")!.benchmarks["gsm8k"]! * 100) == "20.4")
        #expect(String(format: "%.1f", lb.named("as_instruct")!.benchmarks["gsm8k"]! * 100) == "87.0")
        let errCounts = try #require(lb.named("all_err")?.counts)
        #expect(errCounts.runs == 28 && errCounts.scoreErrors == 28 && errCounts.fallbacks == 28)
        // Derived weights give the same board to ~1e-12.
        let derived = try board(f, LeaderboardOptions(weights: .derived, bootstrap: Bootstrap(resamples: 0)))
        #expect(abs(derived.named("as_instruct")!.avg - lb.named("as_instruct")!.avg) < 1e-12)
    }

    /// §7.2: run ids are integers, so 10 is newer than 9 (the original's string comparison of
    /// contamination run ids would pick 9); the flags come from the same run as the score.
    @Test func newestRunByIntegerID() throws {
        let f = try ResultsFixture()
        defer { f.remove() }
        try f.run("m", "gsm8k", "Qwen3-4B-Base", id: 9, metrics: #"{"accuracy": 0.9}"#, contamination: "contamination detected")
        try f.run("m", "gsm8k", "Qwen3-4B-Base", id: 10, metrics: #"{"accuracy": 0.1}"#)
        try f.run("m", "gsm8k", "Qwen3-4B-Base", id: 2, metrics: #"{"accuracy": 0.7}"#)
        let lb = try board(f)
        let cell = try #require(lb.methods["m"]?.cells[CellKey(task: "gsm8k", model: "Qwen3-4B-Base")])
        #expect(cell.run?.runID == 10)
        #expect(cell.value == 0.1 && cell.fallback == nil)
        #expect(lb.named("m")?.counts?.flagged == 0)
    }

    /// §7.3: the zero-shot base score replaces a missing score, a contamination or disallowed-model
    /// flag, and any judge error (missing or unrecognised verdict).
    @Test func fallbackToTheBaseScore() throws {
        let f = try ResultsFixture()
        defer { f.remove() }
        let model = "Qwen3-4B-Base"
        try f.run("m", "gsm8k", model, id: 1, metrics: nil)                                              // ERR
        try f.run("m", "bfcl", model, id: 1, metrics: nil, finalModel: false)                            // not stored
        try f.run("m", "aime2025", model, id: 1, metrics: #"{"accuracy": 0.9}"#, contamination: "contamination detected")
        try f.run("m", "humaneval", model, id: 1, metrics: #"{"accuracy": 0.9}"#, disallowed: "disallowed use detected")
        try f.run("m", "gpqamain", model, id: 1, metrics: #"{"accuracy": 0.9}"#, contamination: nil)      // judge wrote nothing
        try f.run("m", "healthbench", model, id: 1, metrics: #"{"accuracy": 0.9}"#, disallowed: "unsure")  // IMPORTANT ERR
        try f.run("m", "arenahardwriting", model, id: 1, metrics: #"{"accuracy": 0.9}"#)                  // clean
        let lb = try board(f)
        let cells = try #require(lb.methods["m"]?.cells)
        func check(_ task: String, _ reason: FallbackReason?, _ scoreCell: String, _ flagCell: String) {
            let c = cells[CellKey(task: task, model: model)]
            let expected = reason == nil ? 0.9 : BaselineTable.published.value(model: model, benchmark: task)
            #expect(c?.value == expected, "\(task)")
            #expect(c?.fallback == reason, "\(task)")
            #expect(c?.scoreCell == scoreCell && c?.flagCell == flagCell, "\(task): \(c?.scoreCell ?? "-") \(c?.flagCell ?? "-")")
        }
        check("gsm8k", .score, "ERR", "")
        check("bfcl", .score, "not stored", "")
        check("aime2025", .flagged, "0.9", "C")
        check("humaneval", .flagged, "0.9", "M")
        check("gpqamain", .judgeError, "0.9", "C:ERR")
        check("healthbench", .judgeError, "0.9", "M:IMPORTANT ERR")
        check("arenahardwriting", nil, "0.9", "")
        // Only one model has runs, so the board has one model; its score is Σ ŵ_b · cell.
        #expect(lb.models == [model])
        let expected = PaperBenchmarks.ids.reduce(0.0) { s, b in
            s + BenchmarkWeights.paper.values[b]! * (b == "arenahardwriting" ? 0.9 : BaselineTable.published.value(model: model, benchmark: b)!)
        }
        #expect(abs(lb.named("m")!.avg - expected) < 1e-15)
        let counts = try #require(lb.named("m")?.counts)
        let tally: [Int] = [counts.runs, counts.scoreErrors, counts.flagged, counts.contamination, counts.disallowedModel,
                            counts.judgeErrors, counts.fallbacks]
        #expect(tally == [7, 2, 2, 1, 1, 2, 6])
    }

    /// §7.6 on hand-computed numbers: three sweeps whose cells are all 0.30, 0.36 and 0.42 give
    /// M = 0.30, 0.36, 0.42 (the weights sum to 1), so avg = 0.36 and sample std = 0.06; one gsm8k cell
    /// of sweep 3 set to 0.90 raises that benchmark's mean by (0.90 − 0.42)/4/3 = 0.04.
    @Test func meanAndSampleStdOverThreeSweeps() throws {
        let f = try ResultsFixture()
        defer { f.remove() }
        try f.sweep("opus_run1") { _, _ in 0.30 }
        try f.sweep("opus_run2") { _, _ in 0.36 }
        try f.sweep("opus_run3") { m, t in m == "Qwen3-4B-Base" && t == "gsm8k" ? 0.90 : 0.42 }
        try f.sweep("solo") { _, _ in 0.5 }
        let agents = try AgentMap.parse("Opus = opus_run1, opus_run2, opus_run3, opus_run4\n", path: "agents")
        let lb = try board(f, LeaderboardOptions(agents: agents, bootstrap: Bootstrap(resamples: 0)))
        let row = try #require(lb.named("Opus"))
        #expect(row.n == 3 && row.methods == ["opus_run1", "opus_run2", "opus_run3"])
        let m3 = 0.42 + BenchmarkWeights.paper.values["gsm8k"]! * (0.90 - 0.42) / 4
        #expect(abs(row.sweeps[2] - m3) < 1e-12)
        let avg = (0.30 + 0.36 + m3) / 3
        let std = (((0.30 - avg) * (0.30 - avg) + (0.36 - avg) * (0.36 - avg) + (m3 - avg) * (m3 - avg)) / 2).squareRoot()
        #expect(abs(row.avg - avg) < 1e-12)
        #expect(abs(row.std! - std) < 1e-12)
        #expect(abs(row.benchmarks["aime2025"]! - 0.36) < 1e-12)
        #expect(abs(row.benchmarks["gsm8k"]! - 0.40) < 1e-12)
        // The paper's per-benchmark "±": mean over models of the per-cell std over sweeps.
        #expect(abs(row.benchmarkStd!["aime2025"]! - 0.06) < 1e-12)
        let qwen4 = Statistics.sampleStd([0.30, 0.36, 0.90])!
        #expect(abs(row.benchmarkStd!["gsm8k"]! - (3 * 0.06 + qwen4) / 4) < 1e-12)
        #expect(lb.notes.contains("agent Opus: no runs for opus_run4"))
        #expect(lb.named("solo")?.std == nil && lb.named("solo")?.rank == 1 && row.rank == 2)
        let byMethod = try board(f, LeaderboardOptions(groupBy: .method, agents: agents, bootstrap: Bootstrap(resamples: 0)))
        #expect(byMethod.rows.filter { !$0.baseline }.map(\.agent) == ["solo", "opus_run3", "opus_run2", "opus_run1"])
    }

    /// §7.7: per method floor(Σ seconds / #valid) and its share of the 10 h budget; per agent the mean
    /// and sample std of the method averages.
    @Test func timeSpent() throws {
        let f = try ResultsFixture()
        defer { f.remove() }
        try f.scored("a1", "gsm8k", "Qwen3-4B-Base", id: 1, 0.5, time: "1:00:00")
        try f.scored("a1", "bfcl", "Qwen3-4B-Base", id: 1, 0.5, time: "2:00:01")
        try f.scored("a1", "aime2025", "Qwen3-4B-Base", id: 1, 0.5, time: "garbage")
        try f.scored("a2", "gsm8k", "Qwen3-4B-Base", id: 1, 0.5, time: "5:00:00")
        let agents = try AgentMap.parse("A = a1, a2", path: "agents")
        let lb = try board(f, LeaderboardOptions(agents: agents, bootstrap: Bootstrap(resamples: 0)))
        #expect(lb.methods["a1"]?.time == MethodTime(avgSeconds: 5400, valid: 2, invalid: 1, budgetSeconds: 36000))
        #expect(lb.methods["a1"]?.time?.percentOfBudget == 15)
        let t = try #require(lb.named("A")?.time)
        #expect(t.avgSeconds == 11700 && t.n == 2)
        #expect(abs(t.stdSeconds! - Statistics.sampleStd([5400, 18000])!) < 1e-9)
        #expect(abs(t.percentOfBudget - 32.5) < 1e-12)
        #expect(Durations.hms(t.avgSeconds) == "3:15:00")
    }

    /// ptb's own runs: method = spec.name or agent; an integrity flag falls back like a judge flag;
    /// ptb's base evaluation fills the baseline of tasks the published table lacks.
    @Test func ptbRunsFeedTheSameAggregation() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ptb-runs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        func write(_ id: String, agent: String, name: String? = nil, model: String = "tiny", created: Double, final: Double?, base: Double,
                   flagged: Bool = false, state: String = "scored") throws {
            let spec = RunSpec(task: "arith", model: model, agent: agent, hours: 0.05, name: name)
            let paths = RunPaths(dir: dir.appendingPathComponent(id))
            let date = Date(timeIntervalSince1970: created)
            try JSONIO.write(RunManifest(id: id, spec: spec, createdAt: date, ptbVersion: "test"), to: paths.manifest)
            let r = RunResult(id: id, spec: spec, outcome: .done, failure: nil, exit: .normal,
                              finalScore: final.map { ScoreSummary(accuracy: $0, stderr: 0, n: 200) },
                              baseScore: ScoreSummary(accuracy: base, stderr: 0, n: 200), scoreState: state, integrityFlagged: flagged,
                              agentSeconds: 90.7, phaseSeconds: [:], createdAt: date, finishedAt: date, versions: [:])
            try JSONIO.write(r, to: paths.result)
        }
        try write("r1", agent: "reference", created: 1000, final: 0.9, base: 0.01)
        try write("r2", agent: "reference", created: 2000, final: 0.22, base: 0.01)           // newer: counts
        try write("r3", agent: "none", created: 1000, final: 0.5, base: 0.01, flagged: true)  // integrity → base
        try write("r4", agent: "reference", name: "sweep-b", created: 1000, final: nil, base: 0.01, state: "no-final-model")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("r5-unfinished"), withIntermediateDirectories: true)
        try "{}".write(to: dir.appendingPathComponent("r5-unfinished/run.json"), atomically: true, encoding: .utf8)
        let (runs, skipped) = PTBRunsReader.read(runsDir: dir)
        #expect(runs.count == 4 && skipped.map(\.name) == ["r5-unfinished"])
        let lb = try Leaderboard.build(runs: runs, options: LeaderboardOptions(bootstrap: Bootstrap(resamples: 0)))
        #expect(lb.weights.scheme == .equal && lb.benchmarks == ["arith"] && lb.models == ["tiny"])
        #expect(lb.named("reference")?.avg == 0.22)
        #expect(lb.named("none")?.avg == 0.01)
        #expect(lb.named("none")?.counts?.integrity == 1)
        #expect(lb.methods["none"]?.cells[CellKey(task: "arith", model: "tiny")]?.flagCell == "I")
        #expect(lb.named("sweep-b")?.avg == 0.01)
        #expect(lb.methods["sweep-b"]?.cells[CellKey(task: "arith", model: "tiny")]?.scoreCell == "not stored")
        #expect(lb.named(Leaderboard.baseRowName)?.avg == 0.01)
        #expect(lb.named(Leaderboard.instructRowName) == nil)   // tiny has no instruct counterpart
        #expect(lb.named("reference")?.time?.avgSeconds == 90)
        #expect(runs.first { $0.name == "r2" }?.model == "tiny")
    }

    /// Issue 16: a number means what the rules that could replace it were, so the board names the
    /// integrity policy of every run it used (from `integrity.json`, which `ptb check --policy` rewrites).
    @Test func leaderboardNamesTheIntegrityPolicyOfItsRuns() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ptb-policy-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        func write(_ id: String, agent: String, task: String, policy: String?, flagged: Bool = false) throws {
            let spec = RunSpec(task: task, model: "tiny", agent: agent, hours: 0.05)
            let paths = RunPaths(dir: dir.appendingPathComponent(id))
            let date = Date(timeIntervalSince1970: 1000)
            try JSONIO.write(RunManifest(id: id, spec: spec, createdAt: date, ptbVersion: "test"), to: paths.manifest)
            try JSONIO.write(RunResult(id: id, spec: spec, outcome: .done, failure: nil, exit: .normal,
                                       finalScore: ScoreSummary(accuracy: 0.5, stderr: 0, n: 200),
                                       baseScore: ScoreSummary(accuracy: 0.01, stderr: 0, n: 200), scoreState: "scored",
                                       integrityFlagged: flagged, agentSeconds: 60, phaseSeconds: [:], createdAt: date,
                                       finishedAt: date, versions: [:]), to: paths.result)
            if let policy {
                try Data("{\"policy\": \"\(policy)\", \"checks\": [], \"flagged\": \(flagged)}".utf8).write(to: paths.integrity)
            }
        }
        try write("a1", agent: "reference", task: "arith", policy: "ptb")
        try write("a2", agent: "reference", task: "gsm8k", policy: "ptb")
        try write("b1", agent: "none", task: "arith", policy: "original")
        try write("b2", agent: "none", task: "gsm8k", policy: nil)
        let (runs, _) = PTBRunsReader.read(runsDir: dir)
        let lb = try Leaderboard.build(runs: runs, options: LeaderboardOptions(bootstrap: Bootstrap(resamples: 0)))
        #expect(lb.named("reference")?.counts?.policies == ["ptb": 2])
        #expect(lb.named("none")?.counts?.policies == ["original": 1, "unchecked": 1])
        let table = LeaderboardText.table(lb)
        let header = try #require(table.split(separator: "\n").first)
        #expect(header.contains("POLICY"))
        let noneLine = try #require(table.split(separator: "\n").first { $0.contains(" none ") })
        #expect(noneLine.contains("original 1, unchecked 1"))
        #expect(table.contains("integrity policy: ptb 2, original 1, unchecked 1 (runs)"))
        let csv = LeaderboardText.csv(lb)
        #expect(csv.split(separator: "\n").first?.hasSuffix(",integrity_policy") == true)
        #expect(try LeaderboardText.json(lb).contains("\"policies\""))
        // The original's runs were judged by its two verdicts alone: policy `original` by definition.
        #expect(RunFlags.unjudged.policyName(origin: .posttrainbench) == "original")
    }

    @Test func bootstrapIsSeededAndBracketsTheScore() throws {
        let f = try ResultsFixture()
        defer { f.remove() }
        try f.sweep("a") { m, t in Double((m.count * 7 + t.count * 3) % 10) / 10 }
        let opts = LeaderboardOptions(bootstrap: Bootstrap(resamples: 500, seed: 42))
        let one = try board(f, opts), two = try board(f, opts)
        let ci = try #require(one.named("a")?.ci95)
        #expect(ci == two.named("a")?.ci95)
        #expect(ci[0] < one.named("a")!.avg && one.named("a")!.avg < ci[1])
        let other = try board(f, LeaderboardOptions(bootstrap: Bootstrap(resamples: 500, seed: 43)))
        #expect(other.named("a")?.ci95 != ci)
        var rng = SplitMix64(seed: 0)
        #expect(rng.next() == 0xE220_A839_7B1D_CDAF)   // the published SplitMix64 sequence for seed 0
    }
}
