import Foundation

/// Time spent (§7.7) over an agent's sweeps: mean and sample std of the per-method averages.
public struct TimeSummary: Sendable, Codable, Equatable {
    public var avgSeconds: Double
    public var stdSeconds: Double?
    public var percentOfBudget: Double
    /// Sweeps with at least one valid time.
    public var n: Int
}

/// One leaderboard row. All scores are fractions in [0,1]; renderers scale them for people.
public struct LeaderboardRow: Sendable, Equatable, Encodable {
    public var agent: String
    /// Mean over sweeps of the weighted score `M`.
    public var avg: Double
    /// Sample std over sweeps; nil with a single sweep.
    public var std: Double?
    /// Number of sweeps (methods).
    public var n: Int
    /// 100 · this = the README's per-benchmark column.
    public var benchmarks: [String: Double]
    public var benchmarkStd: [String: Double]?
    /// nil for the baseline rows (unranked, as in the README).
    public var rank: Int?
    public var baseline: Bool
    public var methods: [String]
    public var sweeps: [Double]
    /// (avg − base row)/(instruct row − base row).
    public var normalized: Double?
    /// Bootstrap interval over runs, [low, high].
    public var ci95: [Double]?
    public var counts: RunCounts?
    public var time: TimeSummary?
    /// API cost, tokens and GPU-hours, where runs recorded them.
    public var usage: UsageSummary?

    enum CodingKeys: String, CodingKey {
        case agent, avg, std, n, benchmarks, benchmarkStd, rank, baseline, methods, sweeps, normalized, ci95, counts, time, usage
    }

    /// The stable JSON shape: `agent`, `avg`, `std`, `n`, `benchmarks`, `rank` and `baseline` are always
    /// present (null where undefined); the rest only when they exist.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(agent, forKey: .agent)
        try c.encode(avg, forKey: .avg)
        try c.encode(std, forKey: .std)
        try c.encode(n, forKey: .n)
        try c.encode(benchmarks, forKey: .benchmarks)
        try c.encode(rank, forKey: .rank)
        try c.encode(baseline, forKey: .baseline)
        try c.encode(methods, forKey: .methods)
        try c.encode(sweeps, forKey: .sweeps)
        try c.encodeIfPresent(benchmarkStd, forKey: .benchmarkStd)
        try c.encodeIfPresent(normalized, forKey: .normalized)
        try c.encodeIfPresent(ci95, forKey: .ci95)
        try c.encodeIfPresent(counts, forKey: .counts)
        try c.encodeIfPresent(time, forKey: .time)
        try c.encodeIfPresent(usage, forKey: .usage)
    }
}
