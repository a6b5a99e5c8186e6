import Foundation

/// USD per million tokens for one model.
public struct ModelPrice: Codable, Sendable, Equatable {
    public var input: Double
    /// Cached prompt tokens; nil: billed as `input`.
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

    /// `prompt` includes `cached`; reasoning tokens are billed as output and are part of `completion`.
    public func cost(prompt: Int, cached: Int, completion: Int) -> Double {
        let fresh = max(0, prompt - cached)
        return (Double(fresh) * input + Double(cached) * (cachedInput ?? input) + Double(completion) * output) / 1_000_000
    }
}

/// The one price table: the agents' models (a run's cost estimate when the scaffold reports
/// none: Codex, Gemini) and the judge models (`--judge-budget-usd`). List prices, standard tier,
/// short-context rates (OpenAI ≤ 272K, Google ≤ 200K input tokens): a run whose prompts exceed
/// that is underestimated (gpt-5.4 long context is 2x input, 1.5x output; Gemini 3 Pro is $4 /
/// $18). Estimates only: subscription runs pay nothing per token, and providers change prices, so
/// a JSON file `{"model": {"input_per_million", "output_per_million", "cached_input_per_million"}}`
/// overrides and extends it (`load(overrides:)`); local endpoints cost what the user says.
public struct PriceTable: Sendable, Equatable {
    public var table: [String: ModelPrice]

    public static let builtin: [String: ModelPrice] = [
        // Claude Code reports total_cost_usd itself; these are fallbacks for killed runs.
        "claude-opus-4": ModelPrice(input: 5, cachedInput: 0.5, output: 25),
        "claude-sonnet-4": ModelPrice(input: 3, cachedInput: 0.3, output: 15),
        // OpenAI, checked 2026-11-22: gpt-5 / gpt-5-codex on the official model page
        // https://developers.openai.com/api/docs/models/gpt-5-codex ($1.25 / $0.125 / $10);
        // gpt-5.1-codex-max $1.25 / $0.125 / $10, gpt-5.2, gpt-5.2-codex and gpt-5.3-codex
        // $1.75 / $0.175 / $14, gpt-5.4 $2.50 / $0.25 / $15 as listed from
        // https://developers.openai.com/api/docs/pricing (mirrored in GitHub's Copilot price table,
        // github/docs data/tables/copilot/models-and-pricing.yml); gpt-5.5 $5 / $0.50 / $30 from
        // OpenAI's Codex rate card (125 / 12.5 / 750 credits per 1M tokens at 25 credits = $1,
        // which gives gpt-5.4's API prices exactly).
        "gpt-5.5": ModelPrice(input: 5, cachedInput: 0.5, output: 30),
        "gpt-5.4": ModelPrice(input: 2.5, cachedInput: 0.25, output: 15),
        "gpt-5.3": ModelPrice(input: 1.75, cachedInput: 0.175, output: 14),
        "gpt-5.2": ModelPrice(input: 1.75, cachedInput: 0.175, output: 14),
        "gpt-5.1": ModelPrice(input: 1.25, cachedInput: 0.125, output: 10),
        "gpt-5": ModelPrice(input: 1.25, cachedInput: 0.125, output: 10),
        // Google, https://ai.google.dev/gemini-api/docs/pricing (paid tier, ≤ 200K prompt),
        // checked 2026-11-22 through a dated quote of that page (2026-07-04): Gemini 3 Flash Preview
        // $0.50 input, $3.00 output incl. thinking, $0.05 context caching; Gemini 3 Pro Preview and
        // 3.1 Pro Preview $2.00 / $12.00, caching $0.20.
        "gemini-3.1-pro": ModelPrice(input: 2, cachedInput: 0.2, output: 12),
        "gemini-3-pro": ModelPrice(input: 2, cachedInput: 0.2, output: 12),
        "gemini-3-flash": ModelPrice(input: 0.5, cachedInput: 0.05, output: 3),
        // Not verified against Z.AI's page; OpenCode reports step costs itself.
        "glm-5": ModelPrice(input: 1, cachedInput: 0.2, output: 3.2),
        // OpenAI list prices of the models a judge is likely to be.
        "gpt-5-mini": ModelPrice(input: 0.25, cachedInput: 0.025, output: 2),
        "gpt-5-nano": ModelPrice(input: 0.05, cachedInput: 0.005, output: 0.4),
        "gpt-4.1": ModelPrice(input: 2, cachedInput: 0.5, output: 8),
        "gpt-4.1-mini": ModelPrice(input: 0.4, cachedInput: 0.1, output: 1.6),
        "gpt-4o-mini": ModelPrice(input: 0.15, cachedInput: 0.075, output: 0.6),
    ]

    public init(table: [String: ModelPrice] = PriceTable.builtin) { self.table = table }

    /// The built-in table with `file`'s entries on top.
    public static func load(overrides file: URL?) throws -> PriceTable {
        var p = PriceTable()
        guard let file else { return p }
        do {
            let extra = try JSONDecoder().decode([String: ModelPrice].self, from: Data(contentsOf: file))
            p.table.merge(extra) { _, new in new }
        } catch {
            throw PTBError.config(path: file.path, reason: "expected {\"<model>\": {\"input_per_million\": N, \"output_per_million\": N}} (\(error))")
        }
        return p
    }

    /// The exact name, else the longest table name the model starts with (dated snapshots and
    /// variants such as `gpt-5-mini-2025-08-07` or `claude-opus-4-6` cost what their family
    /// costs); a provider prefix (`models/`, `zai/`) is dropped first.
    public func price(for model: String) -> ModelPrice? {
        if let p = table[model] { return p }
        let id = model.split(separator: "/").last.map(String.init) ?? model
        if let p = table[id] { return p }
        return table.keys.filter { id.hasPrefix($0) }.max { $0.count < $1.count }.flatMap { table[$0] }
    }
}
