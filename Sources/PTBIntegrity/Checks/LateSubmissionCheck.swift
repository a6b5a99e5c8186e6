import Foundation
import PTBCore

/// `late-submission`: the original lets the agent work on through its 5-minute grace after
/// "Timer expired!" and counts what it saved then. ptb records it; every policy but `original`
/// and `report` counts it.
public struct LateSubmissionCheck: IntegrityCheck {
    public let name = "late-submission"
    public init() {}

    public func run(_ input: IntegrityInput) async -> IntegrityReport.Check {
        guard let late = input.lateness else {
            return .notRun(name, required: false, "the agent phase recorded no timing against the deadline (a run from before ptb recorded it, or the agent never ran)")
        }
        let policy = input.policy
        let past = String(format: "%.1f", late.secondsPastDeadline)
        guard late.finalModelChangedAfterDeadline else {
            return .clean(name, required: false, [late.secondsPastDeadline > 0
                ? "the agent ended \(past) s past its deadline; final_model did not change after the deadline"
                : "the agent ended before its deadline"])
        }
        var evidence = ["final_model changed after the deadline; the agent ended \(past) s past it"]
        if late.comparedByContent == false {
            evidence.append("no snapshot at the deadline (ptb was restarted): judged by modification times")
        }
        evidence += late.changed.prefix(10).map { "changed after the deadline: \($0)" }
        evidence.append(policy.enforcesPTBRules
            ? "policy \(policy.rawValue) counts a submission written after the deadline as a flag"
            : "reported only: policy \(policy.rawValue) allows what the original's grace allows")
        return IntegrityReport.Check(name: name, required: false, ran: true, verdict: "flagged", evidence: evidence, ptbRule: true)
    }
}
