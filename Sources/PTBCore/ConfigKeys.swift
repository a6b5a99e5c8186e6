/// Keys of a YAML mapping that a config format does not know. A typo (`eval_limt`, `seed` for
/// `seeds`) silently falling back to a default is how a 10-hour cluster run does the wrong thing,
/// so every ptb config file refuses unknown keys, naming the closest known one.
public enum ConfigKeys {
    /// "unknown key 'eval_limt' (did you mean 'eval_limit'?)" per unknown key, in file order; empty when all are known.
    public static func problems(_ keys: [String], allowed: [String], section: String? = nil) -> [String] {
        let known = Set(allowed)
        return keys.filter { !known.contains($0) }.map { key in
            let place = section.map { " in \($0)" } ?? ""
            if let s = suggestion(for: key, among: allowed) { return "unknown key '\(key)'\(place) (did you mean '\(s)'?)" }
            return "unknown key '\(key)'\(place)"
        }
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
