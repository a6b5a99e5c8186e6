import Foundation
import PTBCore
import Testing

/// Fail fast, say why (issue 18): ptb's own readers refuse a broken model before an engine starts,
/// and the retry ladder does not restart the engine for a refusal no rung can change.
extension IntegrationTests {
    /// A model.safetensors cut short by 4 KiB keeps a valid header: the engine used to spend
    /// ~70 s starting, then die with the cause 120 lines above the end of its log.
    @Test func aTruncatedModelIsRefusedBeforeAnyEngineStarts() throws {
        let h = try TestHome.requireReal()
        defer { h.cleanup() }
        let model = h.root.appendingPathComponent("truncated")
        try FileManager.default.copyItem(at: h.home.models.appendingPathComponent("tiny").resolvingSymlinksInPath(), to: model)
        let weights = model.appendingPathComponent("model.safetensors")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: weights.path)[.size] as? Int)
        #expect(truncate(weights.path, off_t(size - 4096)) == 0)
        let r = try ptb(["eval", "--task", "arith", "--model-path", model.path, "--limit", "2",
                         "--output-dir", h.root.appendingPathComponent("eval").path], home: h)
        // Not a usage mistake: exit 1, no usage dump.
        #expect(r.status == 1 && !r.stderr.contains("Usage:"), "\(r.stderr)")
        #expect(r.stderr.contains("is not a usable model directory") && r.stderr.contains("the file is truncated"), "\(r.stderr)")
        // Refused by ptb's reader: no engine was started (its log would be there).
        #expect(!FileManager.default.fileExists(atPath: h.root.appendingPathComponent("eval/engine-1.log").path))
    }

    /// The case, on arith: max_tokens 1000 on a 256-token engine. The original would
    /// start the engine 4 times at 1000 tokens; ptb skips to the first rung that fits (24) and
    /// records why.
    @Test func theRetryLadderSkipsRungsThatCannotFit() throws {
        let h = try TestHome.requireReal()
        defer { h.cleanup() }
        let out = h.root.appendingPathComponent("eval")
        let r = try ptb(["eval", "--task", "arith", "--model-path", h.home.models.appendingPathComponent("tiny").path, "--limit", "2",
                         "--max-tokens", "1000", "--retry-ladder", "--output-dir", out.path], home: h)
        #expect(r.status == 0, "\(r.stderr.suffix(2000))")
        let attempts = try String(contentsOf: out.appendingPathComponent("attempts.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(attempts.map { $0["number"] as? Int } == [1, 5], "\(attempts)")
        #expect(attempts.map { $0["maxTokens"] as? Int } == [1000, 24])
        #expect(r.stderr.contains("retry: the model's context is 256 tokens"), "\(r.stderr.suffix(2000))")
        // The start-up status line comes about every 5 s, with the engine's last log line.
        let waits = r.stderr.split(separator: "\n").compactMap { line -> Int? in
            guard let r = line.range(of: "[engine] starting vllm: ") else { return nil }
            return Int(line[r.upperBound...].prefix { $0.isNumber })
        }
        #expect(!waits.isEmpty, "\(r.stderr.prefix(3000))")
        if let first = waits.first { #expect(first <= 8, "\(waits)") }
        #expect(zip(waits, waits.dropFirst()).allSatisfy { b in b.1 < b.0 || b.1 - b.0 <= 8 }, "\(waits)")
    }
}
