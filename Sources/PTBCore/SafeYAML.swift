import Foundation
import Yams

/// YAML as plain `[String: Any]`, for the key checks of every file ptb reads. `Yams.load(yaml:)`
/// force-unwraps each mapping key as a string and traps on one that is not (`? [a]: 1`, a
/// sequence or mapping used as a key), and on an unresolved alias: found by the parser fuzz
/// (ParserFuzzTests). This walks the composed nodes itself and throws instead.
public enum SafeYAML {
    public struct Unsupported: Error, CustomStringConvertible {
        public var description: String
        /// 1-based line of the node that could not be read, when known.
        public var line: Int?

        public init(description: String, line: Int? = nil) {
            self.description = description
            self.line = line
        }
    }

    /// A document's top-level mapping and where each key stands, so that an error can name the
    /// line (`sweep.yaml:7: unknown key 'hours_'`) instead of leaving the user to search.
    public struct Document {
        public var mapping: [String: Any]
        /// 1-based line of every mapping key, by its path: `hours`, `resources.cpus`, `models.1.id`.
        public var lines: [String: Int]
        /// Keys of each mapping in file order, by the mapping's path ("" for the top level).
        public var order: [String: [String]]

        /// The line of `path`, or of its nearest enclosing key that has one.
        public func line(of path: [String]) -> Int? {
            var p = path
            while !p.isEmpty {
                if let l = lines[p.joined(separator: ".")] { return l }
                p.removeLast()
            }
            return nil
        }
    }

    /// The document with key positions; nil when it is empty or not a mapping. Throws `YamlError`
    /// for malformed YAML and `Unsupported` for what ptb does not read.
    public static func document(_ text: String) throws -> Document? {
        guard let node = try Yams.compose(yaml: text) else { return nil }
        var lines: [String: Int] = [:]
        var order: [String: [String]] = [:]
        guard let m = try value(node, depth: 0, path: [], lines: &lines, order: &order) as? [String: Any] else { return nil }
        return Document(mapping: m, lines: lines, order: order)
    }

    static func value(_ node: Node, depth: Int, path: [String], lines: inout [String: Int], order: inout [String: [String]]) throws -> Any {
        guard depth < 64 else { throw Unsupported(description: "nested more than 64 levels deep", line: node.mark?.line) }
        switch node {
        case .scalar:
            return node.any
        case .mapping(let m):
            var out: [String: Any] = [:]
            var keys: [String] = []
            for (k, v) in m {
                guard case .scalar(let s) = k else {
                    throw Unsupported(description: "a mapping key is a list or mapping, not a name (keys are names such as `hours`)", line: k.mark?.line)
                }
                let keyPath = path + [s.string]
                if let line = s.mark?.line { lines[keyPath.joined(separator: ".")] = line }
                keys.append(s.string)
                out[s.string] = try value(v, depth: depth + 1, path: keyPath, lines: &lines, order: &order)
            }
            order[path.joined(separator: ".")] = keys
            return out
        case .sequence(let s):
            return try s.enumerated().map { i, e in
                let itemPath = path + [String(i)]
                if let line = e.mark?.line { lines[itemPath.joined(separator: ".")] = line }
                return try value(e, depth: depth + 1, path: itemPath, lines: &lines, order: &order)
            }
        case .alias:
            throw Unsupported(description: "an alias (`*name`) ptb does not resolve here; write the value out", line: node.mark?.line)
        }
    }
}
