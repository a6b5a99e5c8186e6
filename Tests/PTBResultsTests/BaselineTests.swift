import Foundation
import PTBResults
import Testing

@Suite struct BaselineTests {
    /// baselines.md §2 verbatim.
    static let csv = """
        model,aime2025,arenahardwriting,bfcl,gpqamain,gsm8k,healthbench,humaneval
        Qwen3-1.7B,0.26666666666666666,0.5,0.94,0.3549107142857143,0.8847611827141774,0.44918867035528026,0.6890243902439024
        Qwen3-1.7B-Base,0.0,0.009142053445850914,0.0,0.140625,0.12661106899166036,0.07537565969807473,0.07926829268292683
        Qwen3-4B,0.5333333333333333,0.8683943089430894,0.95,0.44642857142857145,0.9378316906747536,0.5272399437524256,0.774390243902439
        Qwen3-4B-Base,0.03333333333333333,0.03417533432392273,0.0,0.13392857142857142,0.4184988627748294,0.13383521639663787,0.36585365853658536
        SmolLM3-3B,0.26666666666666666,0.492,0.84,0.3325892857142857,0.8218347232752085,0.2957717718639611,0.7012195121951219
        SmolLM3-3B-Base,0.03333333333333333,0.004225352112676056,0.0,0.049107142857142856,0.21076573161485973,0.0,0.06097560975609756
        gemma-3-4b-it,0.1,0.948,0.67,0.31473214285714285,0.8354814253222138,0.46063396051286026,0.6951219512195121
        gemma-3-4b-pt,0.0,0.0028530670470756064,0.06,0.015625,0.06141015921152388,0.17039403723633986,0.006097560975609756
        """

    @Test func publishedTableIsTheCSV() throws {
        #expect(try BaselineTable.parseCSV(Self.csv, path: "baselines.md") == BaselineTable.published)
    }

    @Test func derivedWeightsReproduceFactorsJSON() throws {
        let derived = try BenchmarkWeights.derived(from: .published)
        #expect(Set(derived.values.keys) == Set(PaperBenchmarks.ids))
        for (b, w) in BenchmarkWeights.paper.values {
            #expect(abs(derived.values[b]! - w) < 1e-12, "\(b): \(derived.values[b]!) vs \(w)")
        }
        #expect(abs(BenchmarkWeights.paper.values.values.reduce(0, +) - 1) < 1e-12)
    }

    @Test func baselineScoresMatchThePaper() throws {
        let report = try BaselineReport(table: .published)
        #expect(abs(report.baseScore - Published.baseScore) < 5e-7)
        #expect(abs(report.instructScore - Published.instructScore) < 5e-7)
        #expect(abs(report.baseScoreDerived - report.baseScore) < 1e-12)
        #expect(report.maxWeightDifference < 1e-12)
        #expect(report.text.contains("7.5276"))
        #expect(report.text.contains("51.1359"))
    }

    @Test func badCSVIsRefusedWithTheLine() {
        #expect(throws: ResultsError.baselinesFile(path: "b.csv", reason: "line 2: 'x' for gsm8k is not a number")) {
            try BaselineTable.parseCSV("model,gsm8k\nQwen3-4B-Base,x\n", path: "b.csv")
        }
        #expect(throws: ResultsError.self) { try BaselineTable.parseCSV("name,gsm8k\n", path: "b.csv") }
    }

    @Test func derivedWeightsNeedInstructAboveBase() {
        var t = BaselineTable()
        for (base, inst) in [("b1", "i1"), ("b2", "i2")] {
            t.set(model: base, benchmark: "x", 0.5)
            t.set(model: inst, benchmark: "x", 0.4)
        }
        #expect(throws: ResultsError.self) { try BenchmarkWeights.derived(from: t, pairs: [("b1", "i1"), ("b2", "i2")]) }
    }

    @Test func agentMapFormats() throws {
        let text = """
            # agents with repeated sweeps
            Opus-4.6 = claude_run1, claude_run2 ,claude_run3
            GPT = codex_v3   # one sweep
            """
        let map = try AgentMap.parse(text, path: "agents.txt")
        #expect(map.agents == [.init(name: "Opus-4.6", methods: ["claude_run1", "claude_run2", "claude_run3"]),
                               .init(name: "GPT", methods: ["codex_v3"])])
        let json = try AgentMap.parse(#"{"Z": ["a", "b"], "A": ["c"]}"#, path: "agents.json")
        #expect(json.agents == [.init(name: "Z", methods: ["a", "b"]), .init(name: "A", methods: ["c"])])
        #expect(throws: ResultsError.agentMap(path: "x", line: 2, reason: "no '='")) { try AgentMap.parse("A = m\nbroken\n", path: "x") }
        #expect(throws: ResultsError.self) { try AgentMap.parse("A = m\nB = m\n", path: "x") }
    }
}
