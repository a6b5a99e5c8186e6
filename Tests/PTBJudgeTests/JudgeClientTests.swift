import Foundation
import PTBCore
import PTBJudge
import PTBTasks
import PTBTestSupport
import Testing

@Suite(.serialized) struct JudgeClientTests {
    /// The judge client's error paths (429s, rejected parameters, auth) against the shared fake
    /// engine; the happy path against a real server (vLLM) is in the integration test.
    struct Fixture {
        let engine: FakeOpenAIEngine
        var scratch: Scratch { engine.scratch }
        var callLog: URL { scratch.url.appendingPathComponent("out/judge_calls.jsonl") }

        init(mode: String) throws {
            engine = try FakeOpenAIEngine(mode: mode, apiKey: "sk-test-SECRET-123")
        }

        func config(budget: Double? = nil, workers: Int = 4) -> JudgeConfig {
            JudgeConfig(endpoint: engine.base, model: "fake-judge", apiKey: "sk-test-SECRET-123", workers: workers, budgetUSD: budget,
                        prices: PriceTable(table: ["fake-judge": ModelPrice(input: 1000, output: 1000)]),
                        cacheDir: scratch.url.appendingPathComponent("cache"), attempts: 4, backoffSeconds: 0.01)
        }

        func received() throws -> [[String: Any]] { engine.requests() }

        func logLines() throws -> [JudgeCallRecord] {
            try String(contentsOf: callLog, encoding: .utf8).split(separator: "\n").map { try JSONIO.decoder().decode(JudgeCallRecord.self, from: Data($0.utf8)) }
        }

        func stop() { engine.stop() }
    }

    let messages = [ChatMessage(role: "system", content: "judge"), ChatMessage(role: "user", content: "which is better?")]
    let options = JudgeCallOptions(maxCompletionTokens: 49152, reasoningEffort: "medium")

    @Test func sameRequestIsServedFromTheCacheAndEveryCallIsLogged() async throws {
        let f = try Fixture(mode: "ok")
        defer { f.stop() }
        let c1 = try JudgeClient(config: f.config(), callLog: f.callLog)
        let a = try await c1.complete(messages, options: options, tag: "q1/game1")
        // A new client (a re-score) finds the stored response.
        let c2 = try JudgeClient(config: f.config(), callLog: f.callLog)
        let b = try await c2.complete(messages, options: options, tag: "q1/game1")
        #expect(a == "judged 1: [[A>B]]" && b == a)
        #expect(try f.received().count == 1)
        let s1 = await c1.summary(), s2 = await c2.summary()
        #expect(s1.calls == 1 && s1.cacheHits == 0 && s1.promptTokens == 1000 && s1.completionTokens == 500)
        #expect(abs(s1.costUSD - 1.5) < 1e-9)
        #expect(s2.calls == 0 && s2.cacheHits == 1 && s2.costUSD == 0)
        let lines = try f.logLines()
        #expect(lines.map(\.cached) == [false, true])
        #expect(lines[0].response?.contains("judged 1") == true && lines[1].response == lines[0].response)
        #expect(lines[0].request.contains("\"reasoning_effort\":\"medium\""))
        // A malformed-answer retry is another request: it is not answered from the first one.
        var retry = options
        retry.attempt = 2
        _ = try await c2.complete(messages, options: retry, tag: "q1/game1/attempt2")
        #expect(try f.received().count == 2)
    }

    @Test func rejectedReasoningParametersFallBack() async throws {
        let f = try Fixture(mode: "reject")
        defer { f.stop() }
        let c = try JudgeClient(config: f.config(), callLog: f.callLog)
        let text = try await c.complete(messages, options: options, tag: "t")
        #expect(text.hasSuffix("[[A>B]]"))
        let bodies = try f.received().map { $0["body"] as! [String: Any] }
        #expect(bodies.count == 3)
        let last = bodies.last!
        #expect(last["max_tokens"] as? Int == 49152 && last["max_completion_tokens"] == nil && last["reasoning_effort"] == nil)
        #expect(await c.summary().fallbacks == ["max_completion_tokens → max_tokens", "reasoning_effort dropped"])
        // Remembered for the rest of the run: the next call goes straight through.
        _ = try await c.complete([ChatMessage(role: "user", content: "another")], options: options, tag: "t2")
        #expect(try f.received().count == 4)
    }

    @Test func rateLimitsAreRetriedWithBackoff() async throws {
        let f = try Fixture(mode: "flaky")
        defer { f.stop() }
        let c = try JudgeClient(config: f.config(), callLog: f.callLog)
        #expect(try await c.complete(messages, options: options, tag: "t").hasSuffix("[[A>B]]"))
        #expect(try f.received().count == 3)
        #expect(try f.logLines().map(\.status) == [429, 429, 200])
    }

    @Test func authErrorsAreNotRetried() async throws {
        let f = try Fixture(mode: "unauthorized")
        defer { f.stop() }
        let c = try JudgeClient(config: f.config(), callLog: f.callLog)
        await #expect(throws: JudgeCallError.self) { try await c.complete(messages, options: options, tag: "t") }
        #expect(try f.received().count == 1)
        #expect(await c.summary().failedCalls == 1)
    }

    /// $1.50 a call against a $2 budget: two calls go out, the third is refused, and the state says so.
    @Test func budgetStopsCleanly() async throws {
        let f = try Fixture(mode: "ok")
        defer { f.stop() }
        let c = try JudgeClient(config: f.config(budget: 2, workers: 1), callLog: f.callLog)
        _ = try await c.complete([ChatMessage(role: "user", content: "1")], options: options, tag: "1")
        _ = try await c.complete([ChatMessage(role: "user", content: "2")], options: options, tag: "2")
        await #expect(throws: JudgeCallError.budgetExhausted(spentUSD: 3, budgetUSD: 2)) {
            try await c.complete([ChatMessage(role: "user", content: "3")], options: options, tag: "3")
        }
        // Cached answers are free and still served.
        #expect(try await c.complete([ChatMessage(role: "user", content: "1")], options: options, tag: "1").hasPrefix("judged 1"))
        let s = await c.summary()
        #expect(s.state.rawValue == "budget_exhausted" && s.calls == 2 && s.cacheHits == 1)
        #expect(try f.received().count == 2)
    }

    @Test func apiKeyIsSentButNeverWritten() async throws {
        let f = try Fixture(mode: "ok")
        defer { f.stop() }
        let c = try JudgeClient(config: f.config(), callLog: f.callLog)
        _ = try await c.complete(messages, options: options, tag: "t")
        #expect(try f.received().allSatisfy { $0["auth_ok"] as? Bool == true })
        var files = [f.callLog]
        if let e = FileManager.default.enumerator(at: f.scratch.url.appendingPathComponent("cache"), includingPropertiesForKeys: nil) {
            files += e.compactMap { $0 as? URL }.filter { !$0.hasDirectoryPath }
        }
        #expect(files.count >= 2)
        for file in files {
            let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
            #expect(!text.contains("SECRET-123"), "\(file.path) contains the API key")
        }
    }

    @Test func pricesComeFromTheTableOrTheUserFile() throws {
        let p = PriceTable()
        #expect(p.price(for: "gpt-5-mini") == ModelPrice(input: 0.25, cachedInput: 0.025, output: 2))
        #expect(p.price(for: "gpt-5-mini-2025-08-07") == p.price(for: "gpt-5-mini"))
        #expect(p.price(for: "tiny") == nil)
        let s = try Scratch()
        defer { s.cleanup() }
        let file = s.url.appendingPathComponent("prices.json")
        try #"{"tiny": {"input_per_million": 10, "output_per_million": 20}, "gpt-5-mini": {"input_per_million": 1, "output_per_million": 1}}"#
            .write(to: file, atomically: true, encoding: .utf8)
        let q = try PriceTable.load(overrides: file)
        #expect(q.price(for: "tiny")?.cost(prompt: 1_000_000, cached: 0, completion: 500_000) == 20)
        #expect(q.price(for: "gpt-5-mini")?.output == 1)
        let cost = ModelPrice(input: 0.25, cachedInput: 0.025, output: 2).cost(prompt: 1000, cached: 400, completion: 100)
        let byHand: Double = (150.0 + 10.0 + 200.0) / 1_000_000  // 600 fresh × 0.25 + 400 cached × 0.025 + 100 out × 2
        #expect(abs(cost - byHand) < 1e-15)
    }

    @Test func budgetWithoutAPriceIsRefusedUpFront() {
        let c = JudgeConfig(endpoint: "http://127.0.0.1:1", model: "unpriced", apiKey: nil, budgetUSD: 1, cacheDir: URL(fileURLWithPath: "/var/tmp/x"))
        #expect(throws: PTBError.self) { try c.validate() }
        let openai = JudgeConfig(apiKey: nil, cacheDir: URL(fileURLWithPath: "/var/tmp/x"))
        #expect(throws: PTBError.self) { try openai.validate() }
    }
}

/// judge_calls.jsonl: camelCase like every JSON file ptb writes; lines from before still decode.
@Suite struct JudgeCallRecordKeysTests {
    @Test func camelCaseOutSnakeCaseStillIn() throws {
        let r = JudgeCallRecord(time: Date(timeIntervalSince1970: 1_000_000), tag: "t", key: "k", cached: false, request: "{}",
                                status: 200, response: "{}", promptTokens: 12, completionTokens: 3, costUSD: 0.01, latencySeconds: 1.5)
        let text = String(decoding: try JSONIO.encode(r), as: UTF8.self)
        #expect(text.contains("\"promptTokens\"") && text.contains("\"costUSD\"") && !text.contains("prompt_tokens"), "\(text)")
        let old = #"{"time": "1970-01-12T13:46:40Z", "tag": "t", "key": "k", "cached": false, "request": "{}", "status": 200, "response": "{}", "prompt_tokens": 12, "completion_tokens": 3, "cost_usd": 0.01, "latency_seconds": 1.5}"#
        let back = try JSONIO.decoder().decode(JudgeCallRecord.self, from: Data(old.utf8))
        #expect(back.promptTokens == 12 && back.completionTokens == 3 && back.costUSD == 0.01 && back.latencySeconds == 1.5)
    }
}
