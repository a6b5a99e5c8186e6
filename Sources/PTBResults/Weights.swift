import Foundation
import PTBTasks

/// How benchmarks are weighted in the headline score.
public enum WeightScheme: String, Sendable, Codable, CaseIterable {
    /// `paper` when every task seen is one of the original seven, else `equal` (ptb's own tasks have no paper weight).
    case auto
    /// The fixed factors of `scripts/factors.json` (the original never recomputes them).
    case paper
    /// `ŵ_b ∝ 1/(Ī_b − B̄_b)` recomputed from the baseline table (paper eq. 1).
    case derived
    case equal
}

/// Normalised benchmark weights ŵ_b (sum 1). Benchmarks without a weight are shown but not scored.
public struct BenchmarkWeights: Sendable, Equatable, Codable {
    public var scheme: WeightScheme
    public var values: [String: Double]

    public init(scheme: WeightScheme, values: [String: Double]) {
        self.scheme = scheme
        self.values = values
    }

    /// `scripts/factors.json` verbatim: each task's `paperWeight`.
    public static let paper = BenchmarkWeights(scheme: .paper, values: Dictionary(
        uniqueKeysWithValues: TaskRegistry.all.compactMap { t in t.paperWeight.map { (t.id, $0) } }))

    public static func equal(_ benchmarks: [String]) -> BenchmarkWeights {
        let w = benchmarks.isEmpty ? 0 : 1 / Double(benchmarks.count)
        return BenchmarkWeights(scheme: .equal, values: Dictionary(uniqueKeysWithValues: benchmarks.map { ($0, w) }))
    }

    /// Paper eq. 1: `Ī_b`, `B̄_b` are the means over the instruct and the base models of the pairs;
    /// `w_b = 1/(Ī_b − B̄_b)`, normalised. Only benchmarks every paired model has a value for take part.
    public static func derived(from table: BaselineTable,
                               pairs: [(base: String, instruct: String)] = ModelKey.instructPairs) throws -> BenchmarkWeights {
        let bases = pairs.map(\.base), instructs = pairs.map(\.instruct)
        let benchmarks = Set(table.values.values.flatMap(\.keys)).sorted()
        var raw: [String: Double] = [:]
        for b in benchmarks {
            guard let base = table.mean(models: bases, benchmark: b), let inst = table.mean(models: instructs, benchmark: b) else { continue }
            guard inst > base else {
                throw ResultsError.weights("on \(b) the instruct models (\(inst)) do not beat the base models (\(base))")
            }
            raw[b] = 1 / (inst - base)
        }
        guard !raw.isEmpty else {
            throw ResultsError.weights("the baseline table has no benchmark with values for all of \((bases + instructs).joined(separator: ", "))")
        }
        // Sum in sorted order so the result does not depend on dictionary order (bit-for-bit reproducible).
        let total = raw.keys.sorted().reduce(0.0) { $0 + raw[$1]! }
        return BenchmarkWeights(scheme: .derived, values: raw.mapValues { $0 / total })
    }

    /// Resolves `auto` and builds the weights; `notes` receives what the user should know.
    public static func resolve(_ scheme: WeightScheme, tasks: Set<String>, table: BaselineTable,
                               notes: inout [String]) throws -> BenchmarkWeights {
        switch scheme {
        case .paper: return .paper
        case .derived: return try derived(from: table)
        case .equal: return equal(tasks.isEmpty ? PaperBenchmarks.ids : tasks.sorted())
        case .auto:
            let foreign = tasks.subtracting(PaperBenchmarks.ids)
            if foreign.isEmpty { return .paper }
            notes.append("tasks \(foreign.sorted().joined(separator: ", ")) have no paper weight; weighting all \(tasks.count) task(s) equally (--weights equal)")
            return equal(tasks.sorted())
        }
    }

    /// `Σ_b ŵ_b · mean_b`; a weighted benchmark with no mean counts as 0 (the qol aggregation's rule).
    public func score(_ benchmarkMeans: [String: Double]) -> Double {
        values.keys.sorted().reduce(0.0) { $0 + values[$1]! * (benchmarkMeans[$1] ?? 0) }
    }
}
