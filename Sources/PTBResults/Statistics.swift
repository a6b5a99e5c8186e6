import Foundation
import PTBCore

public enum Stats {
    public static func mean(_ xs: [Double]) -> Double? {
        xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count)
    }

    /// Sample standard deviation (n − 1), as the original's numpy/pandas calls; nil below 2 values.
    public static func sampleStd(_ xs: [Double]) -> Double? {
        guard xs.count > 1, let m = mean(xs) else { return nil }
        return (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)).squareRoot()
    }

    /// Linear-interpolated percentile of sorted values (numpy's default), p in [0,1].
    public static func percentile(sorted xs: [Double], _ p: Double) -> Double? {
        guard !xs.isEmpty else { return nil }
        let h = Double(xs.count - 1) * p
        let lo = Int(h.rounded(.down)), hi = min(lo + 1, xs.count - 1)
        return xs[lo] + (h - Double(lo)) * (xs[hi] - xs[lo])
    }
}


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
        guard let lo = Stats.percentile(sorted: replicates, tail), let hi = Stats.percentile(sorted: replicates, 1 - tail) else { return nil }
        return (lo, hi)
    }
}
