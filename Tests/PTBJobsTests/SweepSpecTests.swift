import Foundation
import PTBCore
import PTBJobs
import Testing

@Suite struct SweepSpecTests {
    static let yaml = """
        experiment: march
        agents: [reference, none]
        models: [Qwen/Qwen3-1.7B-Base, tiny]
        tasks: [arith]
        seeds: [0, 1]
        hours: [0.05, 10]
        gpus: [1]
        backend: slurm
        results_dir: results
        agent_configs: {mine: agents/mine.yaml}
        resources:
          cpus: 8
          memory: 64G
          disk: null
          gpu_type: h100
          partition: gpu
          extra_directives: ["--constraint=ib"]
        throttle: {max_concurrent: 4, concurrency_limits: ["user.gemini:1250"]}
        """

    @Test func parsesResolvesAndDefaults() throws {
        let s = try SweepSpec.parse(Self.yaml, base: URL(fileURLWithPath: "/work/sweeps"))
        #expect(s.experiment == "march")
        #expect(s.resultsDir == "/work/sweeps/results")
        #expect(s.agentConfigs["mine"] == "/work/sweeps/agents/mine.yaml")
        #expect(s.resources.cpus == 8 && s.resources.memory == "64G" && s.resources.disk == nil)
        #expect(s.resources.gpuRequest == .gres && s.resources.evaluationHours == 1 && s.resources.marginMinutes == 30)
        #expect(s.throttle.maxConcurrent == 4 && s.throttle.concurrencyLimits == ["user.gemini:1250"] && s.throttle.licenses.isEmpty)
        #expect(s.command == nil && s.maxArraySize == 1000)

        let minimal = try SweepSpec.parse("experiment: x\nagents: [a]\nmodels: [m]\ntasks: [t]\nresults_dir: /r\n")
        #expect(minimal.seeds == [0] && minimal.hours == [10] && minimal.gpus == [1] && minimal.backend == .slurm)
        #expect(minimal.resources == SweepResources())
        #expect(minimal.resources.disk == "400G")
    }

    @Test func manifestRoundTripKeepsAnExplicitNullDisk() throws {
        let s = try SweepSpec.parse(Self.yaml, base: URL(fileURLWithPath: "/w"))
        let m = try SweepManifest(spec: s, createdAt: at("2026-11-22T10:00:00Z"))
        let back = try JSONIO.decoder().decode(SweepManifest.self, from: try JSONIO.encode(m))
        #expect(back == m)
        #expect(back.spec.resources.disk == nil)
    }

    @Test func expandsToStableReadableIDsInSpecOrder() throws {
        let s = try SweepSpec.parse(Self.yaml, base: URL(fileURLWithPath: "/w"))
        let runs = try SweepManifest.expand(s)
        #expect(runs.count == 2 * 2 * 1 * 2 * 2)
        #expect(runs.first?.id == "reference_arith_Qwen_Qwen3-1.7B-Base_0.05h_1gpu_s0")
        #expect(runs.first?.qualifiedID(experiment: "march") == "march/reference_arith_Qwen_Qwen3-1.7B-Base_0.05h_1gpu_s0")
        #expect(runs.map(\.id).contains("none_arith_tiny_10h_1gpu_s1"))
        #expect(Set(runs.map(\.id)).count == runs.count)
        #expect(try SweepManifest.expand(s) == runs)   // stable: retries find the same directories
    }

    @Test func duplicateCellsAreRefused() throws {
        var s = goldenSpec()
        s.seeds = [0, 0]
        #expect(throws: JobsError.self) { try SweepManifest.expand(s) }
    }

    @Test func chunksSplitByResourcesAndArraySize() throws {
        var s = goldenSpec()
        s.hours = [1, 10]
        s.gpus = [1, 2]
        s.seeds = [0, 1, 2]
        let runs = try SweepManifest.expand(s)
        let chunks = SweepChunk.make(runs, maxArraySize: 4)
        // 4 (hours, gpus) shapes × 6 runs each (2 agents × 3 seeds), split 4 + 2.
        #expect(chunks.count == 8)
        #expect(chunks.allSatisfy { c in c.runs.allSatisfy { $0.hours == c.hours && $0.gpus == c.gpus } })
        #expect(chunks.map(\.runs.count) == [4, 2, 4, 2, 4, 2, 4, 2])
        #expect(chunks.flatMap(\.runs).count == runs.count)
    }

    @Test(arguments: [
        ("experiment: 'a b'\nagents: [a]\nmodels: [m]\ntasks: [t]\nresults_dir: /r\n", "experiment 'a b'"),
        ("experiment: x\nagents: []\nmodels: [m]\ntasks: [t]\nresults_dir: /r\n", "agents is empty"),
        ("experiment: x\nagents: [a]\nmodels: [m]\ntasks: [t]\nhours: [0]\nresults_dir: /r\n", "hours must be positive"),
        ("experiment: x\nagents: [a]\nmodels: [m]\ntasks: [t]\nresults_dir: /r\nthrottle: {max_concurrent: 0}\n", "max_concurrent"),
        ("experiment: x\nagents: [a]\nmodels: [m]\ntasks: [t]\nresults_dir: /r\nresources: {memory: lots}\n", "memory 'lots'"),
        ("experiment: x\nagents: [a]\nmodels: [m]\ntasks: [t]\nresults_dir: /r\nbackend: pbs\n", "pbs"),
        ("experiment: x\nagents: [a]\nmodels: [m]\ntasks: [t]\n", "results_dir"),
    ])
    func invalidSpecsSayWhatToFix(yaml: String, expected: String) {
        do {
            _ = try SweepSpec.parse(yaml, path: "sweep.yaml")
            Issue.record("accepted an invalid spec")
        } catch {
            #expect("\(error)".contains("sweep spec sweep.yaml"))
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test func wallTimeAndMemoryUnits() throws {
        let r = SweepResources()
        #expect(r.wallMinutes(hours: 10) == 600 + 60 + 30)
        #expect(r.wallMinutes(hours: 0.05) == 93)
        #expect(try SweepResources(memory: "128G").memoryMiB() == 131072)
        #expect(try SweepResources(memory: "500M").memoryMiB() == 500)
        #expect(try SweepResources(memory: "4096").memoryMiB() == 4096)
        #expect(try SweepResources(memory: "1T").memoryMiB() == 1_048_576)
    }

    @Test func runSpecCarriesTheSweepSettings() throws {
        var s = goldenSpec()
        s.agentConfigs = ["codex": "/cfg/codex.yaml"]
        s.options.sandbox = "none"
        s.options.evalLimit = 50
        s.options.evaluateBase = false
        let m = try SweepManifest(spec: s, createdAt: Date())
        let run = m.runs.first { $0.agent == "codex" && $0.seed == 1 }!
        let rs = m.runSpec(for: run)
        #expect(rs.task == "gsm8k" && rs.model == "Qwen/Qwen3-1.7B-Base" && rs.agent == "codex")
        #expect(rs.agentConfig == "/cfg/codex.yaml" && rs.hours == 10 && rs.gpus == 1 && rs.seed == 1)
        #expect(rs.sandbox == "none" && rs.evalLimit == 50 && rs.evaluateBase == false)
        // Two agents: two methods on the leaderboard, not one row named after the experiment.
        #expect(rs.name == "march-codex")
        #expect(m.runSpec(for: m.runs.first { $0.agent == "claude" }!).name == "march-claude")
        var one = goldenSpec()
        one.agents = ["claude"]
        let single = try SweepManifest(spec: one, createdAt: Date())
        #expect(single.runSpec(for: single.runs[0]).name == "march")
        // An ablation over budgets and GPUs: each setting is a method of its own.
        one.hours = [1, 0.5]
        one.gpus = [1, 2]
        let ablation = try SweepManifest(spec: one, createdAt: Date())
        #expect(Set(ablation.runs.map { ablation.runSpec(for: $0).name ?? "" })
                == ["march-1h-1gpu", "march-1h-2gpu", "march-0.5h-1gpu", "march-0.5h-2gpu"])
    }

    @Test func execModeAndScoringJudgeReachEveryRun() throws {
        let text = "experiment: j\nagents: [a]\nmodels: [m]\ntasks: [healthbench]\nresults_dir: /r\nexec_mode: fork-server\n"
            + "judge_model: grader\njudge_endpoint: http://judge:8000\njudge_budget_usd: 5\n"
        let s = try SweepSpec.parse(text)
        #expect(s.options.execMode == .forkServer)
        #expect(s.options.scoringJudge == ScoringJudge(endpoint: "http://judge:8000", model: "grader", budgetUSD: 5))
        // The sweep manifest stores the spec: the settings survive a round trip.
        let back = try JSONDecoder().decode(SweepSpec.self, from: JSONEncoder().encode(s))
        #expect(back == s)
        let m = try SweepManifest(spec: s, createdAt: Date())
        let rs = m.runSpec(for: m.runs[0])
        #expect(rs.execMode == .forkServer && rs.scoringJudge?.model == "grader")
        #expect(throws: JobsError.self) { try SweepSpec.parse(text + "judge_workers: 0\n") }
        #expect(throws: JobsError.self) { try SweepSpec.parse(text.replacingOccurrences(of: "fork-server", with: "forky")) }
        #expect(try SweepSpec.parse("experiment: j\nagents: [a]\nmodels: [m]\ntasks: [t]\nresults_dir: /r\n").options.scoringJudge == nil)
    }
}

/// Typos in a sweep file are refused before anything is planned (issue: `seed`/`hour` planned one
/// 10-hour run).
@Suite struct SweepSpecUnknownKeyTests {
    @Test func typosOfKnownKeysAreRefusedWithTheKeyMeant() {
        let text = "experiment: e\nagents: [a]\nmodels: [m]\ntasks: [arith]\nresults_dir: /r\nseed: [0, 1, 2]\nhour: [0.01]\n"
        #expect(throws: (any Error).self) { try SweepSpec.parse(text) }
        do { _ = try SweepSpec.parse(text) } catch {
            let m = "\(error)"
            #expect(m.contains("unknown key 'hour' (did you mean 'hours'?)") && m.contains("unknown key 'seed' (did you mean 'seeds'?)"), "\(m)")
            #expect(m.contains("Nothing was planned"))
        }
        let nested = "experiment: e\nagents: [a]\nmodels: [m]\ntasks: [arith]\nresults_dir: /r\nresources:\n  partiton: gpu\n"
        do { _ = try SweepSpec.parse(nested); Issue.record("accepted resources.partiton") } catch {
            #expect("\(error)".contains("unknown key 'partiton' in resources (did you mean 'partition'?)"), "\(error)")
        }
        #expect(throws: Never.self) { try SweepSpec.parse("experiment: e\nagents: [a]\nmodels: [m]\ntasks: [arith]\nresults_dir: /r\nseeds: [0]\n") }
    }
}

/// A sweep takes the run options a run config takes (the same keys, one definition), the
/// integrity policy and judges included; errors name the file and line.
@Suite struct SweepRunOptionsTests {
    static let base = "experiment: e\nagents: [a]\nmodels: [m]\ntasks: [arith]\nresults_dir: /r\n"

    @Test func policyJudgesAndEveryOtherSharedOptionReachEveryRun() throws {
        let text = Self.base + """
            integrity_policy: original
            judges: [judge-codex, judges/strict.yaml]
            judge_hours: 0.5
            gpu_name: A100
            term_grace_seconds: 60
            judge_prices: prices.json

            """
        let s = try SweepSpec.parse(text, path: "sweep.yaml", base: URL(fileURLWithPath: "/exp"))
        #expect(s.options.integrityPolicy == .original && s.options.judgeHours == 0.5)
        #expect(s.options.judges == ["judge-codex", "/exp/judges/strict.yaml"])
        let back = try JSONDecoder().decode(SweepSpec.self, from: JSONEncoder().encode(s))
        #expect(back == s)
        let m = try SweepManifest(spec: s, createdAt: Date())
        let rs = m.runSpec(for: m.runs[0])
        #expect(rs.integrityPolicy == .original && rs.judges == ["judge-codex", "/exp/judges/strict.yaml"] && rs.judgeHours == 0.5)
        #expect(rs.gpuName == "A100" && rs.termGraceSeconds == 60 && rs.scoringJudge?.prices == "/exp/prices.json")
        // The matrix still decides the per-run settings.
        #expect(rs.task == "arith" && rs.agent == "a" && rs.hours == 10 && rs.name == "e")
        #expect(throws: JobsError.self) { try SweepSpec.parse(Self.base + "integrity_policy: lenient\n") }
        #expect(throws: JobsError.self) { try SweepSpec.parse(Self.base + "judge_hours: -1\n") }
    }

    @Test func aPerRunKeyIsNotASweepKeyAndTheErrorHasTheLine() {
        #expect {
            try SweepSpec.parse(Self.base + "seeds: [0]\ntask: arith\n", path: "sweep.yaml")
        } throws: { e in
            "\(e)".hasPrefix("sweep spec sweep.yaml:7: unknown key 'task' (did you mean 'tasks'?). Nothing was planned.")
        }
        #expect {
            try SweepSpec.parse(Self.base + "hours: [1]\n\nhours_: [2]\n", path: "sweep.yaml")
        } throws: { e in
            "\(e)".hasPrefix("sweep spec sweep.yaml:8: unknown key 'hours_' (did you mean 'hours'?)")
        }
        #expect {
            try SweepSpec.parse(Self.base + "hours: [ten]\n", path: "sweep.yaml")
        } throws: { e in
            "\(e)".hasPrefix("sweep spec sweep.yaml:6: entry 1 of 'hours' wants a number (got 'ten')")
        }
    }

    /// The sandbox names come from the runtimes' registry (which PTBJobs does not see): a wrong
    /// one is refused with its line, before anything is planned.
    @Test func aWrongSandboxIsRefusedOnItsLine() throws {
        let names = ["bwrap", "none", "podman", "apptainer"]
        #expect {
            try SweepSpec.parse(Self.base + "seeds: [0]\nsandbox: firejail\n", path: "sweep.yaml", sandboxes: names)
        } throws: { e in
            "\(e)".hasPrefix("sweep spec sweep.yaml:7: 'sandbox': unknown sandbox 'firejail'. Valid sandboxes: bwrap, none, podman, apptainer.")
                && "\(e)".contains("Nothing was planned.")
        }
        #expect(try SweepSpec.parse(Self.base + "sandbox: podman\n", path: "sweep.yaml", sandboxes: names).options.sandbox?.rawValue == "podman")
    }

    /// sweep.json written before the options were one definition (flat judge_*, *_gb and
    /// exec_mode keys) reads into the same spec.
    @Test func aSweepManifestSpecFromBeforeStillReads() throws {
        let old = #"{"experiment":"e","agents":["a"],"models":["m"],"tasks":["arith"],"seeds":[0],"hours":[10],"gpus":[1],"backend":"slurm","results_dir":"/r","resources":{"cpus":16,"memory":"128G","disk":"400G","gpu_request":"gres","extra_directives":[],"evaluation_hours":1,"margin_minutes":30},"throttle":{"concurrency_limits":[],"licenses":[]},"agent_configs":{},"sandbox":"none","eval_limit":5,"evaluate_base":false,"max_array_size":1000,"exec_mode":"fork-server","judge_model":"grader","tmp_size_gb":4,"eval_feedback":"original"}"#
        let s = try JSONDecoder().decode(SweepSpec.self, from: Data(old.utf8))
        #expect(s.options.sandbox == "none" && s.options.evalLimit == 5 && s.options.evaluateBase == false)
        #expect(s.options.execMode == .forkServer && s.options.scoringJudge == ScoringJudge(model: "grader"))
        #expect(s.options.limits == SandboxLimits(tmpGB: 4) && s.options.evalFeedback == .original)
    }
}
