/// Failures of the integrity checks that are not about a safetensors file's structure.
public enum IntegrityError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadableConfig(path: String, reason: String)
    case unreadableTokenizer(path: String, reason: String)
    case invalidReferenceName(String)
    case notADirectory(String)
    case noScanTargets([String])
    case invalidScanOption(String)

    public var description: String {
        switch self {
        case let .unreadableConfig(path, reason):
            return "\(path) is not a readable JSON config (\(reason)). Restore the model's config.json (e.g. from the base model) and retry."
        case let .unreadableTokenizer(path, reason):
            return "\(path) is not a readable tokenizer.json (\(reason)). Re-save the tokenizer with `tokenizer.save_pretrained(dir)` and retry."
        case let .invalidReferenceName(s):
            return "reference '\(s)' must be NAME=DIR (e.g. --reference instruct=/models/Qwen3-1.7B)."
        case let .notADirectory(p):
            return "\(p) is not a model directory or .safetensors file. Pass the folder that holds config.json and the weights."
        case let .noScanTargets(paths):
            return "nothing to scan: \(paths.joined(separator: ", ")) do not exist. Pass files or directories with training data."
        case let .invalidScanOption(m):
            return m
        }
    }
}
