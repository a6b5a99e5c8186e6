import Foundation

/// A minimal SVG writer: elements as strings, every text and attribute value escaped, numbers with
/// one decimal (C locale), so charts are deterministic and need no dependency.
public struct SVGCanvas: Sendable {
    public var width: Double
    public var height: Double
    private var elements: [String] = []

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    public mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String,
                              stroke: String? = nil, title: String? = nil) {
        var a = "x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(max(0, width)))\" height=\"\(n(max(0, height)))\" fill=\"\(Self.escape(fill))\""
        if let stroke { a += " stroke=\"\(Self.escape(stroke))\"" }
        if let title {
            elements.append("<rect \(a)><title>\(Self.escape(title))</title></rect>")
        } else {
            elements.append("<rect \(a)/>")
        }
    }

    public mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1, dashed: Bool = false) {
        elements.append("<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(Self.escape(stroke))\" stroke-width=\"\(n(width))\""
            + (dashed ? " stroke-dasharray=\"4 3\"" : "") + "/>")
    }

    public enum Anchor: String, Sendable { case start, middle, end }

    public mutating func text(_ s: String, x: Double, y: Double, anchor: Anchor = .start, size: Double = 12,
                              bold: Bool = false, fill: String = "#222") {
        elements.append("<text x=\"\(n(x))\" y=\"\(n(y))\" text-anchor=\"\(anchor.rawValue)\" font-size=\"\(n(size))\" fill=\"\(Self.escape(fill))\""
            + (bold ? " font-weight=\"bold\"" : "") + ">\(Self.escape(s))</text>")
    }

    public func render() -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"Helvetica, Arial, sans-serif\">\n"
        out += "<rect x=\"0\" y=\"0\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"#ffffff\"/>\n"
        for e in elements { out += e + "\n" }
        return out + "</svg>\n"
    }

    /// XML escaping for text and attribute values; control characters XML forbids are dropped.
    public static func escape(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out += " "
            default: if u.value >= 0x20 && u.value != 0xFFFE && u.value != 0xFFFF { out.unicodeScalars.append(u) }
            }
        }
        return out
    }

    private func n(_ x: Double) -> String { String(format: "%.1f", x) }
}
