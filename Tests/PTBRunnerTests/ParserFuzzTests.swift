import Foundation
import PTBAgents
import PTBCore
import PTBIntegrity
import PTBJobs
import PTBRunner
import PTBStore
import PTBTasks
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 18, item 3: no crash reaches the user. Every file ptb parses (run.json, result.json,
/// integrity.json, run configs, sweep specs, agent definitions, traces, completion JSONL) gets
/// mutated copies of real seeds, and what parses is pushed through what ptb then computes from
/// it (index rows, liveness, validation, sweep expansion and wall times). A crash kills this
/// process, so the test fails; thrown errors are the expected outcome. Then every command gets
/// random and adversarial option values: exit 0, 1 or 64, never a signal.
@Suite(.serialized) struct ParserFuzzTests {
    struct Mutator {
        var rng: SplitMix64
        static let numbers = ["1e308", "-1e308", "1e999", "-0", "NaN", "nan", "inf", "-inf", ".inf", "-.inf", "9223372036854775807",
                              "9223372036854775808", "-9223372036854775809", "99999999999999999999999", "0", "-1", "1.5", "0.0000001",
                              "2592001", "8761", "true", "null", "[]", "{}", "\"\"", "0x10", "1_000"]
        static let strings = ["", "\u{0}", "../../../etc/passwd", String(repeating: "A", count: 5000), "ünïcödé ✓ 😀", "\\", "\"",
                              "latest", "-", "--", "*", "\n\n", "a: b", "- x", "&anchor", "*alias", "!!binary", "%", "@", "{{", "}}"]

        mutating func int(_ n: Int) -> Int { Int(rng.next() % UInt64(max(1, n))) }

        mutating func mutate(_ text: String) -> String {
            var b = Array(text.utf8)
            for _ in 0...int(3) {
                guard !b.isEmpty else { b = Array(Self.strings[int(Self.strings.count)].utf8); continue }
                switch int(9) {
                case 0: b[int(b.count)] = UInt8(truncatingIfNeeded: rng.next())
                case 1: let i = int(b.count); b.removeSubrange(i..<min(b.count, i + 1 + int(16)))
                case 2: let i = int(b.count); let j = min(b.count, i + int(64)); b.insert(contentsOf: b[i..<j], at: int(b.count))
                case 3: b = Array(b.prefix(int(b.count)))
                case 4, 5:
                    // A number in the text becomes an adversarial one.
                    let digits = b.indices.filter { (48...57).contains(b[$0]) }
                    guard let at = digits.isEmpty ? nil : digits[int(digits.count)] else { continue }
                    var end = at
                    while end < b.count, (48...57).contains(b[end]) || b[end] == 46 { end += 1 }
                    var start = at
                    while start > 0, (48...57).contains(b[start - 1]) || b[start - 1] == 46 || b[start - 1] == 45 { start -= 1 }
                    b.replaceSubrange(start..<end, with: Array(Self.numbers[int(Self.numbers.count)].utf8))
                case 6:
                    // A quoted string becomes an adversarial one.
                    let quotes = b.indices.filter { b[$0] == 34 }
                    guard quotes.count >= 2 else { continue }
                    let q = int(quotes.count - 1)
                    let s = Self.strings[int(Self.strings.count)].replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                    b.replaceSubrange(quotes[q] + 1..<quotes[q + 1], with: Array(s.utf8))
                case 7: b.insert(contentsOf: Array((String(repeating: "[", count: 64 + int(2000))).utf8), at: int(b.count))
                default: b.insert(contentsOf: Array(Self.strings[int(Self.strings.count)].utf8), at: int(b.count))
                }
            }
            return String(decoding: b, as: UTF8.self)
        }
    }

    /// Seeds from a real run of the `ptb` binary (a command agent with a trace; no engine).
    static func realRun(_ h: TestHome) throws -> RunPaths {
        let agent = try h.agent("talker", script: "echo step 1 loss 2.5; bash timer.sh; echo done")
        let r = try ptb(["run", "--task", "arith", "--model", "tiny", "--agent", "command", "--agent-config", agent.path,
                         "--runs-dir", h.runs.path, "--sandbox", "none", "--skip-base", "--hours", "1"], home: h)
        #expect(r.status == 0, "\(r.stderr)")
        return try h.onlyRun().0
    }

    @Test func mutatedFilesNeverCrashPTB() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let paths = try Self.realRun(h)
        let manifestText = try String(contentsOf: paths.manifest, encoding: .utf8)
        let resultText = try String(contentsOf: paths.result, encoding: .utf8)
        let integrityText = try String(contentsOf: paths.integrity, encoding: .utf8)
        let traceText = try String(contentsOf: paths.trace, encoding: .utf8)
        let seedManifest = try JSONIO.read(RunManifest.self, from: paths.manifest)
        let runConfig = "task: arith\nmodel: tiny\nagent: none\nhours: 0.5\nseed: 3\neval_limit: 20\nskip_base: true\nterm_grace_seconds: 300\nkill_after_seconds: 30\nmonitor_interval_seconds: 60\nworkspace_limit_gb: 10\n"
        let sweep = "experiment: fz\nagents: [none, reference]\nmodels: [tiny]\ntasks: [arith]\nseeds: [0, 1]\nhours: [0.5, 1]\ngpus: [1]\nresults_dir: /tmp/fz\nresources:\n  cpus: 4\n  memory: 16G\n  evaluation_hours: 1\n  margin_minutes: 10\nthrottle:\n  max_concurrent: 2\n"
        let agentDef = "name: fz\nscaffold: command\ncommand: [bash, -c, \"echo hi\"]\nenv:\n  A: b\n"
        let completions = "{\"id\": \"arith-1\", \"completion\": \"The answer is 5.\"}\n{\"id\": \"arith-2\", \"completion\": \"7\"}\n"
        let scratch = h.root.appendingPathComponent("fuzz")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        var m = Mutator(rng: SplitMix64(seed: 20261207))
        var inputs = 0, parsed = 0
        func data(_ s: String) -> Data { Data(s.utf8) }

        for _ in 0..<25_000 {
            let text = m.mutate(manifestText)
            inputs += 1
            guard let man = try? JSONIO.decoder().decode(RunManifest.self, from: data(text)) else { continue }
            parsed += 1
            _ = RunRow(manifest: man, result: nil, dir: paths.dir)
            _ = RunLiveness.interruption(runDir: scratch, manifest: man)
            _ = (man.nextPhase, man.currentPhase, man.spec.budgetSeconds)
            _ = try? Lifecycle.validate(man.spec, home: h.home)
        }
        for _ in 0..<25_000 {
            let text = m.mutate(resultText)
            inputs += 1
            guard let res = try? JSONIO.decoder().decode(RunResult.self, from: data(text)) else { continue }
            parsed += 1
            _ = RunRow(manifest: seedManifest, result: res, dir: paths.dir)
        }
        for _ in 0..<15_000 {
            inputs += 1
            guard let rep = try? JSONIO.decoder().decode(IntegrityReport.self, from: data(m.mutate(integrityText))) else { continue }
            parsed += 1
            _ = (rep.flagged, rep.reasons)
        }
        for _ in 0..<20_000 {
            inputs += 1
            guard let spec = try? SweepSpec.parse(m.mutate(sweep), path: "fuzz.yaml") else { continue }
            parsed += 1
            // Expansion is a product of the axes: skip what no cluster would take anyway.
            let size = [spec.agents.count, spec.models.count, spec.tasks.count, spec.seeds.count, spec.hours.count, spec.gpus.count].reduce(1, *)
            guard size <= 10_000, let man = try? SweepManifest(spec: spec, createdAt: Date()) else { continue }
            for r in man.runs { _ = spec.resources.wallMinutes(hours: r.hours); _ = man.runSpec(for: r) }
        }
        for _ in 0..<15_000 {
            inputs += 1
            if (try? AgentConfig.parse(m.mutate(agentDef), path: "fuzz.yaml", baseDir: scratch)) != nil { parsed += 1 }
        }
        // File-based readers: fewer inputs (each is a file on disk).
        let file = scratch.appendingPathComponent("in.txt")
        for k in 0..<9_000 {
            inputs += 1
            switch k % 3 {
            case 0:
                try m.mutate(runConfig).write(to: file, atomically: false, encoding: .utf8)
                if let cfg = try? RunConfigFile.load(file) { parsed += 1; _ = cfg }
            case 1:
                try m.mutate(traceText).write(to: file, atomically: false, encoding: .utf8)
                if (try? TraceConverter.convert(trace: file)) != nil { parsed += 1 }
            default:
                try m.mutate(completions).write(to: file, atomically: false, encoding: .utf8)
                if (try? OfflineScorer.readCompletions(from: file)) != nil { parsed += 1 }
            }
        }
        print("parser fuzz: \(inputs) inputs, \(parsed) parsed, 0 crashes")
        #expect(inputs >= 100_000)
        #expect(parsed > 1_000, "the mutations must leave many inputs parseable, or the derived code is never reached")
    }

    /// Random and adversarial values for every command's options, against a home without setup
    /// and an empty runs directory (so a valid command stops at "run ptb setup first").
    @Test func randomOptionValuesExitCleanly() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let empty = h.root.appendingPathComponent("empty-runs")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let bare = h.root.appendingPathComponent("bare-home")
        var m = Mutator(rng: SplitMix64(seed: 7))
        let values = Mutator.numbers + Mutator.strings.filter { $0.count < 100 && !$0.contains("\u{0}") } + ["arith", "tiny", "none", "1", "0.01"]
        func v() -> String { values[m.int(values.count)] }
        var runs = 0
        for i in 0..<150 {
            let args: [String]
            switch i % 10 {
            case 0: args = ["run", "--task", "arith", "--model", "tiny", "--agent", "none", "--hours", v(), "--runs-dir", empty.path, "--home", bare.path]
            case 1: args = ["run", "--task", v(), "--model", v(), "--agent", v(), "--eval-limit", v(), "--runs-dir", empty.path, "--home", bare.path]
            case 2: args = ["eval", "--task", v(), "--limit", v(), "--max-tokens", v(), "--model-path", v()]
            case 3: args = ["status", "--runs-dir", v()]
            case 4: args = ["resume", v(), "--runs-dir", empty.path]
            case 5: args = ["rm", v(), "--yes", "--runs-dir", empty.path]
            case 6: args = ["leaderboard", "--format", v(), "--runs-dir", empty.path]
            case 7: args = ["trace", v(), "--runs-dir", empty.path]
            case 8: args = ["serve", "--port", ["-1", "65536", "99999", "1e3", "x", "-0x1"][m.int(6)]]
            default: args = ["sweep", "submit", v(), "--dry-run"]
            }
            let r = try ptb(args, home: h, timeout: 60)
            runs += 1
            #expect(!r.signaled, "\(args): killed by a signal\n\(r.stderr.suffix(2000))")
            #expect([0, 1, 64].contains(r.status), "\(args): exit \(r.status)\n\(r.stderr.suffix(2000))")
            #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump"), "\(args)\n\(r.stderr.suffix(2000))")
        }
        #expect(runs == 150)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: empty.path)) ?? []).isEmpty, "no command may leave a run behind")
    }
}
