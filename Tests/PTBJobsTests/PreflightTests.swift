import Foundation
import PTBCore
import PTBJobs
import PTBProcess
import Testing

/// `ptb sweep submit --preflight`: the job that runs doctor first. HTCondor does not install here,
/// so its preflight is golden-tested; Slurm runs it live (LiveSlurmTests.PTBMode) and the local
/// pool end to end (PTBRunnerTests.SweepPreflightTests).
@Suite struct PreflightTests {
    let paths = SweepPaths(root: URL(fileURLWithPath: "/shared/ptb/march"))

    func preflight(_ backend: any SweepBackend) -> SweepPreflight {
        SweepPreflight(backend: backend, sweep: paths, ptb: "/shared/bin/ptb", ptbHome: "/shared/ptb-home", doctorArguments: ["--min-free-gb", "200"])
    }

    @Test func htcondorPreflightJobIsExactlyTheGolden() throws {
        var s = goldenSpec(backend: .htcondor)
        s.gpus = [1, 2]
        s.options.sandbox = .bwrap
        s.resources.extraDirectives = []   // goldenSpec's are Slurm's
        let plan = try preflight(HTCondorBackend(executor: FakeExecutor())).plan(s)
        #expect(plan.chunks.count == 1)
        #expect(plan.chunks[0].file.text == """
            # ptb sweep 'march-preflight', submission 1: 1 run(s), 0.01 h agent budget.
            # Process i runs the i-th run below; task.sh records each attempt in attempts/<run>.jsonl.
            universe         = vanilla
            executable       = /bin/bash
            arguments        = /shared/ptb/march/preflight/task.sh $(run)
            initialdir       = /shared/ptb/march/preflight
            environment      = "PTB_SWEEP_JOB=$(Cluster).$(Process)"
            output           = /shared/ptb/march/preflight/logs/condor-$(Cluster)_$(Process).out
            error            = /shared/ptb/march/preflight/logs/condor-$(Cluster)_$(Process).err
            log              = /shared/ptb/march/preflight/logs/condor-$(Cluster).log
            request_cpus     = 16
            request_memory   = 131072
            request_disk     = 400G
            request_gpus     = 2
            requirements     = TARGET.CUDADeviceName == "NVIDIA H100 80GB HBM3"
            periodic_remove  = (JobStatus == 2) && (time() - EnteredCurrentStatus > 1260)
            accounting_group = mlgroup
            queue run from (
              claude_gsm8k_Qwen_Qwen3-1.7B-Base_0.01h_2gpu_s0
            )

            """)
        // task.sh runs doctor with what the sweep needs, then the extra arguments; the report is
        // moved into place only when doctor has written all of it.
        #expect(plan.taskScript.contains("""
            /bin/sh -c 'out="$PTB_SWEEP_DIR/doctor.json"; "$0" doctor --json "$@" > "$out.part"; rc=$?; mv "$out.part" "$out"; exit $rc' \
            /shared/bin/ptb --model Qwen/Qwen3-1.7B-Base --agent claude --agent codex --gpus 2 --runs-dir /shared/ptb \
            --sandbox bwrap --min-free-gb 200 &
            """), "\(plan.taskScript)")
        #expect(plan.taskScript.contains("export PTB_HOME=/shared/ptb-home\n"))
    }

    @Test func slurmPreflightJobAsksForTheSweepsResources() throws {
        var s = goldenSpec(backend: .slurm)
        s.gpus = [4, 1]
        let plan = try preflight(SlurmBackend(executor: FakeExecutor())).plan(s)
        let text = plan.chunks[0].file.text
        for line in ["#SBATCH --job-name=ptb-march-preflight", "#SBATCH --array=0-0", "#SBATCH --time=0-00:21:00", "#SBATCH --cpus-per-task=16",
                     "#SBATCH --mem=128G", "#SBATCH --partition=gpu", "#SBATCH --account=mlgroup", "#SBATCH --constraint=ib"] {
            #expect(text.contains(line + "\n"), "\(line) missing from:\n\(text)")
        }
        #expect(text.contains("#SBATCH --gres=gpu:h100:4\n"), "\(text)")
        #expect(!text.contains("--array=0-0%"))   // the sweep's throttle does not apply to one job
    }

    /// Agents defined by a config file are left to the runs; the others are doctor's.
    @Test func doctorArgumentsFollowTheSpec() {
        var s = goldenSpec()
        s.agentConfigs = ["codex": "agents/codex.yaml"]
        s.models.append("google/gemma-3-4b-pt")
        s.gpus = [0]
        #expect(SweepPreflight.doctorArguments(for: s) == ["--model", "Qwen/Qwen3-1.7B-Base", "--model", "google/gemma-3-4b-pt",
                                                             "--agent", "claude", "--gpus", "0", "--runs-dir", "/shared/ptb"])
    }

    @Test func reportParsesDoctorJSON() throws {
        let json = #"[{"check":"gpu","status":"fail","detail":"no GPU","fix":"run on a GPU node"},{"check":"clock","status":"pass","detail":"ok"}]"#
        let checks = try JSONDecoder().decode([PreflightCheck].self, from: Data(json.utf8))
        let r = PreflightReport(jobID: "7", node: "n1", checks: checks)
        #expect(!r.passed && checks[0].line == "FAIL gpu: no GPU — fix: run on a GPU node")
        #expect(PreflightReport(jobID: "7", node: nil, checks: [checks[1]]).passed)
        #expect(!PreflightReport(jobID: "7", node: nil, checks: []).passed)   // no report is no pass
    }
}
