import Foundation
import Yams

/// Keys of a YAML mapping that a config format does not know. A typo (`eval_limt`, `seed` for
/// `seeds`) silently falling back to a default is how a 10-hour cluster run does the wrong thing,
/// so every ptb config file refuses unknown keys, naming the closest known one and the line.
public enum ConfigKeys {
    /// One thing wrong in a config file, with its 1-based line when known.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var line: Int?
        public var message: String

        public init(line: Int?, message: String) {
            self.line = line
            self.message = message
        }

        public var description: String { line.map { "line \($0): \(message)" } ?? message }
    }

    /// What `check` and `decode` throw: the problems of one file, first line first. Callers wrap
    /// it in their own error type (`PTBError.config`, `JobsError.spec`) with `location`/`reason`.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var problems: [Problem]

        public init(path: String, problems: [Problem]) {
            self.path = path
            self.problems = problems
        }

        /// `sweep.yaml:7`: the file and the line of the first problem, as compilers print them.
        public var location: String { problems.first?.line.map { "\(path):\($0)" } ?? path }

        /// The first problem's message, then every other one with its line; no final period, so
        /// that callers can add their sentence ("Nothing was run.").
        public var reason: String {
            guard let first = problems.first else { return "" }
            var r = ([first.message] + problems.dropFirst().map(\.description)).joined(separator: "; ")
            while r.hasSuffix(".") { r.removeLast() }
            return r
        }

        public var description: String { "\(location): \(reason)" }
    }

    /// Reads `text` and checks every key of its top-level mapping against `allowed`, and of each
    /// nested mapping named in `sections` (a section whose value is a list has each entry
    /// checked, as the `models:` list of models.yaml). Returns the document (nil when it
    /// contains nothing); throws `Failure` for malformed YAML, a document that is not a mapping,
    /// what ptb does not read (aliases, non-name keys) and unknown keys.
    @discardableResult
    public static func check(text: String, path: String, allowed: [String], sections: [String: [String]] = [:]) throws -> SafeYAML.Document? {
        let doc: SafeYAML.Document?
        do { doc = try SafeYAML.document(text) } catch let e as SafeYAML.Unsupported {
            throw Failure(path: path, problems: [Problem(line: e.line, message: e.description)])
        } catch let e as YamlError {
            throw Failure(path: path, problems: [syntaxProblem(e)])
        }
        guard let doc else {
            if let node = try? Yams.compose(yaml: text) {
                throw Failure(path: path, problems: [Problem(line: node.mark?.line, message: "expected a mapping of keys (`key: value` lines), found a \(kind(node))")])
            }
            return nil
        }
        var found: [Problem] = []
        for key in doc.order[""] ?? [] where !allowed.contains(key) {
            found.append(Problem(line: doc.lines[key], message: unknown(key, allowed: allowed, section: nil)))
        }
        for (section, keys) in sections.sorted(by: { $0.key < $1.key }) {
            switch doc.mapping[section] {
            case is [String: Any]:
                for key in doc.order[section] ?? [] where !keys.contains(key) {
                    found.append(Problem(line: doc.lines["\(section).\(key)"], message: unknown(key, allowed: keys, section: section)))
                }
            case let list as [Any]:
                for (i, item) in list.enumerated() {
                    let itemPath = "\(section).\(i)"
                    guard item is [String: Any] else {
                        found.append(Problem(line: doc.lines[itemPath], message: "entry \(i + 1) of \(section) is not a mapping"))
                        continue
                    }
                    for key in doc.order[itemPath] ?? [] where !keys.contains(key) {
                        found.append(Problem(line: doc.lines["\(itemPath).\(key)"],
                                             message: "entry \(i + 1): " + unknown(key, allowed: keys, section: nil)))
                    }
                }
            default:
                break
            }
        }
        if !found.isEmpty {
            throw Failure(path: path, problems: found.sorted { ($0.line ?? .max) < ($1.line ?? .max) })
        }
        return doc
    }

    /// Decodes `text` as `T`; a wrong type or value names the key, its line and what it wants
    /// (`line 4: 'hours' wants a number (got 'ten')`) instead of Swift's `DecodingError`.
    public static func decode<T: Decodable>(_ type: T.Type, text: String, path: String, document: SafeYAML.Document?) throws -> T {
        do { return try YAMLDecoder().decode(T.self, from: text) } catch let e as DecodingError {
            throw Failure(path: path, problems: [problem(e, document: document)])
        } catch let e as YamlError {
            throw Failure(path: path, problems: [syntaxProblem(e)])
        } catch let e as Failure {
            throw e
        } catch {
            throw Failure(path: path, problems: [Problem(line: nil, message: "\(error)")])
        }
    }

    static func kind(_ node: Node) -> String {
        switch node {
        case .scalar: "single value"
        case .sequence: "list"
        case .mapping: "mapping"
        case .alias: "alias"
        }
    }

    static func syntaxProblem(_ e: YamlError) -> Problem {
        switch e {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            return Problem(line: mark.line, message: "not valid YAML: \(context?.description ?? "")\(problem) (column \(mark.column))")
        default:
            return Problem(line: nil, message: "not valid YAML: \(e)")
        }
    }

    static func problem(_ e: DecodingError, document: SafeYAML.Document?) -> Problem {
        func keyPath(_ c: [any CodingKey]) -> [String] { c.map { $0.intValue.map(String.init) ?? $0.stringValue } }
        func name(_ path: [String]) -> String {
            // `models.0.id` reads better as `id` of entry 1 of models.
            guard let last = path.last else { return "the document" }
            if let i = Int(last) { return "entry \(i + 1) of '\(path.dropLast().joined(separator: "."))'" }
            // `models.0.instruct` reads as `'instruct' in entry 1 of 'models'`.
            if let at = path.lastIndex(where: { Int($0) != nil }), let i = Int(path[at]) {
                return "'\(path[(at + 1)...].joined(separator: "."))' in entry \(i + 1) of '\(path[..<at].joined(separator: "."))'"
            }
            return "'\(path.joined(separator: "."))'"
        }
        func got(_ path: [String]) -> String {
            var v: Any? = document?.mapping
            for k in path {
                if let m = v as? [String: Any] { v = m[k] } else if let l = v as? [Any], let i = Int(k), l.indices.contains(i) { v = l[i] } else { return "" }
            }
            guard let v else { return "" }
            switch v {
            case is [String: Any]: return " (got a mapping)"
            case is [Any]: return " (got a list)"
            default: return " (got '\(v)')"
            }
        }
        switch e {
        case let .typeMismatch(t, c):
            let p = keyPath(c.codingPath)
            return Problem(line: document?.line(of: p), message: "\(name(p)) wants \(describe(t))\(got(p))")
        case let .valueNotFound(t, c):
            let p = keyPath(c.codingPath)
            return Problem(line: document?.line(of: p), message: "\(name(p)) has no value; it wants \(describe(t))")
        case let .keyNotFound(k, c):
            let p = keyPath(c.codingPath)
            let place = p.isEmpty ? "" : " in \(p.joined(separator: "."))"
            return Problem(line: document?.line(of: p), message: "the required key '\(k.stringValue)' is missing\(place)")
        case let .dataCorrupted(c):
            let p = keyPath(c.codingPath)
            return Problem(line: document?.line(of: p), message: "\(name(p)): \(c.debugDescription)")
        @unknown default:
            return Problem(line: nil, message: "\(e)")
        }
    }

    static func describe(_ t: Any.Type) -> String {
        switch t {
        case is Double.Type, is Float.Type: "a number"
        case is Int.Type: "a whole number"
        case is Bool.Type: "true or false"
        case is String.Type: "text"
        default:
            // Yams names its node kinds (`Sequence`, `Mapping`) where Swift's types are generic.
            if "\(t)".hasPrefix("Array") || "\(t)" == "Sequence" { "a list" } else if "\(t)".hasPrefix("Dictionary") || "\(t)" == "Mapping" { "a mapping" } else { "\(t)" }
        }
    }

    static func unknown(_ key: String, allowed: [String], section: String?) -> String {
        let place = section.map { " in \($0)" } ?? ""
        if let s = suggestion(for: key, among: allowed) { return "unknown key '\(key)'\(place) (did you mean '\(s)'?)" }
        return "unknown key '\(key)'\(place)"
    }

    /// The allowed key nearest to `key` by edit distance, if it is close (a typo or a plural).
    public static func suggestion(for key: String, among allowed: [String]) -> String? {
        let scored = allowed.map { ($0, distance(key.lowercased(), $0)) }.min { $0.1 < $1.1 }
        guard let (best, d) = scored, d <= max(2, key.count / 4) else { return nil }
        return best
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var prev = Array(0...y.count)
        for i in 1...x.count {
            var cur = [i] + Array(repeating: 0, count: y.count)
            for j in 1...y.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[y.count]
    }
}
