import Foundation
import PTBCore

/// The auxiliary files of a run, read leniently: the web UI shows what is there and says what is
/// not, and a newer ptb adding fields to these files must not break it.
public enum RunFiles {
    public struct IntegrityCheck: Sendable, Equatable, Codable {
        public var name: String
        /// nil in reports written before checks were marked required or optional.
        public var required: Bool?
        public var ran: Bool
        public var verdict: String
        public var evidence: [String]
    }

    public struct Integrity: Sendable, Codable {
        public var checks: [IntegrityCheck]
        /// The file's own verdict under its policy; older reports without one: any check not clean.
        public var flagged: Bool
        public var policy: String?
        public var reasons: [String]
        /// The whole file pretty-printed: fields this page does not know are still visible.
        public var raw: String
    }

    static func object(_ url: URL) -> [String: Any]? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    static func pretty(_ obj: Any) -> String {
        guard let d = try? JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) else { return "" }
        return String(decoding: d, as: UTF8.self)
    }

    public static func integrity(_ p: RunPaths) -> Integrity? {
        guard let o = object(p.integrity) else { return nil }
        let checks = (o["checks"] as? [[String: Any]] ?? []).map { c in
            IntegrityCheck(name: c["name"] as? String ?? "?", required: c["required"] as? Bool, ran: c["ran"] as? Bool ?? false,
                           verdict: c["verdict"] as? String ?? "?", evidence: (c["evidence"] as? [Any] ?? []).map { ($0 as? String) ?? pretty($0) })
        }
        let flagged = o["flagged"] as? Bool ?? checks.contains { !$0.ran || $0.verdict != "clean" }
        return Integrity(checks: checks, flagged: flagged, policy: o["policy"] as? String,
                         reasons: (o["reasons"] as? [Any] ?? []).map { ($0 as? String) ?? pretty($0) }, raw: pretty(o))
    }

    /// `usage.json` (the agent's tokens and cost, from its trace).
    public struct Usage: Sendable, Equatable, Codable {
        public var input: Int
        public var cached: Int
        public var output: Int
        public var reasoning: Int
        public var reportedCostUSD: Double?
        public var estimatedCostUSD: Double?
        public var toolCalls: Int?
        public var model: String?
    }

    public static func usage(_ p: RunPaths) -> Usage? {
        guard let o = object(p.usage) else { return nil }
        let u = o["usage"] as? [String: Any] ?? [:]
        func int(_ k: String) -> Int { (u[k] as? NSNumber)?.intValue ?? 0 }
        return Usage(input: int("input"), cached: int("cached"), output: int("output"), reasoning: int("reasoning"),
                     reportedCostUSD: (JSONKeys.value(o, "reportedCostUSD") as? NSNumber)?.doubleValue,
                     estimatedCostUSD: (JSONKeys.value(o, "estimatedCostUSD") as? NSNumber)?.doubleValue,
                     toolCalls: (JSONKeys.value(o, "toolCalls") as? NSNumber)?.intValue, model: o["model"] as? String)
    }

    /// `eval/<which>/metrics.json`, as its keys say.
    public static func metrics(_ dir: URL) -> [String: Any]? { object(dir.appendingPathComponent("metrics.json")) }
}
