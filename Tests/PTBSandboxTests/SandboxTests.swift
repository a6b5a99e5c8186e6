import Foundation
import PTBCore
import PTBProcess
import PTBSandbox
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// CI sets PTB_REQUIRE_INTEGRATION=1: a missing tool is then a failure, not a skip.
let requireIntegration = ProcessInfo.processInfo.environment["PTB_REQUIRE_INTEGRATION"] == "1"
let hasBwrap = FileManager.default.isExecutableFile(atPath: "/usr/bin/bwrap")

@Suite struct BubblewrapArgumentTests {
    @Test func commandLineGolden() throws {
        let ws = URL(fileURLWithPath: "/runs/r1/workspace")
        let policy = SandboxPolicy(writable: [ws], readOnlyInsideWritable: [ws.appendingPathComponent("task/evaluate.py")],
                                   visible: [URL(fileURLWithPath: "/tmp/ptbhome"), URL(fileURLWithPath: "/opt/ptb")],
                                   network: .none, gpus: true, workingDirectory: ws.appendingPathComponent("task"))
        let sb = BubblewrapSandbox(deviceNodes: ["/dev/nvidia0", "/dev/nvidiactl"])
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
        guard hasBwrap else { #expect(!requireIntegration, "bwrap is required in CI"); return }
        let d = try scratch()
        defer { try? FileManager.default.removeItem(at: d) }
        let (t, lines) = try await run("""
            echo tampered > evaluate.py 2>/dev/null && echo EVAL_WRITABLE || echo EVAL_READONLY
            echo hi > /etc/ptb-test 2>/dev/null && echo ETC_WRITABLE || echo ETC_READONLY
            echo hi > \(d.path)/outside 2>/dev/null && echo OUTSIDE_WRITABLE || echo OUTSIDE_READONLY
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
        guard hasBwrap else { #expect(!requireIntegration, "bwrap is required in CI"); return }
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
        guard hasBwrap else { #expect(!requireIntegration, "bwrap is required in CI"); return }
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
