import Foundation
import PTBCore
import PTBJobs
import PTBProcess
import Testing

@Suite struct SlurmBackendTests {
    let paths = SweepPaths(root: URL(fileURLWithPath: "/shared/ptb/march"))

    @Test func sbatchScriptIsExactlyTheGolden() throws {
        let m = try SweepManifest(spec: goldenSpec(), createdAt: at("2026-11-22T10:00:00Z"))
        let file = try SlurmBackend(executor: FakeExecutor()).submissionFile(runs: m.runs, number: 1, manifest: m, paths: paths)
        #expect(file.name == "001.sbatch")
        #expect(file.text == """
            #!/bin/bash
            #SBATCH --job-name=ptb-march
            #SBATCH --array=0-3%3
            #SBATCH --output=/shared/ptb/march/logs/slurm-%A_%a.out
            #SBATCH --time=0-11:30:00
            #SBATCH --nodes=1
            #SBATCH --ntasks=1
            #SBATCH --cpus-per-task=16
            #SBATCH --mem=128G
            #SBATCH --tmp=400G
            #SBATCH --gres=gpu:h100:1
            #SBATCH --partition=gpu
            #SBATCH --account=mlgroup
            #SBATCH --qos=normal
            #SBATCH --licenses=claude:2
            #SBATCH --constraint=ib
            # ptb sweep 'march', submission 1: 4 run(s), 10 h agent budget + 1 h evaluation + 30 min margin.
            # Array index i runs RUNS[i]; task.sh records each attempt in attempts/<run>.jsonl.
            RUNS=(
              claude_gsm8k_Qwen_Qwen3-1.7B-Base_10h_1gpu_s0
              claude_gsm8k_Qwen_Qwen3-1.7B-Base_10h_1gpu_s1
              codex_gsm8k_Qwen_Qwen3-1.7B-Base_10h_1gpu_s0
              codex_gsm8k_Qwen_Qwen3-1.7B-Base_10h_1gpu_s1
            )
            exec /bin/bash /shared/ptb/march/task.sh "${RUNS[$SLURM_ARRAY_TASK_ID]}"

            """)
    }

    @Test func gpusStyleCPUOnlyAndNoThrottle() throws {
        var s = goldenSpec()
        s.resources = SweepResources(cpus: 2, memory: "1G", disk: nil, gpuType: nil, gpuRequest: .gpus)
        s.throttle = SweepThrottle()
        s.gpus = [8]
        s.hours = [100]
        let m = try SweepManifest(spec: s, createdAt: Date())
        let text = try SlurmBackend(executor: FakeExecutor()).submissionFile(runs: m.runs, number: 12, manifest: m, paths: paths).text
        #expect(text.contains("#SBATCH --array=0-3\n"))
        #expect(text.contains("#SBATCH --gpus=8\n"))
        #expect(text.contains("#SBATCH --time=4-05:30:00\n"))   // 100 h + 1 h + 30 min
        #expect(!text.contains("--tmp") && !text.contains("--partition") && !text.contains("--licenses"))

        s.gpus = [0]
        let cpu = try SweepManifest(spec: s, createdAt: Date())
        let cpuText = try SlurmBackend(executor: FakeExecutor()).submissionFile(runs: cpu.runs, number: 1, manifest: cpu, paths: paths).text
        #expect(!cpuText.contains("--gres") && !cpuText.contains("--gpus"))
    }

    @Test func mixedResourcesInOneArrayAreRefused() throws {
        var s = goldenSpec()
        s.gpus = [1, 2]
        let m = try SweepManifest(spec: s, createdAt: Date())
        #expect(throws: JobsError.self) {
            try SlurmBackend(executor: FakeExecutor()).submissionFile(runs: m.runs, number: 1, manifest: m, paths: paths)
        }
    }

    @Test func parsesSqueue2205IncludingThePendingArrayRecord() throws {
        let s = try SlurmBackend.parseSqueue(Samples.squeue2205)
        typealias K = SlurmBackend.SlurmTaskKey
        #expect(s[K(arrayJobID: "4100", taskID: 0)] == .running(node: "gpu07"))
        #expect(s[K(arrayJobID: "4100", taskID: 1)] == .running(node: "gpu02"))
        #expect(s[K(arrayJobID: "4100", taskID: 2)] == .pending(reason: "JobArrayTaskLimit"))
        #expect(s[K(arrayJobID: "4100", taskID: 3)] == .pending(reason: "JobArrayTaskLimit"))
        #expect(s[K(arrayJobID: "3999", taskID: 0)] == .pending(reason: "Priority"))
        #expect(s.count == 5)
    }

    @Test func parsesSqueue2302Shapes() throws {
        let s = try SlurmBackend.parseSqueue(Samples.squeue2302)
        typealias K = SlurmBackend.SlurmTaskKey
        #expect(s[K(arrayJobID: "4100", taskID: 0)] == .running(node: "gpu07"))
        #expect(s[K(arrayJobID: "4100", taskID: 1)] == .pending(reason: "Resources"))
        #expect(s[K(arrayJobID: "4100", taskID: 3)] == .pending(reason: "Resources"))
        #expect(s[K(arrayJobID: "4100", taskID: 2)] == nil)
    }

    @Test func parsesSacct2205EveryEndState() throws {
        let s = try SlurmBackend.parseSacct(Samples.sacct2205)
        func k(_ t: Int) -> SlurmBackend.SlurmTaskKey { .init(arrayJobID: "4100", taskID: t) }
        #expect(s[k(0)] == .completed)
        #expect(s[k(1)] == .failed(exitCode: 3))
        #expect(s[k(2)] == .timeout)
        #expect(s[k(3)] == .cancelled)
        #expect(s[k(4)] == .preempted)
        #expect(s[k(5)] == .nodeFailure)
        #expect(s[k(6)] == .outOfMemory)
        #expect(s[k(7)] == .pending(reason: "JobArrayTaskLimit") && s[k(8)] == .pending(reason: "JobArrayTaskLimit"))
    }

    @Test func parsesScontrolRecords() {
        let s = SlurmBackend.parseScontrol(Samples.scontrol2205)
        func k(_ t: Int) -> SlurmBackend.SlurmTaskKey { .init(arrayJobID: "1", taskID: t) }
        #expect(s[k(3)] == .completed)
        #expect(s[k(1)] == .failed(exitCode: 1))
        #expect(s[k(4)] == .pending(reason: "JobArrayTaskLimit") && s[k(5)] == .pending(reason: "JobArrayTaskLimit"))
        #expect(s.count == 4)
    }

    @Test func garbageIsAnActionableError() {
        #expect(throws: JobsError.self) { try SlurmBackend.parseSqueue("squeue: error: Unable to contact slurm controller") }
        #expect(throws: JobsError.self) { try SlurmBackend.parseSacct("{\"meta\": {}}") }
    }

    @Test func submitReadsTheParsableJobID() async throws {
        let fake = FakeExecutor([FakeExecutor.answer("sbatch", "sbatch: warning: can't honor --ntasks-per-node\n4100;hpc")])
        let m = try SweepManifest(spec: goldenSpec(), createdAt: Date())
        let id = try await SlurmBackend(executor: fake).submit(fileURL: URL(fileURLWithPath: "/x/001.sbatch"), runs: m.runs, manifest: m, paths: paths)
        #expect(id == "4100")
        #expect(fake.lines == ["sbatch --parsable --chdir=/shared/ptb/march /x/001.sbatch"])

        let refused = FakeExecutor([FakeExecutor.answer("sbatch", "sbatch: error: Batch job submission failed: Requested node configuration is not available", status: 1)])
        await #expect(throws: JobsError.self) {
            _ = try await SlurmBackend(executor: refused).submit(fileURL: URL(fileURLWithPath: "/x/001.sbatch"), runs: m.runs, manifest: m, paths: paths)
        }
        do {
            _ = try await SlurmBackend(executor: refused).submit(fileURL: URL(fileURLWithPath: "/x/001.sbatch"), runs: m.runs, manifest: m, paths: paths)
        } catch {
            #expect("\(error)".contains("Requested node configuration is not available"))
            #expect("\(error)".contains("--dry-run"))
        }
    }

    @Test func statesMapArrayTasksToRunsAndFallBackToScontrol() async throws {
        let m = try SweepManifest(spec: goldenSpec(), createdAt: Date())
        let ids = m.runs.map(\.id)
        // Submission 1 had all four runs as array 1; the retry (array 7) has runs 1 and 2.
        let subs = [
            Submission(number: 1, backend: .slurm, jobID: "1", runs: ids, submittedAt: Date(), file: "submit/001.sbatch", isRetry: false),
            Submission(number: 2, backend: .slurm, jobID: "7", runs: [ids[1], ids[2]], submittedAt: Date(), file: "submit/002.sbatch", isRetry: true),
        ]
        let fake = FakeExecutor([
            FakeExecutor.answer("sacct", "Slurm accounting storage is disabled", status: 1),
            { $0.executable == "scontrol" && $0.arguments == ["show", "job", "1"] ? (.exited(0), Samples.scontrol2205) : nil },
            FakeExecutor.answer("scontrol", "slurm_load_jobs error: Invalid job id specified", status: 1),
            FakeExecutor.answer("squeue", """
                {"jobs": [{"array_job_id": 7, "array_task_id": 0, "array_task_string": "", "job_id": 8, "job_state": "RUNNING",
                           "state_reason": "None", "nodes": "vm"}]}
                """),
        ])
        let states = try await SlurmBackend(executor: fake).states(of: subs, paths: paths)
        #expect(states[ids[3]] == .completed)            // array 1, task 3 (scontrol)
        #expect(states[ids[1]] == .running(node: "vm"))  // retry array 7, task 0 (squeue)
        #expect(states[ids[0]] == nil)                   // scontrol no longer knows task 0
        #expect(states[ids[2]] == nil)
        #expect(fake.lines.first == "sacct --json -X --jobs=1,7")
        #expect(fake.lines.contains("squeue --json"))
    }

    @Test func cancelTargetsArrayTasks() async throws {
        let fake = FakeExecutor([FakeExecutor.answer("scancel", "")])
        let sub = Submission(number: 1, backend: .slurm, jobID: "4100", runs: ["a", "b", "c"], submittedAt: Date(), file: "", isRetry: false)
        try await SlurmBackend(executor: fake).cancel(sub, runs: ["c", "a"], paths: paths)
        try await SlurmBackend(executor: fake).cancel(sub, runs: nil, paths: paths)
        #expect(fake.lines == ["scancel 4100_2 4100_0", "scancel 4100"])
    }
}
