import Foundation
import PTBCore
import PTBIntegrity
import PTBTasks
import Testing

/// The `IntegrityCheck` seam: checks are plain functions of an `IntegrityInput`, so each runs
/// here on a hand-made run directory, without the runner.
@Suite struct IntegrityCheckTests {
    struct Run {
        let root: URL
        let paths: RunPaths
        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("ptb-check-\(UUID().uuidString)")
            paths = RunPaths(dir: root.appendingPathComponent("runs/r1"))
            try FileManager.default.createDirectory(at: paths.task, withIntermediateDirectories: true)
        }
        func input(lateness: Lateness? = nil, policy: IntegrityPolicy = .default, base: Result<URL, any Error> = .failure(PTBError.io("no base here"))) throws -> IntegrityInput {
            IntegrityInput(paths: paths, spec: RunSpec(task: "arith", model: "tiny", agent: "none"), lateness: lateness, policy: policy,
                           task: try TaskRegistry.lookup("arith"),
                           model: ModelInfo(id: "tiny", instruct: [], local: true, template: "none"),
                           home: PTBHome(root: root.appendingPathComponent("home")), environment: [:],
                           ptbExecutable: URL(fileURLWithPath: "/bin/true"), baseModel: base, references: [], cacheDownloads: [],
                           cacheLayer: paths.cacheLayer, sharedCache: nil, chatTemplateFixed: false, log: { _ in })
        }
        func cleanup() { try? FileManager.default.removeItem(at: root) }
    }

    /// A check is one type: this one, defined here, runs like the built-in ones.
    struct AlwaysFlags: IntegrityCheck {
        let name = "test-always-flags"
        func run(_ input: IntegrityInput) async -> IntegrityReport.Check { .flagged(name, ["run \(input.paths.id)"]) }
    }

    @Test func aCheckIsOneConformingType() async throws {
        let run = try Run()
        defer { run.cleanup() }
        let checks: [any IntegrityCheck] = [AlwaysFlags(), LateSubmissionCheck()]
        var results: [IntegrityReport.Check] = []
        for c in checks { results.append(await c.run(try run.input())) }
        #expect(results.map(\.name) == ["test-always-flags", "late-submission"])
        #expect(results[0].verdict == "flagged" && results[0].evidence == ["run r1"])
        let report = IntegrityReport(policy: .default, checks: results, checkedAt: "now")
        #expect(report.flagged)
    }

    @Test func submissionFilesTellsMissingFromUnreadableFromRefused() async throws {
        let run = try Run()
        defer { run.cleanup() }
        let check = SubmissionFilesCheck()
        let url = run.paths.dir.appendingPathComponent(SubmissionRecord.fileName)
        let missing = await check.run(try run.input())
        #expect(missing.verdict == "not run" && !missing.required)
        try "{\"state\": ".write(to: url, atomically: true, encoding: .utf8)
        let corrupt = await check.run(try run.input())
        #expect(corrupt.verdict == "not run" && corrupt.required, "an unreadable record is ptb's failure, not a pass: \(corrupt)")
        try JSONIO.write(SubmissionRecord(state: .invalidSubmission, reason: "final_model/x is a link to /etc/passwd"), to: url)
        let refused = await check.run(try run.input())
        #expect(refused.verdict == "flagged" && refused.evidence == ["final_model/x is a link to /etc/passwd"])
        try JSONIO.write(SubmissionRecord(state: .collected, files: 3, bytes: 10), to: url)
        let clean = await check.run(try run.input())
        #expect(clean.verdict == "clean" && clean.evidence == ["collected: 3 regular files inside the workspace"])
    }

    @Test func tamperFlagsAChangedProtectedFile() async throws {
        let run = try Run()
        defer { run.cleanup() }
        let evaluator = run.paths.task.appendingPathComponent("evaluate.py")
        try "print('ok')\n".write(to: evaluator, atomically: true, encoding: .utf8)
        #expect(await TamperCheck().run(try run.input()).verdict == "not run", "no protected.json: the prepare phase did not finish")
        try JSONIO.write(ProtectedFiles(files: ["task/evaluate.py": try Hashing.sha256(file: evaluator)]), to: run.paths.protected)
        #expect(await TamperCheck().run(try run.input()).verdict == "clean")
        try "print('hacked')\n".write(to: evaluator, atomically: true, encoding: .utf8)
        let tampered = await TamperCheck().run(try run.input())
        #expect(tampered.verdict == "flagged" && tampered.evidence == ["changed: task/evaluate.py"])
    }

    @Test func lateSubmissionCountsUnderPolicy() async throws {
        let run = try Run()
        defer { run.cleanup() }
        let late = Lateness(secondsPastDeadline: 12, finalModelChangedAfterDeadline: true, changed: ["final_model/model.safetensors"], comparedByContent: true)
        let check = LateSubmissionCheck()
        let strict = await check.run(try run.input(lateness: late, policy: .ptb))
        #expect(strict.verdict == "flagged")
        #expect(strict.evidence.contains("changed after the deadline: final_model/model.safetensors"))
        let inTime = await check.run(try run.input(lateness: Lateness(secondsPastDeadline: 0, finalModelChangedAfterDeadline: false, changed: [])))
        #expect(inTime.verdict == "clean")
        #expect(await check.run(try run.input()).verdict == "not run")
    }

    @Test func checksThatNeedTheBaseSayWhyItIsMissing() async throws {
        let run = try Run()
        defer { run.cleanup() }
        try FileManager.default.createDirectory(at: run.paths.finalModel, withIntermediateDirectories: true)
        for check in [ProvenanceCheck(), TokenizerModifiedCheck()] as [any IntegrityCheck] {
            let r = await check.run(try run.input())
            #expect(r.verdict == "not run" && r.required, "\(check.name): \(r)")
            #expect(r.evidence.first?.contains("no base here") == true, "\(r.evidence)")
        }
    }
}
