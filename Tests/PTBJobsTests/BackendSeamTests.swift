import Foundation
import PTBCore
import PTBJobs
import PTBProcess
import Synchronization
import Testing

/// A scheduler that exists only in this file: `tq-submit FILE` prints a job id, `tq-stat ID`
/// prints `<index> <state>` lines, `tq-rm LABEL…` cancels. Nothing in Sources names it, so
/// every path it goes through below is the seam a new backend plugs into.
struct TestQueueBackend: SweepBackend {
    static let kind = BackendKind(rawValue: "testq")
    let executor: any CommandExecuting
    let madeWithLog: Bool

    static func make(spec: SweepSpec, runner: ProcessRunner, executor: any CommandExecuting,
                     log: @escaping @Sendable (String) -> Void) async -> TestQueueBackend {
        log("testq made for \(spec.experiment)")
        return TestQueueBackend(executor: executor, madeWithLog: true)
    }

    static func jobLabel(jobID: String, index: Int) -> String { "\(jobID):\(index)" }
    static let doctorProbe: SchedulerProbe? = SchedulerProbe(command: ["tq-ping"], what: "TestQueue", fix: "start tq")
    static let queueCommand: String? = "tq-list"
    static var jobFromEnvironment: [(variable: String, job: String)] { [("TQ_JOB_ID", "tq-$TQ_JOB_ID")] }

    func submissionFile(runs: [SweepRun], number: Int, manifest: SweepManifest, paths: SweepPaths) throws -> SubmissionFile {
        SubmissionFile(name: String(format: "%03d.tq", number), text: runs.map { "\($0.gpus) \($0.id)\n" }.joined())
    }

    func submit(fileURL: URL, runs: [SweepRun], manifest: SweepManifest, paths: SweepPaths) async throws -> String {
        let (_, out) = try await executor.execute(Command("tq-submit", [fileURL.path]))
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func states(of submissions: [Submission], paths: SweepPaths) async throws -> [String: SchedulerState] {
        var out: [String: SchedulerState] = [:]
        for sub in submissions {
            let (_, text) = try await executor.execute(Command("tq-stat", [sub.jobID]))
            for line in text.split(separator: "\n") {
                let f = line.split(separator: " ")
                guard f.count == 2, let i = Int(f[0]), sub.runs.indices.contains(i) else { continue }
                out[sub.runs[i]] = f[1] == "run" ? .running(node: "tq1") : f[1] == "wait" ? .pending(reason: nil) : .completed
            }
        }
        return out
    }

    func cancel(_ submission: Submission, runs: [String]?, paths: SweepPaths) async throws {
        let labels = (runs ?? submission.runs).compactMap { r in
            submission.runs.firstIndex(of: r).map { Self.jobLabel(jobID: submission.jobID, index: $0) }
        }
        _ = try await executor.execute(Command("tq-rm", labels))
    }
}

@Suite struct BackendSeamTests {
    /// The registry as it ships, plus the test's own backend: what a one-line registration gives.
    static let withTestQueue: [any SweepBackend.Type] = SweepBackends.all + [TestQueueBackend.self]

    @Test func aBackendDefinedOutsideSourcesIsMadePlannedSubmittedLabelledAndCancelled() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var spec = goldenSpec(backend: TestQueueBackend.kind)
        spec.resultsDir = dir.path
        spec.gpus = [1, 2]

        // Made through the same factory as the shipped ones, from the spec's name alone.
        let said = LogLines()
        let made = try await SweepBackends.make(spec, runner: ProcessRunner(), in: Self.withTestQueue) { said.add($0) }
        #expect(made.kind == TestQueueBackend.kind && said.lines == ["testq made for march"])
        await #expect(throws: JobsError.self) { _ = try await SweepBackends.make(spec, runner: ProcessRunner()) }

        let fake = FakeExecutor([FakeExecutor.answer("tq-submit", "77\n")])
        let paths = SweepPaths(spec: spec)
        let driver = SweepDriver(backend: TestQueueBackend(executor: fake, madeWithLog: false), paths: paths, ptb: "/p", ptbHome: nil)
        let m = try driver.create(spec: spec)
        let plan = try driver.plan(m, runs: m.runs)
        // Uniform resources by default: one file per GPU count, as a job array needs.
        #expect(plan.chunks.map(\.file.name) == ["001.tq", "002.tq"])
        // task.sh names the job from this scheduler's variables, and from no other's.
        #expect(plan.taskScript.contains("if [ -n \"${TQ_JOB_ID:-}\" ]; then JOB=\"tq-$TQ_JOB_ID\"\nelse JOB=\"${PTB_SWEEP_JOB:-local-$$}\"; fi\n"))
        #expect(!plan.taskScript.contains("SLURM"))
        let submitted = try await driver.submit(m, runs: m.runs, isRetry: false, now: { at("2026-12-07T16:00:00Z") })
        #expect(submitted.submissions.map(\.backend) == [TestQueueBackend.kind, TestQueueBackend.kind])
        #expect(submitted.submissions.map(\.jobID) == ["77", "77"])
        // sweep.json keeps a backend name no registry lists, and reads back (timestamps at second resolution).
        #expect(try paths.load().submissions == submitted.submissions)
        #expect(try String(contentsOf: paths.manifest, encoding: .utf8).contains("\"backend\" : \"testq\""))

        fake.setRules([FakeExecutor.answer("tq-stat", "0 run\n1 wait\n")])
        let rows = try await driver.status(submitted)
        let twoGPU = submitted.submissions[1].runs   // the 2-GPU file: its runs' latest submission
        let row0 = try #require(rows.first { $0.run.id == twoGPU[0] })
        let row1 = try #require(rows.first { $0.run.id == twoGPU[1] })
        #expect(row0.job == "77:0" && row0.state == .running && row0.scheduler == .running(node: "tq1"))
        #expect(row1.job == "77:1" && row1.state == .pending)

        // The pure merge labels with whatever registry it is given; without the backend, bare ids.
        let merged = SweepStatusMerger.merge(manifest: submitted, scheduler: [:], runManifests: [:], attempts: [:], backends: Self.withTestQueue)
        #expect(merged.first { $0.run.id == twoGPU[1] }?.job == "77:1")
        let bare = SweepStatusMerger.merge(manifest: submitted, scheduler: [:], runManifests: [:], attempts: [:])
        #expect(bare.first { $0.run.id == twoGPU[1] }?.job == "77_1")

        fake.setRules([FakeExecutor.answer("tq-rm", "")])
        try await driver.cancel(submitted, runs: [twoGPU[1]])
        #expect(fake.calls.last?.display == "tq-rm 77:1")
    }

    @Test(arguments: SweepBackends.names)
    func everyRegisteredNameRoundTripsThroughSpecsSweepJSONLabelsAndDoctor(name: String) throws {
        let yaml = "experiment: x\nagents: [a]\nmodels: [m]\ntasks: [t]\nresults_dir: /r\nbackend: \(name)\nlocal_gpus: [0]\n"
        let spec = try SweepSpec.parse(yaml, path: "sweep.yaml")
        #expect(spec.backend.rawValue == name)
        let type = try #require(SweepBackends.type(named: spec.backend))
        #expect(type.kind == spec.backend)
        #expect(try JSONDecoder().decode(SweepSpec.self, from: JSONIO.encode(spec)) == spec)

        var m = try SweepManifest(spec: spec, createdAt: Date())
        m.submissions = [Submission(number: 1, backend: spec.backend, jobID: "9", runs: m.runs.map(\.id), submittedAt: Date(), file: "", isRetry: false)]
        let rows = SweepStatusMerger.merge(manifest: m, scheduler: [:], runManifests: [:], attempts: [:])
        #expect(rows.first?.job == type.jobLabel(jobID: "9", index: 0))

        // The doctor probes exactly the backends that declare a probe, under their own name.
        #expect(SweepBackends.doctorProbes[name] == type.doctorProbe)
    }

    @Test func theShippedBackendsKeepTheirNamesLabelsAndProbes() {
        #expect(SweepBackends.names == ["slurm", "htcondor", "local"])
        #expect([BackendKind.slurm, .htcondor, .local].map(\.rawValue) == SweepBackends.names)
        #expect(SlurmBackend.jobLabel(jobID: "4100", index: 3) == "4100_3")
        #expect(HTCondorBackend.jobLabel(jobID: "811", index: 3) == "811.3")
        #expect(LocalBackend.jobLabel(jobID: "local-9", index: 3) == "local-9_3")
        #expect(SweepBackends.doctorProbes["slurm"]?.command.first == "sinfo")
        #expect(SweepBackends.doctorProbes["htcondor"]?.command.first == "condor_status")
        #expect(SweepBackends.doctorProbes["local"] == nil && Set(SweepBackends.doctorProbes.keys) == ["slurm", "htcondor"])
    }

    @Test func anUnregisteredNameIsRefusedWithItsLineAndTheKnownNames() {
        let yaml = "experiment: x\nagents: [a]\nmodels: [m]\ntasks: [t]\nresults_dir: /r\nbackend: testq\n"
        #expect(throws: JobsError.spec(path: "sweep.yaml:6",
                                       reason: "'backend': 'testq' is not a backend ptb knows; use slurm, htcondor or local. Nothing was planned.")) {
            try SweepSpec.parse(yaml, path: "sweep.yaml")
        }
    }
}

final class LogLines: Sendable {
    private let state = Mutex<[String]>([])
    func add(_ s: String) { state.withLock { $0.append(s) } }
    var lines: [String] { state.withLock { $0 } }
}
