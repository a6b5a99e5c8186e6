import Foundation
import PTBCore
import PTBIntegrity

/// Which tokenizer the final evaluation served, and why: `eval/final/tokenizer-used.json`, beside
/// `metrics.json`. The engine's command line in `engine-N.log` shows the same `--tokenizer`.
public struct TokenizerUse: Codable, Sendable, Equatable {
    /// `submitted` (final_model's own) or `base` (the base model's).
    public var used: String
    /// The directory the engine loaded the tokenizer from.
    public var directory: String
    /// `identical`, `added-tokens-only`, `modified`, or `unchecked` (the base was unavailable).
    public var state: String
    public var differences: [String]
    public var addedTokens: [String]
    public var notes: [String]
    public var modellingCode: [String]

    public static let fileName = "tokenizer-used.json"
}

extension IntegrityPhase {
    /// Whether the evaluation passes ptb's own chat template to the engine (the same choice as
    /// `EvaluatePhase.writeTemplate`). When it does, a submitted template is never rendered.
    static func chatTemplateFixed(_ ctx: PhaseContext, baseDir: URL) -> Bool {
        EvaluatePhase.templateName(ctx, baseDir: baseDir) != nil
    }

    /// The submitted tokenizer against the base's, and modelling code in final_model: a
    /// tokenizer that rewrites test questions (normalizer rules, vocabulary swaps) or code that
    /// would run at load time is a flag; the evaluation itself serves the base's tokenizer then.
    static func tokenizerModified(_ ctx: PhaseContext) -> IntegrityReport.Check {
        let name = "tokenizer-modified"
        guard FileManager.default.fileExists(atPath: ctx.paths.finalModel.path) else {
            return .notRun(name, required: false, "no final_model was submitted: nothing to compare")
        }
        let base: URL
        do { base = try ctx.baseModelDirectory() } catch {
            return .notRun(name, required: true, "the base model's tokenizer is not available: \(error)")
        }
        let diff: TokenizerDiff
        do { diff = try TokenizerDiff.compare(base: base, candidate: ctx.paths.finalModel, chatTemplateFixed: chatTemplateFixed(ctx, baseDir: base)) } catch {
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

extension EvaluatePhase {
    /// The tokenizer directory the final evaluation passes to the engine: nil (final_model's own)
    /// when it is identical to the base's or only gained tokens, else the base model's. Records
    /// the choice in `record`/tokenizer-used.json.
    static func tokenizerForEvaluation(_ ctx: PhaseContext, templateFixed: Bool, record: URL) throws -> URL? {
        let submitted = ctx.paths.finalModel
        var use = TokenizerUse(used: "submitted", directory: submitted.path, state: "unchecked", differences: [],
                               addedTokens: [], notes: [], modellingCode: TokenizerDiff.modellingCode(in: submitted))
        var chosen: URL?
        do {
            let base = try ctx.baseModelDirectory()
            let diff = try TokenizerDiff.compare(base: base, candidate: submitted, chatTemplateFixed: templateFixed)
            use.state = diff.state
            use.differences = diff.differences
            use.addedTokens = diff.addedTokens
            use.notes = diff.notes
            if diff.usesBaseTokenizer {
                chosen = base
                use.used = "base"
                use.directory = base.path
            }
        } catch {
            // Without the base nothing can be compared; the integrity check reports the same
            // failure as a required check that did not run.
            use.notes.append("not compared: \(error)")
        }
        try JSONIO.write(use, to: record.appendingPathComponent(TokenizerUse.fileName))
        ctx.harness.log("[evaluate] tokenizer: \(use.used) (\(use.state))" + (use.differences.isEmpty ? "" : ": " + use.differences.prefix(3).joined(separator: "; ")))
        return chosen
    }
}
