import Foundation
import PTBCore
import Testing

@Suite struct ManifestTests {
    @Test func roundTripAndNextPhase() throws {
        var m = RunManifest(id: "r1", spec: RunSpec(task: "arith", model: "tiny", agent: "reference"),
                            createdAt: Date(timeIntervalSince1970: 1_763_800_000), ptbVersion: "test")
        #expect(m.nextPhase == .prepare)
        m[.prepare] = PhaseRecord(state: .done, attempts: 1)
        m[.agent] = PhaseRecord(state: .running, attempts: 1)
        m.exit = .signal(9)
        #expect(m.nextPhase == .agent)
        #expect(m.currentPhase == .agent)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("m-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("run.json")
        try JSONIO.write(m, to: url)
        let back = try JSONIO.read(RunManifest.self, from: url)
        #expect(back == m)
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.contains("\"exit\" : \"signal 9\""))
        #expect(text.contains("\"createdAt\" : \"2025-11-22T08:26:40Z\""))
    }

    @Test func exitClassCoding() throws {
        for e: ExitClass in [.normal, .timeout, .signal(15), .error(2), .noGPU, .launchFailed] {
            let data = try JSONEncoder().encode([e])
            #expect(try JSONDecoder().decode([ExitClass].self, from: data) == [e])
        }
        #expect(throws: (any Error).self) { try JSONDecoder().decode([ExitClass].self, from: Data(#"["bogus"]"#.utf8)) }
    }

    @Test func atomicWriteReplacesWholeFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("f.json")
        try AtomicFile.write("first", to: url)
        try AtomicFile.write("second", to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "second")
        // No temp files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["f.json"])
    }

    @Test func corruptManifestIsAnActionableError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("c-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("run.json")
        try AtomicFile.write("{not json", to: url)
        #expect { try JSONIO.read(RunManifest.self, from: url) } throws: { e in
            "\(e)".contains("run.json is unreadable or corrupt")
        }
    }

    @Test func malformedModelListsValidChoices() {
        #expect { try ModelCatalog.lookup("not a/model//id") } throws: { e in
            "\(e)".contains("unknown model 'not a/model//id'") && "\(e)".contains("tiny") && "\(e)".contains("Qwen/Qwen3-1.7B-Base")
                && "\(e)".contains("Hugging Face id")
        }
        #expect(ModelCatalog.safe("claude-opus-4-6[1m]") == "claude-opus-4-6_1m_")
        #expect(ModelCatalog.safe("Qwen/Qwen3-1.7B-Base") == "Qwen_Qwen3-1.7B-Base")
    }
}

@Suite struct ModelCatalogTests {
    @Test func instructCounterpartsCanBeLookedUpForBaselines() throws {
        let m = try ModelCatalog.lookup("Qwen/Qwen3-1.7B")
        #expect(m.instruct.isEmpty && !m.local && m.template == "qwen3.jinja")
        #expect(try ModelCatalog.lookup("google/gemma-3-4b-it").template == "gemma3.jinja")
        #expect(!ModelCatalog.ids.contains("Qwen/Qwen3-1.7B"), "the valid-model list stays the base models")
        // Any other hub id is a base model of its own: no counterparts, template from its config.
        let other = try ModelCatalog.lookup("Qwen/Qwen3-1.7B-Instruct")
        #expect(other.instruct.isEmpty && other.template.isEmpty && !other.templatePinned)
    }
}

/// Runs from before `baseline` was a phase of its own, and the `failed-to-start` outcome.
@Suite struct PhaseCompatibilityTests {
    @Test func anOldRunWithoutBaselineReadsItAsSkipped() throws {
        var m = RunManifest(id: "old", spec: RunSpec(task: "arith", model: "tiny", agent: "none"), createdAt: Date(), ptbVersion: "0")
        for p in [Phase.prepare, .agent, .collect, .integrity, .evaluate] { m[p] = PhaseRecord(state: .done, attempts: 1) }
        m.phases.removeValue(forKey: Phase.baseline.rawValue)
        let data = try JSONEncoder().encode(m)
        let read = try JSONDecoder().decode(RunManifest.self, from: data)
        #expect(read[.baseline].state == .skipped)
        #expect(read.nextPhase == .record, "resume goes on with record, not a second base evaluation")

        // Stopped before evaluate: the baseline phase runs like in any new run.
        var early = m
        early[.evaluate] = PhaseRecord()
        #expect(early[.baseline].state == .pending)
        #expect(early.nextPhase == .evaluate)
    }

    @Test func failedToStartIsAFailureWithItsOwnName() throws {
        #expect(RunOutcome.failedToStart.rawValue == "failed-to-start")
        #expect(RunOutcome.failedToStart.isFailure && RunOutcome.failed.isFailure && !RunOutcome.done.isFailure)
        let decoded = try JSONDecoder().decode([RunOutcome].self, from: Data(#"["failed-to-start","failed","done"]"#.utf8))
        #expect(decoded == [.failedToStart, .failed, .done])
    }
}
