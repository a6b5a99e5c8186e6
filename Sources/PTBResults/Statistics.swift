import Foundation
import PTBCore

/// Bootstrap confidence interval of the weighted score over runs: within each benchmark, the runs
/// (model × sweep cells) are resampled with replacement; the weighted sum of the resampled means is
/// one replicate. Stratifying by benchmark keeps every replicate a complete leaderboard score.
public struct Bootstrap: Sendable {
    public var resamples: Int
    public var seed: UInt64
    public var level: Double

    public init(resamples: Int = 2000, seed: UInt64 = 0, level: Double = 0.95) {
        self.resamples = resamples
        self.seed = seed
        self.level = level
    }

    public func interval(pools: [String: [Double]], weights: BenchmarkWeights) -> (low: Double, high: Double)? {
        let benchmarks = weights.values.keys.sorted().filter { !(pools[$0] ?? []).isEmpty }
        guard resamples > 0, !benchmarks.isEmpty else { return nil }
        var rng = SplitMix64(seed: seed)
        var replicates: [Double] = []
        replicates.reserveCapacity(resamples)
        for _ in 0..<resamples {
            var score = 0.0
            for b in benchmarks {
                let pool = pools[b]!
                var sum = 0.0
                for _ in pool.indices { sum += pool[rng.index(pool.count)] }
                score += weights.values[b]! * sum / Double(pool.count)
            }
            replicates.append(score)
        }
        replicates.sort()
        let tail = (1 - level) / 2
        guard let lo = Statistics.percentile(sorted: replicates, tail), let hi = Statistics.percentile(sorted: replicates, 1 - tail) else { return nil }
        return (lo, hi)
    }
}
