import Foundation

/// API cost, tokens and GPU-hours of a row's counted runs (the newest run of each cell, over all
/// its sweeps), and the score they bought. Only runs that recorded a quantity count towards it;
/// `runsWith…` say how many did.
public struct UsageSummary: Sendable, Codable, Equatable {
    public var runsWithCost = 0
    public var costUSD = 0.0
    public var runsWithTokens = 0
    public var inputTokens = 0
    public var outputTokens = 0
    public var runsWithGPUHours = 0
    public var gpuHours = 0.0
    /// Some costs are list-price estimates rather than what the CLI reported.
    public var costEstimated = false
    /// Mean over runs with a cost.
    public var costPerRun: Double?
    /// Weighted score (fraction) per dollar of one sweep: `avg / (costUSD / sweeps)`.
    public var scorePerDollar: Double?
    /// Weighted score (fraction) per GPU-hour of one sweep: `avg / (gpuHours / sweeps)`.
    public var scorePerGPUHour: Double?

    public init() {}

    /// Totals over runs; ratios are filled by `finish`.
    public static func of(_ runs: [ResultRun]) -> UsageSummary {
        var u = UsageSummary()
        for r in runs {
            if let c = r.usage?.costUSD {
                u.runsWithCost += 1
                u.costUSD += c
                u.costEstimated = u.costEstimated || r.usage!.costEstimated
            }
            if let t = r.usage, t.inputTokens + t.outputTokens > 0 {
                u.runsWithTokens += 1
                u.inputTokens += t.inputTokens
                u.outputTokens += t.outputTokens
            }
            if let g = r.gpuHours {
                u.runsWithGPUHours += 1
                u.gpuHours += g
            }
        }
        return u
    }

    /// nil when no run recorded anything.
    func finish(score: Double, sweeps: Int) -> UsageSummary? {
        guard runsWithCost + runsWithTokens + runsWithGPUHours > 0, sweeps > 0 else { return nil }
        var u = self
        if runsWithCost > 0 {
            u.costPerRun = costUSD / Double(runsWithCost)
            if costUSD > 0 { u.scorePerDollar = score / (costUSD / Double(sweeps)) }
        }
        if runsWithGPUHours > 0, gpuHours > 0 { u.scorePerGPUHour = score / (gpuHours / Double(sweeps)) }
        return u
    }
}
