import Foundation
import PTBCore
import PTBProcess
import PTBSandbox
import PTBTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

let hasBwrap = FileManager.default.isExecutableFile(atPath: "/usr/bin/bwrap")

@Suite struct BubblewrapArgumentTests {
    @Test func commandLineGolden() throws {
        let ws = URL(fileURLWithPath: "/runs/r1/workspace")
        let policy = SandboxPolicy(writable: [ws], readOnlyInsideWritable: [ws.appendingPathComponent("task/evaluate.py")],
                                   visible: [URL(fileURLWithPath: "/tmp/ptbenv"), URL(fileURLWithPath: "/opt/ptb/models/tiny")],
                                   mounts: [.init(source: URL(fileURLWithPath: "/tmp/ptb-eval-abc"), target: "/run/ptb", readOnly: true)],
                                   network: .none, gpus: true, workingDirectory: ws.appendingPathComponent("task"),
                                   tmpSizeBytes: 1_000_000_000, shmSizeBytes: 2_000_000_000)
        let sb = BubblewrapSandbox(deviceNodes: ["/dev/nvidia0", "/dev/nvidiactl"],
                                   system: [.init(path: "/usr"), .init(path: "/bin", link: "usr/bin"), .init(path: "/lib", link: "usr/lib"),
                                            .init(path: "/etc"), .init(path: "/sys")])
        let cmd = sb.wrap(Command("python", ["agent.py"], environment: ["HOME": ws.path]), policy: policy)
        let golden = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/bwrap-gpu-nonet.txt"), encoding: .utf8)
        #expect(cmd.display + "\n" == golden)
        #expect(cmd.environment == ["HOME": ws.path])
        var open = policy
        open.network = .open
        #expect(sb.arguments(policy: open).contains("--share-net"))
        #expect(!sb.arguments(policy: policy).contains("--share-net"))
    }
}

@Suite(.serialized) struct BubblewrapLiveTests {
    func scratch() throws -> URL {
        let d = URL(fileURLWithPath: "/var/tmp/ptb-sbx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d.appendingPathComponent("ws/task"), withIntermediateDirectories: true)
        try "original".write(to: d.appendingPathComponent("ws/task/evaluate.py"), atomically: true, encoding: .utf8)
        return d
    }

    func run(_ script: String, in d: URL, network: NetworkPolicy) async throws -> (Termination, [String]) {
        let ws = d.appendingPathComponent("ws")
        let policy = SandboxPolicy(writable: [ws], readOnlyInsideWritable: [ws.appendingPathComponent("task/evaluate.py")],
                                   network: network, gpus: false, workingDirectory: ws.appendingPathComponent("task"))
        let cmd = BubblewrapSandbox().wrap(Command("/bin/sh", ["-c", script], environment: ["PATH": "/usr/bin:/bin"]), policy: policy)
        return try await ProcessRunner().run(cmd)
    }

    @Test func readOnlyPathsRefuseWritesAndWorkspaceAccepts() async throws {
        guard hasBwrap else { try Integration.skip("bwrap is required in CI") }
        let d = try scratch()
        defer { try? FileManager.default.removeItem(at: d) }
        let (t, lines) = try await run("""
            { echo tampered > evaluate.py; } 2>/dev/null && echo EVAL_WRITABLE || echo EVAL_READONLY
            { echo hi > /etc/ptb-test; } 2>/dev/null && echo ETC_WRITABLE || echo ETC_READONLY
            { echo hi > \(d.path)/outside; } 2>/dev/null && echo OUTSIDE_WRITABLE || echo OUTSIDE_READONLY
            echo ok > result.txt && echo WS_WRITABLE
            ls /tmp | wc -l
            """, in: d, network: .none)
        #expect(t == .exited(0))
        #expect(lines.contains("EVAL_READONLY"))
        #expect(lines.contains("ETC_READONLY"))
        #expect(lines.contains("OUTSIDE_READONLY"))
        #expect(lines.contains("WS_WRITABLE"))
        #expect(lines.last == "0", "the sandbox's /tmp is private and empty")
        #expect(try String(contentsOf: d.appendingPathComponent("ws/task/evaluate.py"), encoding: .utf8) == "original")
        #expect(FileManager.default.fileExists(atPath: d.appendingPathComponent("ws/task/result.txt").path))
    }

    @Test func networkNoneCannotReachHostLoopback() async throws {
        guard hasBwrap else { try Integration.skip("bwrap is required in CI") }
        let d = try scratch()
        defer { try? FileManager.default.removeItem(at: d) }
        // A listener on the host's loopback: reachable with network open, not with none.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        listen(fd, 4)
        let port = UInt16(bigEndian: addr.sin_port)
        let probe = "python3 -c \"import socket; s=socket.socket(); s.settimeout(3); print('CONNECTED' if s.connect_ex(('127.0.0.1', \(port))) == 0 else 'REFUSED')\""
        let (_, closed) = try await run(probe, in: d, network: .none)
        #expect(closed.last == "REFUSED")
        let (_, open) = try await run(probe, in: d, network: .open)
        #expect(open.last == "CONNECTED")
    }

    @Test func killingTheSandboxKillsItsWholeTree() async throws {
        guard hasBwrap else { try Integration.skip("bwrap is required in CI") }
        let d = try scratch()
        defer { try? FileManager.default.removeItem(at: d) }
        let ws = d.appendingPathComponent("ws")
        let policy = SandboxPolicy(writable: [ws], network: .none, gpus: false, workingDirectory: ws)
        let marker = "ptb-sbx-sleep-\(UInt32.random(in: 0...UInt32.max))"
        let cmd = BubblewrapSandbox().wrap(Command("/bin/bash", ["-c", "(exec -a \(marker) sleep 300) & echo started; wait"],
                                                   environment: ["PATH": "/usr/bin:/bin"]), policy: policy)
        let runner = ProcessRunner()
        let child = try await runner.start(cmd)
        for await line in child.lines where line == "started" { break }
        #expect(try countProcesses(named: marker) >= 1)
        await child.stop(grace: 2)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try countProcesses(named: marker) == 0)
    }
}

func countProcesses(named marker: String) throws -> Int {
    let pids = try FileManager.default.contentsOfDirectory(atPath: "/proc").filter { Int($0) != nil }
    return pids.filter { pid in
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return String(decoding: data, as: UTF8.self).contains(marker)
    }.count
}

/// The allow-list view: a live bubblewrap shows the system directories, the policy's paths and
/// nothing else of the host.
@Suite(.serialized) struct BubblewrapViewTests {
    @Test func rootShowsOnlyTheAllowList() async throws {
        guard hasBwrap else { try Integration.skip("bwrap is required in CI") }
        let d = URL(fileURLWithPath: "/var/tmp/ptb-view-\(UUID().uuidString)")
        let fm = FileManager.default
        let ws = d.appendingPathComponent("home/runs/r1/workspace")
        let model = d.appendingPathComponent("home/models/tiny")
        let secret = d.appendingPathComponent("home/credentials/key")
        let other = d.appendingPathComponent("home/runs/r0/final_model/model.safetensors")
        for dir in [ws, model, secret.deletingLastPathComponent(), other.deletingLastPathComponent()] {
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        }
        try "weights".write(to: model.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        try "CANARY-KEY".write(to: secret, atomically: true, encoding: .utf8)
        try "other-run".write(to: other, atomically: true, encoding: .utf8)
        defer { try? fm.removeItem(at: d) }
        let policy = SandboxPolicy(writable: [ws], visible: [model], network: .none, gpus: false, workingDirectory: ws,
                                   tmpSizeBytes: 8 << 20, shmSizeBytes: 8 << 20)
        let script = """
            ls / | tr '\\n' ' '; echo
            ls \(d.path)/home | tr '\\n' ' '; echo
            ls \(d.path)/home/runs | tr '\\n' ' '; echo
            cat \(model.path)/config.json; echo
            cat \(secret.path) 2>/dev/null || echo NO_SECRET
            cat \(other.path) 2>/dev/null || echo NO_OTHER_RUN
            ls /root 2>/dev/null | head -1; ls /home 2>/dev/null | head -1; echo HOMES_CHECKED
            head -c 16000000 /dev/zero > /tmp/big 2>/dev/null && echo TMP_UNCAPPED || echo TMP_CAPPED
            head -c 16000000 /dev/zero > /dev/shm/big 2>/dev/null && echo SHM_UNCAPPED || echo SHM_CAPPED
            """
        let cmd = BubblewrapSandbox().wrap(Command("/bin/sh", ["-c", script], environment: ["PATH": "/usr/bin:/bin"]), policy: policy)
        let (t, lines) = try await ProcessRunner().run(cmd)
        #expect(t == .exited(0), "\(lines)")
        let root = Set((lines.first ?? "").split(separator: " ").map(String.init))
        let allowed: Set<String> = ["usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "sys", "dev", "proc", "tmp", "var"]
        #expect(root.isSubset(of: allowed), "unexpected entries in /: \(root.subtracting(allowed))")
        #expect(!root.contains("home") && !root.contains("root") && !root.contains("opt") && !root.contains("work"))
        #expect(lines.dropFirst().first?.trimmingCharacters(in: .whitespaces) == "models runs", "only the bound paths' parents exist: \(lines)")
        #expect(lines.dropFirst(2).first?.trimmingCharacters(in: .whitespaces) == "r1")
        #expect(lines.contains("weights"))
        #expect(lines.contains("NO_SECRET"))
        #expect(lines.contains("NO_OTHER_RUN"))
        #expect(!lines.contains("CANARY-KEY"))
        #expect(lines.contains("HOMES_CHECKED") && lines.firstIndex(of: "HOMES_CHECKED") == lines.firstIndex(of: "NO_OTHER_RUN")! + 1)
        #expect(lines.contains("TMP_CAPPED"))
        #expect(lines.contains("SHM_CAPPED"))
    }

    @Test func policyWithoutSizesKeepsTheKernelDefault() {
        let ws = URL(fileURLWithPath: "/w")
        let a = BubblewrapSandbox(system: []).arguments(policy: SandboxPolicy(writable: [ws], network: .none, gpus: false, workingDirectory: ws))
        #expect(!a.contains("--size"))
        #expect(!a.contains("/") || !a.joined(separator: " ").contains("--ro-bind / /"))
    }
}
