import Foundation

/// List prices in USD per million tokens, for scaffolds that do not report cost themselves
/// (Codex, Gemini). Estimates only: subscription runs pay nothing per token, and providers change
/// prices; Claude Code's own `total_cost_usd` and OpenCode's step costs are preferred when present.
public struct ModelPrice: Sendable, Equatable {
    public var input: Double
    public var cachedInput: Double
    public var output: Double

    public init(input: Double, cachedInput: Double, output: Double) {
        self.input = input
        self.cachedInput = cachedInput
        self.output = output
    }

    public func cost(_ u: TokenUsage) -> Double {
        (Double(max(u.input - u.cached, 0)) * input + Double(u.cached) * cachedInput + Double(u.output) * output) / 1_000_000
    }
}

public enum Pricing {
    /// Longest matching prefix of the model id (provider prefixes like `models/` or `zai/` dropped).
    /// Standard tier, short-context rates (OpenAI ≤ 272K, Google ≤ 200K input tokens): a run whose
    /// prompts exceed that is underestimated (gpt-5.4 long context is 2x input, 1.5x output;
    /// Gemini 3 Pro is $4 / $18). Reasoning/thinking tokens are billed as output and are already
    /// part of `output` in TokenUsage.
    public static let table: [(prefix: String, price: ModelPrice)] = [
        // Claude Code reports total_cost_usd itself; these are fallbacks for killed runs.
        ("claude-opus-4", ModelPrice(input: 5, cachedInput: 0.5, output: 25)),
        ("claude-sonnet-4", ModelPrice(input: 3, cachedInput: 0.3, output: 15)),
        // OpenAI, checked 2026-11-22: gpt-5 / gpt-5-codex on the official model page
        // https://developers.openai.com/api/docs/models/gpt-5-codex ($1.25 / $0.125 / $10);
        // gpt-5.1-codex-max $1.25 / $0.125 / $10, gpt-5.2, gpt-5.2-codex and gpt-5.3-codex
        // $1.75 / $0.175 / $14, gpt-5.4 $2.50 / $0.25 / $15 as listed from
        // https://developers.openai.com/api/docs/pricing (mirrored in GitHub's Copilot price table,
        // github/docs data/tables/copilot/models-and-pricing.yml); gpt-5.5 $5 / $0.50 / $30 from
        // OpenAI's Codex rate card (125 / 12.5 / 750 credits per 1M tokens at 25 credits = $1,
        // which gives gpt-5.4's API prices exactly).
        ("gpt-5.5", ModelPrice(input: 5, cachedInput: 0.5, output: 30)),
        ("gpt-5.4", ModelPrice(input: 2.5, cachedInput: 0.25, output: 15)),
        ("gpt-5.3", ModelPrice(input: 1.75, cachedInput: 0.175, output: 14)),
        ("gpt-5.2", ModelPrice(input: 1.75, cachedInput: 0.175, output: 14)),
        ("gpt-5.1", ModelPrice(input: 1.25, cachedInput: 0.125, output: 10)),
        ("gpt-5", ModelPrice(input: 1.25, cachedInput: 0.125, output: 10)),
        // Google, https://ai.google.dev/gemini-api/docs/pricing (paid tier, ≤ 200K prompt),
        // checked 2026-11-22 through a dated quote of that page (2026-07-04): Gemini 3 Flash Preview
        // $0.50 input, $3.00 output incl. thinking, $0.05 context caching; Gemini 3 Pro Preview and
        // 3.1 Pro Preview $2.00 / $12.00, caching $0.20.
        ("gemini-3.1-pro", ModelPrice(input: 2, cachedInput: 0.2, output: 12)),
        ("gemini-3-pro", ModelPrice(input: 2, cachedInput: 0.2, output: 12)),
        ("gemini-3-flash", ModelPrice(input: 0.5, cachedInput: 0.05, output: 3)),
        // Not verified against Z.AI's page; OpenCode reports step costs itself.
        ("glm-5", ModelPrice(input: 1, cachedInput: 0.2, output: 3.2)),
    ]

    public static func price(model: String) -> ModelPrice? {
        let id = model.split(separator: "/").last.map(String.init) ?? model
        return table.filter { id.hasPrefix($0.prefix) }.max { $0.prefix.count < $1.prefix.count }?.price
    }
}
