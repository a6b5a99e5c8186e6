import Foundation
import Yams

/// YAML as plain `[String: Any]`, for the key checks of every file ptb reads. `Yams.load(yaml:)`
/// force-unwraps each mapping key as a string and traps on one that is not (`? [a]: 1`, a
/// sequence or mapping used as a key), and on an unresolved alias: found by the parser fuzz
/// (ParserFuzzTests). This walks the composed nodes itself and throws instead.
public enum SafeYAML {
    public struct Unsupported: Error, CustomStringConvertible {
        public var description: String
    }

    /// The document's top-level mapping; nil when the document is empty or not a mapping.
    public static func mapping(_ text: String) throws -> [String: Any]? {
        guard let node = try Yams.compose(yaml: text) else { return nil }
        return try value(node, depth: 0) as? [String: Any]
    }

    static func value(_ node: Node, depth: Int) throws -> Any {
        guard depth < 64 else { throw Unsupported(description: "nested more than 64 levels deep") }
        switch node {
        case .scalar:
            return node.any
        case .mapping(let m):
            var out: [String: Any] = [:]
            for (k, v) in m {
                guard case .scalar(let s) = k else {
                    throw Unsupported(description: "a mapping key is a list or mapping, not a name (keys are names such as `hours`)")
                }
                out[s.string] = try value(v, depth: depth + 1)
            }
            return out
        case .sequence(let s):
            return try s.map { try value($0, depth: depth + 1) }
        case .alias:
            throw Unsupported(description: "an alias (`*name`) ptb does not resolve here; write the value out")
        }
    }
}
