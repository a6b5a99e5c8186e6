import Foundation

/// A value as Python holds what `json.loads` or `ast.literal_eval` returned. The BFCL checkers
/// compare with Python's rules, which JSONSerialization would lose: `int` and `float` are
/// different types to `type(x) == float` yet `1 == 1.0`, `True == 1`, tuples are not lists, and
/// dict equality ignores key order.
public indirect enum PyValue: Sendable, CustomStringConvertible {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case list([PyValue])
    case tuple([PyValue])
    /// Keys in insertion order (Python dicts keep it); equality ignores it.
    case dict([(String, PyValue)])

    /// Python's `type(x).__name__`.
    public var typeName: String {
        switch self {
        case .none: "NoneType"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "str"
        case .list: "list"
        case .tuple: "tuple"
        case .dict: "dict"
        }
    }

    public subscript(key: String) -> PyValue? {
        if case .dict(let pairs) = self { return pairs.first { $0.0 == key }?.1 }
        return nil
    }

    public var dictPairs: [(String, PyValue)]? {
        if case .dict(let p) = self { return p }
        return nil
    }

    public var listItems: [PyValue]? {
        switch self {
        case .list(let xs), .tuple(let xs): xs
        default: nil
        }
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// `json.loads(json.dumps(x))`: tuples become lists.
    public var jsonRoundTripped: PyValue {
        switch self {
        case .tuple(let xs), .list(let xs): .list(xs.map(\.jsonRoundTripped))
        case .dict(let p): .dict(p.map { ($0.0, $0.1.jsonRoundTripped) })
        default: self
        }
    }

    /// Python's `==`. Numbers compare by value across bool/int/float; a list never equals a tuple.
    public static func pyEqual(_ a: PyValue, _ b: PyValue) -> Bool {
        if let x = a.number, let y = b.number { return x == y }
        switch (a, b) {
        case (.none, .none): return true
        case let (.string(x), .string(y)): return x == y
        case let (.list(x), .list(y)), let (.tuple(x), .tuple(y)):
            return x.count == y.count && zip(x, y).allSatisfy { pyEqual($0, $1) }
        case let (.dict(x), .dict(y)):
            guard x.count == y.count else { return false }
            return x.allSatisfy { k, v in y.first { $0.0 == k }.map { pyEqual(v, $0.1) } ?? false }
        default: return false
        }
    }

    /// `x in xs`.
    public func isIn(_ xs: [PyValue]) -> Bool { xs.contains { Self.pyEqual(self, $0) } }

    var number: Double? {
        switch self {
        case .bool(let b): b ? 1 : 0
        case .int(let i): Double(i)
        case .float(let d): d
        default: nil
        }
    }

    /// Python's `repr`, for error messages.
    public var description: String {
        switch self {
        case .none: "None"
        case .bool(let b): b ? "True" : "False"
        case .int(let i): String(i)
        case .float(let d): d.isNaN ? "nan" : d.isInfinite ? (d < 0 ? "-inf" : "inf") : PythonText.floatRepr(d)
        case .string(let s): "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
        case .list(let xs): "[" + xs.map(\.description).joined(separator: ", ") + "]"
        case .tuple(let xs): "(" + xs.map(\.description).joined(separator: ", ") + (xs.count == 1 ? ",)" : ")")
        case .dict(let p): "{" + p.map { "'\($0.0)': \($0.1.description)" }.joined(separator: ", ") + "}"
        }
    }

    /// JSON text as `json.dumps` writes it (`", "` and `": "` separators, non-ASCII escaped).
    public var json: String {
        switch self {
        case .none: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .float(let d):
            if d.isNaN { return "NaN" }
            if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
            return PythonText.floatRepr(d)
        case .string(let s): return Self.jsonString(s)
        case .list(let xs), .tuple(let xs): return "[" + xs.map(\.json).joined(separator: ", ") + "]"
        case .dict(let p): return "{" + p.map { Self.jsonString($0.0) + ": " + $0.1.json }.joined(separator: ", ") + "}"
        }
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if u.value < 0x20 || u.value > 0x7E {
                    for unit in String(u).utf16 { out += String(format: "\\u%04x", UInt32(unit)) }
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}

public struct PyParseError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var offset: Int
    public var description: String { "\(message) at character \(offset)" }
}

/// Parses JSON as Python's `json.loads` does (ints stay ints, `NaN`/`Infinity` accepted), and
/// Python literals as `ast.literal_eval` does for the subset BFCL ground truths use (quoted
/// strings, numbers with a sign, `True`/`False`/`None`, lists, tuples, dicts), plus the call
/// form `name(key=value, …)` of BFCL's executable ground truths.
public struct PyParser {
    enum Mode { case json, python }
    let s: [Unicode.Scalar]
    var i = 0
    let mode: Mode

    init(_ text: String, mode: Mode) {
        s = Array(text.unicodeScalars)
        self.mode = mode
    }

    /// `json.loads(text)`.
    public static func json(_ text: String) throws -> PyValue {
        var p = PyParser(text, mode: .json)
        let v = try p.value()
        p.skipSpace()
        guard p.i == p.s.count else { throw p.fail("Extra data") }
        return v
    }

    /// `ast.literal_eval(text)`.
    public static func literal(_ text: String) throws -> PyValue {
        var p = PyParser(text, mode: .python)
        let v = try p.value()
        p.skipSpace()
        guard p.i == p.s.count else { throw p.fail("unexpected text after the literal") }
        return v
    }

    /// `name(k=v, …)`: the function name and its keyword arguments in order.
    public static func call(_ text: String) throws -> (name: String, arguments: [(String, PyValue)]) {
        var p = PyParser(text, mode: .python)
        p.skipSpace()
        let name = p.identifier(dots: true)
        guard !name.isEmpty else { throw p.fail("expected a function name") }
        p.skipSpace()
        try p.expect("(")
        var args: [(String, PyValue)] = []
        p.skipSpace()
        while p.peek != ")" {
            let key = p.identifier(dots: false)
            guard !key.isEmpty else { throw p.fail("expected a keyword argument") }
            p.skipSpace()
            try p.expect("=")
            args.append((key, try p.value()))
            p.skipSpace()
            if p.peek == "," { p.i += 1; p.skipSpace() } else { break }
        }
        try p.expect(")")
        p.skipSpace()
        guard p.i == p.s.count else { throw p.fail("unexpected text after the call") }
        return (name, args)
    }

    var peek: Unicode.Scalar? { i < s.count ? s[i] : nil }

    func fail(_ m: String) -> PyParseError { PyParseError(message: m, offset: i) }

    mutating func skipSpace() {
        while let c = peek, c == " " || c == "\t" || c == "\n" || c == "\r" { i += 1 }
    }

    mutating func expect(_ c: Unicode.Scalar) throws {
        skipSpace()
        guard peek == c else { throw fail("expected '\(c)'") }
        i += 1
    }

    mutating func identifier(dots: Bool) -> String {
        var out = String.UnicodeScalarView()
        while let c = peek, c == "_" || (dots && c == ".") || CharacterSet.alphanumerics.contains(c) {
            out.append(c)
            i += 1
        }
        return String(out)
    }

    mutating func word(_ w: String) -> Bool {
        let ws = Array(w.unicodeScalars)
        guard i + ws.count <= s.count, Array(s[i..<(i + ws.count)]) == ws else { return false }
        i += ws.count
        return true
    }

    mutating func value() throws -> PyValue {
        skipSpace()
        guard let c = peek else { throw fail("Expecting value") }
        switch c {
        case "{": return try dict()
        case "[": return .list(try sequence(close: "]"))
        case "(" where mode == .python:
            let items = try sequence(close: ")", tuple: true)
            return .tuple(items)
        case "\"": return .string(try string(quote: "\""))
        case "'" where mode == .python: return .string(try string(quote: "'"))
        default: break
        }
        switch mode {
        case .json:
            if word("true") { return .bool(true) }
            if word("false") { return .bool(false) }
            if word("null") { return .none }
            if word("NaN") { return .float(.nan) }
            if word("Infinity") { return .float(.infinity) }
            if word("-Infinity") { return .float(-.infinity) }
        case .python:
            if word("True") { return .bool(true) }
            if word("False") { return .bool(false) }
            if word("None") { return .none }
        }
        return try number()
    }

    mutating func dict() throws -> PyValue {
        i += 1
        var pairs: [(String, PyValue)] = []
        skipSpace()
        if peek == "}" { i += 1; return .dict(pairs) }
        while true {
            skipSpace()
            let key: String
            switch (peek, mode) {
            case ("\"", _): key = try string(quote: "\"")
            case ("'", .python): key = try string(quote: "'")
            default: throw fail("Expecting property name enclosed in double quotes")
            }
            try expect(":")
            let v = try value()
            // A repeated key keeps its first position and the last value, as a Python dict does.
            if let at = pairs.firstIndex(where: { $0.0 == key }) { pairs[at].1 = v } else { pairs.append((key, v)) }
            skipSpace()
            if peek == "," {
                i += 1
                skipSpace()
                if mode == .python, peek == "}" { i += 1; return .dict(pairs) }
                continue
            }
            try expect("}")
            return .dict(pairs)
        }
    }

    mutating func sequence(close: Unicode.Scalar, tuple: Bool = false) throws -> [PyValue] {
        i += 1
        var items: [PyValue] = []
        skipSpace()
        if peek == close { i += 1; return items }
        while true {
            items.append(try value())
            skipSpace()
            if peek == "," {
                i += 1
                skipSpace()
                if mode == .python, peek == close { i += 1; return items }
                continue
            }
            try expect(close)
            if tuple, items.count == 1 { throw fail("a parenthesised value without a comma is not a tuple") }
            return items
        }
    }

    mutating func string(quote: Unicode.Scalar) throws -> String {
        i += 1
        var out = String.UnicodeScalarView()
        while true {
            guard let c = peek else { throw fail("Unterminated string") }
            i += 1
            if c == quote { return String(out) }
            if mode == .json, c.value < 0x20 { throw fail("Invalid control character") }
            guard c == "\\" else { out.append(c); continue }
            guard let e = peek else { throw fail("Unterminated string") }
            i += 1
            switch e {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "/" where mode == .json: out.append("/")
            case "\"", "\\": out.append(e)
            case "'" where mode == .python: out.append(e)
            case "u":
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code), peek == "\\", i + 1 < s.count, s[i + 1] == "u" {
                    let save = i
                    i += 2
                    let low = try hex4()
                    if (0xDC00..<0xE000).contains(low) { code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00) } else { i = save }
                }
                out.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default:
                if mode == .python { out.append("\\"); out.append(e) } else { throw fail("Invalid \\escape") }
            }
        }
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= s.count, let v = UInt32(String(String.UnicodeScalarView(s[i..<(i + 4)])), radix: 16) else {
            throw fail("Invalid \\uXXXX escape")
        }
        i += 4
        return v
    }

    mutating func number() throws -> PyValue {
        let start = i
        var sign = ""
        if peek == "-" || (mode == .python && peek == "+") { sign = peek == "-" ? "-" : ""; i += 1; skipSpaceIfPython() }
        let digitsStart = i
        var isFloat = false
        while let c = peek, ("0"..."9").contains(c) || c == "_" && mode == .python { i += 1 }
        if peek == "." { isFloat = true; i += 1; while let c = peek, ("0"..."9").contains(c) { i += 1 } }
        if peek == "e" || peek == "E" {
            isFloat = true
            i += 1
            if peek == "+" || peek == "-" { i += 1 }
            while let c = peek, ("0"..."9").contains(c) { i += 1 }
        }
        let body = String(String.UnicodeScalarView(s[digitsStart..<i])).replacingOccurrences(of: "_", with: "")
        guard !body.isEmpty, body != "." else { i = start; throw fail("Expecting value") }
        if mode == .json, body.count > 1, body.hasPrefix("0"), !body.hasPrefix("0.") && !body.hasPrefix("0e") && !body.hasPrefix("0E") {
            throw fail("Extra data")
        }
        if isFloat {
            guard let d = Double(sign + body) else { throw fail("invalid number") }
            return .float(d)
        }
        guard let n = Int(sign + body) else {
            // Beyond 64 bits: Python keeps an exact int; the nearest double is close enough to compare.
            guard let d = Double(sign + body) else { throw fail("invalid number") }
            return .float(d)
        }
        return .int(n)
    }

    mutating func skipSpaceIfPython() { if mode == .python { skipSpace() } }
}
