import Foundation

/// Any JSON value, decoded without a schema: the CLIs' event streams change shape between versions,
/// so parsers read fields by name and keep whatever they do not understand.
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n):
            if n == n.rounded(), abs(n) < 1e15 { try c.encode(Int64(n)) } else { try c.encode(n) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// Parses one line; nil when it is not a JSON object (plain output, a CLI's warning).
    public static func object(line: String) -> [String: JSONValue]? {
        let t = line.trimmingCharacters(in: .whitespaces)
        guard t.hasPrefix("{"), let v = try? JSONDecoder().decode(JSONValue.self, from: Data(t.utf8)), case .object(let o) = v else { return nil }
        return o
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var double: Double? { if case .number(let n) = self { n } else { nil } }
    public var int: Int? { double.map { Int($0) } }
    public var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var array: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { o } else { nil } }

    /// Compact JSON with sorted keys (stable for golden tests).
    public var compact: String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: e.encode(self), as: UTF8.self)) ?? ""
    }

    /// A string as itself, anything else as compact JSON.
    public var text: String { string ?? compact }
}

/// Field access for stream parsers; public so that a scaffold's parser reads lines the same way
/// wherever it is defined.
extension Dictionary where Key == String, Value == JSONValue {
    public func str(_ k: String) -> String? { self[k]?.string }
    public func int(_ k: String) -> Int? { self[k]?.int }
    public func obj(_ k: String) -> [String: JSONValue]? { self[k]?.objectValue }
    public var compact: String { JSONValue.object(self).compact }
}
