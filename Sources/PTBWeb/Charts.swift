import CPTBText
import Foundation
import PTBCore

/// Dependency-free SVG line charts whose x axis is elapsed time (h:mm ticks) or a step count.
public enum LineChart {
    public struct Series: Sendable, Codable, Equatable {
        public var name: String
        public var color: String
        public var points: [[Double]]
        public init(name: String, color: String, points: [(Double, Double)]) {
            self.name = name
            self.color = color
            self.points = points.map { [$0.0, $0.1] }
        }
    }

    public enum XAxis: Sendable { case elapsed, steps }

    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

    /// "h:mm" of elapsed seconds.
    public static func hmm(_ seconds: Double) -> String {
        let m = Int((seconds / 60).rounded())
        return String(format: "%d:%02d", m / 60, m % 60)
    }

    /// Tick positions for `0...span`: round steps (minutes to hours for time), at most ~7 ticks.
    public static func ticks(span: Double, axis: XAxis) -> [Double] {
        guard span > 0, span.isFinite else { return [0] }
        let candidates: [Double] = axis == .elapsed
            ? [60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400]
            : (-3...12).flatMap { e in [1.0, 2, 5].map { $0 * pow(10, Double(e)) } }
        let step = candidates.first { span / $0 <= 7 } ?? span / 6
        return stride(from: 0, through: span, by: step).map { $0 }
    }

    static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    /// A chart with a title that fits (wrapped to the chart's width), a legend under the plot,
    /// and axes labelled in h:mm (elapsed) or steps.
    /// `scatter` draws points instead of lines; `xLabel` overrides the axis caption.
    public static func svg(title: String, series: [Series], xAxis: XAxis, yLabel: String, yRange: ClosedRange<Double>? = nil,
                           width: Double = 760, cssClass: String = "chart", scatter: Bool = false, xLabel: String? = nil) -> String {
        let left = 56.0, right = 16.0, plotW = width - left - right, plotH = 200.0
        let titleLines = wrap(title, chars: Int(width / 7))
        let top = 8 + Double(titleLines.count) * 16
        let legendRows = (series.count + 2) / 3
        let height = top + plotH + 40 + Double(legendRows) * 16
        let xs = series.flatMap { $0.points.map { $0[0] } }, ys = series.flatMap { $0.points.map { $0[1] } }
        let x0 = xAxis == .elapsed || scatter ? 0 : (xs.min() ?? 0), x1 = max(xs.max() ?? 1, x0 + (xAxis == .elapsed ? 60 : 1))
        var y0 = yRange?.lowerBound ?? (ys.min() ?? 0), y1 = yRange?.upperBound ?? (ys.max() ?? 1)
        if y1 - y0 < 1e-9 { y0 -= 0.5; y1 += 0.5 }
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * plotW }
        func py(_ y: Double) -> Double { top + plotH - (y - y0) / (y1 - y0) * plotH }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"\(HTML.esc(cssClass))\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-size=\"11\" font-family=\"sans-serif\">"
        for (i, line) in titleLines.enumerated() {
            s += "<text x=\"\(Int(width / 2))\" y=\"\(18 + i * 16)\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">\(HTML.esc(line))</text>"
        }
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"#fff\" stroke=\"#ccc\"/>"
        for k in 0...4 {
            let v = y0 + Double(k) / 4 * (y1 - y0), y = py(v)
            s += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + plotW))\" y2=\"\(f(y))\" stroke=\"#eee\"/>"
            s += "<text x=\"\(f(left - 4))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(HTML.esc(number(v)))</text>"
        }
        s += "<text x=\"12\" y=\"\(f(top + plotH / 2))\" transform=\"rotate(-90 12 \(f(top + plotH / 2)))\" text-anchor=\"middle\">\(HTML.esc(yLabel))</text>"
        for t in ticks(span: x1 - x0, axis: xAxis) {
            let x = px(x0 + t)
            s += "<line x1=\"\(f(x))\" y1=\"\(f(top + plotH))\" x2=\"\(f(x))\" y2=\"\(f(top + plotH + 4))\" stroke=\"#888\"/>"
            s += "<text class=\"tick\" x=\"\(f(x))\" y=\"\(f(top + plotH + 16))\" text-anchor=\"middle\">\(HTML.esc(xAxis == .elapsed ? hmm(t) : number(x0 + t)))</text>"
        }
        s += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(top + plotH + 30))\" text-anchor=\"middle\" fill=\"#555\">\(HTML.esc(xLabel ?? (xAxis == .elapsed ? "elapsed (h:mm)" : "step")))</text>"
        for (i, ser) in series.enumerated() {
            let pts = ser.points.map { "\(f(px($0[0]))),\(f(py(min(y1, max(y0, $0[1])))))" }
            if scatter {
                for p in ser.points {
                    s += "<circle cx=\"\(f(px(p[0])))\" cy=\"\(f(py(min(y1, max(y0, p[1])))))\" r=\"3\" fill=\"\(HTML.esc(ser.color))\" fill-opacity=\"0.7\"/>"
                }
            } else if pts.count == 1 {
                s += "<circle cx=\"\(f(px(ser.points[0][0])))\" cy=\"\(f(py(ser.points[0][1])))\" r=\"3\" fill=\"\(HTML.esc(ser.color))\"/>"
            } else if !pts.isEmpty {
                s += "<polyline fill=\"none\" stroke=\"\(HTML.esc(ser.color))\" stroke-width=\"1.5\" points=\"\(pts.joined(separator: " "))\"/>"
            }
            let lx = left + Double(i % 3) * (plotW / 3), ly = top + plotH + 38 + Double(i / 3) * 16
            s += "<rect x=\"\(f(lx))\" y=\"\(f(ly))\" width=\"10\" height=\"10\" fill=\"\(HTML.esc(ser.color))\"/>"
            s += "<text x=\"\(f(lx + 14))\" y=\"\(f(ly + 9))\">\(HTML.esc(String(ser.name.prefix(Int(plotW / 3 / 6.5)))))</text>"
        }
        if series.allSatisfy({ $0.points.isEmpty }) { s += "<text x=\"\(f(left + 10))\" y=\"\(f(top + 20))\">no data</text>" }
        return s + "</svg>"
    }

    static func number(_ v: Double) -> String {
        let a = abs(v)
        if v == v.rounded() || a >= 100 { return String(format: "%.0f", v) }
        var t = String(format: a >= 1 ? "%.2f" : "%.3f", v)
        while t.hasSuffix("0") { t.removeLast() }
        return t
    }

    /// Greedy word wrap.
    static func wrap(_ text: String, chars: Int) -> [String] {
        var lines: [String] = [], cur = ""
        for w in text.split(separator: " ") {
            if !cur.isEmpty, cur.count + 1 + w.count > chars { lines.append(cur); cur = "" }
            cur += (cur.isEmpty ? "" : " ") + w
        }
        if !cur.isEmpty { lines.append(cur) }
        return lines.isEmpty ? [""] : lines
    }

    /// At most `max` points, evenly spaced (first and last kept).
    public static func thin(_ pts: [(Double, Double)], max: Int = 600) -> [(Double, Double)] {
        guard pts.count > max, max > 1 else { return pts }
        return (0..<max).map { pts[Int((Double($0) / Double(max - 1) * Double(pts.count - 1)).rounded())] }
    }
}

/// Training loss read from a trace ("step N … loss X"), scanned incrementally: a growing trace is
/// read from where the last scan stopped (at a line end).
public enum LossCurve {
    public struct Scan: Sendable {
        public var offset: UInt64 = 0
        /// Step → loss; the last value seen for a step wins.
        public var points: [Int: Double] = [:]
        public var sorted: [(Double, Double)] { points.keys.sorted().map { (Double($0), points[$0]!) } }
    }

    public static func update(_ scan: Scan, file: URL) -> Scan {
        var s = scan
        guard let h = try? FileHandle(forReadingFrom: file) else { return s }
        defer { try? h.close() }
        guard let end = try? h.seekToEnd() else { return s }
        if end < s.offset { s = Scan() }
        var at = s.offset
        let chunk: UInt64 = 16 << 20
        while at < end {
            try? h.seek(toOffset: at)
            guard let data = try? h.read(upToCount: Int(min(chunk, end - at))), !data.isEmpty else { break }
            // Only whole lines: a line being written is read again next time.
            let lineEnd = data.lastIndex(of: 0x0A).map { $0 - data.startIndex + 1 } ?? 0
            let usable = lineEnd > 0 ? lineEnd : (UInt64(data.count) == chunk ? data.count : 0)
            guard usable > 0 else { break }
            let cap = max(16, usable / 16)
            var steps = [Int](repeating: 0, count: cap), losses = [Double](repeating: 0, count: cap)
            let n = data.withUnsafeBytes { raw in
                steps.withUnsafeMutableBufferPointer { sp in
                    losses.withUnsafeMutableBufferPointer { lp in
                        ptb_scan_loss(raw.bindMemory(to: UInt8.self).baseAddress, usable, sp.baseAddress, lp.baseAddress, cap)
                    }
                }
            }
            for i in 0..<n { s.points[steps[i]] = losses[i] }
            at += UInt64(usable)
        }
        s.offset = at
        return s
    }
}
