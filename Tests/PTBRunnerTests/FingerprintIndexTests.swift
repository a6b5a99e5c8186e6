import Foundation
import PTBCore
import PTBIntegrity
import PTBRunner
import PTBStore
import Testing

/// The fingerprint table of the run index: fast enough to compare a submission with thousands
/// of runs, and derivable from run directories like the rest of the index.
@Suite struct FingerprintIndexTests {
    /// A Qwen3-1.7B-like layout: 28 layers × 11 tensors + embedding, final norm, lm_head.
    static func layout() -> [(String, [Int])] {
        var t: [(String, [Int])] = [("model.embed_tokens.weight", [151_936, 2048]), ("model.norm.weight", [2048]), ("lm_head.weight", [151_936, 2048])]
        for l in 0..<28 {
            let p = "model.layers.\(l)."
            t += [(p + "self_attn.q_proj.weight", [2048, 2048]), (p + "self_attn.k_proj.weight", [1024, 2048]), (p + "self_attn.v_proj.weight", [1024, 2048]),
                  (p + "self_attn.o_proj.weight", [2048, 2048]), (p + "self_attn.q_norm.weight", [128]), (p + "self_attn.k_norm.weight", [128]),
                  (p + "mlp.gate_proj.weight", [6144, 2048]), (p + "mlp.up_proj.weight", [6144, 2048]), (p + "mlp.down_proj.weight", [2048, 6144]),
                  (p + "input_layernorm.weight", [2048]), (p + "post_attention_layernorm.weight", [2048])]
        }
        return t
    }

    /// base + scale × a fresh random direction (per seed), at the layout's sample positions.
    static func synthetic(base: [[Float]], seed: UInt64, scale: Float, from: Fingerprint? = nil) -> Fingerprint {
        var rng = SplitMix64(seed: seed)
        let origin = from.map { f in Dictionary(uniqueKeysWithValues: f.tensors.map { ($0.name, $0.values) }) }
        let tensors = layout().enumerated().map { i, t in
            let v = (origin?[t.0] ?? base[i]).map { $0 + scale * (Float(rng.next() >> 40) / Float(1 << 24) - 0.5) }
            return Fingerprint.Tensor(name: t.0, dtype: .bf16, shape: t.1, sha256: String(format: "%016llx%016llx", seed, UInt64(i)), values: v)
        }
        return Fingerprint(keyID: "k", tensors: tensors)
    }

    static func baseFingerprint(_ values: [[Float]]) -> Fingerprint {
        Fingerprint(keyID: "k", tensors: layout().enumerated().map { i, t in
            Fingerprint.Tensor(name: t.0, dtype: .bf16, shape: t.1, sha256: "base\(i)", values: values[i])
        })
    }

    /// 2,000 indexed submissions of a 311-tensor model; the candidate is one of them plus noise.
    /// (8 samples per tensor instead of 32 keep the test's setup short; the screen's cost does
    /// not depend on it: the index holds a 256-float sketch and the tensor hashes per run.)
    @Test func twoThousandIndexedRunsAreScreenedInMilliseconds() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ptb-fpindex-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SplitMix64(seed: 1)
        let baseValues = Self.layout().map { _ in (0..<8).map { _ in Float(rng.next() >> 40) / Float(1 << 24) - 0.5 } }
        let base = Self.baseFingerprint(baseValues)
        let idx = try FingerprintIndex(RunIndex(path: dir.appendingPathComponent("index.sqlite")))
        let runs = (0..<2000).map { Self.synthetic(base: baseValues, seed: UInt64(100 + $0), scale: 0.02) }
        let planted = dir.appendingPathComponent("run1234")
        try FileManager.default.createDirectory(at: planted, withIntermediateDirectories: true)
        try runs[1234].write(to: planted.appendingPathComponent(Fingerprint.fileName))
        try idx.upsert(runs.enumerated().map { i, f in (FingerprintRow(runId: "run\(i)", dir: i == 1234 ? planted : dir, model: "Qwen/Qwen3-1.7B", fingerprint: f), f) })

        // The candidate: run 1234's weights plus noise of a twentieth of its update.
        let candidate = Self.synthetic(base: baseValues, seed: 9, scale: 0.001, from: runs[1234])
        let started = Date()
        let screened = try idx.screen(model: "Qwen/Qwen3-1.7B", excluding: "self", candidate: candidate, sketch: candidate.sketch(),
                                      baseSketch: base.sketch(), changedHashes: candidate.tensors.map(\.sha256),
                                      screen: 2 * FingerprintComparison.defaultThreshold)
        let screenedAt = Date()
        let c = FingerprintComparison.Decoded(candidate), b = FingerprintComparison.Decoded(base)
        let matches = try screened.rows.map { row in
            FingerprintComparison.compare(candidate: c, other: .init(try Fingerprint.read(URL(fileURLWithPath: row.dir).appendingPathComponent(Fingerprint.fileName))),
                                          base: b, otherName: row.runId)
        }.filter(\.isDuplicate)
        let screenMs = screenedAt.timeIntervalSince(started) * 1000, ms = Date().timeIntervalSince(started) * 1000
        print("fingerprint index: screened \(screened.total) runs × \(candidate.tensors.count) tensors in \(Int(screenMs)) ms, \(screened.rows.count) compared in full, total \(Int(ms)) ms (debug build)")
        #expect(screened.total == 2000)
        #expect(screened.rows.map(\.runId) == ["run1234"])
        #expect(matches.map(\.other) == ["run1234"], "\(matches.map(\.summary))")
        #expect(ms < 5_000, "a debug build; see NOTES-fingerprint.md for the measured times")

        // A submission that copies one trained tensor of run 7 is screened by its hash.
        var transplanted = Self.synthetic(base: baseValues, seed: 77, scale: 0.02)
        transplanted.tensors[5] = runs[7].tensors[5]
        let byHash = try idx.screen(model: "Qwen/Qwen3-1.7B", excluding: "self", candidate: transplanted, sketch: transplanted.sketch(),
                                    baseSketch: base.sketch(), changedHashes: transplanted.tensors.map(\.sha256), screen: 0.4)
        #expect(byHash.rows.map(\.runId) == ["run7"])
    }

    @Test func rebuildRecreatesTheTableFromRunDirectories() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ptb-fprebuild-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        let runsDir = root.appendingPathComponent("runs")
        try FileManager.default.createDirectory(at: runsDir, withIntermediateDirectories: true)
        var rng = SplitMix64(seed: 2)
        let baseValues = Self.layout().map { _ in (0..<4).map { _ in Float(rng.next() >> 40) / Float(1 << 24) } }
        var expected: [String: Fingerprint] = [:]
        for k in 0..<3 {
            let (paths, m) = try RunStore.create(spec: RunSpec(task: "arith", model: "tiny", agent: "none", name: "r\(k)"), runsDir: runsDir,
                                                 now: Date(timeIntervalSince1970: 1_700_000_000 + Double(k)))
            guard k < 2 else { continue }  // the third run never collected a submission
            let f = Self.synthetic(base: baseValues, seed: UInt64(k), scale: 0.1)
            try f.write(to: paths.dir.appendingPathComponent(Fingerprint.fileName))
            expected[m.id] = f
        }
        let index = try RunIndex(path: root.appendingPathComponent("index.sqlite"))
        let (n, problems) = try index.rebuild(from: [runsDir])
        #expect(n == 3)
        #expect(problems.isEmpty, "\(problems)")
        #expect(try FingerprintIndex(index).runIDs(model: "tiny") == Set(expected.keys))
        #expect(try FingerprintIndex(index).runIDs(model: "other-model").isEmpty)
        // The table holds what the files say: each run screens as an exact match of itself.
        for (id, f) in expected {
            let base = Self.baseFingerprint(baseValues)
            let s = try FingerprintIndex(index).screen(model: "tiny", excluding: "", candidate: f, sketch: f.sketch(), baseSketch: base.sketch(),
                                                       changedHashes: [], screen: 0.01)
            #expect(s.rows.map(\.runId) == [id])
            #expect(s.rows.first?.sketchValues == f.sketch())
        }
    }
}
