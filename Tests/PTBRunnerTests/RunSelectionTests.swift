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

@Suite struct ModelsCommandTests {
    /// `ptb models`: the catalog, and for each model whether it is here or which command fetches it.
    @Test func modelsSaysWhatIsHereAndHowToFetchTheRest() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let r = try ptb(["models"], home: h)
        #expect(r.status == 0, "\(r.stderr)")
        let tiny = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("tiny ") })
        #expect(tiny.contains("ready"), "\(r.stdout)")
        #expect(r.stdout.contains("missing (ptb cache pull --model Qwen/Qwen3-1.7B-Base)") || r.stdout.contains("Qwen/Qwen3-1.7B-Base") && r.stdout.contains("ready"),
                "\(r.stdout)")
        // Shell completion: the script lists the tasks; the shell's call-back lists the models.
        let script = try ptb(["--generate-completion-script", "bash"], home: h)
        #expect(script.status == 0 && script.stdout.contains("arenahardwriting") && script.stdout.contains("---completion"))
        let models = try ptb(["---completion", "run", "--", "--model"], home: h)
        #expect(models.stdout.split(separator: "\n").contains("tiny") && models.stdout.contains("Qwen/Qwen3-1.7B-Base"), "\(models.stdout)")
        let help = try ptb(["--help"], home: h)
        #expect(help.stdout.contains("Exit codes: 0 success; 1 failed while running"), "\(help.stdout)")
    }
}

@Suite struct TasksCommandTests {
    /// `ptb tasks`: every task with its official name, scoring mode, and whether its data is here.
    @Test func tasksListsEveryTaskWithItsDataStatus() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let r = try ptb(["tasks", "--json"], home: h)
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        let byID = Dictionary(uniqueKeysWithValues: rows.compactMap { row in (row["id"] as? String).map { ($0, row) } })
        for id in ["arith", "aime2025", "gpqamain", "gsm8k", "humaneval", "bfcl", "arenahardwriting", "healthbench"] {
            #expect(byID[id] != nil, "\(id) missing from ptb tasks")
        }
        #expect(byID["arith"]?["data"] as? String == "ok" && byID["arith"]?["devSplit"] as? Bool == true)
        #expect(byID["healthbench"]?["scoring"] as? String == "judged" && byID["humaneval"]?["scoring"] as? String == "execution")
        // A fresh home has no GSM8K data, and says how to see what to import.
        #expect((byID["gsm8k"]?["data"] as? String)?.hasPrefix("missing") == true, "\(byID["gsm8k"] ?? [:])")
        #expect(byID["arenahardwriting"]?["benchmark"] as? String == "Arena-Hard-v2.0 (Writing)")
    }
}
