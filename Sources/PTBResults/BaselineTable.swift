import Foundation

/// Zero-shot scores per model × benchmark (fractions in [0,1]): the values a cell falls back to.
public struct BaselineTable: Sendable, Equatable, Codable {
    /// model key → benchmark → fraction.
    public var values: [String: [String: Double]]

    public init(values: [String: [String: Double]] = [:]) { self.values = values }

    public func value(model: String, benchmark: String) -> Double? { values[model]?[benchmark] }

    public var models: [String] { values.keys.sorted() }

    public mutating func set(model: String, benchmark: String, _ v: Double) {
        values[model, default: [:]][benchmark] = v
    }

    /// `other` wins where both have a value.
    public func overlaying(_ other: BaselineTable) -> BaselineTable {
        var t = self
        for (m, row) in other.values { for (b, v) in row { t.set(model: m, benchmark: b, v) } }
        return t
    }

    /// Mean over `models` of the benchmark's values; nil if any model lacks it.
    public func mean(models: [String], benchmark: String) -> Double? {
        guard !models.isEmpty else { return nil }
        var sum = 0.0
        for m in models {
            guard let v = value(model: m, benchmark: benchmark) else { return nil }
            sum += v
        }
        return sum / Double(models.count)
    }

    /// The original's `aggregated_baseline.csv` format: `model,<benchmarks…>`, one row per model.
    public static func parseCSV(_ text: String, path: String) throws -> BaselineTable {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init),
              header.first == "model", header.count > 1 else {
            throw ResultsError.baselinesFile(path: path, reason: "the first line must be `model,<benchmark>,…`")
        }
        var table = BaselineTable()
        for (i, line) in lines.dropFirst().enumerated() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard cells.count == header.count else {
                throw ResultsError.baselinesFile(path: path, reason: "line \(i + 2) has \(cells.count) cells, the header \(header.count)")
            }
            for (b, cell) in zip(header.dropFirst(), cells.dropFirst()) where !cell.isEmpty {
                guard let v = Double(cell), v.isFinite else {
                    throw ResultsError.baselinesFile(path: path, reason: "line \(i + 2): '\(cell)' for \(b) is not a number")
                }
                table.set(model: cells[0], benchmark: b, v)
            }
        }
        return table
    }

    /// The published zero-shot table (`scripts/baselines.json["zeroshot"]` = website `aggregated_baseline.csv`).
    public static let published = BaselineTable(values: [
        "Qwen3-1.7B": row(0.26666666666666666, 0.5, 0.94, 0.3549107142857143, 0.8847611827141774, 0.44918867035528026, 0.6890243902439024),
        "Qwen3-1.7B-Base": row(0.0, 0.009142053445850914, 0.0, 0.140625, 0.12661106899166036, 0.07537565969807473, 0.07926829268292683),
        "Qwen3-4B": row(0.5333333333333333, 0.8683943089430894, 0.95, 0.44642857142857145, 0.9378316906747536, 0.5272399437524256, 0.774390243902439),
        "Qwen3-4B-Base": row(0.03333333333333333, 0.03417533432392273, 0.0, 0.13392857142857142, 0.4184988627748294, 0.13383521639663787, 0.36585365853658536),
        "SmolLM3-3B": row(0.26666666666666666, 0.492, 0.84, 0.3325892857142857, 0.8218347232752085, 0.2957717718639611, 0.7012195121951219),
        "SmolLM3-3B-Base": row(0.03333333333333333, 0.004225352112676056, 0.0, 0.049107142857142856, 0.21076573161485973, 0.0, 0.06097560975609756),
        "gemma-3-4b-it": row(0.1, 0.948, 0.67, 0.31473214285714285, 0.8354814253222138, 0.46063396051286026, 0.6951219512195121),
        "gemma-3-4b-pt": row(0.0, 0.0028530670470756064, 0.06, 0.015625, 0.06141015921152388, 0.17039403723633986, 0.006097560975609756),
    ])

    private static func row(_ v: Double...) -> [String: Double] {
        Dictionary(uniqueKeysWithValues: zip(PaperBenchmarks.ids, v))
    }
}
