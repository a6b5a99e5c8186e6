import Foundation

/// The thresholds that turn provenance sums into a verdict, chosen from measured fine-tunes of
/// ptb's `tiny` model (benchmarks/integrity/measure_finetunes.py; the table is in BENCHMARKS.md,
/// "Provenance thresholds").
///
/// Why the margin is below 1: with u = c−b (the candidate's update) and v = r−b (the
/// reference's), ‖c−r‖²/‖c−b‖² = 1 + ‖v‖²(1 − 2α)/‖u‖², where α = ⟨u,v⟩/‖v‖² is the share of
/// the reference's update the candidate contains. So the candidate is closer to the reference
/// than to the base exactly when α > ½, and for a long genuine fine-tune (‖u‖ ≫ ‖v‖) the ratio
/// tends to 1 from either side. Measured (two bases, 300 and 1000 pre-training steps): genuine
/// fine-tunes of the base reached ratios down to 0.985 (lr 2e-3 × 1000–3000 steps, the
/// reference agent's schedule), while a fine-tune of the reference, a 50/50 merge and a
/// reference-embedding transplant gave 0.78–0.79, 0.70–0.74 and 0.88–0.90. Demanding
/// ratio ≥ 1.5 would have flagged four of six genuine runs.
public struct ProvenancePolicy: Codable, Sendable, Equatable {
    /// The candidate must be at least `margin` times as far from every reference as from the
    /// base (‖c−r‖ ≥ margin·‖c−b‖). 0.9: genuine runs measured ≥ 0.985, cheats ≤ 0.90 (the
    /// 0.90 one, a byte-exact tensor transplant, is also caught as `copied-tensors`).
    public var margin: Double
    /// cos(c−b, r−b) at or above this means the candidate moved toward the reference (merges and
    /// interpolations, which the ratio misses when the dose is small). 0.6: genuine runs measured
    /// ≤ 0.52 (0.90–0.91 for a run that repeated the reference's own training recipe, see
    /// BENCHMARKS.md), merges and interpolations 0.75–1.
    public var maxUpdateCosine: Double
    /// ‖c−b‖/‖b‖ above this means the weights are not a fine-tune of the base at all. 1.25:
    /// independent random initialisations sit at √2 ≈ 1.41; the longest genuine fine-tune of
    /// `tiny` (barely pre-trained, so it moves a lot) reached 1.07, an unrelated pre-trained
    /// `tiny` 1.1–1.2. Real LLM fine-tunes move
    /// orders of magnitude less, so the limit is loose by design: the references do the
    /// discriminating.
    public var maxRelativeDistance: Double
    public init(margin: Double, maxUpdateCosine: Double, maxRelativeDistance: Double) {
        self.margin = margin
        self.maxUpdateCosine = maxUpdateCosine
        self.maxRelativeDistance = maxRelativeDistance
    }

    public static let standard = ProvenancePolicy(margin: 0.9, maxUpdateCosine: 0.6, maxRelativeDistance: 1.25)

    public func judge(_ r: ProvenanceReport) -> Verdict {
        var findings: [Finding] = []
        var notes: [String] = []
        let a = r.architecture
        let changedFields = a.fields.filter { !$0.same }
        if !changedFields.isEmpty {
            let list = changedFields.map { "\($0.field) \($0.base ?? "absent") → \($0.candidate ?? "absent")" }.joined(separator: ", ")
            findings.append(Finding(code: "architecture-changed", message: "config.json differs from the base: \(list). Only fine-tunes of the base model are allowed; submit weights with the base's architecture."))
        }
        if !a.missingTensors.isEmpty || !a.extraTensors.isEmpty || !a.reshapedTensors.isEmpty {
            var parts: [String] = []
            if !a.missingTensors.isEmpty { parts.append("\(a.missingTensors.count) base tensor(s) missing (e.g. \(a.missingTensors[0]))") }
            if !a.extraTensors.isEmpty { parts.append("\(a.extraTensors.count) extra tensor(s) (e.g. \(a.extraTensors[0]))") }
            if !a.reshapedTensors.isEmpty { parts.append("\(a.reshapedTensors.count) reshaped (e.g. \(a.reshapedTensors[0]))") }
            findings.append(Finding(code: "architecture-changed", message: "the weights do not have the base's tensors: \(parts.joined(separator: "; ")). Merge adapters into the base weights and keep every tensor's shape."))
        }
        if !a.configFound { notes.append("config.json is missing from the base or the candidate; only the tensor inventory was compared") }
        if r.tokenizer.base != nil, !r.tokenizer.same {
            let b = r.tokenizer.base!, c = r.tokenizer.candidate
            let what = c.map { "vocabulary \(b.vocabSize) → \($0.vocabSize) tokens, hash \(b.sha256.prefix(12)) → \($0.sha256.prefix(12))" } ?? "the candidate has no tokenizer.json"
            findings.append(Finding(code: "tokenizer-changed", message: "tokenizer differs from the base (\(what)). Submit the base's tokenizer; a different vocabulary means a different model."))
        }
        if !r.fromBase.nonFiniteTensors.isEmpty {
            findings.append(Finding(code: "non-finite-weights", message: "\(r.fromBase.nonFiniteTensors.count) tensor(s) hold NaN/Inf (e.g. \(r.fromBase.nonFiniteTensors[0])), so their provenance cannot be measured. Submit a checkpoint with finite weights."))
        }
        guard let d = r.fromBase.relativeDistance else {
            findings.append(Finding(code: "nothing-compared", message: "no float tensor is shared by base and candidate, so descent from the base cannot be shown. Submit a fine-tune of the base with its tensor names."))
            return Verdict(status: .flagged, findings: findings, notes: notes)
        }
        if d > maxRelativeDistance {
            findings.append(Finding(code: "not-descended-from-base", message: "the weights are \(fmt(d)) of the base's norm away from it (limit \(fmt(maxRelativeDistance))): that is the distance between unrelated models, not a fine-tune. Train from the base weights."))
        }
        if r.fromBase.weightsIdentical { notes.append("the candidate's weights are the base's, unchanged") }
        if r.references.isEmpty { notes.append("no --reference given: only the architecture, tokenizer and distance from the base were checked") }

        for ref in r.references {
            if ref.referenceFromBase == 0 {
                notes.append("reference '\(ref.name)' has the base's weights; it cannot tell them apart and was skipped")
                continue
            }
            if ref.weightsIdentical || ref.numericallyIdentical {
                findings.append(Finding(code: "identical-to-reference", message: "the weights are \(ref.weightsIdentical ? "byte-identical" : "numerically identical") to reference '\(ref.name)'. Submit a model you fine-tuned from the base."))
                continue
            }
            if ref.copiedTensors > 0 {
                findings.append(Finding(code: "copied-tensors", message: "\(ref.copiedTensors) tensor(s) are byte-identical to reference '\(ref.name)' but differ from the base: they were taken from it. Fine-tune only from the base."))
            }
            if let ratio = ref.distanceRatio, ratio < margin {
                findings.append(Finding(code: "closer-to-reference", message: "the weights are only \(fmt(ratio))× as far from reference '\(ref.name)' as from the base (required: ≥ \(fmt(margin))×): they contain most of the reference's own update, so they descend from the reference, not the base."))
            }
            if let cos = ref.updateCosine, cos >= maxUpdateCosine {
                findings.append(Finding(code: "update-toward-reference", message: "the change from the base points toward reference '\(ref.name)' (cosine \(fmt(cos)), limit \(fmt(maxUpdateCosine))): as merging with, interpolating toward or fine-tuning the reference does."))
            }
            if ref.comparedTensors < r.tensors.count {
                notes.append("reference '\(ref.name)' lacks \(r.tensors.count - ref.comparedTensors) of the compared tensors (or has other shapes); it was compared on the rest")
            }
        }
        return Verdict(status: findings.isEmpty ? .ok : .flagged, findings: findings, notes: notes)
    }
}

func fmt(_ x: Double) -> String {
    x.isFinite ? String(format: "%.4g", x) : "\(x)"
}
