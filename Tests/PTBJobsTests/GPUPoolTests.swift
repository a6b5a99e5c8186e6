import Foundation
import PTBCore
import PTBJobs
import PTBProcess
import Testing

/// Issue 21: the local pool hands out disjoint GPU sets, also against a second pool and against
/// another process holding a GPU on the same host.
@Suite struct GPUPoolTests {
    /// Each job writes "<GPUs> <start> <end>" (seconds, ns precision) to intervals/<run>.
    static func spec(_ name: String, results: URL, seeds: [Int], gpus: [Int]) -> SweepSpec {
        var s = SweepSpec(experiment: name, agents: ["none"], models: ["tiny"], tasks: ["arith"], seeds: seeds,
                          hours: [0.01], gpus: gpus, backend: .local, resultsDir: results.path)
        s.command = ["bash", "-c", """
            start=$(date +%s.%N); sleep 0.3; end=$(date +%s.%N)
            mkdir -p "$PTB_SWEEP_DIR/../intervals"
            echo "$CUDA_VISIBLE_DEVICES $start $end" > "$PTB_SWEEP_DIR/../intervals/$(basename "$PTB_SWEEP_DIR")-$PTB_SWEEP_RUN"
            """]
        return s
    }

    struct Interval { var run: String; var gpus: Set<Int>; var start: Double; var end: Double }

    static func intervals(_ dir: URL) throws -> [Interval] {
        let d = dir.appendingPathComponent("intervals")
        return try FileManager.default.contentsOfDirectory(atPath: d.path).map { name in
            let f = try String(contentsOf: d.appendingPathComponent(name), encoding: .utf8).split(separator: " ")
            return Interval(run: name, gpus: Set(f[0].split(separator: ",").compactMap { Int($0) }),
                            start: Double(f[1].trimmingCharacters(in: .whitespacesAndNewlines))!, end: Double(f[2].trimmingCharacters(in: .whitespacesAndNewlines))!)
        }
    }

    /// Any two jobs that ran at the same time held disjoint GPUs.
    static func overlapping(_ all: [Interval]) -> [String] {
        var bad: [String] = []
        for (i, a) in all.enumerated() {
            for b in all[(i + 1)...] where a.start < b.end && b.start < a.end && !a.gpus.isDisjoint(with: b.gpus) {
                bad.append("\(a.run) \(a.gpus) and \(b.run) \(b.gpus)")
            }
        }
        return bad
    }

    /// Two sweeps' pools on one 4-GPU host at once (mixed 1- and 2-GPU runs): each pool alone
    /// would use all four GPUs; together they never share one.
    @Test func twoPoolsOnOneHostNeverShareAGPU() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let locks = dir.appendingPathComponent("gpu-locks")
        let specs = [Self.spec("a", results: dir, seeds: [0, 1, 2], gpus: [1, 2]), Self.spec("b", results: dir, seeds: [0, 1, 2], gpus: [2, 1])]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (n, spec) in specs.enumerated() {
                group.addTask {
                    let backend = LocalBackend(runner: ProcessRunner(), gpus: [0, 1, 2, 3], maxConcurrent: 4, poolID: "local-test\(n)", lockDir: locks)
                    let driver = SweepDriver(backend: backend, paths: SweepPaths(spec: spec), ptb: "/unused", ptbHome: nil)
                    let m = try driver.create(spec: spec)
                    _ = try await driver.submit(m, runs: m.runs, isRetry: false)
                }
            }
            try await group.waitForAll()
        }
        let all = try Self.intervals(dir)
        #expect(all.count == 12)
        #expect(all.allSatisfy { $0.gpus.count == ($0.run.contains("_2gpu_") ? 2 : 1) && $0.gpus.isSubset(of: [0, 1, 2, 3]) })
        #expect(Self.overlapping(all).isEmpty, "\(Self.overlapping(all))")
        // The pools did run side by side (else the test proves nothing about sharing).
        let a = all.filter { $0.run.hasPrefix("a-") }, b = all.filter { $0.run.hasPrefix("b-") }
        #expect(a.contains { x in b.contains { y in x.start < y.end && y.start < x.end } })
    }

    /// Another process (`flock`, as a standalone `ptb run` would) holds GPU 0: the pool's runs all
    /// go to GPU 1, one after the other, and the pool starts once GPU 1 is its only choice.
    @Test func aGPUHeldByAnotherProcessIsNeverHandedOut() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let locks = dir.appendingPathComponent("gpu-locks")
        try FileManager.default.createDirectory(at: locks, withIntermediateDirectories: true)
        let holder = try await ProcessRunner().start(Command("/usr/bin/flock", [locks.appendingPathComponent("gpu0.lock").path, "sh", "-c", "echo held; sleep 30"]))
        for await line in holder.lines where line == "held" { break }
        defer { kill(holder.pid, SIGKILL) }
        #expect(GPULease.held(among: [0, 1], lockDir: locks) == [0])

        let spec = Self.spec("held", results: dir, seeds: [0, 1, 2], gpus: [1])
        let backend = LocalBackend(runner: ProcessRunner(), gpus: [0, 1], maxConcurrent: 2, lockDir: locks)
        let driver = SweepDriver(backend: backend, paths: SweepPaths(spec: spec), ptb: "/unused", ptbHome: nil)
        let m = try driver.create(spec: spec)
        _ = try await driver.submit(m, runs: m.runs, isRetry: false)
        let all = try Self.intervals(dir)
        #expect(all.count == 3 && all.allSatisfy { $0.gpus == [1] }, "\(all.map(\.gpus))")
        #expect(Self.overlapping(all).isEmpty)
        let rows = try await driver.status(try driver.paths.load())
        #expect(rows.allSatisfy { $0.state == .done })
    }
}
