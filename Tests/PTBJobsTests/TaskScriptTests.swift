import Foundation
import PTBCore
import PTBJobs
import PTBProcess
import Testing

@Suite struct TaskScriptTests {
    @Test func ptbModeCallsSweepExecWithTheHome() throws {
        let m = try SweepManifest(spec: goldenSpec(), createdAt: Date())
        let text = TaskScript.render(manifest: m, paths: SweepPaths(root: URL(fileURLWithPath: "/shared/ptb/march")),
                                     ptb: "/opt/ptb bin/ptb", ptbHome: "/shared/home")
        #expect(text.hasPrefix("#!/bin/bash\n"))
        #expect(text.contains("SWEEP_DIR=/shared/ptb/march\n"))
        #expect(text.contains("  claude_gsm8k_Qwen_Qwen3-1.7B-Base_10h_1gpu_s1) export PTB_AGENT=claude PTB_TASK=gsm8k PTB_MODEL=Qwen/Qwen3-1.7B-Base PTB_SEED=1 PTB_HOURS=10 PTB_GPUS=1 ;;\n"))
        #expect(text.contains("export PTB_HOME=/shared/home\n'/opt/ptb bin/ptb' sweep exec \"$SWEEP_DIR\" \"$RUN\" &\n"))
    }

    /// Runs the real script with bash: the run's settings arrive as variables, each start and end
    /// is recorded, an unknown id is refused, and SIGTERM is recorded before the job dies.
    @Test func recordsAttemptsRefusesUnknownRunsAndRecordsSignals() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var spec = goldenSpec()
        spec.resultsDir = dir.path
        spec.command = ["bash", "-c", "echo \"$PTB_AGENT $PTB_MODEL $PTB_SEED $PTB_GPUS $PTB_SWEEP_RUN_DIR\"; [ \"$PTB_SEED\" = 0 ] || sleep 30"]
        let paths = SweepPaths(spec: spec)
        let m = try SweepManifest(spec: spec, createdAt: Date())
        try AtomicFile.write(TaskScript.render(manifest: m, paths: paths, ptb: "/unused", ptbHome: nil), to: paths.taskScript)
        let runner = ProcessRunner()
        var env = ProcessInfo.processInfo.environment
        env["PTB_SWEEP_JOB"] = "test_7"
        env["CUDA_VISIBLE_DEVICES"] = "3"
        env.removeValue(forKey: "SLURM_JOB_ID")
        env.removeValue(forKey: "SLURM_ARRAY_JOB_ID")

        let run0 = m.runs[0]
        let (t0, out0) = try await runner.run(Command("/bin/bash", [paths.taskScript.path, run0.id], environment: env))
        #expect(t0 == .exited(0))
        #expect(out0 == ["claude Qwen/Qwen3-1.7B-Base 0 1 \(paths.runDir(run0.id).path)"])
        let recs = AttemptRecord.read(paths.attemptsFile(run0.id))
        #expect(recs.map(\.event) == ["start", "end"] && recs.allSatisfy { $0.job == "test_7" && $0.cudaVisibleDevices == "3" })
        #expect(recs.last?.exit == 0)

        let (bad, badOut) = try await runner.run(Command("/bin/bash", [paths.taskScript.path, "nope"], environment: env))
        #expect(bad == .exited(2) && badOut.joined().contains("'nope' is not a run of this sweep"))

        let run1 = m.runs[1]
        let child = try await runner.start(Command("/bin/bash", [paths.taskScript.path, run1.id], environment: env), output: .discard)
        for _ in 0..<100 where AttemptRecord.read(paths.attemptsFile(run1.id)).isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        try await Task.sleep(for: .milliseconds(200))
        kill(child.pid, SIGTERM)   // what scancel does to the batch script
        #expect(await child.wait() == .exited(143))
        #expect(AttemptRecord.read(paths.attemptsFile(run1.id)).last?.signal == "TERM")
    }

    /// Each backend's task.sh reads only its own scheduler's variables: Slurm's array task id
    /// under Slurm, and a local pool started inside a Slurm allocation keeps its own job names
    /// (its status looks attempts up by them).
    @Test(arguments: [("slurm", "9_2"), ("local", "local-42_0"), ("htcondor", "local-42_0")])
    func theJobIsNamedByTheSweepsOwnScheduler(backend: String, job: String) async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var spec = goldenSpec(backend: BackendKind(rawValue: backend))
        spec.resultsDir = dir.path
        spec.command = ["true"]
        let paths = SweepPaths(spec: spec)
        let m = try SweepManifest(spec: spec, createdAt: Date())
        let text = TaskScript.render(manifest: m, paths: paths, ptb: "/unused", ptbHome: nil)
        #expect(text.contains("SLURM_ARRAY_JOB_ID") == (backend == "slurm"))
        try AtomicFile.write(text, to: paths.taskScript)
        var env = ProcessInfo.processInfo.environment
        env["SLURM_JOB_ID"] = "9"
        env["SLURM_ARRAY_JOB_ID"] = "9"
        env["SLURM_ARRAY_TASK_ID"] = "2"
        env["PTB_SWEEP_JOB"] = "local-42_0"
        let (t, out) = try await ProcessRunner().run(Command("/bin/bash", [paths.taskScript.path, m.runs[0].id], environment: env))
        #expect(t == .exited(0), "\(out)")
        #expect(AttemptRecord.read(paths.attemptsFile(m.runs[0].id)).map(\.job) == [job, job])
    }

    @Test func sweepsAreFoundByNameDirectoryOrManifest() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var spec = goldenSpec()
        spec.resultsDir = dir.path
        let paths = SweepPaths(spec: spec)
        try paths.save(try SweepManifest(spec: spec, createdAt: Date()))
        #expect(try SweepPaths.find("march", resultsDirs: [dir]) == paths)
        #expect(try SweepPaths.find(paths.root.path, resultsDirs: []) == paths)
        #expect(try SweepPaths.find(paths.manifest.path, resultsDirs: []) == paths)
        #expect(throws: JobsError.self) { try SweepPaths.find("april", resultsDirs: [dir]) }
    }

    @Test func oneSubmitterAtATime() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let paths = SweepPaths(root: dir.appendingPathComponent("x"))
        var first: ExclusiveFileLock? = try SweepLock.acquire(paths)
        #expect(throws: JobsError.self) { _ = try SweepLock.acquire(paths) }
        withExtendedLifetime(first) {}
        first = nil
        _ = try SweepLock.acquire(paths)   // released with its holder
    }
}
