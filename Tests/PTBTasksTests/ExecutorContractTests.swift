import Foundation
import PTBCore
@testable import PTBExecution
import PTBProcess
import Testing
@testable import PTBTasks
#if canImport(Glibc)
import Glibc
#endif

/// What every code executor must do, run against each (`ExecMode.allCases`): HumanEval verdicts,
/// timeouts, the sandbox (no network, nothing writable but the scratch, no root, a process
/// limit, a contained fork bomb) and bounded parallel width. What only one executor can get
/// wrong stays in BubblewrapExecutorTests and ForkServerExecutorTests.
@Suite(.serialized, .enabled(if: forkServerTestsCanRun()))
struct ExecutorContractTests {
    /// An executor of one mode, with its own slot uids (other suites' sandboxes run meanwhile and
    /// the process limits count per uid), and its shutdown.
    struct Subject {
        let executor: any CodeExecutor & WidthReporting
        let scratchRoot: URL

        init(_ mode: ExecMode, width: Int = 2, limits: ExecutionLimits = .standard) throws {
            switch mode {
            case .fresh:
                let e = try BubblewrapExecutor(limits: limits, width: width, slotUIDBase: BubblewrapExecutor.defaultSlotUIDBase + 3000)
                executor = e
                scratchRoot = e.scratchRoot
            case .forkServer:
                let e = try ForkServerExecutor(limits: limits, width: width, slotUIDBase: BubblewrapExecutor.defaultSlotUIDBase + 4000)
                executor = e
                scratchRoot = e.scratchRoot
            }
        }

        func execute(_ program: String, timeout: Double) async throws -> ExecutionResult {
            try await executor.execute(program: program, timeoutSeconds: timeout)
        }

        func shutdown() { Task { [executor] in await executor.shutdown() } }
    }

    @Test(arguments: ExecMode.allCases)
    func canonicalSolutionsPassAndWrongOnesFail(_ mode: ExecMode) async throws {
        let e = try Subject(mode)
        defer { e.shutdown() }
        let task = HumanEvalTask()
        for s in try BubblewrapExecutorTests.fixtureSamples() {
            let ok = try await task.evaluate(s, completion: s.target, executor: e.executor)
            #expect(ok.correct, "\(s.id): \(ok.explanation ?? "")")
            let fenced = try await task.evaluate(s, completion: "Sure:\n```python\ndef \(s.metadata?["entry_point"] ?? "")(*args):\n    return None\n```",
                                                 executor: e.executor)
            #expect(!fenced.correct)
            #expect(fenced.explanation?.hasPrefix("failed: AssertionError") == true, "\(fenced.explanation ?? "")")
        }
        let syntax = try await e.execute("def f(:\n  pass", timeout: 10)
        #expect(syntax.status == .failed && syntax.detail.contains("SyntaxError"))
        let exitCode = try await e.execute("import sys\nsys.exit(3)", timeout: 10)
        #expect(exitCode.status == .failed)
    }

    @Test(arguments: ExecMode.allCases)
    func infiniteLoopTimesOutAndTheNextProgramRuns(_ mode: ExecMode) async throws {
        let e = try Subject(mode, width: 1)
        defer { e.shutdown() }
        let start = Date()
        let r = try await e.execute("while True:\n    pass", timeout: 2)
        let elapsed = Date().timeIntervalSince(start)
        #expect(r.status == .timedOut)
        #expect(r.summary == "timed out")
        // The upper bound only shows the program was stopped (a loaded machine is slow to start it).
        #expect(elapsed >= 2 && elapsed < 30, "took \(elapsed) s")
        let next = try await e.execute("assert True", timeout: 10)
        #expect(next.passed, "\(next.summary)")
    }

    @Test(arguments: ExecMode.allCases)
    func networkIsUnreachable(_ mode: ExecMode) async throws {
        let e = try Subject(mode)
        defer { e.shutdown() }
        let r = try await e.execute("""
            import errno, socket
            for target in [("1.1.1.1", 53), ("8.8.8.8", 443)]:
                try:
                    socket.create_connection(target, timeout=3)
                    raise SystemExit("connected to %s:%d" % target)
                except OSError as e:
                    assert e.errno == errno.ENETUNREACH, e   # no route at all, not a slow or refused one
            try:
                socket.getaddrinfo("example.com", 80)
                raise SystemExit("DNS works")
            except OSError:
                pass
            ifaces = [name for _, name in socket.if_nameindex()]
            assert ifaces == ["lo"], ifaces
            """, timeout: 20)
        #expect(r.passed, "\(r.summary)")
    }

    @Test(arguments: ExecMode.allCases)
    func onlyTheScratchDirectoryIsWritable(_ mode: ExecMode) async throws {
        let e = try Subject(mode)
        defer { e.shutdown() }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? "/root"
        let tag = UUID().uuidString.prefix(8)
        // (A directory that is /tmp itself is left out: inside, that name is the scratch.)
        let forbidden = [FileManager.default.currentDirectoryPath, home, "/var/tmp", "/etc", "/usr/local", "/dev/shm", "/dev"]
            .filter { $0 != "/tmp" && $0 != e.scratchRoot.path }
            .map { "\($0)/ptb-escape-\(tag)" }
        // Inside, /tmp is the private scratch: writable, and never the host's /tmp.
        let hostTmp = e.scratchRoot.appendingPathComponent("ptb-escape-\(tag)").path
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let list = String(decoding: try encoder.encode(forbidden), as: UTF8.self)  // a valid Python list literal
        let r = try await e.execute("""
            import errno, os
            refused = 0
            for p in \(list):
                try:
                    with open(p, "w") as f:
                        f.write("x")
                    raise SystemExit("wrote " + p)
                except OSError as e:
                    # Refused for being read-only or not ours, not because the path is wrong — except
                    # under the host's /tmp, which the private /tmp hides altogether.
                    hidden = (errno.ENOENT,) if p.startswith("/tmp/") else ()
                    assert e.errno in (errno.EROFS, errno.EACCES, errno.EPERM) + hidden, (p, e)
                    refused += 1
            assert refused == \(forbidden.count), refused
            with open("/tmp/ptb-escape-\(tag)", "w") as f:
                f.write("ok")
            with open("scratch-relative.txt", "w") as f:
                f.write("ok")
            assert os.getcwd() == "/tmp"
            assert open("/dev/null", "w").write("x") == 1
            """, timeout: 20)
        #expect(r.passed, "\(r.summary)")
        for p in forbidden + [hostTmp] { #expect(!FileManager.default.fileExists(atPath: p), "\(p) was created") }
    }

    @Test(.enabled(if: geteuid() == 0), arguments: ExecMode.allCases)
    func asRootTheProgramRunsUnprivileged(_ mode: ExecMode) async throws {
        let e = try Subject(mode)
        defer { e.shutdown() }
        let r = try await e.execute("""
            import os
            uids, gids = os.getresuid(), os.getresgid()
            assert 0 not in uids and 0 not in gids, (uids, gids)
            assert os.getgroups() == [], os.getgroups()
            try:
                os.listdir("/root")
                raise SystemExit("read /root")
            except PermissionError:
                pass
            """, timeout: 20)
        #expect(r.passed, "\(r.summary)")
    }

    @Test(arguments: ExecMode.allCases)
    func processLimitStopsForking(_ mode: ExecMode) async throws {
        let e = try Subject(mode, limits: ExecutionLimits(processes: 16))
        defer { e.shutdown() }
        let r = try await e.execute("""
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
            """, timeout: 20)
        #expect(r.status == .failed)
        #expect(r.detail.hasPrefix("fork refused after"), "\(r.summary)")
        let forked = Int(r.detail.split(separator: " ").last ?? "") ?? .max
        #expect(forked < 16 + (geteuid() == 0 ? 0 : BubblewrapExecutorTests.ownThreads()), "\(forked) forks")
    }

    @Test(arguments: ExecMode.allCases)
    func forkBombIsContainedAndCleanedUp(_ mode: ExecMode) async throws {
        let e = try Subject(mode, width: 1, limits: ExecutionLimits(processes: 32))
        defer { e.shutdown() }
        let token = "ptb-bomb-\(UUID().uuidString.prefix(8))"
        let start = Date()
        let r = try await e.execute("""
            import os, time
            TOKEN = "\(token)"
            while True:
                try:
                    os.fork()
                except OSError:
                    time.sleep(0.05)
            """, timeout: 3)
        #expect(r.status == .timedOut)
        #expect(Date().timeIntervalSince(start) < 15)
        // Every process of the bomb is gone: none on the host carries its source (a fresh
        // sandbox's command line), none is left in the slot (a fork server's children run the
        // server's command line), and the slot runs the next program.
        try await Task.sleep(for: .milliseconds(500))
        #expect(BubblewrapExecutorTests.processes(containing: token).isEmpty)
        let next = try await e.execute("""
            import os
            others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, os.getpid())]
            assert others == [], others
            """, timeout: 10)
        #expect(next.passed, "\(next.summary)")
    }

    @Test(arguments: ExecMode.allCases)
    func manyProgramsRunInParallelWithBoundedWidth(_ mode: ExecMode) async throws {
        let e = try Subject(mode, width: 2)
        defer { e.shutdown() }
        let programs = (0..<6).map { i in "import time\ntime.sleep(0.5)\nassert \(i) != 3" }
        let start = Date()
        let results = try await e.executor.executeAll(programs, timeoutSeconds: 20, width: 6)
        let elapsed = Date().timeIntervalSince(start)
        #expect(results.map(\.passed) == [true, true, true, false, true, true])
        #expect(elapsed >= 1.4, "6 × 0.5 s at width 2 cannot take \(elapsed) s")
    }

    /// All 164 canonical solutions of the real HumanEval pass (`PTB_HUMANEVAL_DATA=…/HumanEval.jsonl.gz`).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["PTB_HUMANEVAL_DATA"] != nil), arguments: ExecMode.allCases)
    func allCanonicalSolutionsPass(_ mode: ExecMode) async throws {
        let t = TempHome()
        defer { t.cleanup() }
        let url = URL(fileURLWithPath: ProcessInfo.processInfo.environment["PTB_HUMANEVAL_DATA"] ?? "")
        _ = try TaskDataStore(home: t.home).importFile(url, task: HumanEvalTask(), split: nil)
        let samples = try HumanEvalTask().samples(home: t.home)
        let e = try Subject(mode, width: ProcessInfo.processInfo.activeProcessorCount)
        defer { e.shutdown() }
        let lines = samples.enumerated().map { CompletionLine(id: $1.id, completion: $1.target, lineNumber: $0 + 1) }
        let start = Date()
        let (scored, summary, _) = try await OfflineScorer(task: HumanEvalTask(), home: t.home, executor: e.executor, width: e.executor.width)
            .score(lines)
        print("HumanEval canonical solutions (\(mode.rawValue)): \(summary.correct)/\(summary.n) passed in "
              + "\(String(format: "%.1f", Date().timeIntervalSince(start))) s at width \(e.executor.width)")
        #expect(summary.n == 164)
        #expect(summary.correct == 164, "failed: \(scored.filter { !$0.correct }.map { "\($0.id): \($0.result ?? "")" })")
        #expect(summary.passAtK?["pass@1"] == 1.0)
    }
}
