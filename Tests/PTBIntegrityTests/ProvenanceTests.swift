import Foundation
import PTBIntegrity
import PTBTestSupport
import Testing

@Suite struct ProvenanceTests {
    let base = ToyModel.random(seed: 1)
    /// A different pretrained model of the same architecture.
    let other = ToyModel.random(seed: 2)

    func run(_ candidate: ToyModel, references: [(String, ToyModel)] = [], candidateDType: DType = .f32,
             jobs: Int = 2) throws -> ProvenanceReport {
        let tmp = try Scratch(prefix: "ptb-integrity")
        defer { tmp.cleanup() }
        try base.write(to: try tmp.directory("base"))
        try candidate.write(to: try tmp.directory("candidate"), dtype: candidateDType)
        var refs: [NamedCheckpoint] = []
        for (name, model) in references {
            let dir = try tmp.directory("ref-\(name)")
            try model.write(to: dir)
            refs.append(NamedCheckpoint(name: name, path: dir))
        }
        return try Provenance(base: tmp.url.appendingPathComponent("base"), candidate: tmp.url.appendingPathComponent("candidate"),
                              references: refs, jobs: jobs).run()
    }

    func codes(_ r: ProvenanceReport) -> Set<String> { Set(r.verdict.findings.map(\.code)) }

    @Test func aFineTuneOfTheBaseIsOK() throws {
        let r = try run(base.finetuned(seed: 10, scale: 0.1), references: [("other", other)])
        #expect(r.verdict.status == .ok, "\(r.verdict.findings)")
        let d = try #require(r.fromBase.relativeDistance)
        #expect(d > 0.05 && d < 0.3)
        let ref = r.references[0]
        #expect(try #require(ref.distanceRatio) > 5)
        #expect(abs(try #require(ref.updateCosine)) < 0.2)
        #expect(r.fromBase.identicalTensors == 2)  // the norms were not trained
        #expect(r.architecture.same && r.tokenizer.same)
    }

    @Test func theUnchangedBaseIsOKAndSaysSo() throws {
        let r = try run(base, references: [("other", other)])
        #expect(r.verdict.status == .ok)
        #expect(r.fromBase.weightsIdentical && r.fromBase.relativeDistance == 0)
        #expect(r.verdict.notes.contains { $0.contains("unchanged") })
        #expect(r.references[0].distanceRatio == .infinity)
    }

    @Test func aCopyOfTheReferenceIsFlagged() throws {
        let r = try run(other, references: [("other", other)])
        #expect(r.verdict.status == .flagged)
        #expect(codes(r).contains("identical-to-reference"))
        #expect(r.references[0].weightsIdentical)
        #expect(r.references[0].identicalFiles.contains("config.json"))
    }

    @Test func theReferenceResavedInAnotherDTypeIsFlagged() throws {
        // bf16 rounding changes the bytes but barely the values: closer to the reference, by far.
        let r = try run(other, references: [("other", other)], candidateDType: .bf16)
        #expect(!r.references[0].weightsIdentical)
        #expect(codes(r).isSuperset(of: ["closer-to-reference", "not-descended-from-base"]))
    }

    @Test func aFineTuneOfTheReferenceIsFlagged() throws {
        // The "instruct model" is itself a fine-tune of the base; the cheat fine-tunes it further.
        let instruct = base.finetuned(seed: 20, scale: 0.3)
        let r = try run(instruct.finetuned(seed: 21, scale: 0.1), references: [("instruct", instruct)])
        #expect(r.verdict.status == .flagged)
        #expect(codes(r).isSuperset(of: ["closer-to-reference", "update-toward-reference"]))
        #expect(!codes(r).contains("not-descended-from-base"))
        let ratio = try #require(r.references[0].distanceRatio)
        #expect(ratio < 1)
    }

    @Test func aMergeTowardTheReferenceIsFlaggedByTheCosine() throws {
        let instruct = base.finetuned(seed: 20, scale: 0.3)
        let r = try run(base.interpolated(toward: instruct, 0.3), references: [("instruct", instruct)])
        #expect(try #require(r.references[0].distanceRatio) > ProvenancePolicy.standard.margin)
        #expect(try #require(r.references[0].updateCosine) > 0.99)
        #expect(codes(r) == ["update-toward-reference"])
    }

    @Test func tensorsTakenFromTheReferenceAreFlagged() throws {
        let instruct = base.finetuned(seed: 20, scale: 0.3)
        var candidate = base.finetuned(seed: 10, scale: 0.1)
        candidate.tensors["model.embed_tokens.weight"] = instruct.tensors["model.embed_tokens.weight"]
        let r = try run(candidate, references: [("instruct", instruct)])
        #expect(codes(r).contains("copied-tensors"))
        #expect(r.references[0].copiedTensors == 1)
    }

    @Test func anUnrelatedModelIsFlaggedEvenWithoutReferences() throws {
        let r = try run(other)
        #expect(codes(r) == ["not-descended-from-base"])
        #expect(r.verdict.notes.contains { $0.contains("no --reference") })
    }

    @Test func aChangedArchitectureIsFlagged() throws {
        var wider = ToyModel.random(seed: 3, hidden: 24)
        wider.config["hidden_size"] = 24
        let r = try run(wider)
        #expect(codes(r).contains("architecture-changed"))
        #expect(r.architecture.fields.first { $0.field == "hidden_size" }?.candidate == "24")
        #expect(!r.architecture.reshapedTensors.isEmpty)

        var deeper = base.finetuned(seed: 4, scale: 0.1)
        deeper.tensors["model.layers.2.mlp.up_proj.weight"] = ([32, 16], [Float](repeating: 0.01, count: 512))
        deeper.config["num_hidden_layers"] = 3
        let d = try run(deeper)
        #expect(codes(d) == ["architecture-changed"])
        #expect(d.architecture.extraTensors == ["model.layers.2.mlp.up_proj.weight"])
        #expect(d.verdict.findings.count == 2)  // config and tensor inventory
    }

    @Test func aChangedVocabularyIsFlagged() throws {
        var c = base.finetuned(seed: 5, scale: 0.1)
        c.vocab["tok0"] = nil
        c.vocab["<|im_start|>"] = 0
        let r = try run(c)
        #expect(codes(r) == ["tokenizer-changed"])
        #expect(r.tokenizer.base?.vocabSize == r.tokenizer.candidate?.vocabSize)
    }

    @Test func nonFiniteWeightsCannotHideAReference() throws {
        var c = other
        c.tensors["model.layers.0.input_layernorm.weight"]!.values[0] = .nan
        let r = try run(c, references: [("other", other)])
        #expect(r.fromBase.nonFiniteTensors == ["model.layers.0.input_layernorm.weight"])
        #expect(codes(r).isSuperset(of: ["non-finite-weights", "closer-to-reference"]))
    }

    @Test func resultsDoNotDependOnThreadCount() throws {
        // Large enough for several parallel chunks per tensor.
        var big = ToyModel.random(seed: 7, hidden: 512, layers: 1)
        big.config["hidden_size"] = 16
        let saved = big
        let c = saved.finetuned(seed: 8, scale: 0.05)
        let tmp = try Scratch(prefix: "ptb-integrity")
        defer { tmp.cleanup() }
        try saved.write(to: try tmp.directory("b"), dtype: .bf16)
        try c.write(to: try tmp.directory("c"), dtype: .bf16)
        let one = try Provenance(base: tmp.url.appendingPathComponent("b"), candidate: tmp.url.appendingPathComponent("c"), jobs: 1).run()
        let four = try Provenance(base: tmp.url.appendingPathComponent("b"), candidate: tmp.url.appendingPathComponent("c"), jobs: 4).run()
        #expect(one == four)
        // bf16 storage: distances still near the f32 value of the perturbation.
        let d = try #require(one.fromBase.relativeDistance)
        #expect(d > 0.03 && d < 0.08)
    }
}
