import Foundation
import PTBCore
import PTBProcess
import PTBSandbox
import PTBTestSupport
import Testing

/// Issue 21: a sandbox shows only its run's GPUs. The host's nodes are fakes in a scratch
/// directory (character devices with /dev/null's numbers as root, plain files otherwise), as the
/// live Slurm test fakes its GRES; bubblewrap binds them under /dev inside.
@Suite struct GPUDeviceNodeTests {
    /// nvidia0…3, the control nodes, and the MIG capability directory.
    static func fakeDev() throws -> URL {
        let d = URL(fileURLWithPath: "/var/tmp/ptb-fakedev-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: d.appendingPathComponent("nvidia-caps"), withIntermediateDirectories: true)
        for n in ["nvidia0", "nvidia1", "nvidia2", "nvidia3", "nvidiactl", "nvidia-uvm", "nvidia-uvm-tools"] {
            let path = d.appendingPathComponent(n).path
            if getuid() != 0 || mknod(path, S_IFCHR | 0o666, dev_t(1 << 8 | 3)) != 0 {
                _ = FileManager.default.createFile(atPath: path, contents: nil)
            }
        }
        return d
    }

    func policy(_ ws: URL) -> SandboxPolicy {
        SandboxPolicy(writable: [ws], network: .none, gpus: true, workingDirectory: ws)
    }

    @Test func onlyTheRunsGPUNodesAreBoundAndCUDARenumbersThem() throws {
        let dev = try Self.fakeDev()
        defer { try? FileManager.default.removeItem(at: dev) }
        let sb = BubblewrapSandbox(devDir: dev.path, system: [.init(path: "/usr")])
        let ws = URL(fileURLWithPath: "/runs/r1/workspace")
        let cmd = sb.wrap(Command("python", ["train.py"], environment: ["CUDA_VISIBLE_DEVICES": "1,3"]), policy: policy(ws))
        var binds: [String: String] = [:]
        for (i, a) in cmd.arguments.enumerated() where a == "--dev-bind" { binds[cmd.arguments[i + 2]] = cmd.arguments[i + 1] }
        #expect(binds == [
            "/dev/nvidia1": dev.path + "/nvidia1", "/dev/nvidia3": dev.path + "/nvidia3",
            "/dev/nvidiactl": dev.path + "/nvidiactl", "/dev/nvidia-uvm": dev.path + "/nvidia-uvm",
            "/dev/nvidia-uvm-tools": dev.path + "/nvidia-uvm-tools", "/dev/nvidia-caps": dev.path + "/nvidia-caps",
        ])
        #expect(cmd.environment["CUDA_VISIBLE_DEVICES"] == "0,1")

        // No GPUs asked for: no node at all, and the variable is left alone.
        var cpu = policy(ws)
        cpu.gpus = false
        let plain = sb.wrap(Command("python", [], environment: ["CUDA_VISIBLE_DEVICES": "2"]), policy: cpu)
        #expect(!plain.arguments.contains("--dev-bind") && plain.environment["CUDA_VISIBLE_DEVICES"] == "2")

        // Unset (a standalone run on a node ptb does not share) or UUIDs (not mappable to a node
        // without NVML): every GPU node, the value unchanged.
        for visible in [nil, "GPU-8d5e0c6a-0000-4000-8000-000000000000"] as [String?] {
            let all = sb.wrap(Command("python", [], environment: visible.map { ["CUDA_VISIBLE_DEVICES": $0] } ?? [:]), policy: policy(ws))
            let targets = all.arguments.enumerated().filter { $0.element == "--dev-bind" }.map { all.arguments[$0.offset + 2] }
            #expect(targets.filter { $0.range(of: #"^/dev/nvidia\d+$"#, options: .regularExpression) != nil }.count == 4)
            #expect(all.environment["CUDA_VISIBLE_DEVICES"] == visible)
        }

        // A GPU the host does not have is not bound; CUDA then sees fewer and the precheck says so.
        let missing = sb.wrap(Command("python", [], environment: ["CUDA_VISIBLE_DEVICES": "2,7"]), policy: policy(ws))
        #expect(missing.arguments.contains(dev.path + "/nvidia2") && !missing.arguments.contains(dev.path + "/nvidia7"))
        #expect(missing.environment["CUDA_VISIBLE_DEVICES"] == "0")

        // A device cgroup (Slurm ConstrainDevices) that lets this job open only its own GPU, with
        // CUDA_VISIBLE_DEVICES renumbered to "0": /dev/nvidia0 is another job's, so every node is
        // bound (the cgroup still hides the others) and the value is left as Slurm set it.
        var constrained = sb
        constrained.canOpen = { $0.hasSuffix("/nvidia2") || !$0.contains("/nvidia") || $0.hasSuffix("ctl") }
        let slurm = constrained.wrap(Command("python", [], environment: ["CUDA_VISIBLE_DEVICES": "0"]), policy: policy(ws))
        #expect(slurm.arguments.contains(dev.path + "/nvidia0") && slurm.arguments.contains(dev.path + "/nvidia2"))
        #expect(slurm.environment["CUDA_VISIBLE_DEVICES"] == "0")
        #expect(BubblewrapSandbox.opens(dev.path + "/nvidia0"))
    }

    /// The real sandbox: /dev inside holds exactly the run's two GPU nodes and the control nodes.
    @Test func insideTheSandboxOnlyTheRunsNodesExist() async throws {
        guard SandboxSupport.findExecutable("bwrap") != nil else { try Integration.skip("bwrap is required in CI") }
        let dev = try Self.fakeDev()
        let ws = URL(fileURLWithPath: "/var/tmp/ptb-fakedev-ws-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: ws, withIntermediateDirectories: true)
        defer {
            try? FileManager.default.removeItem(at: dev)
            try? FileManager.default.removeItem(at: ws)
        }
        let sb = BubblewrapSandbox(devDir: dev.path)
        for (visible, gpus) in [("0,2", ["nvidia0", "nvidia2"]), ("3", ["nvidia3"])] {
            let cmd = sb.wrap(Command("/bin/sh", ["-c", #"ls /dev | grep nvidia | tr '\n' ' '; echo; echo "CVD=$CUDA_VISIBLE_DEVICES""#],
                                      environment: ["PATH": "/usr/bin:/bin", "CUDA_VISIBLE_DEVICES": visible]), policy: policy(ws))
            let (t, lines) = try await ProcessRunner().run(cmd)
            #expect(t == .exited(0), "\(lines)")
            let seen = Set((lines.first ?? "").split(separator: " ").map(String.init))
            #expect(seen == Set(gpus + ["nvidia-caps", "nvidia-uvm", "nvidia-uvm-tools", "nvidiactl"]), "\(lines)")
            #expect(lines.last == "CVD=" + GPUSelection.insideSandbox(count: gpus.count))
        }
    }
}
