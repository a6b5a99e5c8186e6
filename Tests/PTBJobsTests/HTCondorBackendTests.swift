import Foundation
import PTBCore
import PTBJobs
import PTBProcess
import Testing

/// HTCondor does not install on these machines (feasibility.md §1b): golden tests only.
@Suite struct HTCondorBackendTests {
    let paths = SweepPaths(root: URL(fileURLWithPath: "/shared/ptb/march"))

    @Test func submitDescriptionIsExactlyTheGolden() throws {
        var s = goldenSpec(backend: .htcondor)
        s.resources.extraDirectives = ["+BypassLXCfs = \"true\""]   // as the original's single_task.sub
        let m = try SweepManifest(spec: s, createdAt: Date())
        let file = try HTCondorBackend(executor: FakeExecutor()).submissionFile(runs: m.runs, number: 3, manifest: m, paths: paths)
        #expect(file.name == "003.sub")
        #expect(file.text == """
            # ptb sweep 'march', submission 3: 4 run(s), 10 h agent budget.
            # Process i runs the i-th run below; task.sh records each attempt in attempts/<run>.jsonl.
            universe           = vanilla
            executable         = /bin/bash
            arguments          = /shared/ptb/march/task.sh $(run)
            initialdir         = /shared/ptb/march
            environment        = "PTB_SWEEP_JOB=$(Cluster).$(Process)"
            output             = /shared/ptb/march/logs/condor-$(Cluster)_$(Process).out
            error              = /shared/ptb/march/logs/condor-$(Cluster)_$(Process).err
            log                = /shared/ptb/march/logs/condor-$(Cluster).log
            request_cpus       = 16
            request_memory     = 131072
            request_disk       = 400G
            request_gpus       = 1
            requirements       = TARGET.CUDADeviceName == "NVIDIA H100 80GB HBM3"
            periodic_remove    = (JobStatus == 2) && (time() - EnteredCurrentStatus > 41400)
            concurrency_limits = user.gemini:1250
            max_materialize    = 3
            accounting_group   = mlgroup
            +BypassLXCfs = "true"
            queue run from (
              claude_gsm8k_Qwen_Qwen3-1.7B-Base_10h_1gpu_s0
              claude_gsm8k_Qwen_Qwen3-1.7B-Base_10h_1gpu_s1
              codex_gsm8k_Qwen_Qwen3-1.7B-Base_10h_1gpu_s0
              codex_gsm8k_Qwen_Qwen3-1.7B-Base_10h_1gpu_s1
            )

            """)
    }

    @Test func cpuOnlyRunsRequestNoGPUAndNoRequirement() throws {
        var s = goldenSpec(backend: .htcondor)
        s.gpus = [0]
        s.throttle = SweepThrottle()
        let m = try SweepManifest(spec: s, createdAt: Date())
        let text = try HTCondorBackend(executor: FakeExecutor()).submissionFile(runs: m.runs, number: 1, manifest: m, paths: paths).text
        #expect(!text.contains("request_gpus") && !text.contains("requirements") && !text.contains("max_materialize"))
    }

    @Test func parsesCondorQ() throws {
        let s = try HTCondorBackend.parseAds(Samples.condorQ)
        #expect(s["812.0"] == .running(node: "i101.internal.cluster.is.localnet"))
        #expect(s["812.1"] == .pending(reason: nil))
        #expect(s["812.2"] == .held(reason: "Error from slot1_2@i102: Failed to execute '/bin/bash': permission denied"))
        #expect(s["812.3"] == .pending(reason: "evicted, waiting to restart"))
        #expect(try HTCondorBackend.parseAds("").isEmpty)   // condor_q prints nothing when no job matches
    }

    @Test func parsesCondorHistory() throws {
        let s = try HTCondorBackend.parseAds(Samples.condorHistory)
        #expect(s["811.0"] == .completed)
        #expect(s["811.1"] == .failed(exitCode: 2))
        #expect(s["811.2"] == .failed(exitCode: 137))
        #expect(s["811.3"] == .cancelled)
        #expect(s["811.4"] == .timeout)
    }

    @Test func submitStatesAndCancelCommands() async throws {
        let m = try SweepManifest(spec: goldenSpec(backend: .htcondor), createdAt: Date())
        let ids = m.runs.map(\.id)
        let fake = FakeExecutor([
            FakeExecutor.answer("condor_submit", "812.0 - 812.3\n"),
            FakeExecutor.answer("condor_history", Samples.condorHistory),
            FakeExecutor.answer("condor_q", Samples.condorQ),
            FakeExecutor.answer("condor_rm", "All jobs in cluster 812 have been marked for removal"),
        ])
        let backend = HTCondorBackend(executor: fake)
        let id = try await backend.submit(fileURL: URL(fileURLWithPath: "/s/001.sub"), runs: m.runs, manifest: m, paths: paths)
        #expect(id == "812")
        let subs = [
            Submission(number: 1, backend: .htcondor, jobID: "811", runs: ids, submittedAt: Date(), file: "", isRetry: false),
            Submission(number: 2, backend: .htcondor, jobID: "812", runs: [ids[1], ids[3]], submittedAt: Date(), file: "", isRetry: true),
        ]
        let states = try await backend.states(of: subs, paths: paths)
        #expect(states[ids[0]] == .completed)
        #expect(states[ids[2]] == .failed(exitCode: 137))   // 811.2: killed by signal 9
        #expect(states[ids[1]] == .running(node: "i101.internal.cluster.is.localnet"))   // 812.0 overrides 811.1
        #expect(states[ids[3]] == .pending(reason: nil))                                  // 812.1
        try await backend.cancel(subs[1], runs: [ids[3]], paths: paths)
        #expect(fake.lines.first == "condor_submit -terse /s/001.sub")
        #expect(fake.lines.contains { $0.hasPrefix("condor_q 811 812 -json -attributes ClusterId,ProcId,JobStatus") })
        #expect(fake.lines.last == "condor_rm 812.1")
    }
}
