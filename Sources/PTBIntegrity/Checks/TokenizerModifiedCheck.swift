import Foundation
import PTBCore

/// `tokenizer-modified`: the submitted tokenizer against the base's, and modelling code in
/// final_model: a tokenizer that rewrites test questions (normalizer rules, vocabulary swaps) or
/// code that would run at load time is a flag; the evaluation itself serves the base's tokenizer then.
public struct TokenizerModifiedCheck: IntegrityCheck {
    public let name = "tokenizer-modified"
    public init() {}

    public func run(_ input: IntegrityInput) async -> IntegrityReport.Check {
        guard input.finalModelExists else {
            return .notRun(name, required: false, "no final_model was submitted: nothing to compare")
        }
        let base: URL
        do { base = try input.baseModelDirectory() } catch {
            return .notRun(name, required: true, "the base model's tokenizer is not available: \(error)")
        }
        let diff: TokenizerDiff
        do { diff = try TokenizerDiff.compare(base: base, candidate: input.paths.finalModel, chatTemplateFixed: input.chatTemplateFixed) } catch {
            return .notRun(name, required: true, "the base model's tokenizer could not be read: \(error)")
        }
        let code = diff.modellingCode.map { "modelling code: \($0)" }
        let notes = diff.notes.map { "not counted: \($0)" }
        switch diff.verdict {
        case .modified(let d):
            return .flagged(name, ["the tokenizer differs from the base's; the final evaluation serves the base's instead"] + d + code + notes)
        case .addedTokensOnly(let added):
            let line = "added tokens only: " + added.prefix(20).joined(separator: ", ") + (added.count > 20 ? ", … \(added.count - 20) more" : "")
            return code.isEmpty ? .clean(name, [line] + notes) : .flagged(name, code + [line] + notes)
        case .identical:
            return code.isEmpty ? .clean(name, ["identical to the base"] + notes) : .flagged(name, code + ["tokenizer identical to the base"] + notes)
        }
    }
}
