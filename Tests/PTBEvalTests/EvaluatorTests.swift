import Foundation
import PTBCore
import PTBInference
import PTBTasks
import PTBTestSupport
import Testing
@testable import PTBEval

/// The evaluator end to end against the shared fake engine: samples go through the one sample
/// runner, `samples.jsonl` and `metrics.json` come out, and the two failure paths (one sample
/// failing; an endpoint no request can use) end the way they always did.
@Suite(.serialized) struct EvaluatorTests {
    func evaluate(_ engine: FakeOpenAIEngine, out: URL, limit: Int = 3, epochs: Int = 1, seed: Int? = nil) async throws -> EvalMetrics {
        var client = ChatClient(baseURL: engine.base, apiKey: FakeOpenAIEngine.apiKey, model: "tiny")
        client.transport.retry = RetryPolicy(attempts: 2, backoffSeconds: 0.01)
        let options = EvalOptions(limit: limit, maxTokens: 16, maxConnections: 1, seed: seed, epochs: epochs, outputDir: out, showProgress: false)
        let home = PTBHome(root: out.appendingPathComponent("home"))
        return try await Evaluator(task: try TaskRegistry.lookup("arith"), home: home)
            .run(client: client, options: options, engineName: "fake", modelLabel: "tiny")
    }

    /// `metrics.json` is what results, the leaderboard and the web UI read: its keys and figures
    /// must not drift. Times are the only field set to fixed values before the comparison.
    @Test func metricsJSONMatchesItsGoldenFile() async throws {
        let engine = try FakeOpenAIEngine(mode: "ok")
        defer { engine.stop() }
        let out = engine.scratch.file("eval")
        let m = try await evaluate(engine, out: out, epochs: 2, seed: 5)
        #expect(m.n == 6 && m.epochs == 2)
        var stored = try JSONIO.read(EvalMetrics.self, from: out.appendingPathComponent("metrics.json"))
        #expect(stored == m)
        stored.startedAt = Date(timeIntervalSince1970: 1_790_000_000)
        stored.endedAt = Date(timeIntervalSince1970: 1_790_000_060)
        try expectGolden(String(decoding: try JSONIO.encode(stored), as: UTF8.self), "metrics.json")

        // One request per sample and epoch, each epoch with its own seed.
        let seeds = engine.requests().compactMap { ($0["body"] as? [String: Any])?["seed"] as? Int }
        #expect(seeds.sorted() == [5, 5, 5, 6, 6, 6])
        let lines = try String(contentsOf: out.appendingPathComponent("samples.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 6)
    }

    @Test func aSampleThatFailsIsReportedAfterTheOthersRan() async throws {
        let engine = try FakeOpenAIEngine(mode: "context")
        defer { engine.stop() }
        await #expect {
            _ = try await evaluate(engine, out: engine.scratch.file("eval"))
        } throws: { error in
            guard case let EvalError.sampleFailures(count, first) = error else { return false }
            return count == 3 && first.contains("HTTP 400") && first.contains("maximum context length")
        }
        // Every sample was tried once (a refusal is not resent).
        #expect(engine.requests().count == 3)
    }

    @Test func anUnusableEndpointStopsAtTheFirstAnswer() async throws {
        let engine = try FakeOpenAIEngine(mode: "unauthorized")
        defer { engine.stop() }
        let out = engine.scratch.file("eval")
        await #expect {
            _ = try await evaluate(engine, out: out, limit: 20)
        } throws: { error in
            guard case EvalError.endpointUnusable = error else { return false }
            return true
        }
        #expect(engine.requests().count == 1)
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("metrics.json").path))
    }
}
