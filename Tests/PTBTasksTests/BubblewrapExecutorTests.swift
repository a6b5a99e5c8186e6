import Foundation
import PTBCore
@testable import PTBExecution
import PTBProcess
import Testing
@testable import PTBTasks
#if canImport(Glibc)
import Glibc
#endif

/// What is particular to the fresh sandbox per program, with real bubblewrap and Python
/// (fixture problems are hand-written: HumanEvalFixture). What both executors must do is in
/// ExecutorContractTests.
@Suite(.serialized) struct BubblewrapExecutorTests {
    static func executor(width: Int = 2, limits: ExecutionLimits = .standard) throws -> BubblewrapExecutor {
        try BubblewrapExecutor(limits: limits, width: width)
    }

    static func fixtureSamples() throws -> [Sample] {
        try JSONLines.decode(HumanEvalTask.Row.self, from: Data(HumanEvalFixture.jsonl.utf8), file: "fixture").map(HumanEvalTask.sample)
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

    static func processes(containing token: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.filter { $0.allSatisfy(\.isNumber) }.filter { pid in
            guard let d = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: d, as: UTF8.self).contains(token)
        }
    }

    static func ownThreads() -> Int { BubblewrapExecutor.threadCount(uid: geteuid()) }
}
