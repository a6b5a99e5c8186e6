import Foundation
import PTBCore

/// USD per million tokens for one judge model.
public struct JudgePrice: Codable, Sendable, Equatable {
    public var input: Double
    public var cachedInput: Double?
    public var output: Double

    public init(input: Double, cachedInput: Double? = nil, output: Double) {
        self.input = input
        self.cachedInput = cachedInput
        self.output = output
    }

    enum CodingKeys: String, CodingKey {
        case input = "input_per_million"
        case cachedInput = "cached_input_per_million"
        case output = "output_per_million"
    }

    public func cost(prompt: Int, cached: Int, completion: Int) -> Double {
        let fresh = max(0, prompt - cached)
        return (Double(fresh) * input + Double(cached) * (cachedInput ?? input) + Double(completion) * output) / 1_000_000
    }
}

/// The price table: OpenAI list prices of the models a judge is likely to be, overridable (and
/// extendable) by a JSON file `{"model": {"input_per_million", "output_per_million",
/// "cached_input_per_million"}}` — prices change, and local endpoints cost what the user says.
public struct JudgePrices: Sendable, Equatable {
    public var table: [String: JudgePrice]

    public static let builtin: [String: JudgePrice] = [
        "gpt-5": JudgePrice(input: 1.25, cachedInput: 0.125, output: 10),
        "gpt-5-mini": JudgePrice(input: 0.25, cachedInput: 0.025, output: 2),
        "gpt-5-nano": JudgePrice(input: 0.05, cachedInput: 0.005, output: 0.4),
        "gpt-4.1": JudgePrice(input: 2, cachedInput: 0.5, output: 8),
        "gpt-4.1-mini": JudgePrice(input: 0.4, cachedInput: 0.1, output: 1.6),
        "gpt-4o-mini": JudgePrice(input: 0.15, cachedInput: 0.075, output: 0.6),
    ]

    public init(table: [String: JudgePrice] = JudgePrices.builtin) { self.table = table }

    /// The built-in table with `file`'s entries on top.
    public static func load(overrides file: URL?) throws -> JudgePrices {
        var p = JudgePrices()
        guard let file else { return p }
        do {
            let extra = try JSONDecoder().decode([String: JudgePrice].self, from: Data(contentsOf: file))
            p.table.merge(extra) { _, new in new }
        } catch {
            throw PTBError.config(path: file.path, reason: "expected {\"<model>\": {\"input_per_million\": N, \"output_per_million\": N}} (\(error))")
        }
        return p
    }

    /// Exact name, else the longest table name the model starts with (dated snapshots such as
    /// `gpt-5-mini-2025-08-07` cost what `gpt-5-mini` costs).
    public func price(for model: String) -> JudgePrice? {
        if let p = table[model] { return p }
        return table.keys.filter { model.hasPrefix($0 + "-") }.max { $0.count < $1.count }.flatMap { table[$0] }
    }
}
