import Foundation
import PTBCore
import PTBResults
import Testing

/// Cost, tokens and GPU-hours per row, and score against the time budget, on numbers worked by hand.
@Suite struct UsagePivotTests {
    static func run(_ method: String, _ task: String, _ acc: Double, hours: Double = 10, time: Int? = nil, gpus: Int? = nil,
                    usage: RunUsage? = nil) -> ResultRun {
        ResultRun(origin: .ptb, method: method, task: task, model: "m1", runID: 1, name: "\(method)_\(task)_\(hours)", path: "/r",
                  score: .scored(acc), flags: RenderFixture.clean, timeSeconds: time, budgetSeconds: hours * 3600, hasFinalModel: true,
                  gpus: gpus, usage: usage)
    }

    static let options = LeaderboardOptions(weights: .equal, groupBy: .agent, agents: try! AgentMap.parse("A = m, m-b\n", path: "agents"),
                                            baselines: RenderFixture.table, bootstrap: Bootstrap(resamples: 0))

    /// Sweep m: M = (0.6 + 0.4)/2 = 0.5, costs 3.25 + 1.75 (the second estimated), GPU-hours 1 h × 2 + 0.5 h × 1 = 2.5.
    /// Sweep m-b: M = (0.2 + 0.4)/2 = 0.3, one run costs 1.00, no GPU counts. Agent A = mean 0.4 over 2 sweeps:
    /// $6 over 3 costed runs → $2/run, $3/sweep → 0.4/3 per dollar; 2.5 GPU-h / 2 sweeps → 0.4/1.25 = 0.32 per GPU-hour.
    @Test func costTokensAndGPUHoursPerRow() throws {
        let runs = [
            Self.run("m", "arith", 0.6, time: 3600, gpus: 2, usage: RunUsage(inputTokens: 1000, outputTokens: 100, costUSD: 3.25)),
            Self.run("m", "logic", 0.4, time: 1800, gpus: 1, usage: RunUsage(inputTokens: 500, outputTokens: 50, costUSD: 1.75, costEstimated: true)),
            Self.run("m-b", "arith", 0.2, usage: RunUsage(inputTokens: 10, outputTokens: 1, costUSD: 1.0)),
            Self.run("m-b", "logic", 0.4),
        ]
        let lb = try Leaderboard.build(runs: runs, options: Self.options)
        let a = try #require(lb.named("A"))
        #expect(abs(a.avg - 0.4) < 1e-12)
        let u = try #require(a.usage)
        #expect(u.runsWithCost == 3 && abs(u.costUSD - 6.0) < 1e-12 && abs(u.costPerRun! - 2.0) < 1e-12 && u.costEstimated)
        #expect(u.runsWithTokens == 3 && u.inputTokens == 1510 && u.outputTokens == 151)
        #expect(u.runsWithGPUHours == 2 && abs(u.gpuHours - 2.5) < 1e-12)
        #expect(abs(u.scorePerDollar! - 0.4 / 3) < 1e-12)
        #expect(abs(u.scorePerGPUHour! - 0.32) < 1e-12)
        let csv = LeaderboardText.csv(lb)
        #expect(csv.contains(",false,6.0000,2.0000,1510,151,2.5000,0.133333,0.320000,"))
        #expect(LeaderboardText.table(lb).contains("PTS/$"))
        // Per method: sweep m alone buys 0.5 for $5 and 2.5 GPU-h.
        let byMethod = try Leaderboard.build(runs: runs, options: LeaderboardOptions(weights: .equal, groupBy: .method, baselines: RenderFixture.table,
                                                                                     bootstrap: Bootstrap(resamples: 0)))
        let m = try #require(byMethod.named("m")?.usage)
        #expect(abs(m.scorePerDollar! - 0.1) < 1e-12 && abs(m.scorePerGPUHour! - 0.2) < 1e-12)
        // Boards without any usage keep their shape.
        #expect(!LeaderboardText.table(try RenderFixture.board()).contains("PTS/$"))
    }

    @Test func usageFileIsRead() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("usage-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(#"{"usage": {"input": 1200, "cached": 900, "output": 40, "reasoning": 5}, "estimated_cost_usd": 0.42, "tool_calls": 3}"#.utf8).write(to: url)
        #expect(RunUsage.read(url) == RunUsage(inputTokens: 1200, outputTokens: 40, costUSD: 0.42, costEstimated: true))
        #expect(RunUsage.read(url.appendingPathExtension("missing")) == nil)
    }

    /// m at 1 h: (0.2 + 0.4)/2 = 0.3; at 10 h: (0.6 + 0.8)/2 = 0.7; n only at 10 h: (1.0 + 0.5)/2 = 0.75.
    @Test func scoreAgainstTheTimeBudget() throws {
        let runs = [Self.run("m", "arith", 0.2, hours: 1), Self.run("m", "logic", 0.4, hours: 1),
                    Self.run("m", "arith", 0.6, hours: 10), Self.run("m", "logic", 0.8, hours: 10),
                    Self.run("n", "arith", 1.0, hours: 10), Self.run("n", "logic", 0.5, hours: 10)]
        let opts = LeaderboardOptions(weights: .equal, groupBy: .method, baselines: RenderFixture.table, bootstrap: Bootstrap(resamples: 0))
        let p = try Pivot.build(runs: runs, options: opts, dimension: .hours)
        #expect(p.values == [1, 10])
        #expect(Set(p.agents) == ["m", "n"])
        #expect(abs(p.cells["m"]![1]!.avg - 0.3) < 1e-12 && abs(p.cells["m"]![10]!.avg - 0.7) < 1e-12)
        #expect(abs(p.cells["n"]![10]!.avg - 0.75) < 1e-12 && p.cells["n"]![1] == nil)
        #expect(p.csv() == "agent,hours,avg,std,n\nn,10,0.750000,,1\nm,1,0.300000,,1\nm,10,0.700000,,1\n"
                || p.csv() == "agent,hours,avg,std,n\nm,1,0.300000,,1\nm,10,0.700000,,1\nn,10,0.750000,,1\n")
        #expect(p.table().contains("30.0 (1)") && p.table().contains("75.0 (1)"))
        let svg = LeaderboardCharts.pivot(p)
        #expect(svg.contains("m at 1h: 30.0 (n=1)") && svg.contains("n at 10h: 75.0 (n=1)"))
        // GPUs are not recorded by these runs: all left out, and said so.
        let g = try Pivot.build(runs: runs, options: opts, dimension: .gpus)
        #expect(g.values.isEmpty && g.notes == ["6 run(s) do not record gpus: left out"])
    }
}
