import Foundation
import PTBCore
import Testing

/// One table prices both the agents' models and the judge's: the same name costs the same
/// wherever ptb estimates a cost.
struct PriceTableTests {
    let p = PriceTable()

    @Test func agentAndJudgeNamesResolveInTheOneTable() {
        // A dated snapshot costs what its family costs; the longest family wins.
        #expect(p.price(for: "gpt-5-mini-2025-08-07") == ModelPrice(input: 0.25, cachedInput: 0.025, output: 2))
        #expect(p.price(for: "gpt-5-codex") == ModelPrice(input: 1.25, cachedInput: 0.125, output: 10))
        #expect(p.price(for: "gpt-5.4-codex") == ModelPrice(input: 2.5, cachedInput: 0.25, output: 15))
        // Provider prefixes, as agents name models.
        #expect(p.price(for: "models/gemini-3-flash-preview") == ModelPrice(input: 0.5, cachedInput: 0.05, output: 3))
        #expect(p.price(for: "zai/glm-5") == ModelPrice(input: 1, cachedInput: 0.2, output: 3.2))
        #expect(p.price(for: "claude-opus-4-6") == ModelPrice(input: 5, cachedInput: 0.5, output: 25))
        #expect(p.price(for: "tiny") == nil)
        #expect(p.price(for: "gpt-4o") == nil)
    }

    @Test func cachedTokensAreBilledAtTheCachedRateOrAsInput() {
        let withCache = ModelPrice(input: 1, cachedInput: 0.1, output: 10)
        #expect(abs(withCache.cost(prompt: 1_000_000, cached: 500_000, completion: 100_000) - (0.5 + 0.05 + 1)) < 1e-12)
        let noCacheRate = ModelPrice(input: 1, output: 10)
        #expect(abs(noCacheRate.cost(prompt: 1_000_000, cached: 500_000, completion: 0) - 1) < 1e-12)
        #expect(withCache.cost(prompt: 10, cached: 20, completion: 0) >= 0)
    }

    @Test func aBrokenOverrideFileSaysWhatItMustHold() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ptb-prices-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try #"{"tiny": {"input_per_million": "ten"}}"#.write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: PTBError.self) { try PriceTable.load(overrides: file) }
    }
}
