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
