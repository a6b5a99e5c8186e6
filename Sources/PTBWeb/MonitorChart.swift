import Foundation
import PTBCore

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

    /// Seconds from `start` (default: the first sample) for each ISO timestamp; nil where unreadable.
    public static func elapsed(_ times: [String], start: Date? = nil) -> [Double?] {
        let dates = times.map(parseISO)
        guard let t0 = start ?? dates.compactMap({ $0 }).first else { return times.map { _ in nil } }
        return dates.map { $0.map { $0.timeIntervalSince(t0) } }
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fff…]Z` read by hand: charts and the aligned traces parse thousands
    /// of stamps per page, and a formatter per stamp cost more than the rest of the page.
    /// Anything else (offsets other than Z) goes to the Foundation parser.
    static func parseISO(_ s: String) -> Date? {
        let u = Array(s.utf8)
        func num(_ a: Int, _ n: Int) -> Int? {
            guard a + n <= u.count else { return nil }
            var v = 0
            for i in a..<(a + n) {
                guard u[i] >= 48, u[i] <= 57 else { return nil }
                v = v * 10 + Int(u[i] - 48)
            }
            return v
        }
        guard u.count >= 20, u[4] == 45, u[7] == 45, u[10] == 84, u[13] == 58, u[16] == 58, u.last == 90,
              let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2), let sec = num(17, 2),
              (1...12).contains(mo), (1...31).contains(d) else { return Timestamps.parse(s) }
        var frac = 0.0
        if u[19] == 46 {
            var scale = 0.1
            for c in u[20..<(u.count - 1)] {
                guard c >= 48, c <= 57 else { return Timestamps.parse(s) }
                frac += Double(c - 48) * scale
                scale /= 10
            }
        } else if u.count != 20 {
            return Timestamps.parse(s)
        }
        // Days from the civil date (Howard Hinnant's algorithm), valid for the proleptic Gregorian calendar.
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Date(timeIntervalSince1970: Double(days * 86_400 + h * 3600 + mi * 60 + sec) + frac)
    }

    /// Percent series against elapsed time since `start` (default: the first sample), h:mm ticks.
    public static func svg(lines: [String], start: Date? = nil, title: String = "Resources over the run (monitor.jsonl)") -> String {
        let (times, series) = series(lines: lines)
        let xs = elapsed(times, start: start)
        let out = series.map { ser in
            LineChart.Series(name: ser.name, color: ser.color, points: zip(xs, ser.values).compactMap { x, v in
                guard let x, let v else { return nil }
                return (x, v)
            })
        }
        return LineChart.svg(title: title, series: out, xAxis: .elapsed, yLabel: "percent", yRange: 0...100, cssClass: "monitor")
    }

    static func f(_ x: Double) -> String { String(format: "%.1f", x) }
}
