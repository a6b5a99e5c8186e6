import Foundation
import NIOCore
import PTBCore
@testable import PTBInference
import PTBTestSupport
import Testing

/// The evaluated model's client against the shared fake engine: what it sends (the tools JSON
/// spliced in verbatim), what it parses, and which failures it retries (`RetryPolicy`).
@Suite(.serialized) struct ChatClientTests {
    func client(_ engine: FakeOpenAIEngine, attempts: Int = 3) -> ChatClient {
        var c = ChatClient(baseURL: engine.base + "/v1/", apiKey: FakeOpenAIEngine.apiKey, model: "tiny")
        c.transport.retry = RetryPolicy(attempts: attempts, backoffSeconds: 0.01)
        return c
    }

    let messages = [ChatMessage(role: "system", content: "be brief"), ChatMessage(role: "user", content: "2+2?")]

    @Test func sendsTheRequestAndParsesTheAnswer() async throws {
        let engine = try FakeOpenAIEngine(mode: "ok")
        defer { engine.stop() }
        let c = try await client(engine).complete(messages, params: SamplingParams(maxTokens: 64))
        #expect(c.text == "judged 1: [[A>B]]" && c.finishReason == "stop")
        #expect(c.promptTokens == 1000 && c.completionTokens == 500 && c.toolCalls == nil && c.latencySeconds > 0)
        let sent = engine.requests()
        #expect(sent.count == 1)
        #expect(sent[0]["path"] as? String == "/v1/chat/completions" && sent[0]["auth_ok"] as? Bool == true)
        let body = try #require(sent[0]["body"] as? [String: Any])
        #expect(body["model"] as? String == "tiny" && body["max_tokens"] as? Int == 64)
        // Unset sampling parameters are not sent: the model's generation_config decides them.
        #expect(body["temperature"] == nil && body["seed"] == nil && body["tools"] == nil)
        let roles = (body["messages"] as? [[String: String]])?.map { $0["role"] ?? "" }
        #expect(roles == ["system", "user"])
    }

    /// BFCL's schemas go out byte for byte (their numbers and key order are part of the prompt).
    @Test func toolsAreSplicedVerbatimAndCallsParsed() async throws {
        let engine = try FakeOpenAIEngine(mode: "ok")
        defer { engine.stop() }
        let tools = #"[{"type":"function","function":{"name":"get_weather","parameters":{"type":"dict","properties":{"scale":{"type":"float","default":1.0}},"required":[]}}}]"#
        let c = try await client(engine).complete(messages, params: SamplingParams(maxTokens: 64, temperature: 0, seed: 7), tools: tools)
        #expect(c.toolCalls == [ToolCall(name: "get_weather", arguments: #"{"x": 1}"#)])
        #expect(c.text == "" && c.finishReason == "tool_calls")
        let raw = try #require(engine.requests().first?["raw"] as? String)
        #expect(raw.hasSuffix(",\"tools\":" + tools + "}"))
        let body = try #require(engine.requests().first?["body"] as? [String: Any])
        #expect(body["temperature"] as? Double == 0 && body["seed"] as? Int == 7)
    }

    @Test func rateLimitsAreRetriedAndThenGiveUp() async throws {
        let engine = try FakeOpenAIEngine(mode: "flaky")
        defer { engine.stop() }
        // Two 429s, then an answer: the third try gets it.
        let c = try await client(engine).complete(messages, params: SamplingParams(maxTokens: 8))
        #expect(c.text == "judged 3: [[A>B]]")
        #expect(engine.requests().count == 3)

        let again = try FakeOpenAIEngine(mode: "flaky")
        defer { again.stop() }
        await #expect {
            _ = try await client(again, attempts: 2).complete(messages, params: SamplingParams(maxTokens: 8))
        } throws: { error in
            guard case ChatClientError.http(status: 429, _) = error else { return false }
            return true
        }
        #expect(again.requests().count == 2)
    }

    /// A refusal is the same on every try: sent once, and its text is what the ladder reads.
    @Test func aContextLengthRefusalIsNotResentAndTheLadderSkips() async throws {
        let engine = try FakeOpenAIEngine(mode: "context")
        defer { engine.stop() }
        var failure = ""
        do {
            _ = try await client(engine).complete(messages, params: SamplingParams(maxTokens: 1000))
            Issue.record("a 400 must be an error")
        } catch let e as ChatClientError {
            failure = "\(e)"
            guard case .http(status: 400, _) = e else { Issue.record("expected HTTP 400, got \(e)"); return }
            #expect(!e.endpointUnusable)
        }
        #expect(engine.requests().count == 1)
        // arith's ladder (4 × 1000, 3 × 24, 2 × 16): the 512-token context fits the 24-token rungs.
        let ladder = Array(repeating: 1000, count: 4) + Array(repeating: 24, count: 3) + Array(repeating: 16, count: 2)
        guard case .skipTo(4, _) = RetryPolicy.decide(failure: failure, ladder: ladder, index: 0) else {
            Issue.record("the ladder should skip to rung 4 on: \(failure)")
            return
        }
    }

    @Test func aWrongKeyOrNoServerMakesTheEndpointUnusable() async throws {
        let engine = try FakeOpenAIEngine(mode: "unauthorized")
        defer { engine.stop() }
        do {
            _ = try await client(engine).complete(messages, params: SamplingParams(maxTokens: 8))
            Issue.record("a 401 must be an error")
        } catch let e as ChatClientError {
            #expect(e.endpointUnusable)
        }
        #expect(engine.requests().count == 1)

        // Nothing listens on the stopped server's port: connection refused, after the retries.
        let gone = try FakeOpenAIEngine(mode: "ok")
        var c = client(gone, attempts: 2)
        // async-http-client retries a refused connect until the request's deadline: a short one
        // keeps this test short (ptb's own hour-long deadline makes the same answer slow to come).
        c.transport.timeout = .seconds(1)
        gone.stop()
        do {
            _ = try await c.complete(messages, params: SamplingParams(maxTokens: 8))
            Issue.record("a refused connection must be an error")
        } catch let e as ChatClientError {
            guard case .transport = e else { Issue.record("expected a transport error, got \(e)"); return }
            #expect(e.endpointUnusable, "\(e)")
        }
    }

    @Test func aMalformedAnswerIsAnErrorNotRetried() async throws {
        let engine = try FakeOpenAIEngine(mode: "malformed")
        defer { engine.stop() }
        await #expect {
            _ = try await client(engine).complete(messages, params: SamplingParams(maxTokens: 8))
        } throws: { error in
            guard case ChatClientError.malformed(let text) = error else { return false }
            return text.contains("not an API")
        }
        #expect(engine.requests().count == 1)
    }

    @Test func backoffDoublesAndStopsAfterTheLastTry() {
        let p = RetryPolicy(attempts: 3, backoffSeconds: 1)
        #expect(p.delay(afterAttempt: 1) == .seconds(1) && p.delay(afterAttempt: 2) == .seconds(2) && p.delay(afterAttempt: 3) == nil)
        #expect(RetryPolicy.engine == p)
        #expect(RetryPolicy.retryable(status: 429) && RetryPolicy.retryable(status: 503))
        #expect(!RetryPolicy.retryable(status: 400) && !RetryPolicy.retryable(status: 401) && !RetryPolicy.retryable(status: 422))
    }
}
