import Foundation
import PTBProcess
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The process layer every phase starts its children through: exits, output, stopping.
struct ProcessRunnerTests {
    @Test func exitStatusAndOutputLinesComeBack() async throws {
        let (t, lines) = try await ProcessRunner().run(Command("/bin/sh", ["-c", "echo first; echo second; exit 3"]))
        #expect(t == .exited(3) && !t.succeeded)
        #expect(lines.contains("first") && lines.contains("second"))
    }

    @Test func onlyTheLastLinesAreKept() async throws {
        let (t, lines) = try await ProcessRunner().run(Command("/bin/sh", ["-c", "i=1; while [ $i -le 50 ]; do echo $i; i=$((i+1)); done"]), tail: 5)
        #expect(t.succeeded)
        #expect(lines == ["46", "47", "48", "49", "50"])
    }

    @Test func environmentAndWorkingDirectoryReachTheChild() async throws {
        let dir = URL(fileURLWithPath: "/var/tmp")
        let (t, lines) = try await ProcessRunner().run(Command("/bin/sh", ["-c", "echo \"$PTB_PROBE $(pwd)\""],
                                                               environment: ["PTB_PROBE": "seen"], workingDirectory: dir))
        #expect(t.succeeded && lines == ["seen /var/tmp"])
    }

    /// A child that ignores SIGTERM (as test processes' children do) is killed after the grace.
    /// It sleeps far longer than the test can take: on a starved CI pool `start` once returned
    /// after a 30-s sleep had already ended, and the exit was 0.
    /// The stop waits for "ready": a TERM sent before the shell installed its trap ended it at once.
    @Test func stopEndsAChildThatIgnoresTerm() async throws {
        let child = try await ProcessRunner().start(Command("/bin/sh", ["-c", "trap '' TERM; echo ready; sleep 3600"]))
        for await line in child.lines where line == "ready" { break }
        let clock = ContinuousClock()
        let start = clock.now
        let t = await child.stop(grace: 0.5)
        #expect(t == .signaled(SIGKILL), "\(t)")
        #expect(start.duration(to: clock.now) < .seconds(10))
    }

    @Test func whichFindsTheFirstExecutableAsAShellDoes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("which-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        for sub in ["a", "b"] { try FileManager.default.createDirectory(at: dir.appendingPathComponent(sub), withIntermediateDirectories: true) }
        let plain = dir.appendingPathComponent("a/tool").path, exec = dir.appendingPathComponent("b/tool").path
        FileManager.default.createFile(atPath: plain, contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o644])
        FileManager.default.createFile(atPath: exec, contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])
        // A file that is not executable is passed over; an empty PATH entry is not the working directory.
        #expect(ProcessRunner.which("tool", path: "::\(dir.path)/a:\(dir.path)/b") == exec)
        #expect(ProcessRunner.which("tool", path: "\(dir.path)/a") == nil)
        #expect(ProcessRunner.which(exec, path: "") == exec)
        #expect(ProcessRunner.which(plain, path: "/usr/bin") == nil)
    }

    @Test func aMissingProgramIsASpawnError() async {
        await #expect(throws: ProcessError.self) {
            _ = try await ProcessRunner().run(Command("ptb-no-such-program-\(UUID().uuidString.prefix(6))"))
        }
    }

    @Test func shellQuotingSurvivesTheShell() async throws {
        let nasty = "it's \"quoted\" $HOME `x` ; rm -rf /"
        let (_, lines) = try await ProcessRunner().run(Command("/bin/sh", ["-c", "printf '%s\\n' \(shellQuote(nasty))"]))
        #expect(lines == [nasty])
    }
}
