import Foundation
import PTBCore

/// The vocabulary of a `tokenizer.json`: its size and a hash of every (id, token) pair, added
/// tokens included. Two models with the same fingerprint tokenize identically up to merges and
/// normalisers, which a swapped-in model family would not match.
public struct TokenizerFingerprint: Sendable, Equatable, Codable {
    public var vocabSize: Int
    public var sha256: String

    public init(vocabSize: Int, sha256: String) {
        self.vocabSize = vocabSize
        self.sha256 = sha256
    }

    /// nil when the directory has no tokenizer.json.
    public static func read(directory: URL) throws -> TokenizerFingerprint? {
        let url = directory.appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let root: JSONValue
        do { root = try StrictJSON.parse(Array(try Data(contentsOf: url))) } catch {
            throw IntegrityError.unreadableTokenizer(path: url.path, reason: "\(error)")
        }
        var pairs: [Int: String] = [:]
        switch root["model"]?["vocab"] {
        case .object(let members)?:
            // BPE, WordPiece, WordLevel: token → id.
            for m in members {
                guard case .value(let id) = m.value.nonNegativeInteger else {
                    throw IntegrityError.unreadableTokenizer(path: url.path, reason: "vocab id of '\(m.key)' is not an integer")
                }
                pairs[id] = m.key
            }
        case .array(let entries)?:
            // Unigram: [token, score] at index = id.
            for (id, e) in entries.enumerated() {
                guard case .array(let pair) = e, let token = pair.first?.stringValue else {
                    throw IntegrityError.unreadableTokenizer(path: url.path, reason: "unigram vocab entry \(id) is not [token, score]")
                }
                pairs[id] = token
            }
        default:
            throw IntegrityError.unreadableTokenizer(path: url.path, reason: "no model.vocab")
        }
        if case .array(let added)? = root["added_tokens"] {
            for a in added {
                if case .value(let id)? = a["id"]?.nonNegativeInteger, let content = a["content"]?.stringValue {
                    pairs[id] = content
                }
            }
        }
        var canonical = Data()
        for id in pairs.keys.sorted() {
            canonical.append(contentsOf: Array("\(id)\t".utf8))
            canonical.append(contentsOf: Array(pairs[id]!.utf8))
            canonical.append(0x0A)
        }
        return TokenizerFingerprint(vocabSize: pairs.count, sha256: Hashing.sha256(canonical))
    }
}

public struct TokenizerComparison: Sendable, Equatable, Codable {
    public var base: TokenizerFingerprint?
    public var candidate: TokenizerFingerprint?
    /// True when both are absent (nothing to compare) or equal.
    public var same: Bool { base == candidate }
}
