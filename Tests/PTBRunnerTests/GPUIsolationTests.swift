import Foundation
import PTBCore
import PTBProcess
@testable import PTBRunner
import Testing

/// Issue 21 on a CPU machine: a fake `nvidia-smi` (a shell script answering the queries ptb
/// makes) lists four GPUs and compute processes of several runs; ptb records and cleans up only
/// the run's own.
@Suite struct GPUIsolationTests {
    func scratch() throws -> URL {
        let d = URL(fileURLWithPath: "/var/tmp/ptb-gpuiso-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    /// Answers like nvidia-smi: `--id=` restricts both queries; the compute apps are `pids`.
    func fakeSMI(in dir: URL, pids: [pid_t] = []) throws -> String {
        let path = dir.appendingPathComponent("nvidia-smi").path
        try """
            #!/bin/sh
            ids=""; query=""
            for a in "$@"; do case "$a" in --id=*) ids="${a#--id=}";; --query-gpu=*) query=gpu;; --query-compute-apps=pid) query=pids;; --query-compute-apps=*) query=apps;; esac; done
            want() { [ -z "$ids" ] || echo ",$ids," | grep -q ",$1,"; }
            if [ "$query" = gpu ]; then
              for i in 0 1 2 3; do want $i && echo "$i, $((10 * i)), 5, $((1000 * i)), 81559, 40, 70.5"; done
            elif [ "$query" = apps ]; then
              \(pids.enumerated().map { "want \($0.offset % 4) && echo \"\($0.element), 100 MiB, python\"" }.joined(separator: "\n  "))
              :
            elif [ "$query" = pids ]; then
              \(pids.enumerated().map { "want \($0.offset % 4) && echo \"\($0.element)\"" }.joined(separator: "\n  "))
              :
            fi

            """.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    @Test func theMonitorRecordsExactlyTheRunsGPUs() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let smi = try fakeSMI(in: dir, pids: [101, 102, 103, 104])
        let mine = Monitor(url: dir.appendingPathComponent("m.jsonl"), interval: 1, workspace: dir, runner: ProcessRunner(), gpus: [1, 3], smi: smi)
        let s = await mine.sample(smi: smi)
        #expect(s.gpus?.map(\.index) == [1, 3])
        #expect(s.gpus?.first?.utilization == 10 && s.gpus?.first?.memoryUsedMiB == 1000)
        #expect(s.gpuProcesses == ["102, 100 MiB, python", "104, 100 MiB, python"])
        // A smi that ignores --id (or lists more than asked) still yields only the run's GPUs.
        let loud = dir.appendingPathComponent("loud-smi").path
        try "#!/bin/sh\nfor i in 0 1 2 3; do echo \"$i, 1, 1, 1, 1, 1, 1\"; done\n".write(toFile: loud, atomically: true, encoding: .utf8)
        chmod(loud, 0o755)
        #expect(await mine.sample(smi: loud).gpus?.map(\.index) == [1, 3])
        // Without a run GPU set (CPU runs never query; an old manifest): every GPU.
        let all = Monitor(url: dir.appendingPathComponent("a.jsonl"), interval: 1, workspace: dir, runner: ProcessRunner(), smi: smi)
        #expect(await all.sample(smi: smi).gpus?.map(\.index) == [0, 1, 2, 3])
    }

    /// Three GPU "trainers" of two runs and one foreign job, all listed by nvidia-smi: the
    /// run's cleanup kills its own two and neither of the others.
    @Test func gpuCleanupKillsOnlyTheRunsProcesses() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let runner = ProcessRunner()
        var children: [(String?, ChildProcess)] = []
        for owner in ["run-a", "run-b", nil, "run-a"] as [String?] {
            var env = ["PATH": "/usr/bin:/bin"]
            if let owner { env["PTB_RUN_ID"] = owner }
            // Long enough to outlive a starved cooperative pool: in the runner pass, blocking
            // end-to-end tests can delay this test's awaits by minutes, and a child that exited on
            // its own would make the cleanup look like it killed nothing.
            children.append((owner, try await runner.start(Command("/bin/sleep", ["3600"], environment: env))))
        }
        defer { for (_, c) in children { kill(c.pid, SIGKILL) } }
        let smi = try fakeSMI(in: dir, pids: children.map(\.1.pid))
        #expect(Set(await GPUProcesses.computePIDs(runner: runner, smi: smi)) == Set(children.map(\.1.pid)))

        let killed = await GPUProcesses.killLeftovers(runID: "run-a", runner: runner, smi: smi)
        #expect(Set(killed) == Set(children.filter { $0.0 == "run-a" }.map(\.1.pid)))
        for (owner, c) in children {
            if owner == "run-a" {
                #expect(await c.wait() == .signaled(SIGKILL))
            } else {
                #expect(kill(c.pid, 0) == 0, "\(owner ?? "foreign") process \(c.pid) was killed")
            }
        }
        // PTB_NVIDIA_SMI names the tool on nodes that keep it elsewhere.
        #expect(GPUProcesses.nvidiaSMI(environment: ["PTB_NVIDIA_SMI": smi]) == smi)
        #expect(GPUProcesses.nvidiaSMI(environment: ["PTB_NVIDIA_SMI": dir.appendingPathComponent("absent").path]) == nil)
    }
}
