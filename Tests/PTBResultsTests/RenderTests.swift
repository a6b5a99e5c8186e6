import Foundation
import PTBResults
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A small board with exact binary fractions: two tasks, two models, equal weights, a custom table.
/// Agent A (sweeps a1, a2): M = 0.5 and 0.25 → 0.375 ± 0.1768. B (b1): one contaminated cell falls back
/// to 0.1, so arith = (0.1 + 0.5)/2 = 0.3, logic = 0.5, M = 0.4. Base row: arith 0.2, logic 0.1 → 0.15.
enum RenderFixture {
    static let clean = RunFlags(contamination: .clean, disallowedModel: .clean)

    static func run(_ method: String, _ task: String, _ model: String, _ accuracy: Double, flags: RunFlags = clean,
                    time: Int? = nil) -> ResultRun {
        ResultRun(origin: .posttrainbench, method: method, task: task, model: model, runID: 1, name: "\(task)_Org_\(model)_1",
                  path: "/r/\(method)", score: .scored(accuracy), flags: flags, timeSeconds: time, budgetSeconds: 36000, hasFinalModel: true)
    }

    static var runs: [ResultRun] {
        var r: [ResultRun] = []
        for (m, t, v) in [("m1", "arith", 0.5), ("m1", "logic", 0.25), ("m2", "arith", 0.75), ("m2", "logic", 0.5)] {
            r.append(run("a1", t, m, v, time: 3600))
        }
        for (m, t) in [("m1", "arith"), ("m1", "logic"), ("m2", "arith"), ("m2", "logic")] {
            r.append(run("a2", t, m, 0.25, time: 7200))
            let contaminated = RunFlags(contamination: .detected, disallowedModel: .clean)
            r.append(run("b1", t, m, 0.5, flags: m == "m1" && t == "arith" ? contaminated : clean))
        }
        return r
    }

    static let table = BaselineTable(values: ["m1": ["arith": 0.1, "logic": 0.0], "m2": ["arith": 0.3, "logic": 0.2]])

    static func board() throws -> Leaderboard {
        let agents = try AgentMap.parse("Agent A, sweeps = a1, a2\nB|x = b1\n", path: "agents")
        return try Leaderboard.build(runs: runs, options: LeaderboardOptions(weights: .equal, agents: agents, baselines: table,
                                                                             bootstrap: Bootstrap(resamples: 0)))
    }
}

@Suite struct RenderTests {
    @Test func markdownGolden() throws {
        #expect(LeaderboardText.markdown(try RenderFixture.board()) == """
            | Rank | Agent | Score | n | arith | logic |
            |---:|:---|---:|---:|---:|---:|
            | 1 | B\\|x | 40.0 | 1 | 30.0 | 50.0 |
            | 2 | Agent A, sweeps | 37.5 ± 17.7 | 2 | 43.8 | 31.2 |
            |  | Base models (zero-shot) | 15.0 |  | 20.0 | 10.0 |

            """)
    }

    @Test func csvGolden() throws {
        #expect(LeaderboardText.csv(try RenderFixture.board()) == """
            rank,agent,avg,std,n,arith,logic,normalized,ci95_low,ci95_high,runs,flagged,judge_errors,fallbacks,time_avg_seconds,time_percent_of_budget,baseline,cost_usd,cost_per_run_usd,input_tokens,output_tokens,gpu_hours,score_per_dollar,score_per_gpu_hour,integrity_policy
            1,B|x,0.400000,,1,0.300000,0.500000,,,,4,1,0,1,,,false,,,,,,,,original
            2,"Agent A, sweeps",0.375000,0.176777,2,0.437500,0.312500,,,,8,0,0,0,5400,15.0,false,,,,,,,,original
            ,Base models (zero-shot),0.150000,,1,0.200000,0.100000,,,,,,,,,,true,,,,,,,,

            """)
    }

    /// Checked by hand: A's std = √(2 · 0.125²) = 0.17678; its arith "±" = (std(0.5, 0.25) + std(0.75, 0.25))/2
    /// = 0.26517; time = mean(3600, 7200) s at 10 % and 20 % of 10 h. Keys sorted; std and rank are null, not absent.
    @Test func jsonGolden() throws {
        #expect(try LeaderboardText.json(try RenderFixture.board()) == """
            {
              "rows" : [
                {
                  "agent" : "B|x",
                  "avg" : 0.4,
                  "baseline" : false,
                  "benchmarks" : {
                    "arith" : 0.3,
                    "logic" : 0.5
                  },
                  "counts" : {
                    "contamination" : 1,
                    "disallowedModel" : 0,
                    "fallbacks" : 1,
                    "flagged" : 1,
                    "integrity" : 0,
                    "judgeErrors" : 0,
                    "missingRuns" : 0,
                    "policies" : {
                      "original" : 4
                    },
                    "runs" : 4,
                    "scoreErrors" : 0,
                    "unfilled" : 0
                  },
                  "methods" : [
                    "b1"
                  ],
                  "n" : 1,
                  "rank" : 1,
                  "std" : null,
                  "sweeps" : [
                    0.4
                  ]
                },
                {
                  "agent" : "Agent A, sweeps",
                  "avg" : 0.375,
                  "baseline" : false,
                  "benchmarkStd" : {
                    "arith" : 0.26516504294495535,
                    "logic" : 0.08838834764831845
                  },
                  "benchmarks" : {
                    "arith" : 0.4375,
                    "logic" : 0.3125
                  },
                  "counts" : {
                    "contamination" : 0,
                    "disallowedModel" : 0,
                    "fallbacks" : 0,
                    "flagged" : 0,
                    "integrity" : 0,
                    "judgeErrors" : 0,
                    "missingRuns" : 0,
                    "policies" : {
                      "original" : 8
                    },
                    "runs" : 8,
                    "scoreErrors" : 0,
                    "unfilled" : 0
                  },
                  "methods" : [
                    "a1",
                    "a2"
                  ],
                  "n" : 2,
                  "rank" : 2,
                  "std" : 0.1767766952966369,
                  "sweeps" : [
                    0.5,
                    0.25
                  ],
                  "time" : {
                    "avgSeconds" : 5400,
                    "n" : 2,
                    "percentOfBudget" : 15,
                    "stdSeconds" : 2545.584412271571
                  }
                },
                {
                  "agent" : "Base models (zero-shot)",
                  "avg" : 0.15000000000000002,
                  "baseline" : true,
                  "benchmarks" : {
                    "arith" : 0.2,
                    "logic" : 0.1
                  },
                  "methods" : [

                  ],
                  "n" : 1,
                  "rank" : null,
                  "std" : null,
                  "sweeps" : [
                    0.15000000000000002
                  ]
                }
              ]
            }

            """)
    }

    /// The documented shape: {"rows": [{"agent", "avg", "std", "n", "benchmarks": {task: fraction}, …}]}.
    @Test func jsonShape() throws {
        let data = Data(try LeaderboardText.json(try RenderFixture.board()).utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Array(object.keys) == ["rows"])
        let rows = try #require(object["rows"] as? [[String: Any]])
        #expect(rows.count == 3)
        for row in rows {
            for key in ["agent", "avg", "std", "n", "benchmarks"] { #expect(row[key] != nil, "\(key)") }
            let benchmarks = try #require(row["benchmarks"] as? [String: Double])
            #expect(benchmarks.values.allSatisfy { (0...1).contains($0) })
        }
    }

    @Test func tableMentionsWeightsAndFlags() throws {
        let text = LeaderboardText.table(try RenderFixture.board())
        #expect(text.contains("weights: equal (arith 0.5000, logic 0.5000)"))
        #expect(text.contains("37.5 ± 17.7"))
        #expect(text.contains("1:30:00 (15.0%)"))
    }

    @Test func svgChartsAreWellFormed() throws {
        var runs = RenderFixture.runs
        runs.append(RenderFixture.run("<odd & \"name\">", "arith", "m1", 0.9, time: 100))
        let lb = try Leaderboard.build(runs: runs, options: LeaderboardOptions(weights: .equal, groupBy: .method,
                                                                              baselines: RenderFixture.table, bootstrap: Bootstrap(resamples: 0)))
        let charts = [LeaderboardCharts.scores(lb), LeaderboardCharts.time(lb), LeaderboardCharts.heatMap(try lb.heatMap(agent: nil)),
                      LeaderboardCharts.heatMap(try lb.heatMap(agent: "b1")), LeaderboardCharts.scores(try RenderFixture.board())]
        for svg in charts {
            let delegate = RootCollector()
            let parser = XMLParser(data: Data(svg.utf8))
            parser.delegate = delegate
            #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")\n\(svg)")
            #expect(delegate.root == "svg")
            #expect(delegate.texts.count > 3)
        }
        #expect(charts[0].contains("&lt;odd &amp; &quot;name&quot;&gt;"))
        #expect(lb.rows.contains { $0.agent == "<odd & \"name\">" })
        #expect(try lb.heatMap(agent: "b1").fellBack == [CellKey(task: "arith", model: "m1")])
        #expect(charts[3].contains(">10.0*</text>"))
        #expect(throws: ResultsError.self) { try lb.heatMap(agent: "nobody") }
    }
}

private final class RootCollector: NSObject, XMLParserDelegate {
    var root: String?
    var texts: [String] = []
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if root == nil { root = name }
        if name == "text" { texts.append(name) }
    }
}
