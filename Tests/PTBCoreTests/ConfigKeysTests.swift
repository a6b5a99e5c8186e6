import Foundation
import PTBCore
import Testing

/// Issue 18: every key/value error of a config file names the file and line.
@Suite struct ConfigKeysTests {
    static let keys = ["experiment", "hours", "seeds", "resources", "models"]

    func failure(_ text: String, sections: [String: [String]] = [:]) -> ConfigKeys.Failure? {
        do { try ConfigKeys.check(text: text, path: "sweep.yaml", allowed: Self.keys, sections: sections); return nil } catch let f as ConfigKeys.Failure {
            return f
        } catch {
            Issue.record("not a ConfigKeys.Failure: \(error)")
            return nil
        }
    }

    @Test func anUnknownKeyNamesTheFileTheLineAndTheKeyMeant() throws {
        let f = try #require(failure("experiment: e\n\n# a comment\nseeds: [1]\n\n\nhours_: [1]\n"))
        #expect(f.location == "sweep.yaml:7")
        #expect(f.description == "sweep.yaml:7: unknown key 'hours_' (did you mean 'hours'?)")
    }

    @Test func everyProblemIsListedInLineOrderNestedOnesWithTheirSection() throws {
        let text = "experiment: e\nresources:\n  cpu: 4\n  memory: 1G\nseed: [0]\nmodels:\n  - id: a\n    instrcut: [b]\n  - 7\n"
        let f = try #require(failure(text, sections: ["resources": ["cpus", "memory"], "models": ["id", "instruct"]]))
        #expect(f.problems.map(\.line) == [3, 5, 8, 9])
        #expect(f.problems[0].message == "unknown key 'cpu' in resources (did you mean 'cpus'?)")
        #expect(f.problems[1].message == "unknown key 'seed' (did you mean 'seeds'?)")
        #expect(f.problems[2].message == "entry 1: unknown key 'instrcut' (did you mean 'instruct'?)")
        #expect(f.problems[3].message == "entry 2 of models is not a mapping")
        #expect(f.location == "sweep.yaml:3")
        #expect(f.reason.contains("; line 5: unknown key 'seed'") && f.reason.contains("; line 9: entry 2 of models"))
    }

    @Test func malformedYAMLAndWhatPTBDoesNotReadHaveALine() throws {
        let syntax = try #require(failure("experiment: e\nhours: [1, 2\nseeds: [0]\n"))
        #expect(syntax.problems.count == 1 && syntax.problems[0].line != nil && syntax.reason.hasPrefix("not valid YAML:"), "\(syntax)")
        let alias = try #require(failure("experiment: e\nseeds: *x\n"))
        #expect(alias.location == "sweep.yaml:2" || alias.reason.contains("not valid YAML"), "\(alias)")
        let key = try #require(failure("experiment: e\n? [a, b]\n: 1\n"))
        #expect(key.location == "sweep.yaml:2" && key.reason.contains("not a name"), "\(key)")
        let list = try #require(failure("- experiment\n- hours\n"))
        #expect(list.description == "sweep.yaml:1: expected a mapping of keys (`key: value` lines), found a list")
        #expect(try ConfigKeys.check(text: "# nothing\n", path: "sweep.yaml", allowed: Self.keys) == nil)
    }

    @Test func aWrongTypeNamesTheKeyTheLineAndWhatItWants() throws {
        struct Spec: Decodable { var experiment: String; var hours: [Double]; var resources: [String: Int]? }
        func decodeFailure(_ text: String) throws -> ConfigKeys.Failure {
            let doc = try ConfigKeys.check(text: text, path: "s.yaml", allowed: Self.keys)
            do { _ = try ConfigKeys.decode(Spec.self, text: text, path: "s.yaml", document: doc) } catch let f as ConfigKeys.Failure { return f }
            Issue.record("decoded \(text)")
            return ConfigKeys.Failure(path: "", problems: [])
        }
        #expect(try decodeFailure("experiment: e\nhours: [1, ten]\n").description == "s.yaml:2: entry 2 of 'hours' wants a number (got 'ten')")
        let list = try decodeFailure("experiment: e\nhours: 3\n").description
        #expect(list == "s.yaml:2: 'hours' wants a list (got '3')", "\(list)")
        let nested = try decodeFailure("experiment: e\nresources: {cpus: many}\nhours: [1]\n").description
        #expect(nested == "s.yaml:2: 'resources.cpus' wants a whole number (got 'many')", "\(nested)")
        #expect(try decodeFailure("hours: [1]\n").description == "s.yaml: the required key 'experiment' is missing")
    }
}

/// One definition of the run options: files, flags and sweeps read the same keys.
@Suite struct RunOptionsTests {
    static let everyKey = """
        task: arith
        model: tiny
        model_revision: v2
        agent: command
        agent_config: agents/mine.yaml
        hours: 2.5
        gpus: 1
        seed: 7
        name: n
        runs_dir: runs
        gpu_name: A100
        sandbox: none
        network: none
        eval_limit: 20
        evaluate_base: false
        term_grace_seconds: 10
        kill_after_seconds: 5
        monitor_interval_seconds: 1
        judges: [judge-codex, judges/mine.yaml]
        judge_hours: 0.5
        integrity_policy: original
        exec_mode: fork-server
        judge_endpoint: http://judge:8000
        judge_model: grader
        judge_workers: 3
        judge_budget_usd: 2
        judge_max_tokens: 512
        judge_prices: prices.json
        judge_cache: cache
        workspace_limit_gb: 100
        tmp_size_gb: 4
        shm_size_gb: 2
        eval_feedback: original
        eval_tensor_parallel: 1

        """

    @Test func everyKeyIsReadWrittenAndReadAgain() throws {
        let text = Self.everyKey
        // The sample above names every key exactly once: a new key must be added to it.
        let doc = try #require(try ConfigKeys.check(text: text, path: "run.yaml", allowed: RunOptions.Key.allCases.map(\.rawValue)))
        #expect(Set(doc.order[""] ?? []) == Set(RunOptions.Key.allCases.map(\.rawValue)))
        let o = try ConfigKeys.decode(RunOptions.self, text: text, path: "run.yaml", document: doc)
        #expect(o.integrityPolicy == .original && o.execMode == .forkServer && o.sandbox == "none" && o.evalFeedback == .original)
        #expect(o.evalTensorParallel == 1)
        #expect(o.scoringJudge == ScoringJudge(endpoint: "http://judge:8000", model: "grader", workers: 3, budgetUSD: 2, maxTokens: 512,
                                               prices: "prices.json", cache: "cache"))
        #expect(o.limits == SandboxLimits(workspaceGB: 100, tmpGB: 4, shmGB: 2))
        let back = try JSONDecoder().decode(RunOptions.self, from: JSONEncoder().encode(o))
        #expect(back == o)
        let resolved = o.resolvingPaths(against: URL(fileURLWithPath: "/cfg"))
        #expect(resolved.agentConfig == "/cfg/agents/mine.yaml" && resolved.runsDir == "/cfg/runs")
        #expect(resolved.judges == ["judge-codex", "/cfg/judges/mine.yaml"])
        #expect(resolved.scoringJudge?.prices == "/cfg/prices.json" && resolved.scoringJudge?.cache == "/cfg/cache")
    }

    @Test func aRunTakesEverySetOptionAndKeepsItsDefaultsElsewhere() throws {
        let doc = try ConfigKeys.check(text: Self.everyKey, path: "run.yaml", allowed: RunOptions.Key.allCases.map(\.rawValue))
        let o = try ConfigKeys.decode(RunOptions.self, text: Self.everyKey, path: "run.yaml", document: doc)
        let s = try RunSpec(options: o)
        #expect(s.task == "arith" && s.model == "tiny" && s.modelRevision == "v2" && s.agent == "command" && s.hours == 2.5 && s.gpus == 1)
        #expect(s.seed == 7 && s.name == "n" && s.gpuName == "A100" && s.network == NetworkPolicy.none && s.evalLimit == 20 && !s.evaluateBase)
        #expect(s.termGraceSeconds == 10 && s.killAfterSeconds == 5 && s.monitorIntervalSeconds == 1 && s.judgeHours == 0.5)
        #expect(s.integrityPolicy == .original && s.execMode == .forkServer && s.evalFeedback == .original && s.limits?.tmpGB == 4)
        #expect(s.modelRevision == o.modelRevision && s.agentConfig == o.agentConfig && s.sandbox == o.sandbox && s.judges == o.judges)
        #expect(s.scoringJudge == o.scoringJudge && s.limits == o.limits && s.evalTensorParallel == 1)
        var few = RunOptions()
        few.task = "arith"; few.model = "tiny"; few.agent = "none"
        let d = try RunSpec(options: few)
        #expect(d == RunSpec(task: "arith", model: "tiny", agent: "none"))
        #expect(throws: PTBError.self) { try RunSpec(options: RunOptions()) }
    }

    @Test func flagsOverrideAFileFieldByField() {
        var file = RunOptions()
        file.hours = 2
        file.seed = 1
        file.scoringJudge = ScoringJudge(model: "grader", workers: 8)
        file.limits = SandboxLimits(tmpGB: 4)
        var flags = RunOptions()
        flags.seed = 5
        flags.scoringJudge = ScoringJudge(workers: 3)
        flags.limits = SandboxLimits(shmGB: 1)
        let m = file.overridden(by: flags)
        #expect(m.hours == 2 && m.seed == 5)
        #expect(m.scoringJudge == ScoringJudge(model: "grader", workers: 3))
        #expect(m.limits == SandboxLimits(tmpGB: 4, shmGB: 1))
    }

    @Test func aWrongChoiceListsTheValidOnesOnItsLine() throws {
        let text = "task: arith\nexec_mode: forky\n"
        let doc = try ConfigKeys.check(text: text, path: "run.yaml", allowed: RunOptions.Key.allCases.map(\.rawValue))
        #expect {
            try ConfigKeys.decode(RunOptions.self, text: text, path: "run.yaml", document: doc)
        } throws: { e in
            "\(e)" == "run.yaml:2: 'exec_mode': unknown exec mode 'forky'. Valid exec modes: fresh, fork-server"
        }
    }

    @Test func numbersOutOfRangeNameTheSettingAsTheUserWroteIt() {
        var o = RunOptions()
        o.evalLimit = 0
        #expect { try o.validate(flags: true) } throws: { "\($0)".hasPrefix("--eval-limit must be at least 1") }
        #expect { try o.validate(flags: false) } throws: { "\($0)".hasPrefix("eval_limit must be at least 1") }
        o.evalLimit = nil
        o.hours = .infinity
        #expect { try o.validate(flags: true) } throws: { "\($0)".hasPrefix("--hours must be a positive number of hours") }
        o.hours = 1
        o.judgeHours = -1
        #expect(throws: PTBError.self) { try o.validate(flags: false) }
    }

    /// run.json of runs recorded before the options had types (strings then) still reads, and
    /// is written the same way.
    @Test func runJSONWithStringPolicyAndModeStillReads() throws {
        let old = #"{"task":"arith","model":"tiny","agent":"none","hours":1,"gpus":0,"gpuName":"H100","sandbox":"bwrap","network":"open","seed":0,"termGraceSeconds":300,"killAfterSeconds":30,"monitorIntervalSeconds":60,"evaluateBase":true,"integrityPolicy":"flags-only","execMode":"fork-server"}"#
        let s = try JSONDecoder().decode(RunSpec.self, from: Data(old.utf8))
        #expect(s.integrityPolicy == .flagsOnly && s.execMode == .forkServer)
        let written = String(decoding: try JSONEncoder().encode(s), as: UTF8.self)
        #expect(written.contains(#""integrityPolicy":"flags-only""#) && written.contains(#""execMode":"fork-server""#))
    }
}

/// models.yaml names the line of a mistake too.
@Suite struct ModelCatalogLineTests {
    @Test func aCatalogMistakeNamesTheLine() throws {
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("ptb-catalog-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        let home = PTBHome(root: root)
        try FileManager.default.createDirectory(at: home.root, withIntermediateDirectories: true)
        let file = ModelCatalog.catalogFile(home)
        try "models:\n  - id: acme/lm\n    instrcut: [x/y]\n".write(to: file, atomically: true, encoding: .utf8)
        #expect { try ModelCatalog.load(home: home) } throws: {
            "\($0)" == "config \(file.path):3: entry 1: unknown key 'instrcut' (did you mean 'instruct'?)."
        }
        try "models:\n  - id: acme/lm\n    instruct: 7\n".write(to: file, atomically: true, encoding: .utf8)
        #expect { try ModelCatalog.load(home: home) } throws: { "\($0)".hasPrefix("config \(file.path):3: 'instruct' in entry 1 of 'models' wants a list (got '7')") }
    }
}
