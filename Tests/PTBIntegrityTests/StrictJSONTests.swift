import PTBIntegrity
import Testing

@Suite struct StrictJSONTests {
    func parse(_ s: String) throws -> JSONValue { try StrictJSON.parse(Array(s.utf8)) }

    @Test func keepsNumbersAsWrittenAndMembersInOrder() throws {
        let v = try parse(#" {"b": [1, -2, 3.5e2, 18446744073709551616], "a": {"x": null, "x": true}} "#)
        #expect(v["b"] == .array([.number("1"), .number("-2"), .number("3.5e2"), .number("18446744073709551616")]))
        guard case .object(let inner)? = v["a"] else { Issue.record("not an object"); return }
        #expect(inner.map(\.key) == ["x", "x"])  // duplicates are kept for the caller to refuse
        #expect(JSONValue.number("18446744073709551616").nonNegativeInteger == .tooLarge)
        #expect(JSONValue.number("3.5e2").nonNegativeInteger == .fractional)
        #expect(JSONValue.number("-0").nonNegativeInteger == .negative)
        #expect(JSONValue.number("42").nonNegativeInteger == .value(42))
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        #expect(try parse(#""a\"\\\/\n\u00e9\ud83d\ude00""#) == .string("a\"\\/\né😀"))
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "NaN", "tru", "\"\\x\"", "\"\\ud800\"", "\"a\u{01}\"",
        "{\"a\" 1}", "[1] 2", "'a'", "{a:1}",
    ])
    func refusesInvalidJSON(_ text: String) {
        #expect(throws: JSONParseError.self) { try parse(text) }
    }

    @Test func boundsNesting() {
        #expect(throws: JSONParseError.self) { try StrictJSON.parse(Array((String(repeating: "[", count: 100_000)).utf8)) }
        #expect(throws: Never.self) { try StrictJSON.parse(Array((String(repeating: "[", count: 10) + String(repeating: "]", count: 10)).utf8)) }
    }
}
