import Foundation

/// The paper's weight derivation laid out per benchmark, and the two zero-shot rows of the leaderboard:
/// a check that the table reproduces `factors.json` and the README's 7.5 / 51.1.
public struct BaselineReport: Sendable {
    public struct Line: Sendable, Equatable {
        public var benchmark: String
        public var baseMean: Double
        public var instructMean: Double
        public var derivedWeight: Double
        public var paperWeight: Double?
    }

    public var lines: [Line]
    public var derived: BenchmarkWeights
    public var baseScore: Double
    public var instructScore: Double
    public var baseScoreDerived: Double
    public var instructScoreDerived: Double
    /// Largest |derived − paper| over the paper's benchmarks.
    public var maxWeightDifference: Double

    public init(table: BaselineTable, pairs: [(base: String, instruct: String)] = ModelKey.instructPairs) throws {
        let d = try BenchmarkWeights.derived(from: table, pairs: pairs)
        derived = d
        let bases = pairs.map(\.base), instructs = pairs.map(\.instruct)
        let lines = d.values.keys.sorted().map { b in
            Line(benchmark: b, baseMean: table.mean(models: bases, benchmark: b)!, instructMean: table.mean(models: instructs, benchmark: b)!,
                 derivedWeight: d.values[b]!, paperWeight: BenchmarkWeights.paper.values[b])
        }
        self.lines = lines
        func score(_ models: [String], _ w: BenchmarkWeights) -> Double {
            w.score(Dictionary(uniqueKeysWithValues: w.values.keys.compactMap { b in table.mean(models: models, benchmark: b).map { (b, $0) } }))
        }
        baseScore = score(bases, .paper)
        instructScore = score(instructs, .paper)
        baseScoreDerived = score(bases, d)
        instructScoreDerived = score(instructs, d)
        maxWeightDifference = lines.compactMap { l in l.paperWeight.map { abs($0 - l.derivedWeight) } }.max() ?? .nan
    }

    public var text: String {
        var out = ["benchmark           base B̄ %  instruct Ī %   Ī−B̄ %   derived ŵ    paper ŵ"]
        for l in lines {
            let paper = l.paperWeight.map { String(format: "%.6f", $0) } ?? "-"
            out.append(l.benchmark.padding(toLength: 18, withPad: " ", startingAt: 0)
                + String(format: " %9.4f %12.4f %8.4f %11.6f ", l.baseMean * 100, l.instructMean * 100, (l.instructMean - l.baseMean) * 100, l.derivedWeight)
                + String(repeating: " ", count: max(0, 9 - paper.count)) + paper)
        }
        out.append("")
        out.append(String(format: "max |derived − paper| weight: %.2e", maxWeightDifference))
        out.append(String(format: "weighted score, base models (zero-shot):     %.4f (paper weights), %.4f (derived)", baseScore * 100, baseScoreDerived * 100))
        out.append(String(format: "weighted score, instruct models (zero-shot): %.4f (paper weights), %.4f (derived)", instructScore * 100, instructScoreDerived * 100))
        return out.joined(separator: "\n")
    }
}
