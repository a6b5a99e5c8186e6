import Foundation
import PTBCore
import PTBIntegrity
import PTBTestSupport
import Testing

/// Fingerprints of real safetensors checkpoints written in the test: a toy base, fine-tunes of
/// it (every weight moved by 10 % of its std in a random direction) and copies of those.
@Suite struct FingerprintTests {
    static let key: UInt64 = 0x5EED_F00D

    /// `m` with Gaussian-like noise of std eps × each tensor's RMS added (‖noise‖/‖m‖ ≈ eps).
    func perturbed(_ m: ToyModel, eps: Float, seed: UInt64) -> ToyModel {
        var noise = Noise(seed: seed)
        var out = m
        for (name, t) in m.tensors.sorted(by: { $0.key < $1.key }) {
            let rms = (t.values.reduce(Float(0)) { $0 + $1 * $1 } / Float(t.values.count)).squareRoot()
            out.tensors[name] = (t.shape, zip(t.values, noise.normal(t.values.count, std: eps * rms)).map { $0 + $1 })
        }
        return out
    }

    func fingerprint(_ m: ToyModel, _ dir: Scratch, _ name: String, dtype: DType = .f32, key: UInt64 = key) throws -> Fingerprint {
        let d = try dir.directory(name)
        try m.write(to: d, dtype: dtype)
        return try Fingerprint.compute(d, key: key)
    }

    @Test func exactCopyIsIdenticalAndIndependentFineTuneIsNot() throws {
        let dir = try Scratch(prefix: "ptb-integrity")
        defer { dir.cleanup() }
        let base = ToyModel.random(seed: 1, hidden: 32)
        let a = base.finetuned(seed: 2, scale: 0.1)
        let fb = try fingerprint(base, dir, "base"), fa = try fingerprint(a, dir, "a")
        let copy = try fingerprint(a, dir, "copy")
        #expect(copy == fa)
        let same = FingerprintComparison.compare(candidate: copy, other: fa, base: fb, otherName: "a")
        #expect(same.verdict == .identical)
        #expect(same.isDuplicate)

        let honest = try fingerprint(base.finetuned(seed: 3, scale: 0.1), dir, "honest")
        let r = FingerprintComparison.compare(candidate: honest, other: fa, base: fb, otherName: "a")
        #expect(r.verdict == .distinct)
        #expect(r.copiedTensors == 0)
        // Two independent updates of equal size: ‖c−a‖ ≈ √2 ‖a−b‖.
        let d = try #require(r.distance)
        #expect(d > 1.1 && d < 1.8, "distance \(d)")
        #expect(abs(r.updateCosine ?? 1) < 0.25)
    }

    @Test(arguments: [Float(1e-3), 3e-3, 1e-2])
    func perturbedCopyIsANearDuplicate(eps: Float) throws {
        let dir = try Scratch(prefix: "ptb-integrity")
        defer { dir.cleanup() }
        // An update of ~30 % of the weights' norm, like the tiny model's real fine-tunes (7–100 %).
        let base = ToyModel.random(seed: 1, hidden: 32)
        let a = base.finetuned(seed: 2, scale: 0.3)
        let fb = try fingerprint(base, dir, "base"), fa = try fingerprint(a, dir, "a")
        for dtype in [DType.f32, .bf16] {
            let c = try fingerprint(perturbed(a, eps: eps, seed: 9), dir, "c-\(dtype.rawValue)", dtype: dtype)
            let r = FingerprintComparison.compare(candidate: c, other: fa, base: fb, otherName: "a")
            #expect(r.verdict == .nearDuplicate, "eps \(eps) \(dtype): \(r.summary)")
            #expect((r.distance ?? 1) <= FingerprintComparison.defaultThreshold)
            #expect(abs((r.share ?? 0) - 1) < 0.1)
            #expect(c.weightsSHA256 != fa.weightsSHA256)
        }
    }

    /// b + λ(a − b): another run's update rescaled (a merge toward the base, or pushed further).
    @Test(arguments: [Float(0.5), 0.8, 1.5])
    func rescaledUpdateIsACopy(lambda: Float) throws {
        let dir = try Scratch(prefix: "ptb-integrity")
        defer { dir.cleanup() }
        let base = ToyModel.random(seed: 1, hidden: 32)
        let a = base.finetuned(seed: 2, scale: 0.3)
        let rescaled = base.interpolated(toward: a, lambda)
        let r = FingerprintComparison.compare(candidate: try fingerprint(perturbed(rescaled, eps: 1e-4, seed: 4), dir, "c"),
                                              other: try fingerprint(a, dir, "a"), base: try fingerprint(base, dir, "b"), otherName: "a")
        #expect(r.verdict == .nearDuplicate, "\(r.summary)")
        #expect((r.updateCosine ?? 0) >= FingerprintComparison.defaultMinUpdateCosine)
        #expect(abs((r.share ?? 0) - Double(lambda)) < 0.05)
    }

    @Test func oneTransplantedTrainedTensorIsACopy() throws {
        let dir = try Scratch(prefix: "ptb-integrity")
        defer { dir.cleanup() }
        let base = ToyModel.random(seed: 1, hidden: 32)
        let a = base.finetuned(seed: 2, scale: 0.1)
        var c = base.finetuned(seed: 3, scale: 0.1)
        c.tensors["model.embed_tokens.weight"] = a.tensors["model.embed_tokens.weight"]
        let r = FingerprintComparison.compare(candidate: try fingerprint(c, dir, "c"), other: try fingerprint(a, dir, "a"),
                                              base: try fingerprint(base, dir, "base"), otherName: "a")
        #expect(r.verdict == .nearDuplicate)
        #expect(r.copiedTensors == 1)
        #expect((r.distance ?? 0) > FingerprintComparison.defaultThreshold)
        #expect(r.summary.contains("1 of \(r.changedTensors) trained tensor(s) byte-identical"))
    }

    /// A run that submits the base unchanged copies no one, and two such runs (even both cast to
    /// bf16, so their bytes equal each other's but not the base's) must not flag each other.
    @Test func theBaseIsNobodysCopy() throws {
        let dir = try Scratch(prefix: "ptb-integrity")
        defer { dir.cleanup() }
        let base = ToyModel.random(seed: 1, hidden: 32)
        let fb = try fingerprint(base, dir, "base"), fa = try fingerprint(base.finetuned(seed: 2, scale: 0.1), dir, "a")
        let asBase = try fingerprint(base, dir, "base-again")
        #expect(FingerprintComparison.compare(candidate: asBase, other: fb, base: fb, otherName: "x").verdict == .candidateIsBase)
        #expect(FingerprintComparison.compare(candidate: asBase, other: fa, base: fb, otherName: "a").verdict == .candidateIsBase)
        #expect(FingerprintComparison.compare(candidate: fa, other: asBase, base: fb, otherName: "b").verdict == .otherIsBase)

        let cast1 = try fingerprint(base, dir, "cast1", dtype: .bf16), cast2 = try fingerprint(base, dir, "cast2", dtype: .bf16)
        #expect(cast1.weightsSHA256 == cast2.weightsSHA256 && cast1.weightsSHA256 != fb.weightsSHA256)
        let r = FingerprintComparison.compare(candidate: cast1, other: cast2, base: fb, otherName: "cast2")
        #expect(r.verdict == .candidateIsBase)
        #expect(!r.isDuplicate)

        // But a copy of a run whose tiny update is real is still caught: base + noise copied.
        let tinyUpdate = perturbed(base, eps: 1e-3, seed: 5)
        let ft = try fingerprint(tinyUpdate, dir, "tiny")
        let copy = try fingerprint(perturbed(tinyUpdate, eps: 1e-5, seed: 6), dir, "tiny-copy")
        #expect(FingerprintComparison.compare(candidate: copy, other: ft, base: fb, otherName: "tiny").verdict == .nearDuplicate)
        // …while two independent tiny updates are not copies of each other.
        let other = try fingerprint(perturbed(base, eps: 1e-3, seed: 7), dir, "tiny2")
        #expect(FingerprintComparison.compare(candidate: other, other: ft, base: fb, otherName: "tiny").verdict == .distinct)
    }

    @Test func samplePositionsDependOnTheKeyAndComparisonsNeedTheSameKey() throws {
        let p1 = Fingerprint.positions(name: "w", count: 10_000, key: 1), p2 = Fingerprint.positions(name: "w", count: 10_000, key: 2)
        #expect(p1 == Fingerprint.positions(name: "w", count: 10_000, key: 1))
        #expect(p1 != p2)
        #expect(p1.count == Fingerprint.samplesPerTensor)
        // One position per stratum, in order, inside the tensor.
        #expect(zip(p1, p1.dropFirst()).allSatisfy { $0 < $1 } && p1.first! >= 0 && p1.last! < 10_000)
        #expect(Fingerprint.positions(name: "w", count: 5, key: 1) == [0, 1, 2, 3, 4])

        let dir = try Scratch(prefix: "ptb-integrity")
        defer { dir.cleanup() }
        let base = ToyModel.random(seed: 1, hidden: 32)
        let a = base.finetuned(seed: 2, scale: 0.1)
        let r = FingerprintComparison.compare(candidate: try fingerprint(perturbed(a, eps: 1e-3, seed: 3), dir, "c", key: 7),
                                              other: try fingerprint(a, dir, "a"), base: try fingerprint(base, dir, "b"), otherName: "a")
        #expect(r.verdict == .notComparable)
    }

    @Test func jsonRoundTripsAndTheSketchIsLinear() throws {
        let dir = try Scratch(prefix: "ptb-integrity")
        defer { dir.cleanup() }
        var m = ToyModel.random(seed: 4, hidden: 16)
        m.tensors["model.layers.0.input_layernorm.weight"] = ([16], [Float](repeating: .nan, count: 16))
        let f = try fingerprint(m, dir, "m")
        let url = dir.url.appendingPathComponent(Fingerprint.fileName)
        try f.write(to: url)
        #expect(try Fingerprint.read(url) == f)
        #expect(try Data(contentsOf: url).count < 8_192)
        #expect(f.sketch().count == Fingerprint.sketchDimensions)
        #expect(f.sketch().contains { $0.isNaN })

        // sketch(c) − sketch(b) is the projection of c − b, so sketch distances track the full ones.
        let base = ToyModel.random(seed: 1, hidden: 32)
        let a = base.finetuned(seed: 2, scale: 0.1)
        let fb = try fingerprint(base, dir, "b"), fa = try fingerprint(a, dir, "a")
        for (c, name) in [(perturbed(a, eps: 1e-2, seed: 3), "noisy"), (base.finetuned(seed: 3, scale: 0.1), "honest")] {
            let fc = try fingerprint(c, dir, name)
            let full = try #require(FingerprintComparison.compare(candidate: fc, other: fa, base: fb, otherName: "a").distance)
            let sketched = try #require(Fingerprint.sketchComparison(candidate: fc.sketch(), other: fa.sketch(), base: fb.sketch())?.distance)
            #expect(abs(sketched - full) <= 0.25 * full, "\(name): sketch \(sketched) vs full \(full)")
        }
        #expect(Fingerprint.sketchComparison(candidate: fa.sketch(), other: fb.sketch(), base: fb.sketch())?.distance == .infinity)
    }

    @Test func corruptWeightsAreAClearError() throws {
        let dir = try Scratch(prefix: "ptb-integrity")
        defer { dir.cleanup() }
        let d = try dir.directory("bad")
        try ToyModel.random(seed: 1).write(to: d)
        let file = d.appendingPathComponent("model.safetensors")
        let bytes = try Data(contentsOf: file)
        try bytes.prefix(bytes.count - 10).write(to: file)
        do {
            _ = try Fingerprint.compute(d, key: Self.key)
            Issue.record("a truncated checkpoint was fingerprinted")
        } catch {
            guard case .offsetsOutOfBounds = error.problem else { Issue.record("unexpected error \(error)"); return }
            #expect("\(error)".contains("truncated"))
            #expect("\(error)".contains(file.path))
            #expect("\(error)".contains("Re-save the checkpoint"))
        }
        #expect(throws: SafetensorsError.self) { try Fingerprint.compute(dir.url.appendingPathComponent("missing"), key: Self.key) }
    }

    @Test func cacheRecomputesWhenTheCheckpointChanges() throws {
        let dir = try Scratch(prefix: "ptb-integrity")
        defer { dir.cleanup() }
        let d = try dir.directory("ref"), cache = dir.url.appendingPathComponent("cache")
        try ToyModel.random(seed: 1).write(to: d)
        let first = try Fingerprint.cached(d, key: Self.key, cacheDir: cache)
        #expect(try Fingerprint.cached(d, key: Self.key, cacheDir: cache) == first)
        #expect((try FileManager.default.contentsOfDirectory(atPath: cache.path)).count == 1)
        try ToyModel.random(seed: 2, hidden: 24).write(to: d)
        let second = try Fingerprint.cached(d, key: Self.key, cacheDir: cache)
        #expect(second != first)
        #expect(second == (try Fingerprint.compute(d, key: Self.key)))
    }
}
