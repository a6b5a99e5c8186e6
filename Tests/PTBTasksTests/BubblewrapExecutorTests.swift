import Foundation
import PTBCore
@testable import PTBExecution
import PTBProcess
import Testing
@testable import PTBTasks
#if canImport(Glibc)
import Glibc
#endif

/// Real bubblewrap, real Python. Fixture problems are hand-written (HumanEvalFixture).
@Suite(.serialized) struct BubblewrapExecutorTests {
    static func executor(width: Int = 2, limits: ExecutionLimits = .standard) throws -> BubblewrapExecutor {
        try BubblewrapExecutor(limits: limits, width: width)
    }

    static func fixtureSamples() throws -> [Sample] {
        try JSONLines.decode(HumanEvalTask.Row.self, from: Data(HumanEvalFixture.jsonl.utf8), file: "fixture").map(HumanEvalTask.sample)
    }

    @Test func canonicalSolutionsPassAndWrongOnesFail() async throws {
        let e = try Self.executor()
        try await e.check()
        let task = HumanEvalTask()
        for s in try Self.fixtureSamples() {
            let ok = try await task.evaluate(s, completion: s.target, executor: e)
            #expect(ok.correct, "\(s.id): \(ok.explanation ?? "")")
            let fenced = try await task.evaluate(s, completion: "Sure:\n```python\ndef \(s.metadata?["entry_point"] ?? "")(*args):\n    return None\n```", executor: e)
            #expect(!fenced.correct)
            #expect(fenced.explanation?.hasPrefix("failed: AssertionError") == true, "\(fenced.explanation ?? "")")
        }
        let syntax = try await e.execute(program: "def f(:\n  pass", timeoutSeconds: 10)
        #expect(syntax.status == .failed && syntax.detail.contains("SyntaxError"))
        let exitCode = try await e.execute(program: "import sys\nsys.exit(3)", timeoutSeconds: 10)
        #expect(exitCode.status == .failed)
    }

    /// Programs too long for one argv string go through a file in the scratch directory.
    @Test func longProgramsRunFromAFile() async throws {
        let e = try Self.executor()
        let program = "# " + String(repeating: "x", count: 150_000) + "\nimport sys\nassert sys.argv[0] == '/tmp/program.py'\n"
        let r = try await e.execute(program: program, timeoutSeconds: 20)
        #expect(r.passed, "\(r.summary)")
        let short = try await e.execute(program: "import sys\nassert sys.argv[0] == '-c'", timeoutSeconds: 20)
        #expect(short.passed, "\(short.summary)")
    }

    @Test func failureReasonsReadLikeHumanEvals() {
        #expect(BubblewrapExecutor.reason(termination: .exited(1), output: "Traceback (most recent call last):\n  File x\nAssertionError\n") == "AssertionError")
        #expect(BubblewrapExecutor.reason(termination: .exited(128 + 24), output: "") == "CPU time limit exceeded")
        #expect(BubblewrapExecutor.reason(termination: .exited(1), output: "bwrap: Creating new namespace failed\n")
                == "sandbox error: bwrap: Creating new namespace failed")
        #expect(BubblewrapExecutor.reason(termination: .exited(2), output: "") == "exit 2 with no output")
    }

    @Test func infiniteLoopTimesOut() async throws {
        let e = try Self.executor()
        let start = Date()
        let r = try await e.execute(program: "while True:\n    pass", timeoutSeconds: 2)
        let elapsed = Date().timeIntervalSince(start)
        #expect(r.status == .timedOut)
        #expect(r.summary == "timed out")
        // The upper bound only shows the program was stopped (a loaded machine is slow to start it).
        #expect(elapsed >= 2 && elapsed < 30, "took \(elapsed) s")
    }

    @Test func networkIsUnreachable() async throws {
        let e = try Self.executor()
        let r = try await e.execute(program: """
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
            """, timeoutSeconds: 20)
        #expect(r.passed, "\(r.summary)")
    }

    @Test func onlyTheScratchDirectoryIsWritable() async throws {
        let e = try Self.executor()
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
        let r = try await e.execute(program: """
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
            """, timeoutSeconds: 20)
        #expect(r.passed, "\(r.summary)")
        for p in forbidden + [hostTmp] { #expect(!FileManager.default.fileExists(atPath: p), "\(p) was created") }
    }

    @Test(.enabled(if: geteuid() == 0)) func asRootTheProgramRunsUnprivileged() async throws {
        let e = try Self.executor()
        let r = try await e.execute(program: """
            import os
            uids, gids = os.getresuid(), os.getresgid()
            assert 0 not in uids and 0 not in gids, (uids, gids)
            assert os.getgroups() == [], os.getgroups()
            try:
                os.listdir("/root")
                raise SystemExit("read /root")
            except PermissionError:
                pass
            """, timeoutSeconds: 20)
        #expect(r.passed, "\(r.summary)")
    }

    @Test func processLimitStopsForking() async throws {
        let e = try Self.executor(limits: ExecutionLimits(processes: 16))
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
        #expect(r.status == .failed)
        #expect(r.detail.hasPrefix("fork refused after"), "\(r.summary)")
        let forked = Int(r.detail.split(separator: " ").last ?? "") ?? .max
        #expect(forked < 16 + (geteuid() == 0 ? 0 : Self.ownThreads()), "\(forked) forks")
    }

    @Test func forkBombIsContainedAndCleanedUp() async throws {
        let e = try Self.executor(limits: ExecutionLimits(processes: 32))
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
        // Every process of the bomb is gone with the sandbox.
        try await Task.sleep(for: .milliseconds(500))
        #expect(Self.processes(containing: token).isEmpty)
    }

    /// Programs may start a few processes of their own, however many ran before in the same slot:
    /// finished sandboxes leave nothing behind that counts against the slot's process limit.
    @Test func finishedSandboxesLeaveNoProcesses() async throws {
        // Its own uid range, so no other test's sandbox is counted.
        let slotUID = BubblewrapExecutor.defaultSlotUIDBase + 1000
        let e = try BubblewrapExecutor(limits: ExecutionLimits(processes: 8), width: 1, slotUIDBase: slotUID)
        for _ in 0..<12 {
            let r = try await e.execute(program: "import subprocess\nassert subprocess.run(['true']).returncode == 0", timeoutSeconds: 20)
            #expect(r.passed, "\(r.summary)")
        }
        if geteuid() == 0 {
            #expect(BubblewrapExecutor.processes(ownedBy: slotUID).isEmpty)
        }
    }

    @Test func manyProgramsRunInParallelWithBoundedWidth() async throws {
        let e = try Self.executor(width: 2)
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
        let e = try BubblewrapExecutor()
        let lines = samples.enumerated().map { CompletionLine(id: $1.id, completion: $1.target, lineNumber: $0 + 1) }
        let start = Date()
        let (scored, summary, _) = try await OfflineScorer(task: HumanEvalTask(), home: t.home, executor: e, width: e.width).score(lines)
        let elapsed = Date().timeIntervalSince(start)
        print("HumanEval canonical solutions: \(summary.correct)/\(summary.n) passed in \(String(format: "%.1f", elapsed)) s at width \(e.width)")
        #expect(summary.n == 164)
        #expect(summary.correct == 164, "failed: \(scored.filter { !$0.correct }.map { "\($0.id): \($0.result ?? "")" })")
        #expect(summary.passAtK?["pass@1"] == 1.0)
    }

    static func processes(containing token: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.filter { $0.allSatisfy(\.isNumber) }.filter { pid in
            guard let d = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: d, as: UTF8.self).contains(token)
        }
    }

    static func ownThreads() -> Int { BubblewrapExecutor.threadCount(uid: geteuid()) }
}
