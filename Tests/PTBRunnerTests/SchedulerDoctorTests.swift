import Foundation
import PTBCore
import PTBJobs
import PTBProcess
@testable import PTBRunner
import Testing

/// The doctor's scheduler check knows no backend by name: it runs the probe each backend's file
/// declares, as `ptb doctor` hands them over from the registry. A backend added only here (with
/// a real shell command for its scheduler) is checked like the shipped ones.
@Suite struct SchedulerDoctorTests {
    func check(_ backend: String?, extra: [String: SchedulerProbe] = [:]) async throws -> DoctorResult {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ptb-scheddoc-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let harness = Harness(home: PTBHome(root: dir), runner: ProcessRunner(), ptbExecutable: URL(fileURLWithPath: "/bin/true"),
                              environment: [:]) { _ in }
        let ctx = DoctorContext(harness: harness, runsDir: dir, backend: backend, backends: SweepBackends.names + extra.keys.sorted(),
                                schedulerProbes: SweepBackends.doctorProbes.merging(extra) { a, _ in a })
        let results = await SchedulerDoctorCheck().run(ctx)
        #expect(results.count == 1)
        return try #require(results.first)
    }

    @Test func theShippedBackendsGiveTheSameAdviceAsBefore() async throws {
        let none = try await check(nil)
        #expect(none.status == .skip && none.detail == "no scheduler chosen (--backend slurm|htcondor checks one)")
        let local = try await check("local")
        #expect(local.status == .skip && local.detail == "local backend: no scheduler needed")
        let unknown = try await check("pbs")
        #expect(unknown.status == .fail && unknown.detail == "unknown backend 'pbs'" && unknown.fix == "use --backend slurm, htcondor or local")
    }

    @Test func aBackendsOwnProbeDecidesPassOrFailWithItsFix() async throws {
        let up = SchedulerProbe(command: ["/bin/sh", "-c", "echo 2 nodes idle"], what: "TestQueue", fix: "start tq")
        let pass = try await check("testq", extra: ["testq": up])
        #expect(pass.status == .pass && pass.detail == "TestQueue answers: 2 nodes idle", "\(pass)")

        let down = SchedulerProbe(command: ["/bin/sh", "-c", "echo tq is down; exit 3"], what: "TestQueue", fix: "start tq")
        let fail = try await check("testq", extra: ["testq": down])
        #expect(fail.status == .fail && fail.fix == "start tq", "\(fail)")
        #expect(fail.detail.hasPrefix("TestQueue is not reachable: `/bin/sh -c") && fail.detail.hasSuffix(": tq is down"), "\(fail)")
        // Listed with a probe, it is offered where a scheduler can be checked.
        let none = try await check(nil, extra: ["testq": up])
        #expect(none.detail == "no scheduler chosen (--backend slurm|htcondor|testq checks one)")
    }
}
