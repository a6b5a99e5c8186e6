import Foundation
import PTBCore
import PTBInference
import Testing
@testable import PTBEval

@Suite struct EvalEpochsTests {
    func record(_ id: String, epoch: Int, _ correct: Bool) -> SampleRecord {
        SampleRecord(id: id, epoch: epoch, prompt: [], completion: "", target: "", answer: nil, correct: correct,
                     score: correct ? 1 : 0, finishReason: nil, promptTokens: nil, completionTokens: nil, latencySeconds: 0)
    }

    @Test func passAtKOverItemsAcrossEpochs() {
        // a: 2 of 3 correct, b: 0 of 3, c: 3 of 3.
        let verdicts: [(String, [Bool])] = [("a", [true, false, true]), ("b", [false, false, false]), ("c", [true, true, true])]
        let records = (0..<3).flatMap { e in verdicts.map { record($0.0, epoch: e + 1, $0.1[e]) } }
        let (ks, perItem) = Evaluator.passAtK(records, epochs: 3)
        #expect(perItem == ["a": 2, "b": 0, "c": 3])
        #expect(Set(ks.keys) == ["pass@1", "pass@2", "pass@3"])
        #expect(abs(ks["pass@1"]! - (2.0 / 3 + 0 + 1) / 3) < 1e-12)
        #expect(abs(ks["pass@2"]! - (1 + 0 + 1) / 3.0) < 1e-12)  // a: 1 − C(1,2)/C(3,2) = 1
        #expect(ks["pass@3"] == 2.0 / 3)
    }

    @Test func effectiveSamplingTellsWhereEachValueCameFrom() throws {
        let dir = URL(fileURLWithPath: "/var/tmp/ptb-gc-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let gc = dir.appendingPathComponent("generation_config.json")
        try #"{"do_sample": true, "temperature": 0.6, "top_p": 0.95, "top_k": 20}"#.write(to: gc, atomically: true, encoding: .utf8)
        let fromConfig = EffectiveSampling.resolve(sent: SamplingParams(maxTokens: 100), generationConfig: gc)
        #expect(fromConfig.temperature == 0.6 && fromConfig.topP == 0.95 && fromConfig.topK == 20 && fromConfig.seed == nil)
        #expect(fromConfig.source == ["max_tokens": "request", "temperature": "generation_config", "top_p": "generation_config",
                                      "top_k": "generation_config", "seed": "engine default"])
        let sent = EffectiveSampling.resolve(sent: SamplingParams(maxTokens: 100, temperature: 1.0, seed: 7), generationConfig: gc)
        #expect(sent.temperature == 1.0 && sent.seed == 7 && sent.source["temperature"] == "request")
        try #"{"do_sample": false, "temperature": 0.6}"#.write(to: gc, atomically: true, encoding: .utf8)
        #expect(EffectiveSampling.resolve(sent: SamplingParams(maxTokens: 1), generationConfig: gc).temperature == 0)
        let none = EffectiveSampling.resolve(sent: SamplingParams(maxTokens: 1), generationConfig: nil)
        #expect(none.temperature == nil && none.source["temperature"] == "engine default")
    }
}
