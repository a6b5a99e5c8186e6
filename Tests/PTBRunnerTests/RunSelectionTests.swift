import Foundation
import PTBCore
import PTBRunner
import Testing

/// Run ids accept a unique prefix and `latest`; `ptb rm` deletes exactly one run, asks first,
/// and never pulls a run from under a live ptb process (issue 18, item 7).
@Suite struct RunSelectionTests {
    func threeRuns(_ h: TestHome) throws -> [RunPaths] {
        try FileManager.default.createDirectory(at: h.runs, withIntermediateDirectories: true)
        return try ["alpha", "alps", "beta"].enumerated().map { k, name in
            try RunStore.create(spec: RunSpec(task: "arith", model: "tiny", agent: "none", name: name), runsDir: h.runs,
                                now: Date(timeIntervalSince1970: 1_800_000_000 + Double(k == 1 ? 100 : k))).0
        }
    }

    @Test func prefixesAndLatestFindOneRun() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let runs = try threeRuns(h)
        #expect(try RunStore.find("bet", in: [h.runs]).dir.path == runs[2].dir.path)
        #expect(try RunStore.find("alph", in: [h.runs]).dir.path == runs[0].dir.path)
        #expect(try RunStore.find(runs[1].id, in: [h.runs]).dir.path == runs[1].dir.path)
        // `latest` is by the manifest's creation time: alps was created last.
        #expect(try RunStore.find("latest", in: [h.runs]).dir.path == runs[1].dir.path)
        #expect(throws: PTBError.runNotFound("gamma")) { try RunStore.find("gamma", in: [h.runs]) }
        do {
            _ = try RunStore.find("al", in: [h.runs])
            Issue.record("an ambiguous prefix must be refused")
        } catch let e as PTBError {
            #expect(e.description.contains("matches 2 runs") && e.description.contains(runs[0].id), "\(e)")
        }
        // Through the CLI: `ptb trace` on a prefix.
        let r = try ptb(["trace", "bet", "--runs-dir", h.runs.path], home: h)
        #expect(!r.stderr.contains("no run 'bet'"), "\(r.stderr)")
    }

    @Test func rmDeletesOnlyItsRunAndAsksFirst() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let runs = try threeRuns(h)
        // No terminal to ask on and no --yes: nothing is deleted.
        let asked = try ptb(["rm", "beta", "--runs-dir", h.runs.path], home: h)
        #expect(asked.status == 64 && asked.stderr.contains("--yes"), "\(asked.stderr)")
        #expect(FileManager.default.fileExists(atPath: runs[2].manifest.path))

        let r = try ptb(["rm", "beta", "--yes", "--runs-dir", h.runs.path], home: h)
        #expect(r.status == 0 && r.stdout.contains("deleted \(runs[2].id)"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: runs[2].dir.path))
        #expect(runs.prefix(2).allSatisfy { FileManager.default.fileExists(atPath: $0.manifest.path) })
        let names = try FileManager.default.contentsOfDirectory(atPath: h.runs.path)
        #expect(names.count == 2, "no trash left behind: \(names)")
        let status = try ptb(["status", "--runs-dir", h.runs.path], home: h)
        #expect(!status.stdout.contains(runs[2].id))
    }

    @Test func rmRefusesARunThatIsBeingDriven() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let runs = try threeRuns(h)
        let lock = try RunLock.acquire(runs[0])
        let r = try ptb(["rm", runs[0].id, "--yes", "--runs-dir", h.runs.path], home: h)
        #expect(r.status == 1 && r.stderr.contains("being processed by another ptb process"), "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: runs[0].manifest.path))
        withExtendedLifetime(lock) {}
    }
}
