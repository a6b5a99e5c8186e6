import Foundation
import PTBCore
import Testing

/// One key style (camelCase) for the JSON ptb writes, with the snake_case of older files still read.
@Suite struct JSONKeysTests {
    @Test func snakeSpellingOfCamelKeys() {
        #expect(JSONKeys.snake("reportedCostUSD") == "reported_cost_usd")
        #expect(JSONKeys.snake("modelHash") == "model_hash")
        #expect(JSONKeys.snake("evalSeconds") == "eval_seconds")
        #expect(JSONKeys.snake("toolCalls") == "tool_calls")
        #expect(JSONKeys.snake("accuracy") == "accuracy")
        #expect(JSONKeys.snake("gpu2Hours") == "gpu2_hours")
    }

    @Test func newKeysWinAndOldKeysStillRead() {
        #expect(JSONKeys.value(["modelHash": "new", "model_hash": "old"], "modelHash") as? String == "new")
        #expect(JSONKeys.value(["model_hash": "old"], "modelHash") as? String == "old")
        #expect(JSONKeys.value(["modelHash": NSNull(), "model_hash": "old"], "modelHash") as? String == "old")
        #expect(JSONKeys.value(["model_hash": NSNull()], "modelHash") == nil)
        #expect(JSONKeys.value([:], "accuracy") == nil)
    }
}
