import Foundation
import PTBCore
import PTBTestSupport
import Testing

/// The transformers engine (PTB_ENGINE=transformers) serves the tiny model for a real `ptb eval`,
/// and at temperature 0 its completions equal vLLM's token for token (both float32 on the CPU).
@Suite(.serialized) struct TransformersEngineTests {
    static func samples(_ dir: URL) throws -> [[String: Any]] {
        try String(contentsOf: dir.appendingPathComponent("samples.jsonl"), encoding: .utf8).split(separator: "\n")
            .map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    @Test(.enabled(if: TestHome.realHome != nil || Integration.required, "needs PTB_TEST_HOME (a home made by `ptb setup`)"))
    func greedyCompletionsMatchVLLM() throws {
        let h = try TestHome(real: true)
        defer { h.cleanup() }
        let model = h.home.models.appendingPathComponent("tiny").path
        var outputs: [String: URL] = [:]
        for engine in ["transformers", "vllm"] {
            let out = h.root.appendingPathComponent("eval-\(engine)")
            let r = try ptb(["eval", "--task", "arith", "--model-path", model, "--limit", "6", "--temperature", "0", "--max-tokens", "24",
                             "--output-dir", out.path], home: h, env: ["PTB_ENGINE": engine], timeout: 600)
            #expect(r.status == 0, "\(engine): \(r.stderr.suffix(2000))")
            let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("metrics.json"))) as? [String: Any]
            #expect(metrics?["engine"] as? String == engine)
            outputs[engine] = out
        }
        let tf = try Self.samples(try #require(outputs["transformers"])), vl = try Self.samples(try #require(outputs["vllm"]))
        #expect(tf.count == 6 && vl.count == 6)
        for (a, b) in zip(tf, vl) {
            #expect(a["completion"] as? String == b["completion"] as? String, "item \(a["id"] ?? "?")")
            #expect(a["promptTokens"] as? Int == b["promptTokens"] as? Int)
            #expect(a["finishReason"] as? String == b["finishReason"] as? String)
        }
    }

    @Test func anUnknownEngineIsAClearError() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let r = try ptb(["eval", "--task", "arith", "--model-path", h.home.models.appendingPathComponent("tiny").path, "--limit", "1",
                         "--output-dir", h.root.appendingPathComponent("e").path], home: h, env: ["PTB_ENGINE": "sglang"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("sglang") && r.stderr.contains("vllm") && r.stderr.contains("transformers"), "\(r.stderr)")
    }
}
