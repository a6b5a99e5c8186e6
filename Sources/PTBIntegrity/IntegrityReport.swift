import Foundation
import PTBCore

/// `integrity.json`: every check says whether it **ran** and what it **found**, so "the judge did
/// not run" is never read as "clean".
public struct IntegrityReport: Codable, Sendable, Equatable {
    public struct Check: Codable, Sendable, Equatable {
        public var name: String
        /// A required check that did not run (or gave no valid verdict) flags the run under the
        /// policies `ptb` and `original` (there only for the judges).
        public var required: Bool
        public var ran: Bool
        /// `clean`, `flagged`, `not run` or `invalid`.
        public var verdict: String
        public var evidence: [String]
        /// A finding under a rule of ptb's own that the original does not enforce (a late
        /// submission): policy `original` reports it; `ptb`, `flags-only` and `strict` count it.
        public var ptbRule: Bool?
        public init(name: String, required: Bool, ran: Bool, verdict: String, evidence: [String], ptbRule: Bool? = nil) {
            self.name = name
            self.required = required
            self.ran = ran
            self.verdict = verdict
            self.evidence = evidence
            self.ptbRule = ptbRule
        }

        public static func clean(_ name: String, required: Bool = true, _ evidence: [String] = []) -> Check {
            Check(name: name, required: required, ran: true, verdict: "clean", evidence: evidence)
        }
        public static func flagged(_ name: String, required: Bool = true, _ evidence: [String]) -> Check {
            Check(name: name, required: required, ran: true, verdict: "flagged", evidence: evidence)
        }
        public static func notRun(_ name: String, required: Bool, _ why: String) -> Check {
            Check(name: name, required: required, ran: false, verdict: "not run", evidence: [why])
        }
        public static func invalid(_ name: String, required: Bool, _ why: String) -> Check {
            Check(name: name, required: required, ran: true, verdict: "invalid", evidence: [why])
        }
    }

    public var schemaVersion: Int
    public var policy: IntegrityPolicy
    public var checks: [Check]
    /// Under the policy: the run's score is replaced by the base model's in aggregation (the raw
    /// score stays in result.json).
    public var flagged: Bool
    /// Why it is flagged, one line per reason.
    public var reasons: [String]
    public var checkedAt: String?

    public init(policy: IntegrityPolicy, checks: [Check], checkedAt: String? = nil) {
        schemaVersion = 2
        self.policy = policy
        self.checks = checks
        self.reasons = policy.reasons(checks)
        self.flagged = !reasons.isEmpty
        self.checkedAt = checkedAt
    }

    enum CodingKeys: String, CodingKey { case schemaVersion, policy, checks, flagged, reasons, checkedAt }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try c.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? 1
        // A report from before policies were recorded counted every check, as `ptb` does now.
        policy = try c.decodeIfPresent(IntegrityPolicy.self, forKey: .policy) ?? .ptb
        checks = try c.decode([Check].self, forKey: .checks)
        reasons = try c.decodeIfPresent([String].self, forKey: .reasons) ?? policy.reasons(checks)
        flagged = try c.decodeIfPresent(Bool.self, forKey: .flagged) ?? !reasons.isEmpty
        checkedAt = try c.decodeIfPresent(String.self, forKey: .checkedAt)
    }

    public func check(_ name: String) -> Check? { checks.first { $0.name == name } }
}

/// How `IntegrityPolicy` (PTBCore, a run option) turns checks into reasons for the fallback.
extension IntegrityPolicy {
    public func reasons(_ checks: [IntegrityReport.Check]) -> [String] {
        guard self != .report else { return [] }
        var out: [String] = []
        for c in checks where self != .original || c.isJudge {
            switch c.verdict {
            case "clean": continue
            case "flagged" where c.ptbRule == true && !enforcesPTBRules: continue
            case "flagged": out.append("\(c.name): flagged (\(c.evidence.prefix(3).joined(separator: "; ")))")
            default:
                let required = self == .strict || ((self == .original || self == .ptb) && c.required)
                if required { out.append("\(c.name): required check \(c.verdict) (\(c.evidence.first ?? "no reason recorded"))") }
            }
        }
        return out
    }
}

extension IntegrityReport.Check {
    /// The prefix of an LLM judge's check name (`llm-judge:<agent>`).
    public static let judgePrefix = "llm-judge:"
    /// An LLM judge's verdict: the only kind of check the original's policy counts.
    public var isJudge: Bool { name.hasPrefix(Self.judgePrefix) }
}
