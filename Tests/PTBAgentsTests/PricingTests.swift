import Foundation
import PTBAgents
import PTBCore
import Testing

/// Cost from usage events with the verified list prices (sources in PTBCore/Pricing.swift).
@Suite struct PricingTests {
    func cost(_ model: String, _ u: TokenUsage) throws -> Double { try #require(PriceTable().price(for: model)).cost(u) }

    /// Model ids as the agents name them, with $ per 1M tokens (input, cached input, output).
    static let listed: [(String, ModelPrice)] = [
        ("gpt-5.1-codex-max", ModelPrice(input: 1.25, cachedInput: 0.125, output: 10)),
        ("gpt-5.2", ModelPrice(input: 1.75, cachedInput: 0.175, output: 14)),
        ("gpt-5.2-codex", ModelPrice(input: 1.75, cachedInput: 0.175, output: 14)),
        ("gpt-5.3-codex", ModelPrice(input: 1.75, cachedInput: 0.175, output: 14)),
        ("gpt-5.4", ModelPrice(input: 2.5, cachedInput: 0.25, output: 15)),
        ("gpt-5.5", ModelPrice(input: 5, cachedInput: 0.5, output: 30)),
        ("gpt-5-codex", ModelPrice(input: 1.25, cachedInput: 0.125, output: 10)),
        ("models/gemini-3-pro-preview", ModelPrice(input: 2, cachedInput: 0.2, output: 12)),
        ("models/gemini-3.1-pro-preview", ModelPrice(input: 2, cachedInput: 0.2, output: 12)),
        ("models/gemini-3-flash-preview", ModelPrice(input: 0.5, cachedInput: 0.05, output: 3)),
        ("opencode/gemini-3.1-pro", ModelPrice(input: 2, cachedInput: 0.2, output: 12)),
    ]

    @Test func listPrices() {
        for (model, price) in Self.listed { #expect(PriceTable().price(for: model) == price, "\(model)") }
    }

    @Test func costSplitsFreshAndCachedInput() throws {
        // 1M prompt tokens of which 800K cached, 100K output (reasoning included in output).
        let u = TokenUsage(input: 1_000_000, cached: 800_000, output: 100_000, reasoning: 40_000)
        #expect(abs(try cost("gpt-5.3-codex", u) - (0.2 * 1.75 + 0.8 * 0.175 + 0.1 * 14)) < 1e-12)
        #expect(abs(try cost("models/gemini-3-flash-preview", u) - (0.2 * 0.5 + 0.8 * 0.05 + 0.1 * 3)) < 1e-12)
        // More cached than input (never reported, but must not go negative).
        #expect(try cost("gpt-5.4", TokenUsage(input: 10, cached: 20)) >= 0)
        #expect(PriceTable().price(for: "some-unknown-model") == nil)
    }

    /// From usage events to the run's cost: estimated from the table when the CLI reports none,
    /// the CLI's own figure when it does (and then no estimate), nothing for unknown models.
    @Test func summaryCostFromUsageEvents() {
        let usage = [TraceEvent(kind: .usage, usage: TokenUsage(input: 30_000, cached: 20_000, output: 1_000)),
                     TraceEvent(kind: .usage, usage: TokenUsage(input: 10_000, cached: 5_000, output: 500, reasoning: 200))]
        let total = TokenUsage(input: 40_000, cached: 25_000, output: 1_500, reasoning: 200)
        let codex = TraceConverter.summarize(usage, scaffold: .codex, model: "gpt-5.3-codex")
        #expect(codex.usage == total && codex.reportedCostUSD == nil)
        #expect(abs((codex.estimatedCostUSD ?? -1) - (15_000 * 1.75 + 25_000 * 0.175 + 1_500 * 14) / 1e6) < 1e-12)
        let gemini = TraceConverter.summarize(usage, scaffold: .gemini, model: "models/gemini-3.1-pro-preview")
        #expect(abs((gemini.estimatedCostUSD ?? -1) - (15_000 * 2 + 25_000 * 0.2 + 1_500 * 12) / 1e6) < 1e-12)
        var reported = usage
        reported[1].costUSD = 0.5
        let claude = TraceConverter.summarize(reported, scaffold: .claudeCode, model: "claude-opus-4-6")
        #expect(claude.reportedCostUSD == 0.5 && claude.estimatedCostUSD == nil)
        #expect(TraceConverter.summarize(usage, scaffold: .codex, model: "o9-secret").estimatedCostUSD == nil)
    }
}
