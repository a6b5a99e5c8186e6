import Foundation
import PTBCore
@testable import PTBExecution
import PTBProcess
import Testing
@testable import PTBTasks
#if canImport(Glibc)
import Glibc
#endif

/// bwrap missing skips these, except where integration tests are required (CI), where it fails them.
func forkServerTestsCanRun() -> Bool {
    ProcessInfo.processInfo.environment["PTB_REQUIRE_INTEGRATION"] == "1"
        || BubblewrapExecutor.which("bwrap", path: ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") != nil
}

/// The fork server against real bubblewrap and Python: the same programs and verdicts as
/// BubblewrapExecutorTests, plus what only a long-lived server can get wrong (state left from
/// one program to the next, a server that dies).
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

    @Test func canonicalSolutionsPassAndWrongOnesFail() async throws {
        let e = try Self.executor()
        defer { Task { await e.shutdown() } }
        let task = HumanEvalTask()
        for s in try BubblewrapExecutorTests.fixtureSamples() {
            let ok = try await task.evaluate(s, completion: s.target, executor: e)
            #expect(ok.correct, "\(s.id): \(ok.explanation ?? "")")
            let wrong = try await task.evaluate(s, completion: "def \(s.metadata?["entry_point"] ?? "")(*args):\n    return None\n", executor: e)
            #expect(wrong.explanation?.hasPrefix("failed: AssertionError") == true, "\(wrong.explanation ?? "")")
        }
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

    @Test func infiniteLoopTimesOutAndTheSlotGoesOn() async throws {
        let e = try Self.executor(width: 1)
        defer { Task { await e.shutdown() } }
        let start = Date()
        let r = try await e.execute(program: "while True:\n    pass", timeoutSeconds: 2)
        let elapsed = Date().timeIntervalSince(start)
        #expect(r.status == .timedOut)
        #expect(r.summary == "timed out")
        #expect(elapsed >= 2 && elapsed < 30, "took \(elapsed) s")
        let next = try await e.execute(program: "assert True", timeoutSeconds: 5)
        #expect(next.passed, "\(next.summary)")
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

    @Test func networkIsUnreachable() async throws {
        let e = try Self.executor()
        defer { Task { await e.shutdown() } }
        let r = try await e.execute(program: """
            import errno, socket
            try:
                socket.create_connection(("1.1.1.1", 53), timeout=3)
                raise SystemExit("connected")
            except OSError as e:
                assert e.errno == errno.ENETUNREACH, e
            assert [n for _, n in socket.if_nameindex()] == ["lo"]
            """, timeoutSeconds: 20)
        #expect(r.passed, "\(r.summary)")
    }

    @Test func onlyTheScratchDirectoryIsWritable() async throws {
        let e = try Self.executor()
        defer { Task { await e.shutdown() } }
        let tag = UUID().uuidString.prefix(8)
        let home = ProcessInfo.processInfo.environment["HOME"] ?? "/root"
        let forbidden = [FileManager.default.currentDirectoryPath, home, "/var/tmp", "/etc", "/usr/local", "/dev/shm", "/dev"]
            .filter { $0 != "/tmp" && $0 != e.scratchRoot.path }
            .map { "\($0)/ptb-escape-\(tag)" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let list = String(decoding: try encoder.encode(forbidden), as: UTF8.self)
        let r = try await e.execute(program: """
            import errno, os
            for p in \(list):
                try:
                    open(p, "w").write("x")
                    raise SystemExit("wrote " + p)
                except OSError as e:
                    assert e.errno in (errno.EROFS, errno.EACCES, errno.EPERM), (p, e)
            open("/tmp/ptb-escape-\(tag)", "w").write("ok")
            assert os.getcwd() == "/tmp"
            """, timeoutSeconds: 20)
        #expect(r.passed, "\(r.summary)")
        for p in forbidden + [e.scratchRoot.appendingPathComponent("ptb-escape-\(tag)").path] {
            #expect(!FileManager.default.fileExists(atPath: p), "\(p) was created")
        }
    }

    @Test(.enabled(if: geteuid() == 0)) func asRootTheProgramRunsUnprivileged() async throws {
        let e = try Self.executor()
        defer { Task { await e.shutdown() } }
        let r = try await e.execute(program: """
            import os
            assert 0 not in os.getresuid() and 0 not in os.getresgid()
            assert os.getgroups() == []
            """, timeoutSeconds: 20)
        #expect(r.passed, "\(r.summary)")
    }

    @Test func forkBombIsContainedAndCleanedUp() async throws {
        let e = try Self.executor(width: 1, limits: ExecutionLimits(processes: 32))
        defer { Task { await e.shutdown() } }
        let token = "ptb-bomb-\(UUID().uuidString.prefix(8))"
        let start = Date()
        let r = try await e.execute(program: """
            import os, time
            TOKEN = "\(token)"
            while True:
                try:
                    os.fork()
                except OSError:
                    time.sleep(0.05)
            """, timeoutSeconds: 3)
        #expect(r.status == .timedOut)
        #expect(Date().timeIntervalSince(start) < 15)
        // The bomb's processes are gone (they run the server's command line, so look for
        // processes of the sandbox other than the server), and the slot runs the next program.
        let next = try await e.execute(program: """
            import os
            others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, os.getpid())]
            assert others == [], others
            """, timeoutSeconds: 10)
        #expect(next.passed, "\(next.summary)")
    }

    @Test func processLimitStopsForking() async throws {
        let e = try Self.executor(limits: ExecutionLimits(processes: 16))
        defer { Task { await e.shutdown() } }
        let r = try await e.execute(program: """
            import os, sys, time
            n = 0
            while True:
                try:
                    pid = os.fork()
                except OSError:
                    print("fork refused after", n, file=sys.stderr)
                    sys.exit(1)
                if pid == 0:
                    time.sleep(60)
                    os._exit(0)
                n += 1
                if n > 5000:
                    sys.exit("no limit")
            """, timeoutSeconds: 20)
        #expect(r.detail.hasPrefix("fork refused after"), "\(r.summary)")
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

    @Test func manyProgramsRunInParallelWithBoundedWidth() async throws {
        let e = try Self.executor(width: 2)
        defer { Task { await e.shutdown() } }
        let programs = (0..<6).map { i in "import time\ntime.sleep(0.5)\nassert \(i) != 3" }
        let start = Date()
        let results = try await e.executeAll(programs, timeoutSeconds: 20, width: 6)
        let elapsed = Date().timeIntervalSince(start)
        #expect(results.map(\.passed) == [true, true, true, false, true, true])
        #expect(elapsed >= 1.4, "6 × 0.5 s at width 2 cannot take \(elapsed) s")
    }

    /// All 164 canonical solutions of the real HumanEval pass (`PTB_HUMANEVAL_DATA=…/HumanEval.jsonl.gz`).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["PTB_HUMANEVAL_DATA"] != nil))
    func allCanonicalSolutionsPass() async throws {
        let t = TempHome()
        defer { t.cleanup() }
        let url = URL(fileURLWithPath: ProcessInfo.processInfo.environment["PTB_HUMANEVAL_DATA"] ?? "")
        _ = try TaskDataStore(home: t.home).importFile(url, task: HumanEvalTask(), split: nil)
        let samples = try HumanEvalTask().samples(home: t.home)
        let e = try Self.executor(width: ProcessInfo.processInfo.activeProcessorCount)
        defer { Task { await e.shutdown() } }
        let lines = samples.enumerated().map { CompletionLine(id: $1.id, completion: $1.target, lineNumber: $0 + 1) }
        let start = Date()
        let (scored, summary, _) = try await OfflineScorer(task: HumanEvalTask(), home: t.home, executor: e, width: e.width).score(lines)
        print("HumanEval canonical solutions (fork server): \(summary.correct)/\(summary.n) in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        #expect(summary.n == 164)
        #expect(summary.correct == 164, "failed: \(scored.filter { !$0.correct }.map { "\($0.id): \($0.result ?? "")" })")
    }
}
