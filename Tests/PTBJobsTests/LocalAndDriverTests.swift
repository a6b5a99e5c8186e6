import Foundation
import PTBCore
import PTBJobs
import PTBProcess
import Synchronization
import Testing

@Suite struct LocalBackendTests {
    /// A cheap command-style sweep: each job records its CUDA_VISIBLE_DEVICES and how many jobs
    /// ran at once; seed 2 fails until the file `fixed` exists.
    static func spec(results: URL) -> SweepSpec {
        var s = SweepSpec(experiment: "pool", agents: ["none"], models: ["tiny"], tasks: ["arith"], seeds: [0, 1, 2, 3],
                          hours: [0.01], gpus: [1], backend: .local, resultsDir: results.path)
        s.localGPUs = [0, 1]
        s.throttle.maxConcurrent = 2
        s.command = ["bash", "-c", """
            d="$PTB_SWEEP_DIR/probe"; mkdir -p "$d/running"
            touch "$d/running/$PTB_SWEEP_RUN"
            ls "$d/running" | wc -l > "$d/concurrency-$PTB_SWEEP_RUN"
            echo "$CUDA_VISIBLE_DEVICES" > "$d/cuda-$PTB_SWEEP_RUN"
            sleep 0.4
            rm "$d/running/$PTB_SWEEP_RUN"
            [ "$PTB_SEED" != 2 ] || [ -e "$PTB_SWEEP_DIR/fixed" ]
            """]
        return s
    }

    @Test func poolBindsGPUsLimitsConcurrencyAndRetryCompletesTheFailedRun() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = Self.spec(results: dir)
        let paths = SweepPaths(spec: spec)
        let backend = LocalBackend(runner: ProcessRunner(), gpus: [0, 1], maxConcurrent: 2, lockDir: dir.appendingPathComponent("gpu-locks"))
        let driver = SweepDriver(backend: backend, paths: paths, ptb: "/unused/ptb", ptbHome: nil)

        let m = try driver.create(spec: spec)
        let after = try await driver.submit(m, runs: m.runs, isRetry: false)
        #expect(after.submissions.count == 1 && after.submissions[0].jobID == backend.poolID)

        let probe = paths.root.appendingPathComponent("probe")
        for r in m.runs {
            let cuda = try String(contentsOf: probe.appendingPathComponent("cuda-\(r.id)"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(cuda == "0" || cuda == "1", "run \(r.id) saw CUDA_VISIBLE_DEVICES=\(cuda)")
            let n = Int(try String(contentsOf: probe.appendingPathComponent("concurrency-\(r.id)"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))!
            #expect(n <= 2)
            let attempts = AttemptRecord.read(paths.attemptsFile(r.id))
            #expect(attempts.map(\.event) == ["start", "end"])
            #expect(attempts.first?.cudaVisibleDevices == cuda)
        }

        var rows = try await driver.status(after)
        let failed = m.runs.first { $0.seed == 2 }!.id
        #expect(rows.filter { $0.state == .done }.count == 3)
        #expect(rows.first { $0.run.id == failed }?.reason == .exit(1))

        try Data().write(to: paths.root.appendingPathComponent("fixed"))
        let (retried, todo) = try await driver.retry(try paths.load())
        #expect(todo.map(\.id) == [failed])
        #expect(retried.submissions.count == 2 && retried.submissions[1].isRetry && retried.submissions[1].runs == [failed])
        rows = try await driver.status(retried)
        #expect(rows.allSatisfy { $0.state == .done })
        #expect(rows.first { $0.run.id == failed }?.attempts == 2)   // the first attempt's record is kept
        #expect(AttemptRecord.read(paths.attemptsFile(failed)).compactMap(\.exit) == [1, 0])
        #expect(try await driver.retry(retried).1.isEmpty)
    }

    @Test func mixedGPUCountsShareOnePoolButSplitIntoSlurmArrays() throws {
        var spec = Self.spec(results: URL(fileURLWithPath: "/r"))
        spec.gpus = [0, 1, 2]
        let m = try SweepManifest(spec: spec, createdAt: Date())
        let paths = SweepPaths(spec: spec)
        let local = SweepDriver(backend: LocalBackend(runner: ProcessRunner(), gpus: [0, 1], maxConcurrent: 2), paths: paths, ptb: "/p", ptbHome: nil)
        let plan = try local.plan(m, runs: m.runs)
        #expect(plan.chunks.count == 1 && plan.chunks[0].chunk.runs.count == 12)
        #expect(plan.chunks[0].file.text.contains("\n2 /bin/bash /r/pool/task.sh none_arith_tiny_0.01h_2gpu_s0\n"))
        let slurm = SweepDriver(backend: SlurmBackend(executor: FakeExecutor()), paths: paths, ptb: "/p", ptbHome: nil)
        #expect(try slurm.plan(m, runs: m.runs).chunks.count == 3)
    }

    @Test func aRunNeedingMoreGPUsThanTheMachineHasIsRefused() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var spec = Self.spec(results: dir)
        spec.gpus = [4]
        let paths = SweepPaths(spec: spec)
        let driver = SweepDriver(backend: LocalBackend(runner: ProcessRunner(), gpus: [0, 1], maxConcurrent: nil, lockDir: dir.appendingPathComponent("gpu-locks")), paths: paths, ptb: "/p", ptbHome: nil)
        let m = try driver.create(spec: spec)
        do {
            _ = try await driver.submit(m, runs: m.runs, isRetry: false)
            Issue.record("submitted runs that can never get their GPUs")
        } catch {
            #expect("\(error)".contains("needs 4 GPU(s) but this machine offers 2"))
        }
    }
}

@Suite struct SweepDriverTests {
    @Test func submitWritesFilesRecordsJobIDsAndRetryResubmitsOnlyUnfinishedRuns() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var spec = goldenSpec()
        spec.resultsDir = dir.path
        spec.gpus = [1, 2]
        let paths = SweepPaths(spec: spec)
        let jobIDs = JobCounter()
        let fake = FakeExecutor([{ $0.executable == "sbatch" ? (.exited(0), "\(jobIDs.next())") : nil }])
        let driver = SweepDriver(backend: SlurmBackend(executor: fake), paths: paths, ptb: "/opt/ptb/bin/ptb", ptbHome: "/shared/ptb-home")

        let m = try driver.create(spec: spec)
        let submitted = try await driver.submit(m, runs: m.runs, isRetry: false, now: { at("2026-11-22T11:00:00Z") })
        #expect(submitted.submissions.map(\.jobID) == ["100", "101"])
        #expect(submitted.submissions.map(\.file) == ["submit/001.sbatch", "submit/002.sbatch"])
        // sweep.json has what was submitted (timestamps are stored at second resolution).
        #expect(try paths.load().submissions == submitted.submissions && paths.load().runs == submitted.runs)
        let task = try String(contentsOf: paths.taskScript, encoding: .utf8)
        #expect(task.contains("export PTB_HOME=/shared/ptb-home\n/opt/ptb/bin/ptb sweep exec \"$SWEEP_DIR\" \"$RUN\" &"))
        #expect(FileManager.default.isExecutableFile(atPath: paths.taskScript.path))
        #expect(try String(contentsOf: paths.submit.appendingPathComponent("002.sbatch"), encoding: .utf8).contains("--gres=gpu:h100:2"))

        // A second `ptb sweep` of the same spec must not submit everything again.
        #expect(throws: JobsError.self) { try driver.create(spec: spec) }

        // Array 100: task 0 done, 1 failed, 2 running, 3 timed out. Array 101: all gone, no record.
        let ids = submitted.submissions[0].runs
        try FileManager.default.createDirectory(at: paths.runDir(ids[0]), withIntermediateDirectories: true)
        var done = RunManifest(id: ids[0], spec: submitted.runSpec(for: submitted.run(ids[0])!), createdAt: Date(), ptbVersion: "t")
        done.outcome = .done
        try JSONIO.write(done, to: paths.runManifest(ids[0]))
        fake.setRules([
            { $0.executable == "sbatch" ? (.exited(0), "\(jobIDs.next())") : nil },
            FakeExecutor.answer("sacct", """
                {"jobs": [\(Samples.sacctJob(1, task: 0, state: "COMPLETED", status: "SUCCESS", code: 0).replacingOccurrences(of: "4100", with: "100")),
                          \(Samples.sacctJob(2, task: 1, state: "FAILED", status: "FAILED", code: 1).replacingOccurrences(of: "4100", with: "100")),
                          \(Samples.sacctJob(4, task: 3, state: "TIMEOUT", status: "SUCCESS", code: 0).replacingOccurrences(of: "4100", with: "100"))]}
                """),
            FakeExecutor.answer("squeue", """
                {"jobs": [{"array_job_id": 100, "array_task_id": 2, "job_id": 3, "job_state": "RUNNING", "nodes": "gpu3"}]}
                """),
        ])
        let (after, todo) = try await driver.retry(submitted)
        #expect(Set(todo.map(\.id)) == Set([ids[1], ids[3]] + submitted.submissions[1].runs))
        #expect(after.submissions.count == 4)   // the retry is split by GPU count again
        #expect(after.submissions[2].runs == [ids[1], ids[3]] && after.submissions[2].isRetry)
        #expect(after.submissions[2].file == "submit/003.sbatch")
        let retryScript = try String(contentsOf: paths.submit.appendingPathComponent("003.sbatch"), encoding: .utf8)
        #expect(retryScript.contains("--array=0-1%3") && retryScript.contains("  \(ids[3])\n)"))

        // Cancel one run: its latest submission's array task.
        fake.setRules([FakeExecutor.answer("scancel", "")])
        try await driver.cancel(after, runs: [ids[3]])
        #expect(fake.lines.last == "scancel 102_1")
    }
}

/// Hands out 100, 101, … to fake sbatch calls.
final class JobCounter: Sendable {
    private let value = Mutex(100)
    func next() -> Int { value.withLock { v in defer { v += 1 }; return v } }
}
