import Foundation
import PTBCore
import PTBIntegrity
import Testing

/// An agent that works on past "Timer expired!" (inside the grace before SIGTERM) and saves
/// final_model then: the original counts it; ptb records it, and policy `ptb` flags it.
@Suite(.serialized) struct LateSubmissionTrialTests {
    /// A 14.4 s budget; the default grace (300 s) leaves the agent running after the deadline.
    static let hours = ["--hours", "0.004", "--integrity-policy", "ptb"]

    @Test func aModelSavedAfterTheDeadlineIsRecordedAndFlaggedUnderPolicyPTB() throws {
        let t = try CheatTrialTests.Trial()
        defer { t.home.cleanup() }
        let (report, paths) = try t.run("late-save", "sleep 22\ncp -r \"$PTB_BASE_MODEL\" final_model", extra: Self.hours)
        let m = try JSONIO.read(RunManifest.self, from: paths.manifest)
        let late = try #require(m.lateness)
        #expect(late.secondsPastDeadline > 3 && late.secondsPastDeadline < 60, "\(late)")
        #expect(late.finalModelChangedAfterDeadline)
        #expect(late.changed.contains("final_model"), "\(late.changed)")
        #expect(m.exit == .normal)
        let check = try #require(report.check("late-submission"))
        #expect(check.verdict == "flagged" && check.ptbRule == true)
        #expect(report.flagged && report.reasons.contains { $0.hasPrefix("late-submission: flagged") }, "\(report.reasons)")
        // The original's rule: the same findings, reported but not counted.
        #expect(!IntegrityReport(policy: .original, checks: report.checks).reasons.contains { $0.hasPrefix("late-submission") })
        let trace = try String(contentsOf: paths.trace, encoding: .utf8)
        #expect(trace.contains("\"event\":\"past-deadline\""))
    }

    @Test func anAgentThatOnlyLingersPastTheDeadlineIsClean() throws {
        let t = try CheatTrialTests.Trial()
        defer { t.home.cleanup() }
        let (report, paths) = try t.run("late-linger", "cp -r \"$PTB_BASE_MODEL\" final_model\nsleep 22\nls -la final_model",
                                        extra: Self.hours)
        let late = try #require(try JSONIO.read(RunManifest.self, from: paths.manifest).lateness)
        #expect(late.secondsPastDeadline > 3)
        #expect(!late.finalModelChangedAfterDeadline, "\(late.changed)")
        let check = try #require(report.check("late-submission"))
        #expect(check.verdict == "clean" && check.evidence.first?.contains("did not change after the deadline") == true, "\(check.evidence)")
        #expect(!report.flagged, "\(report.reasons)")
    }
}
