import Foundation
import PTBCore

/// `model-provenance`: the submission's weights must descend from the base model and be none of
/// the reference checkpoints (instruct counterparts, user references).
public struct ProvenanceCheck: IntegrityCheck {
    public let name = "model-provenance"
    public init() {}

    public func run(_ input: IntegrityInput) async -> IntegrityReport.Check {
        guard input.finalModelExists else {
            return .notRun(name, required: false, "no final_model was submitted: nothing to compare (the run has no score to protect)")
        }
        let base: URL
        do { base = try input.baseModelDirectory() } catch {
            return .notRun(name, required: true, "the base model's weights are not available: \(error)")
        }
        let refs = input.references
        do {
            let report = try Provenance(base: base, candidate: input.paths.finalModel, references: refs).run()
            try JSONIO.write(report, to: input.paths.dir.appendingPathComponent("provenance.json"))
            var evidence = report.verdict.findings.map { "\($0.code): \($0.message)" }
            evidence += report.verdict.notes
            if let d = report.fromBase.relativeDistance { evidence.append(String(format: "relative distance from the base %.4g", d)) }
            evidence.append("references: " + (refs.isEmpty ? "none available" : refs.map(\.name).joined(separator: ", ")))
            evidence.append("details: provenance.json")
            return report.verdict.status == .ok ? .clean(name, evidence) : .flagged(name, evidence)
        } catch {
            // A checkpoint the reader refuses cannot be shown to descend from the base.
            return .invalid(name, required: true, "the weights could not be compared: \(error)")
        }
    }
}
