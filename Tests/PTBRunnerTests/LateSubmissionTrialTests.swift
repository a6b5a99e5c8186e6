import Foundation
import Glibc
import PTBCore
import PTBIntegrity
@testable import PTBRunner
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

/// What counts as "final_model changed after the deadline", without a whole run.
@Suite struct ModelDirStateTests {
    func modelDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mds-\(UUID().uuidString)/final_model")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data("weights-v1".utf8).write(to: dir.appendingPathComponent("model.safetensors"))
        try Data("{}".utf8).write(to: dir.appendingPathComponent("config.json"))
        return dir
    }

    /// The evaluation broker hard-links final_model into its snapshot and removes the snapshot
    /// later; both bump every file's change time. That is ptb's doing, not a late submission
    /// (CI flagged the honest demo run this way when its evaluate.py call crossed the deadline).
    @Test func brokerHardLinksAfterTheDeadlineAreNoChange() throws {
        let dir = try modelDir()
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let atDeadline = ModelDirState.take(dir)
        let deadline = Date()
        usleep(20_000)
        let snap = dir.deletingLastPathComponent().appendingPathComponent("snapshot")
        try FileManager.default.createDirectory(at: snap, withIntermediateDirectories: true)
        for f in ["model.safetensors", "config.json"] {
            #expect(link(dir.appendingPathComponent(f).path, snap.appendingPathComponent(f).path) == 0)
        }
        try FileManager.default.removeItem(at: snap)
        let late = ModelDirState.lateness(exitedAt: Date(), deadline: deadline, atDeadline: atDeadline, now: { ModelDirState.take(dir) })
        #expect(!late.finalModelChangedAfterDeadline, "\(late.changed)")
        #expect(late.comparedByContent == true)
    }

    /// Rewriting a file and setting its modification time back is still a change.
    @Test func aRewriteWithTheOldModificationTimeIsAChange() throws {
        let dir = try modelDir()
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let weights = dir.appendingPathComponent("model.safetensors")
        let mtime = try FileManager.default.attributesOfItem(atPath: weights.path)[.modificationDate] as! Date
        let atDeadline = ModelDirState.take(dir)
        let deadline = Date()
        try Data("weights-v2".utf8).write(to: weights)
        try FileManager.default.setAttributes([.modificationDate: mtime], ofItemAtPath: weights.path)
        let late = ModelDirState.lateness(exitedAt: Date().addingTimeInterval(1), deadline: deadline, atDeadline: atDeadline,
                                          now: { ModelDirState.take(dir) })
        #expect(late.finalModelChangedAfterDeadline)
        #expect(late.changed == ["final_model/model.safetensors"])
        // An identical re-save (new inode, same bytes) is not a late submission.
        let again = ModelDirState.take(dir)
        try FileManager.default.removeItem(at: weights)
        try Data("weights-v2".utf8).write(to: weights)
        #expect(ModelDirState.take(dir).changes(since: again, deadline: deadline).isEmpty)
    }

    /// Ended in time: final_model is not even read again.
    @Test func inTimeReadsNothing() {
        let late = ModelDirState.lateness(exitedAt: Date(), deadline: Date().addingTimeInterval(60), atDeadline: nil,
                                          now: { Issue.record("read final_model after an in-time exit"); return ModelDirState(entries: [:]) })
        #expect(late.secondsPastDeadline == 0 && !late.finalModelChangedAfterDeadline && late.comparedByContent == nil)
    }
}
