import Foundation

/// `monitor.jsonl` as an inline SVG line chart: memory, disk and GPU utilisation in percent, and
/// the 1-minute load scaled to its maximum. At most `maxPoints` samples are read (evenly spaced),
/// so a long run's chart costs the same as a short one's.
public enum MonitorChart {
    public struct Series: Sendable {
        public var name: String
        public var color: String
        public var values: [Double?]
    }

    public static func series(lines: [String]) -> (times: [String], series: [Series]) {
        var times: [String] = []
        var mem: [Double?] = [], disk: [Double?] = [], gpu: [Double?] = [], gmem: [Double?] = [], load: [Double?] = []
        for line in lines {
            guard let d = line.data(using: .utf8), let o = (try? JSONSerialization.jsonObject(with: d)) as? [String: Any] else { continue }
            func num(_ k: String) -> Double? { (o[k] as? NSNumber)?.doubleValue }
            times.append(o["ts"] as? String ?? "")
            if let t = num("memTotalMiB"), let a = num("memAvailableMiB"), t > 0 { mem.append((t - a) / t * 100) } else { mem.append(nil) }
            if let t = num("diskTotalGiB"), let f = num("diskFreeGiB"), t > 0 { disk.append((t - f) / t * 100) } else { disk.append(nil) }
            let gpus = o["gpus"] as? [[String: Any]] ?? []
            let util = gpus.compactMap { ($0["utilization"] as? NSNumber)?.doubleValue }
            gpu.append(util.isEmpty ? nil : util.reduce(0, +) / Double(util.count))
            let gm = gpus.compactMap { g -> Double? in
                guard let u = (g["memoryUsedMiB"] as? NSNumber)?.doubleValue, let t = (g["memoryTotalMiB"] as? NSNumber)?.doubleValue, t > 0 else { return nil }
                return u / t * 100
            }
            gmem.append(gm.isEmpty ? nil : gm.reduce(0, +) / Double(gm.count))
            load.append(num("load1"))
        }
        let maxLoad = load.compactMap { $0 }.max() ?? 0
        let loadPct = load.map { v in v.map { maxLoad > 0 ? $0 / maxLoad * 100 : 0 } }
        let all = [Series(name: "GPU util % (mean)", color: "#2ca02c", values: gpu),
                   Series(name: "GPU memory %", color: "#9467bd", values: gmem),
                   Series(name: "memory used %", color: "#1f77b4", values: mem),
                   Series(name: "disk used %", color: "#8c564b", values: disk),
                   Series(name: String(format: "load1 (%% of max %.2f)", maxLoad), color: "#ff7f0e", values: loadPct)]
        return (times, all.filter { $0.values.contains { $0 != nil } })
    }

    public static func svg(lines: [String]) -> String {
        let (times, series) = series(lines: lines)
        let w = 760.0, h = 240.0, left = 40.0, top = 14.0, plotW = 540.0, plotH = 190.0
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"monitor\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" font-size=\"10\" font-family=\"sans-serif\">"
        s += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotW)\" height=\"\(plotH)\" fill=\"#fff\" stroke=\"#ccc\"/>"
        for k in 0...4 {
            let y = top + plotH - Double(k) / 4 * plotH
            s += "<line x1=\"\(left)\" y1=\"\(f(y))\" x2=\"\(left + plotW)\" y2=\"\(f(y))\" stroke=\"#eee\"/><text x=\"\(left - 4)\" y=\"\(f(y + 3))\" text-anchor=\"end\">\(k * 25)</text>"
        }
        let n = times.count
        for (i, ser) in series.enumerated() {
            var pts: [String] = []
            for (j, v) in ser.values.enumerated() {
                guard let v else { continue }
                let x = left + (n > 1 ? Double(j) / Double(n - 1) : 0.5) * plotW
                let y = top + plotH - min(100, max(0, v)) / 100 * plotH
                pts.append("\(f(x)),\(f(y))")
            }
            s += "<polyline fill=\"none\" stroke=\"\(ser.color)\" stroke-width=\"1.5\" points=\"\(pts.joined(separator: " "))\"/>"
            s += "<rect x=\"\(left + plotW + 12)\" y=\"\(f(top + Double(i) * 16))\" width=\"10\" height=\"10\" fill=\"\(ser.color)\"/>"
            s += "<text x=\"\(left + plotW + 26)\" y=\"\(f(top + Double(i) * 16 + 9))\">\(HTML.esc(ser.name))</text>"
        }
        if let first = times.first, let last = times.last {
            s += "<text x=\"\(left)\" y=\"\(top + plotH + 14)\">\(HTML.esc(first))</text>"
            s += "<text x=\"\(left + plotW)\" y=\"\(top + plotH + 14)\" text-anchor=\"end\">\(HTML.esc(last))</text>"
        }
        if series.isEmpty { s += "<text x=\"\(left + 10)\" y=\"\(top + 20)\">no samples</text>" }
        return s + "</svg>"
    }

    static func f(_ x: Double) -> String { String(format: "%.1f", x) }
}
