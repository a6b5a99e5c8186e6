import Foundation
import PTBCore
import PTBJobs
import PTBProcess
import Testing

/// Against a real Slurm (scripts/slurm/start-cluster.sh: one node, 2 fake GPUs, no accounting).
/// Enabled with PTB_SLURM_LIVE=1; scripts/slurm/live-test.sh starts the cluster and runs it.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["PTB_SLURM_LIVE"] == "1", "set PTB_SLURM_LIVE=1 (scripts/slurm/live-test.sh)"),
       .serialized)
struct LiveSlurmTests {
    /// Three command-style runs on 1 fake GPU each, at most 2 at once. Seed 1 sleeps until it is
    /// cancelled; after `fixed` exists it finishes at once.
    static func spec(results: URL) -> SweepSpec {
        var s = SweepSpec(experiment: "live", agents: ["none"], models: ["tiny"], tasks: ["arith"], seeds: [0, 1, 2],
                          hours: [0.01], gpus: [1], backend: .slurm, resultsDir: results.path)
        s.resources = SweepResources(cpus: 1, memory: "100M", disk: nil, evaluationHours: 0, marginMinutes: 5)
        s.throttle.maxConcurrent = 2
        s.command = ["bash", "-c", """
            echo "$CUDA_VISIBLE_DEVICES" > "$PTB_SWEEP_DIR/cuda-$PTB_SWEEP_RUN"
            if [ "$PTB_SEED" = 1 ] && [ ! -e "$PTB_SWEEP_DIR/fixed" ]; then sleep 300; else sleep 2; fi
            """]
        return s
    }

    func waitFor(_ what: String, driver: SweepDriver, timeout: Double = 120,
                 until done: ([SweepRunStatus]) -> Bool) async throws -> [SweepRunStatus] {
        let end = Date().addingTimeInterval(timeout)
        var rows: [SweepRunStatus] = []
        while Date() < end {
            rows = try await driver.status(try driver.paths.load())
            if done(rows) { return rows }
            try await Task.sleep(for: .milliseconds(500))
        }
        Issue.record("timed out waiting for \(what); last status:\n\(SweepStatusTable.render(rows, experiment: "live"))")
        throw CancellationError()
    }

    /// Issue 18: a submission the scheduler refuses (`--tmp` on a node without TmpDisk) leaves
    /// a sweep that no scheduler accepted; the corrected spec is submitted under the same name,
    /// and ptb says what changed, instead of "already exists with a different spec".
    @Test func aRefusedSweepTakesACorrectedSpec() async throws {
        let executor = ProcessCommandExecutor(runner: ProcessRunner())
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var spec = Self.spec(results: dir)
        spec.seeds = [0]
        spec.command = ["bash", "-c", "true"]
        spec.resources.disk = "500G"
        let driver = SweepDriver(backend: SlurmBackend(executor: executor), paths: SweepPaths(spec: spec), ptb: "/unused", ptbHome: nil)
        let first = try driver.create(spec: spec)
        await #expect(throws: (any Error).self) { try await driver.submit(first, runs: first.runs, isRetry: false) }
        #expect(try driver.paths.load().submissions.isEmpty)

        spec.resources.disk = nil
        var changed: [String] = []
        let m = try driver.create(spec: spec) { changed = $0 }
        #expect(changed.count == 1 && changed[0].hasPrefix("resources:") && changed[0].contains("500G"), "\(changed)")
        let submitted = try await driver.submit(m, runs: m.runs, isRetry: false)
        #expect(submitted.submissions.count == 1)
        // Let the job leave the queue before the next test: it would hold a GPU of the one node
        // and shift the next test's scheduling (which cancels a task mid-run).
        _ = try await waitFor("the corrected sweep's job to end", driver: driver) { rows in
            rows.allSatisfy { $0.state != .pending && $0.state != .running }
        }
        // Once a scheduler accepted it, the spec is fixed.
        spec.hours = [0.02]
        #expect(throws: JobsError.self) { try driver.create(spec: spec) }
    }

    @Test func arraySubmitGPUBindingCancelAndRetry() async throws {
        let started = Date()
        let executor = ProcessCommandExecutor(runner: ProcessRunner())
        let (t, out) = try await executor.execute(Command("sinfo", ["-h", "-o", "%T"]))
        try #require(t.succeeded && out.contains("idle") || out.contains("mixed"),
                     "no idle Slurm node (sinfo: \(out)); run scripts/slurm/start-cluster.sh first")

        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = Self.spec(results: dir)
        let driver = SweepDriver(backend: SlurmBackend(executor: executor), paths: SweepPaths(spec: spec), ptb: "/unused", ptbHome: nil)
        let m = try driver.create(spec: spec)
        let submitted = try await driver.submit(m, runs: m.runs, isRetry: false)
        try #require(submitted.submissions.count == 1)
        let id = { (seed: Int) in m.runs.first { $0.seed == seed }!.id }

        // Seeds 0 and 1 start (throttle 2); seed 2 starts when seed 0 ends, while seed 1 still
        // sleeps. Then cancel seed 1 midway.
        _ = try await waitFor("seed 1 to run and seed 2 to start beside it", driver: driver) { rows in
            // Seed 1's own start record too: on a busy node seeds 1 and 2 may start together, and
            // squeue says `running` before the task script has recorded anything.
            rows.first { $0.run.id == id(1) }?.state == .running && (rows.first { $0.run.id == id(1) }?.attempts ?? 0) >= 1
                && (rows.first { $0.run.id == id(2) }?.attempts ?? 0) >= 1
        }
        try await driver.cancel(try driver.paths.load(), runs: [id(1)])
        let afterCancel = try await waitFor("every job to end", driver: driver) { rows in rows.allSatisfy { !$0.state.isActiveState } }
        print("live slurm: after cancel\n" + SweepStatusTable.render(afterCancel, experiment: "live"))
        #expect(afterCancel.first { $0.run.id == id(0) }?.state == .done)
        #expect(afterCancel.first { $0.run.id == id(2) }?.state == .done)
        #expect(afterCancel.first { $0.run.id == id(1) }?.state == .failed)
        #expect(afterCancel.first { $0.run.id == id(1) }?.reason == .cancelled)

        // Each task saw exactly one of the two fake GPUs; those running beside seed 1 another one.
        func cuda(_ seed: Int) throws -> String {
            try String(contentsOf: driver.paths.root.appendingPathComponent("cuda-\(id(seed))"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let seen = try (0...2).map(cuda)
        print("live slurm: CUDA_VISIBLE_DEVICES per seed: \(seen)")
        #expect(seen.allSatisfy { ["0", "1"].contains($0) })
        // Seed 2 started while seed 1 held its GPU (the wait above), so it must have the other one.
        // Seed 0 may have ended before seed 1 started on a busy node, so nothing is said about it.
        #expect(seen[2] != seen[1])
        let firstAttempts = AttemptRecord.read(driver.paths.attemptsFile(id(1)))
        #expect(firstAttempts.last?.signal == "TERM")

        // Retry resubmits only seed 1, which now completes; the cancelled attempt stays on record.
        try Data().write(to: driver.paths.root.appendingPathComponent("fixed"))
        let (retried, todo) = try await driver.retry(try driver.paths.load())
        #expect(todo.map(\.id) == [id(1)])
        #expect(retried.submissions.count == 2 && retried.submissions[1].runs == [id(1)])
        let final = try await waitFor("the retry to finish", driver: driver) { rows in rows.allSatisfy { $0.state == .done } }
        print("live slurm: after retry\n" + SweepStatusTable.render(final, experiment: "live"))
        #expect(final.first { $0.run.id == id(1) }?.attempts == 2)
        let records = AttemptRecord.read(driver.paths.attemptsFile(id(1)))
        #expect(records.map(\.event) == ["start", "end", "start", "end"])
        #expect(records.last?.exit == 0 && records.last?.job == "\(retried.submissions[1].jobID)_0")
        print(String(format: "live slurm: whole scenario took %.1f s", Date().timeIntervalSince(started)))
    }
}

/// The real thing: `ptb sweep exec` on Slurm with the `none` agent and the tiny model. Needs a
/// PTB_HOME with the Python env and `tiny` (PTB_SLURM_LIVE_HOME) and the built ptb
/// (PTB_SLURM_LIVE_PTB, default .build/debug/ptb; copy it if others rebuild meanwhile).
/// Nested in LiveSlurmTests so that `.serialized` keeps the two scenarios from competing for the
/// node's 2 CPUs (which would break the other test's GPU-overlap timing).
extension LiveSlurmTests {
@Suite(.enabled(if: ProcessInfo.processInfo.environment["PTB_SLURM_LIVE_HOME"] != nil,
                "set PTB_SLURM_LIVE_HOME=<a PTB_HOME after ptb setup>"))
struct PTBMode {
    @Test func cancelledRunResumesAtItsPhaseOnRetry() async throws {
        let env = ProcessInfo.processInfo.environment
        let started = Date()
        let ptb = env["PTB_SLURM_LIVE_PTB"] ?? FileManager.default.currentDirectoryPath + "/.build/debug/ptb"
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var spec = SweepSpec(experiment: "live-ptb", agents: ["none"], models: ["tiny"], tasks: ["arith"], seeds: [0, 1],
                             hours: [0.01], gpus: [0], backend: .slurm, resultsDir: dir.path)
        spec.resources = SweepResources(cpus: 1, memory: "6G", disk: nil, evaluationHours: 0.5, marginMinutes: 10)
        spec.options.sandbox = "none"
        spec.options.evalLimit = 10
        spec.options.evaluateBase = false
        let executor = ProcessCommandExecutor(runner: ProcessRunner())
        let driver = SweepDriver(backend: SlurmBackend(executor: executor), paths: SweepPaths(spec: spec), ptb: ptb,
                                 ptbHome: env["PTB_SLURM_LIVE_HOME"])
        let m = try driver.create(spec: spec)
        try await driver.submit(m, runs: m.runs, isRetry: false)
        let victim = m.runs[1].id
        let live = LiveSlurmTests()
        _ = try await live.waitFor("run 1 to reach evaluate", driver: driver, timeout: 300) { rows in
            rows.first { $0.run.id == victim }?.phase == .evaluate && rows.first { $0.run.id == victim }?.state == .running
        }
        try await driver.cancel(try driver.paths.load(), runs: [victim])
        _ = try await live.waitFor("the cancel", driver: driver) { rows in rows.first { $0.run.id == victim }?.state == .failed }
        let (_, todo) = try await driver.retry(try driver.paths.load())
        #expect(todo.map(\.id) == [victim])
        let final = try await live.waitFor("both runs to finish", driver: driver, timeout: 600) { rows in rows.allSatisfy { !$0.state.isActiveState } }
        print("live ptb sweep:\n" + SweepStatusTable.render(final, experiment: spec.experiment))
        #expect(final.allSatisfy { $0.state == .done })
        let run = try JSONIO.read(RunManifest.self, from: driver.paths.runManifest(victim))
        // Resumed, not restarted: only the interrupted phase ran twice.
        #expect(run[.evaluate].attempts == 2)
        #expect([Phase.prepare, .agent, .collect, .integrity, .record].allSatisfy { run[$0].attempts == 1 })
        print(String(format: "live ptb sweep: took %.0f s", Date().timeIntervalSince(started)))
    }
}
}

extension LiveSlurmTests.PTBMode {
    /// `ptb sweep submit --preflight` through the real CLI and Slurm: a sweep asking for a GPU is
    /// refused (the node's GPUs are fakes, so doctor's CUDA check fails inside the job) and
    /// nothing of it is submitted; the same sweep on the CPU passes its preflight and is submitted.
    @Test func preflightRefusesABrokenSweepAndSubmitsAGoodOne() async throws {
        let env = ProcessInfo.processInfo.environment
        let started = Date()
        let ptb = env["PTB_SLURM_LIVE_PTB"] ?? FileManager.default.currentDirectoryPath + "/.build/debug/ptb"
        let live = URL(fileURLWithPath: try #require(env["PTB_SLURM_LIVE_HOME"]))
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A scratch home that links the live home's Python env and tiny model (doctor probes and
        // writes in its home; the live one stays untouched).
        let home = dir.appendingPathComponent("home").path
        for sub in ["envs/py", "models/tiny"] {
            let link = URL(fileURLWithPath: home).appendingPathComponent(sub)
            try FileManager.default.createDirectory(at: link.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(at: link, withDestinationURL: live.appendingPathComponent(sub).resolvingSymlinksInPath())
        }
        func submit(gpus: Int) async throws -> (Termination, String, SweepPaths) {
            let name = "pre\(gpus)"
            let yaml = dir.appendingPathComponent("\(name).yaml")
            try """
                experiment: \(name)
                agents: [none]
                models: [tiny]
                tasks: [arith]
                hours: [0.01]
                gpus: [\(gpus)]
                backend: slurm
                results_dir: \(dir.path)
                resources: {cpus: 1, memory: 6G, disk: null, evaluation_hours: 0, margin_minutes: 5}
                ptb: \(ptb)
                ptb_home: \(home)
                command: [bash, -c, "echo ran > $PTB_SWEEP_DIR/ran-$PTB_SWEEP_RUN"]

                """.write(to: yaml, atomically: true, encoding: .utf8)
            var e = env
            e["PTB_HOME"] = home
            let (t, lines) = try await ProcessRunner().run(Command(ptb, ["sweep", "submit", yaml.path, "--preflight", "--preflight-timeout", "10",
                                                                         "--preflight-arg=--min-free-gb", "--preflight-arg=0.1"], environment: e), tail: 200)
            return (t, lines.joined(separator: "\n"), SweepPaths(root: dir.appendingPathComponent(name)))
        }
        let (bad, badOut, badPaths) = try await submit(gpus: 1)
        print("live preflight, 1 GPU:\n\(badOut)")
        #expect(bad != .exited(0))
        #expect(badOut.contains("FAIL gpu:") && badOut.contains("— fix:"), "\(badOut)")
        #expect(badOut.contains("preflight failed (gpu)") && badOut.contains("nothing of sweep pre1 was submitted"))
        #expect(try badPaths.load().submissions.isEmpty)
        let report = try JSONDecoder().decode([PreflightCheck].self, from: Data(contentsOf: badPaths.root.appendingPathComponent("preflight/doctor.json")))
        #expect(report.contains { $0.check == "sandbox" && $0.status == "pass" })
        // The job ran where Slurm put it, with the GPU it asked for.
        let attempt = AttemptRecord.read(badPaths.root.appendingPathComponent("preflight/attempts/none_arith_tiny_0.01h_1gpu_s0.jsonl")).first
        #expect(attempt?.cudaVisibleDevices?.isEmpty == false, "\(String(describing: attempt))")

        let (good, goodOut, goodPaths) = try await submit(gpus: 0)
        print("live preflight, CPU:\n\(goodOut)")
        #expect(good == .exited(0), "\(goodOut)")
        #expect(goodOut.contains("PASS engine:") && goodOut.contains("submitted submit/001.sbatch"), "\(goodOut)")
        #expect(try goodPaths.load().submissions.count == 1)
        // The sweep's own job runs (and leaves the node before the next test).
        let ran = goodPaths.root.appendingPathComponent("ran-none_arith_tiny_0.01h_0gpu_s0")
        let end = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: ran.path), Date() < end { try await Task.sleep(for: .milliseconds(500)) }
        #expect(FileManager.default.fileExists(atPath: ran.path))
        print(String(format: "live preflight: took %.0f s", Date().timeIntervalSince(started)))
    }
}

extension SweepRunState {
    var isActiveState: Bool { self == .pending || self == .running }
}
