import Foundation

/// What `ptb provenance` found. Distances are relative (‖x−y‖/‖y‖), so they read the same for a
/// 0.4 M-parameter toy and a 4 B-parameter model; numbers are rounded to 6 significant digits.
public struct ProvenanceReport: Codable, Sendable, Equatable {
    public var schemaVersion = 1
    public var base: CheckpointSummary
    public var candidate: CheckpointSummary
    public var architecture: ArchitectureComparison
    public var tokenizer: TokenizerComparison
    public var fromBase: BaseComparison
    public var references: [ReferenceComparison]
    /// Every tensor present in both base and candidate with the same shape, by name.
    public var tensors: [TensorComparison]
    public var policy: ProvenancePolicy
    public var verdict: Verdict
}

public struct CheckpointSummary: Codable, Sendable, Equatable {
    public var path: String
    /// Weight files, relative to `path`.
    public var files: [String]
    public var tensors: Int
    public var tensorBytes: Int
    /// dtype → number of tensors.
    public var dtypes: [String: Int]
}

public struct BaseComparison: Codable, Sendable, Equatable {
    /// ‖c−b‖/‖b‖ over all float tensors compared; nil when none could be compared.
    public var relativeDistance: Double?
    public var comparedTensors: Int
    public var comparedElements: Int
    /// Tensors whose bytes equal the base's.
    public var identicalTensors: Int
    /// Every base tensor is present, unchanged, and there are no extra tensors.
    public var weightsIdentical: Bool
    /// Tensors of integer/bool/exotic dtypes: compared by bytes only.
    public var bytewiseOnlyTensors: Int
    /// Tensors whose sums are NaN/Inf; left out of the distances.
    public var nonFiniteTensors: [String]
}

public struct ReferenceComparison: Codable, Sendable, Equatable {
    public var name: String
    public var checkpoint: CheckpointSummary
    /// Tensors compared with this reference (present everywhere with the same shape).
    public var comparedTensors: Int
    /// ‖c−r‖/‖r‖.
    public var relativeDistance: Double?
    /// ‖r−b‖/‖b‖: how far the reference itself is from the base.
    public var referenceFromBase: Double?
    /// ‖c−r‖/‖c−b‖ on the same tensors: how many times farther the candidate is from this
    /// reference than from the base. A descendant of the base has ratio ≥ margin.
    public var distanceRatio: Double?
    /// cos(c−b, r−b): whether the candidate's update points toward the reference.
    public var updateCosine: Double?
    /// ⟨c−b, r−b⟩/‖r−b‖²: the share of the reference's own update that the candidate contains
    /// (≈1 for a fine-tune of the reference, the dose for an interpolation, small for an
    /// independent fine-tune). distanceRatio < 1 exactly when this exceeds ½.
    public var referenceShare: Double?
    public var identicalTensors: Int
    /// Identical to the reference but not to the base: taken from the reference.
    public var copiedTensors: Int
    public var weightsIdentical: Bool
    /// All compared values equal (e.g. the reference re-saved in another dtype).
    public var numericallyIdentical: Bool
    /// Non-weight files (config, tokenizer, …) byte-identical to the reference's.
    public var identicalFiles: [String]
}

public struct TensorComparison: Codable, Sendable, Equatable {
    public var name: String
    public var dtype: String
    public var baseDType: String
    public var shape: [Int]
    /// ‖c−b‖/‖b‖; nil for byte-compared dtypes.
    public var relativeDistance: Double?
    public var identicalToBase: Bool
    public var references: [TensorReference]
}

public struct TensorReference: Codable, Sendable, Equatable {
    public var reference: String
    public var relativeDistance: Double?
    public var updateCosine: Double?
    public var identical: Bool
}

public struct Finding: Codable, Sendable, Equatable {
    /// Stable identifier for scripts: architecture-changed, tokenizer-changed,
    /// identical-to-reference, copied-tensors, closer-to-reference, update-toward-reference,
    /// not-descended-from-base, non-finite-weights, nothing-compared.
    public var code: String
    public var message: String
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

public struct Verdict: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case ok, flagged }
    public var status: Status
    public var findings: [Finding]
    /// Context that is not a finding (e.g. weights unchanged from the base).
    public var notes: [String]
}

/// 6 significant digits: enough to compare runs, stable across summation orders in the golden
/// tests, short in JSON.
func rounded(_ x: Double) -> Double {
    guard x.isFinite, x != 0 else { return x }
    return Double(String(format: "%.6g", x)) ?? x
}
