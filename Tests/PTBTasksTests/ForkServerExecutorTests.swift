import Foundation
import PTBCore
@testable import PTBExecution
import PTBProcess
import PTBTestSupport
import Testing
@testable import PTBTasks
#if canImport(Glibc)
import Glibc
#endif

/// bwrap missing skips these, except where integration tests are required (CI), where it fails them.
func forkServerTestsCanRun() -> Bool {
    Integration.required || ProcessRunner.which("bwrap", path: ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") != nil
}

/// What only a long-lived fork server can get wrong, against real bubblewrap and Python: verdicts
/// that differ from a fresh sandbox's, state left from one program to the next, a program that
/// reaches the server, a server that dies. What both executors must do is in
/// ExecutorContractTests.
@Suite(.serialized, .enabled(if: forkServerTestsCanRun()))
struct ForkServerExecutorTests {

    static func executor(width: Int = 2, limits: ExecutionLimits = .standard, slotUIDBase: UInt32 = BubblewrapExecutor.defaultSlotUIDBase + 2000) throws -> ForkServerExecutor {
        // Its own uid range: fresh-mode tests may run while these servers live.
        try ForkServerExecutor(limits: limits, width: width, slotUIDBase: slotUIDBase)
    }

    @Test func verdictsMatchTheFreshSandbox() async throws {
        let fork = try Self.executor()
        defer { Task { await fork.shutdown() } }
        try await fork.check()
        let fresh = try BubblewrapExecutorTests.executor()
        let programs = [
            "assert 1 + 1 == 2",
            "assert 1 + 1 == 3",
            "def f(:\n  pass",
            "raise ValueError('boom')",
            "import sys\nsys.exit(3)",
            "import sys\nsys.exit('bye')",
            "import sys\nsys.exit(0)",
            "print('hello')\nassert __name__ == '__main__'",
            "import sys\nassert sys.argv == ['-c'], sys.argv",
        ]
        for p in programs {
            let a = try await fork.execute(program: p, timeoutSeconds: 10)
            let b = try await fresh.execute(program: p, timeoutSeconds: 10)
            #expect(a == b, "\(p): fork server \(a.summary), fresh \(b.summary)")
        }
        let syntax = try await fork.execute(program: "def f(:\n  pass", timeoutSeconds: 10)
        #expect(syntax.status == .failed && syntax.detail.contains("SyntaxError"))
    }

    /// Nothing of one program is visible to the next in the same slot: globals, modules it
    /// changed, files in /tmp, processes.
    @Test func programsOfASlotDoNotSeeEachOther() async throws {
        let e = try Self.executor(width: 1)
        defer { Task { await e.shutdown() } }
        let first = try await e.execute(program: """
            import math, os, subprocess
            LEFT = 1
            math.pi = 3
            open("/tmp/left-behind", "w").write("x")
            os.mkdir("/tmp/locked"); os.chmod("/tmp/locked", 0)
            subprocess.Popen(["sleep", "60"], start_new_session=True)
            """, timeoutSeconds: 10)
        #expect(first.passed, "\(first.summary)")
        let second = try await e.execute(program: """
            import math, os
            assert "LEFT" not in globals()
            assert math.pi > 3.14, math.pi
            assert os.listdir("/tmp") == [], os.listdir("/tmp")
            assert os.getcwd() == "/tmp"
            others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, os.getpid())]
            assert others == [], others
            """, timeoutSeconds: 10)
        #expect(second.passed, "\(second.summary)")
    }

    @Test func infiniteOutputIsCapped() async throws {
        let e = try Self.executor(limits: ExecutionLimits(fileSizeBytes: 1 << 20))
        defer { Task { await e.shutdown() } }
        let r = try await e.execute(program: "while True:\n    print('x' * 1000)", timeoutSeconds: 20)
        // Python ignores SIGXFSZ, so the write fails (EFBIG) and the program with it; what ptb
        // reads back is bounded either way.
        #expect(r.status == .failed, "\(r.summary)")
        #expect(r.detail.count < 1000)
        let next = try await e.execute(program: "import os\nassert os.listdir('/tmp') == []", timeoutSeconds: 10)
        #expect(next.passed, "\(next.summary)")
    }

    /// A program cannot take the server down: it is the namespace's init (signals from inside
    /// are dropped) and not dumpable (its pipes are out of reach in /proc).
    @Test func programsCannotReachTheServer() async throws {
        let e = try Self.executor(width: 1)
        defer { Task { await e.shutdown() } }
        _ = try await e.execute(program: "pass", timeoutSeconds: 10)
        let pid = await e.serverPID(slot: 0)
        let r = try await e.execute(program: """
            import os, signal
            os.kill(1, signal.SIGKILL)
            os.kill(os.getppid(), signal.SIGTERM)
            try:
                open("/proc/1/fd/1", "w").write("PTB-REPLY 2 {}\\n")
                raise SystemExit("wrote to the server's reply pipe")
            except PermissionError:
                pass
            """, timeoutSeconds: 10)
        #expect(r.passed, "\(r.summary)")
        let after = await e.serverPID(slot: 0)
        #expect(pid != nil && pid == after)
    }

    /// When the server dies (killed from outside here: no program can), the program it ran is
    /// reported failed and the slot starts a new server for the next one.
    @Test func aDeadServerIsRestarted() async throws {
        let e = try Self.executor(width: 1)
        defer { Task { await e.shutdown() } }
        let warm = try await e.execute(program: "assert True", timeoutSeconds: 10)
        #expect(warm.passed)
        let pid = try #require(await e.serverPID(slot: 0))
        async let inFlight = e.execute(program: "import time\ntime.sleep(5)", timeoutSeconds: 20)
        try await Task.sleep(for: .milliseconds(700))
        kill(-pid, SIGKILL)
        let r = try await inFlight
        #expect(r.status == .failed)
        #expect(r.detail.hasPrefix("the execution server died"), "\(r.summary)")
        let next = try await e.execute(program: "assert 2 + 2 == 4", timeoutSeconds: 10)
        #expect(next.passed, "\(next.summary)")
        let newPID = await e.serverPID(slot: 0)
        #expect(newPID != nil && newPID != pid)
    }

}
