import Foundation
import PTBCore
import PTBInference
import PTBProcess
import PTBTasks
import Testing
@testable import PTBEval

/// The original wraps each ladder attempt in `timeout 28800s`; ptb caps each attempt the same
/// way (`ModelEvaluation.attemptTimeoutSeconds`), so a hung engine costs one rung, not the run.
@Suite struct AttemptCapTests {
    /// A real child process that never answers /health: an engine stuck loading.
    struct StuckEngine: InferenceEngine {
        let marker: String
        var name: String { "stuck" }
        func command(_ config: EngineConfig, port: Int) throws -> Command {
            Command("/bin/bash", ["-c", "exec -a \(marker) sleep 600"])
        }
    }

    @Test func aHungAttemptEndsAtItsCapAndTheLadderGoesOn() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cap-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let marker = "ptbstuck\(UInt32.random(in: 0...UInt32.max))"
        var eval = ModelEvaluation(task: try TaskRegistry.lookup("arith"), home: PTBHome(root: dir), engine: StuckEngine(marker: marker),
                                   runner: ProcessRunner())
        eval.attemptTimeoutSeconds = 0.5
        let options = EvalOptions(limit: 2, maxTokens: 8, maxConnections: 1, outputDir: dir, showProgress: false)
        let start = Date()
        await #expect(throws: EvalError.self) {
            _ = try await eval.withRetries(modelDir: dir, chatTemplate: nil, gpus: .cpu, options: options) { _ in }
        }
        // No wall-clock bound here: under CI load the stops take what they take (timings go in
        // benchmarks); what matters is 9 capped rungs and no engine left behind.
        _ = start
        let attempts = try String(contentsOf: dir.appendingPathComponent("attempts.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(attempts.count == 9)
        #expect(attempts.allSatisfy { $0.contains("did not finish within its cap") }, "\(attempts.first ?? "")")
        let alive = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { pid in
            Int(pid) != nil && (FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map { String(decoding: $0, as: UTF8.self).contains(marker) } ?? false)
        }
        #expect(alive.isEmpty, "no capped attempt may leave its engine running")
    }
}
