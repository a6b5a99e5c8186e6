import Foundation
import PTBCore
import PTBJobs
import Testing

@Suite struct StatusMergerTests {
    let m: SweepManifest
    let ids: [String]

    init() throws {
        var spec = goldenSpec()
        spec.seeds = [0, 1, 2, 3, 4, 5]
        var m = try SweepManifest(spec: spec, createdAt: Date())
        ids = m.runs.map(\.id)
        m.submissions = [Submission(number: 1, backend: .slurm, jobID: "50", runs: Array(ids.dropLast()), submittedAt: Date(), file: "", isRetry: false)]
        self.m = m
    }

    func manifest(_ id: String, outcome: RunOutcome, failure: String? = nil, exit: ExitClass? = nil, done: [Phase] = []) -> RunManifest {
        var r = RunManifest(id: id, spec: RunSpec(task: "gsm8k", model: "m", agent: "a"), createdAt: Date(), ptbVersion: "t")
        r.outcome = outcome
        r.failure = failure
        r.exit = exit
        for p in done { r[p].state = .done }
        return r
    }

    func row(_ rows: [SweepRunStatus], _ i: Int) -> SweepRunStatus { rows.first { $0.run.id == ids[i] }! }

    @Test func schedulerStateDecidesPendingAndRunningWithThePhase() {
        let rows = SweepStatusMerger.merge(
            manifest: m,
            scheduler: [ids[0]: .pending(reason: "Priority"), ids[1]: .running(node: "gpu1"), ids[2]: .held(reason: "x")],
            runManifests: [ids[1]: manifest(ids[1], outcome: .running, done: [.prepare])],
            attempts: [ids[1]: [AttemptRecord(event: "start", job: "50_1")]])
        #expect(row(rows, 0).state == .pending && row(rows, 0).job == "50_0")
        #expect(row(rows, 1).state == .running && row(rows, 1).phase == .agent && row(rows, 1).attempts == 1)
        #expect(row(rows, 2).state == .pending)
        #expect(row(rows, ids.count - 1).state == .notSubmitted && row(rows, ids.count - 1).needsRetry)
    }

    @Test func runManifestGivesDoneAndTheFailureReason() {
        let rows = SweepStatusMerger.merge(
            manifest: m,
            scheduler: [ids[0]: .completed, ids[1]: .failed(exitCode: 1), ids[2]: .failed(exitCode: 1), ids[3]: .failed(exitCode: 1),
                        ids[4]: .failed(exitCode: 1)],
            runManifests: [
                ids[0]: manifest(ids[0], outcome: .done),
                ids[1]: manifest(ids[1], outcome: .failed, failure: "agent: no-gpu", exit: .noGPU),
                ids[2]: manifest(ids[2], outcome: .failed, failure: "agent: agent exited with error 2", exit: .error(2)),
                ids[3]: manifest(ids[3], outcome: .failed, failure: "evaluate: engine did not become healthy", exit: .normal),
                ids[4]: manifest(ids[4], outcome: .failed, failure: "collect: no final_model", exit: .timeout),
            ],
            attempts: [:])
        #expect(row(rows, 0).state == .done && !row(rows, 0).needsRetry && row(rows, 0).phase == .record)
        #expect(row(rows, 1).reason == .noGPU)
        #expect(row(rows, 2).reason == .agentError("agent exited with error 2"))
        #expect(row(rows, 3).reason == .evaluationFailed("engine did not become healthy"))
        #expect(row(rows, 4).reason == .phase("collect", "no final_model"))
        #expect(rows.filter(\.needsRetry).count == ids.count - 1)   // everything but the done one
    }

    @Test func schedulerSaysWhyAJobDiedMidRun() {
        let mid = { (i: Int) in self.manifest(self.ids[i], outcome: .running, done: [.prepare]) }
        let rows = SweepStatusMerger.merge(
            manifest: m,
            scheduler: [ids[0]: .timeout, ids[1]: .preempted, ids[2]: .cancelled, ids[3]: .nodeFailure, ids[4]: .outOfMemory],
            runManifests: [ids[0]: mid(0), ids[1]: mid(1), ids[2]: mid(2), ids[3]: mid(3), ids[4]: mid(4)],
            attempts: [ids[2]: [AttemptRecord(event: "start", job: "50_2"), AttemptRecord(event: "end", job: "50_2", signal: "TERM")]])
        #expect(rows.prefix(5).map(\.reason) == [.timeout, .preempted, .cancelled, .nodeFailure, .outOfMemory])
        #expect(rows.prefix(5).allSatisfy { $0.state == .failed && $0.phase == .agent })
    }

    @Test func withoutRunJSONTheAttemptRecordsDecide() {
        var custom = m
        custom.spec.command = ["bash", "-c", "true"]
        let rows = SweepStatusMerger.merge(
            manifest: custom, scheduler: [ids[3]: .completed],
            runManifests: [:],
            attempts: [
                ids[0]: [AttemptRecord(event: "start", job: "50_0"), AttemptRecord(event: "end", job: "50_0", exit: 0)],
                ids[1]: [AttemptRecord(event: "start", job: "50_1"), AttemptRecord(event: "end", job: "50_1", exit: 3)],
                ids[2]: [AttemptRecord(event: "start", job: "50_2", host: "vm")],
            ])
        #expect(row(rows, 0).state == .done)
        #expect(row(rows, 1).reason == .exit(3))
        #expect(row(rows, 2).reason == .lost("job started on vm and ended without a record"))
        #expect(row(rows, 3).state == .failed)   // completed but no attempt record and no run.json
        #expect(row(rows, 4).reason == .lost("the scheduler no longer knows the job and it left no record (see logs/)"))

        // In ptb mode, exit 0 without run.json is not success.
        let ptbRows = SweepStatusMerger.merge(manifest: m, scheduler: [:], runManifests: [:],
                                              attempts: [ids[0]: [AttemptRecord(event: "start", job: "50_0"), AttemptRecord(event: "end", job: "50_0", exit: 0)]])
        #expect(row(ptbRows, 0).state == .failed)
    }

    @Test func latestSubmissionOwnsTheJobLabel() {
        var mm = m
        mm.submissions.append(Submission(number: 2, backend: .slurm, jobID: "60", runs: [ids[3]], submittedAt: Date(), file: "", isRetry: true))
        let rows = SweepStatusMerger.merge(manifest: mm, scheduler: [ids[3]: .running(node: nil)], runManifests: [:], attempts: [:])
        #expect(row(rows, 3).job == "60_0" && row(rows, 3).state == .running)
        #expect(SweepStatusTable.render(rows, experiment: "march").contains("march/\(ids[3])"))
    }
}
