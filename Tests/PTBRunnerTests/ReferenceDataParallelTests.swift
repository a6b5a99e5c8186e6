import Foundation
import PTBAgents
import PTBCore
import PTBProcess
import PTBSandbox
import PTBTestSupport
import Testing

/// Issue 21: the reference agent trains data-parallel over k processes. No machine here has two
/// GPUs, so the same code path runs with gloo on the CPU (PTB_REFERENCE_PROCS=2), inside the
/// bubblewrap sandbox runs use (no network: torchrun's rendezvous is on the sandbox's loopback).
@Suite struct ReferenceDataParallelTests {
    @Test func twoRanksTrainInTheSandboxAndRankZeroSaves() async throws {
        guard let real = TestHome.realHome else { try Integration.skip("PTB_TEST_HOME must point at a home made by `ptb setup`") }
        let dir = URL(fileURLWithPath: "/var/tmp/ptb-ddp-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try AgentResources.install("reference_agent", into: dir, as: "agent_solve.py")
        try FileManager.default.copyItem(at: try Self.arithGenerator(), to: dir.appendingPathComponent("arith_generator.py"))
        // The venv's own interpreter path (resolving it would leave the venv's site-packages behind).
        let venv = real.appendingPathComponent("envs/py").resolvingSymlinksInPath()
        let python = venv.appendingPathComponent("bin/python")
        let model = real.appendingPathComponent("models/tiny").resolvingSymlinksInPath()
        let env = ["PATH": "/usr/bin:/bin", "HOME": dir.path, "PTB_BASE_MODEL": model.path, "PTB_TASK": "arith",
                   "PTB_REFERENCE_MAX_STEPS": "12", "PTB_REFERENCE_EVAL_LIMIT": "0", "PTB_REFERENCE_PROCS": "2", "NUM_GPUS": "0"]
        let policy = SandboxPolicy(writable: [dir], visible: [venv, model] + [SandboxView.pythonPrefix(ofEnvironment: venv)].compactMap { $0 },
                                   network: .none, gpus: false, workingDirectory: dir)
        var cmd = Command(python.path, ["-u", "agent_solve.py"], environment: env)
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/bwrap") {
            cmd = BubblewrapSandbox().wrap(cmd, policy: policy)
        } else {
            #expect(!Integration.required, "bwrap is required in CI")
            cmd.workingDirectory = dir
        }
        let started = Date()
        let (t, lines) = try await ProcessRunner().run(cmd, tail: 400)
        let text = lines.joined(separator: "\n")
        print(String(format: "reference agent, 2 gloo ranks, 12 steps: %.1f s", Date().timeIntervalSince(started)))
        #expect(t == .exited(0), "\(text)")
        #expect(text.contains("data-parallel over 2 processes") && text.contains("torch.distributed.run --standalone --nproc_per_node=2"))
        #expect(text.contains("rank 0 of 2 (gloo)"))
        #expect(text.contains("batch 64 (32 per rank x 2)"))
        #expect(text.contains("trained 12 steps"))
        // One voice: rank 1 neither logs nor saves.
        #expect(!text.contains("rank 1 of 2") && lines.filter { $0.hasPrefix("[reference] saved final_model/") }.count == 1)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("final_model/model.safetensors").path))
    }

    /// The task resources' generator, found from this file (tests have no PTBTasks bundle).
    static func arithGenerator() throws -> URL {
        let src = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/PTBTasks/Resources/arith_generator.py")
        guard FileManager.default.fileExists(atPath: src.path) else { throw PTBError.io("no \(src.path)") }
        return src
    }
}
