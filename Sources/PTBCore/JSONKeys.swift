import Foundation

/// Every JSON file ptb writes uses camelCase keys (README "JSON files"); files written before
/// that rule used snake_case for some keys, and ptb keeps reading them through these lookups.
public enum JSONKeys {
    /// `reportedCostUSD` → `reported_cost_usd`, `modelHash` → `model_hash`.
    public static func snake(_ camel: String) -> String {
        let chars = Array(camel)
        var out = ""
        for (i, ch) in chars.enumerated() {
            if ch.isUppercase, i > 0 {
                let prev = chars[i - 1]
                let nextIsLower = i + 1 < chars.count && chars[i + 1].isLowercase
                if prev.isLowercase || prev.isNumber || (prev.isUppercase && nextIsLower) { out.append("_") }
            }
            out.append(contentsOf: ch.lowercased())
        }
        return out
    }

    /// The value under `camel`, else under its snake_case spelling (older files).
    public static func value(_ object: [String: Any], _ camel: String) -> Any? {
        if let v = object[camel], !(v is NSNull) { return v }
        let old = snake(camel)
        return old == camel ? nil : object[old].flatMap { $0 is NSNull ? nil : $0 }
    }
}
