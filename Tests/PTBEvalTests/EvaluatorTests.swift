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
    func evaluate(_ engine: FakeOpenAIEngine, out: URL, home: PTBHome? = nil, limit: Int = 3, epochs: Int = 1, seed: Int? = nil) async throws -> EvalMetrics {
        var client = ChatClient(baseURL: engine.base, apiKey: FakeOpenAIEngine.apiKey, model: "tiny")
        client.transport.retry = RetryPolicy(attempts: 2, backoffSeconds: 0.01)
        let options = EvalOptions(limit: limit, maxTokens: 16, maxConnections: 1, seed: seed, epochs: epochs, outputDir: out, showProgress: false)
        let home = home ?? PTBHome(root: out.appendingPathComponent("home"))
        return try await Evaluator(task: try TaskRegistry.lookup("arith"), home: home)
            .run(client: client, options: options, engineName: "fake", modelLabel: "tiny")
    }

    /// `metrics.json` is what results, the leaderboard and the web UI read: its keys and figures
    /// must not drift. Times are the only field set to fixed values before the comparison.
    @Test func metricsJSONMatchesItsGoldenFile() async throws {
        // Epoch 1 answers items 1 and 2 right, epoch 2 item 1 only (one request at a time, in
        // order): accuracy 3/6, and pass@k that tells the items apart.
        // arith's test items come from the home's own seed: read them from the evaluated home.
        let scratch = try Scratch(prefix: "ptb-eval-test")
        defer { scratch.cleanup() }
        let targets = try TaskRegistry.lookup("arith").samples(home: scratch.home).prefix(3).map(\.target)
        let replies = ["The answer is \(targets[0])", "It is \(targets[1])", "no idea", "\(targets[0])", "no idea", "no idea"]
        let engine = try FakeOpenAIEngine(mode: "ok", replies: replies)
        defer { engine.stop() }
        let out = engine.scratch.file("eval")
        let m = try await evaluate(engine, out: out, home: scratch.home, epochs: 2, seed: 5)
        #expect(m.n == 6 && m.epochs == 2 && m.correct == 3 && m.accuracy == 0.5)
        #expect(m.correctPerItem == ["1": 2, "2": 1, "3": 0])
        #expect(m.passAtK?["pass@1"] == 0.5)
        #expect(abs((m.passAtK?["pass@2"] ?? 0) - 2.0 / 3) < 1e-12)
        var stored = try JSONIO.read(EvalMetrics.self, from: out.appendingPathComponent("metrics.json"))
        // Times are stored to the second; everything else reads back as returned.
        for t in [\EvalMetrics.startedAt, \.endedAt] {
            #expect(abs(stored[keyPath: t].timeIntervalSince(m[keyPath: t])) < 1)
        }
        var returned = m
        stored.startedAt = Date(timeIntervalSince1970: 1_790_000_000)
        stored.endedAt = Date(timeIntervalSince1970: 1_790_000_060)
        returned.startedAt = stored.startedAt
        returned.endedAt = stored.endedAt
        #expect(stored == returned)
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
