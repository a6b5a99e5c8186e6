import Foundation
import PTBCore
import PTBExecution
import PTBTestSupport
import Testing

/// The executors on their own, without a task: a program's verdict is a result (passed, failed
/// with the reason, timed out), and `executeAll` keeps input order under a bounded width. The
/// HumanEval-level contract of both executors is in PTBTasksTests (ExecutorContractTests).
@Suite(.serialized) struct ExecutorTests {
    func executor(_ mode: ExecMode) async throws -> any CodeExecutor & WidthReporting {
        if Integration.which("bwrap") == nil { try Integration.skip("bubblewrap is not installed (apt-get install bubblewrap)") }
        // A uid range of its own: other suites' sandboxes may run meanwhile.
        switch mode {
        case .fresh:
            let e = try BubblewrapExecutor(width: 2, slotUIDBase: BubblewrapExecutor.defaultSlotUIDBase + 4000)
            try await e.check()
            return e
        case .forkServer:
            let e = try ForkServerExecutor(width: 2, slotUIDBase: BubblewrapExecutor.defaultSlotUIDBase + 4100)
            try await e.check()
            return e
        }
    }

    // One test per mode, not one parameterised test: a skipped test case is not shown as skipped.
    @Test func freshSandboxVerdictsAndOrder() async throws { try await verdictsAndOrder(.fresh) }
    @Test func forkServerVerdictsAndOrder() async throws { try await verdictsAndOrder(.forkServer) }

    func verdictsAndOrder(_ mode: ExecMode) async throws {
        let e = try await executor(mode)
        let programs = ["print('ok')", "raise ValueError('wrong answer')", "import time\ntime.sleep(30)", "assert 1 + 1 == 2"]
        let results = try await e.executeAll(programs, timeoutSeconds: 2, width: 4)
        await e.shutdown()
        #expect(results.map(\.status) == [.passed, .failed, .timedOut, .passed])
        #expect(results[1].summary.hasPrefix("failed: ") && results[1].detail.contains("wrong answer"))
        #expect(results[2].summary == "timed out")
    }

    @Test func modesAreNamedAsTheFlagSpellsThem() {
        // Both modes are tested above; a new one needs its test there.
        #expect(ExecMode.allCases.map(\.rawValue) == ["fresh", "fork-server"])
    }
}
