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
    public static let table: [(prefix: String, price: ModelPrice)] = [
        ("claude-opus-4", ModelPrice(input: 5, cachedInput: 0.5, output: 25)),
        ("claude-sonnet-4", ModelPrice(input: 3, cachedInput: 0.3, output: 15)),
        ("gpt-5.2", ModelPrice(input: 1.75, cachedInput: 0.175, output: 14)),
        ("gpt-5.1", ModelPrice(input: 1.25, cachedInput: 0.125, output: 10)),
        ("gpt-5", ModelPrice(input: 1.25, cachedInput: 0.125, output: 10)),
        ("gemini-3-pro", ModelPrice(input: 2, cachedInput: 0.2, output: 12)),
        ("gemini-3-flash", ModelPrice(input: 0.5, cachedInput: 0.05, output: 3)),
        ("glm-5", ModelPrice(input: 1, cachedInput: 0.2, output: 3.2)),
    ]

    public static func price(model: String) -> ModelPrice? {
        let id = model.split(separator: "/").last.map(String.init) ?? model
        return table.filter { id.hasPrefix($0.prefix) }.max { $0.prefix.count < $1.prefix.count }?.price
    }
}
