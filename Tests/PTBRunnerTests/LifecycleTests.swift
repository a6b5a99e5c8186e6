import Foundation
import PTBCore
import PTBEval
import PTBExecution
import PTBIntegrity
import PTBJudge
import PTBRunner
import PTBSandbox
import PTBTasks
import PTBTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The state machine, driven through the real `ptb` binary with `command` agents. No engine is
/// needed: these agents leave no final_model (recorded as such) and the base model is not scored.
@Suite(.serialized) struct LifecycleTests {
    func runArgs(_ h: TestHome, agentConfig: URL, extra: [String] = []) -> [String] {
        ["run", "--task", "arith", "--model", "tiny", "--agent", "command", "--agent-config", agentConfig.path,
         "--runs-dir", h.runs.path, "--sandbox", "none", "--skip-base", "--hours", "1"] + extra
    }

    @Test func crashedAgentIsARecordedStateAndEveryLineIsTraced() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let agent = try h.agent("crasher", script: "echo to-stdout; echo to-stderr >&2; cat timer.sh > /dev/null; exit 3")
        let r = try ptb(runArgs(h, agentConfig: agent), home: h)
        #expect(r.status == 0, "\(r.stderr)")
        let (paths, m) = try h.onlyRun()
        #expect(m.outcome == .done)
        #expect(m.exit == .error(3))
        for phase in Phase.allCases {
            #expect(m[phase].state == .done)
            #expect(m[phase].attempts == 1)
        }
        let result = try JSONIO.read(RunResult.self, from: paths.result)
        #expect(result.scoreState == .noFinalModel)
        #expect(result.finalScore == nil)
        #expect(result.integrityFlagged == false)
        let trace = try String(contentsOf: paths.trace, encoding: .utf8).split(separator: "\n")
        let lines = trace.compactMap { l -> String? in
            guard let obj = try? JSONSerialization.jsonObject(with: Data(l.utf8)) as? [String: String] else { return nil }
            #expect(obj["ts"].map { $0.count == 20 && $0.hasSuffix("Z") } == true)
            return obj["line"]
        }
        #expect(lines.contains("to-stdout"))
        #expect(lines.contains("to-stderr"))
        #expect(r.stdout.contains("final score: n/a [no-final-model]"))
        #expect(FileManager.default.fileExists(atPath: paths.monitor.path))
        let prompt = try String(contentsOf: paths.prompt, encoding: .utf8)
        #expect(prompt.contains("You have a maximum of 1 hours."))
        let status = try ptb(["status", "--json", "--runs-dir", h.runs.path], home: h)
        #expect(status.stdout.contains("\"id\" : \"\(m.id)\""))
        #expect(status.stdout.contains("\"exitClass\" : \"error 3\""))
    }

    /// An agent whose program does not exist never ran: `failed-to-start` with the reason, not a
    /// crash that collect, evaluate and the leaderboard would blame on the agent (issue 18).
    @Test func anAgentThatCannotStartIsFailedToStartNotACrash() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let ghost = h.root.appendingPathComponent("ghost.yaml")
        try "name: ghost\nscaffold: command\ncommand: [\"/nonexistent/ghost-agent\"]\n".write(to: ghost, atomically: true, encoding: .utf8)
        let r = try ptb(runArgs(h, agentConfig: ghost), home: h)
        let (paths, m) = try h.onlyRun()
        #expect(m.outcome == .failedToStart, "\(m.outcome) \(r.stderr.suffix(1500))")
        #expect(m.exit == .launchFailed)
        #expect(m[.agent].state == .failed)
        #expect((m[.agent].detail ?? "").contains("/nonexistent/ghost-agent"), "\(m[.agent].detail ?? "")")
        #expect(m[.collect].state == .pending, "nothing runs after an agent that never started")
        #expect(try String(contentsOf: paths.trace, encoding: .utf8).contains("launch-failed"))
        let result = try JSONIO.read(RunResult.self, from: paths.result)
        #expect(result.outcome == .failedToStart)
        #expect(result.finalScore == nil)
        let status = try ptb(["status", "--json", "--runs-dir", h.runs.path], home: h)
        #expect(status.stdout.contains("\"outcome\" : \"failed-to-start\""), "\(status.stdout)")

        // The same definition with a program that runs and crashes is the agent's result.
        let crash = h.root.appendingPathComponent("crash.yaml")
        try "name: crash\nscaffold: command\ncommand: [\"false\"]\n".write(to: crash, atomically: true, encoding: .utf8)
        let h2 = try TestHome()
        defer { h2.cleanup() }
        _ = try ptb(runArgs(h2, agentConfig: crash), home: h2)
        let (_, crashed) = try h2.onlyRun()
        #expect(crashed.outcome == .done)
        #expect(crashed.exit == .error(1))
    }

    /// A phase's file that exists but cannot be read is ptb's failure, named, never a run that
    /// reads as "not evaluated" (issue 13).
    @Test func aCorruptMetricsFileFailsTheRecordInsteadOfReadingAsNotEvaluated() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let agent = try h.agent("quiet", script: "echo hi")
        _ = try ptb(runArgs(h, agentConfig: agent), home: h, env: ["PTB_TEST_KILL_AFTER": "baseline"])
        let (paths, before) = try h.onlyRun()
        #expect(before.nextPhase == .record)
        try "{\"accuracy\": ".write(to: paths.finalEval.appendingPathComponent("metrics.json"), atomically: true, encoding: .utf8)
        let resumed = try ptb(["resume", paths.id, "--runs-dir", h.runs.path], home: h)
        let after = try JSONIO.read(RunManifest.self, from: paths.manifest)
        #expect(after.outcome == .failed, "\(resumed.stderr.suffix(1500))")
        #expect(after[.record].state == .failed)
        #expect((after.failure ?? "").contains("metrics.json"), "\(after.failure ?? "")")
    }

    /// collect's record unreadable: evaluate stops with the file named instead of scoring the
    /// run as the agent's `no-final-model`.
    @Test func anUnreadableSubmissionRecordFailsEvaluateInsteadOfBlamingTheAgent() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let agent = try h.agent("quiet", script: "echo hi")
        _ = try ptb(runArgs(h, agentConfig: agent), home: h, env: ["PTB_TEST_KILL_AFTER": "collect"])
        let (paths, _) = try h.onlyRun()
        try "not json".write(to: paths.dir.appendingPathComponent(SubmissionRecord.fileName), atomically: true, encoding: .utf8)
        _ = try ptb(["resume", paths.id, "--runs-dir", h.runs.path], home: h)
        let after = try JSONIO.read(RunManifest.self, from: paths.manifest)
        #expect(after.outcome == .failed)
        #expect(after[.evaluate].state == .failed)
        #expect((after.failure ?? "").contains("submission.json"), "\(after.failure ?? "")")
        let integrity = try JSONIO.read(IntegrityReport.self, from: paths.integrity)
        let check = try #require(integrity.checks.first { $0.name == "submission-files" })
        #expect(check.verdict == "not run", "\(check)")
    }

    @Test(arguments: [Phase.prepare, .agent, .collect, .integrity, .evaluate, .baseline])
    func sigkillAtPhaseBoundaryThenResumeRunsNothingTwice(_ phase: Phase) throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let agent = try h.agent("counter", script: "echo run >> ../agent-runs.txt; echo agent-ran")
        let killed = try ptb(runArgs(h, agentConfig: agent), home: h, env: ["PTB_TEST_KILL_AFTER": phase.rawValue])
        #expect(killed.signaled && killed.status == SIGKILL)
        let (paths, before) = try h.onlyRun()
        #expect(before[phase].state == .done)
        #expect(before.nextPhase == Phase.allCases[Phase.allCases.firstIndex(of: phase)! + 1])
        #expect(before.outcome == .running)

        let resumed = try ptb(["resume", paths.id, "--runs-dir", h.runs.path], home: h)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let after = try JSONIO.read(RunManifest.self, from: paths.manifest)
        #expect(after.outcome == .done)
        for p in Phase.allCases { #expect(after[p].attempts == 1, "phase \(p) ran \(after[p].attempts) times") }
        let runs = try String(contentsOf: paths.workspace.appendingPathComponent("agent-runs.txt"), encoding: .utf8)
        #expect(runs == "run\n")
        // Resuming a finished run changes nothing.
        let again = try ptb(["resume", paths.id, "--runs-dir", h.runs.path], home: h)
        #expect(again.status == 0)
        #expect(try JSONIO.read(RunManifest.self, from: paths.manifest) == after)
    }

    @Test func sigkillMidAgentThenResumeStopsTheOrphanAndContinues() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let marker = "ptbmid\(UInt32.random(in: 0...UInt32.max))"
        let agent = try h.agent("sleeper", script: """
            if [ -f ../second ]; then echo second-attempt; mkdir -p final_model; exit 0; fi
            touch ../second; echo first-attempt
            exec -a \(marker) sleep 300
            """)
        let started = try startPTB(runArgs(h, agentConfig: agent), home: h)
        // Traced output implies ptb has recorded the live process group (it is saved first).
        #expect(waitFor(30) {
            countProcesses(containing: marker) > 0
                && ((try? h.onlyRunQuietly()).map { (try? String(contentsOf: $0.trace, encoding: .utf8))?.contains("first-attempt") == true } ?? false)
        })
        // While its ptb lives, the run is running; once ptb is killed, it is interrupted, with
        // the command that continues it (issue 18: killed runs stayed `running` forever).
        let live = try ptb(["status", "--runs-dir", h.runs.path], home: h)
        #expect(live.stdout.contains("running") && !live.stdout.contains("interrupted"), "\(live.stdout)")
        kill(started.process.processIdentifier, SIGKILL)
        started.process.waitUntilExit()
        let (paths, m) = try h.onlyRun()
        #expect(m[.agent].state == .running)
        #expect(m.live != nil)
        let dead = try ptb(["status", "--runs-dir", h.runs.path], home: h)
        #expect(dead.stdout.contains("interrupted") && dead.stdout.contains("ptb resume \(paths.id)"), "\(dead.stdout)")
        let json = try ptb(["status", "--json", "--runs-dir", h.runs.path], home: h)
        #expect(json.stdout.contains("\"outcome\" : \"interrupted\""), "\(json.stdout)")

        let r = try ptb(["resume", "--all", "--runs-dir", h.runs.path], home: h)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(countProcesses(containing: marker) == 0, "the first attempt's agent must not survive the resume")
        let after = try JSONIO.read(RunManifest.self, from: paths.manifest)
        #expect(after.outcome == .done)
        #expect(after[.prepare].attempts == 1)
        #expect(after[.agent].attempts == 2)
        #expect(after.exit == .normal)
        let trace = try String(contentsOf: paths.trace, encoding: .utf8)
        #expect(trace.contains("first-attempt") && trace.contains("second-attempt"))
    }

    @Test func budgetOverrunIsTerminatedThenKilled() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let agent = try h.agent("stubborn", script: "trap '' TERM; echo ignoring-term; while true; do sleep 0.2; done")
        let cfg = try h.config("term_grace_seconds: 1\nkill_after_seconds: 1\nmonitor_interval_seconds: 1\n")
        let start = Date()
        let r = try ptb(runArgs(h, agentConfig: agent).filter { $0 != "1" && $0 != "--hours" } + ["--hours", "0.0005", "--config", cfg.path], home: h)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Date().timeIntervalSince(start) < 30)
        let (_, m) = try h.onlyRun()
        #expect(m.exit == .timeout)
        #expect(m.outcome == .done)
    }

    @Test func ctrlCStopsEveryChildAndTheRunCanBeResumed() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let marker = "ptbint\(UInt32.random(in: 0...UInt32.max))"
        let agent = try h.agent("bg", script: "(exec -a \(marker)-bg sleep 300) & exec -a \(marker) sleep 300")
        let started = try startPTB(runArgs(h, agentConfig: agent), home: h)
        #expect(waitFor(30) { countProcesses(containing: marker) >= 2 })
        kill(started.process.processIdentifier, SIGINT)
        started.process.waitUntilExit()
        #expect(started.process.terminationStatus == 128 + SIGINT)
        #expect(waitFor(10) { countProcesses(containing: marker) == 0 }, "no agent process may outlive ptb")
        let (_, m) = try h.onlyRun()
        #expect(m[.agent].state == .running)
        #expect(m[.prepare].state == .done)
    }

    @Test func tamperingWithTheEvaluatorIsFlaggedAndTheSandboxPreventsIt() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let agent = try h.agent("tamper", script: "echo 'print(1.0)' > evaluate.py && echo TAMPERED || echo BLOCKED")
        let plain = try ptb(runArgs(h, agentConfig: agent), home: h)
        #expect(plain.status == 0)
        let (paths, _) = try h.onlyRun()
        let report = try String(contentsOf: paths.integrity, encoding: .utf8)
        #expect(report.contains("\"verdict\" : \"flagged\""))
        #expect(report.contains("changed: task/evaluate.py"))
        #expect(try JSONIO.read(RunResult.self, from: paths.result).integrityFlagged == true)
        try FileManager.default.removeItem(at: paths.dir)

        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/bwrap") else { try Integration.skip("bwrap is required in CI") }
        let boxed = try ptb(runArgs(h, agentConfig: agent).map { $0 == "none" ? "bwrap" : $0 }, home: h)
        #expect(boxed.status == 0, "\(boxed.stderr)")
        let (p2, _) = try h.onlyRun()
        #expect(try String(contentsOf: p2.trace, encoding: .utf8).contains("BLOCKED"))
        #expect(try String(contentsOf: p2.integrity, encoding: .utf8).contains("\"verdict\" : \"clean\""))
    }

    @Test func badInputListsTheValidChoicesAndCreatesNothing() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let task = try ptb(["run", "--task", "gsm9k", "--model", "tiny", "--agent", "reference", "--runs-dir", h.runs.path], home: h)
        #expect(task.status != 0)
        #expect(task.stderr.contains("unknown task 'gsm9k'. Valid tasks: arith"))
        let model = try ptb(["run", "--task", "arith", "--model", "llama 3", "--agent", "reference", "--runs-dir", h.runs.path], home: h)
        #expect(model.stderr.contains("unknown model 'llama 3'. Valid models: tiny, Qwen/Qwen3-1.7B-Base"))
        // Any well-formed hub id is a model; one that is not cached names the command that fetches it.
        let hub = try ptb(["run", "--task", "arith", "--model", "llama", "--agent", "reference", "--runs-dir", h.runs.path], home: h,
                          env: ["HF_HOME": h.root.appendingPathComponent("hf").path])
        #expect(hub.status != 0 && hub.stderr.contains("Fetch it with `ptb cache pull --model llama`"))
        let agent = try ptb(["run", "--task", "arith", "--model", "tiny", "--agent", "gpt", "--runs-dir", h.runs.path], home: h)
        #expect(agent.stderr.contains("unknown agent 'gpt'. Valid agents: reference, none, command"))
        let mode = try ptb(["run", "--task", "arith", "--model", "tiny", "--agent", "reference", "--exec-mode", "forky", "--runs-dir", h.runs.path], home: h)
        #expect(mode.stderr.contains("'forky'") && mode.stderr.contains("fork-server"))
        let modeInFile = try ptb(["run", "--config", try h.config("task: arith\nmodel: tiny\nagent: reference\nexec_mode: forky\n").path,
                                  "--runs-dir", h.runs.path], home: h)
        #expect(modeInFile.stderr.contains("unknown exec mode 'forky'. Valid exec modes: fresh, fork-server."))
        let workers = try ptb(["run", "--task", "arith", "--model", "tiny", "--agent", "reference", "--judge-workers", "0", "--runs-dir", h.runs.path], home: h)
        #expect(workers.stderr.contains("--judge-workers must be at least 1"))
        #expect(try h.manifests().isEmpty)
        let resume = try ptb(["resume", "nope", "--runs-dir", h.runs.path], home: h)
        #expect(resume.stderr.contains("no run 'nope' found"))
        // `--limit -1` is a value (all samples), as in the original evaluate.py, not a flag.
        let eval = try ptb(["eval", "--task", "arith", "--model-path", h.root.appendingPathComponent("missing").path, "--limit", "-1"], home: h)
        #expect(eval.stderr.contains("is not a usable model directory"))
    }

    @Test func configFileGivesTheSameSpecAsFlags() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let agent = try h.agent("quiet", script: "true")
        let cfg = try h.config("""
            task: arith
            model: tiny
            agent: command
            agent_config: \(agent.path)
            hours: 2.5
            sandbox: none
            seed: 7
            name: fromfile
            runs_dir: \(h.runs.path)
            evaluate_base: false
            exec_mode: fork-server
            judge_model: grader-7b
            judge_prices: prices.json
            judge_workers: 8
            """)
        // Flags override the file key by key; the scoring judge's key stays in the environment.
        let r = try ptb(["run", "--config", cfg.path, "--judge-workers", "3", "--judge-endpoint", "http://127.0.0.1:9"], home: h,
                        env: ["OPENAI_API_KEY": "sk-scoring-judge-secret-1234567890"])
        #expect(r.status == 0, "\(r.stderr)")
        let (paths, m) = try h.onlyRun()
        #expect(m.spec.hours == 2.5 && m.spec.seed == 7 && m.spec.sandbox == .none && !m.spec.evaluateBase)
        #expect(m.spec.execMode == .forkServer)
        #expect(m.spec.scoringJudge == ScoringJudge(endpoint: "http://127.0.0.1:9", model: "grader-7b", workers: 3,
                                                   prices: cfg.deletingLastPathComponent().appendingPathComponent("prices.json").path))
        #expect(!(try String(contentsOf: paths.dir.appendingPathComponent("run.json"), encoding: .utf8)).contains("sk-scoring-judge"))
        #expect(paths.id.hasPrefix("fromfile_arith_tiny_"))
        let timer = try String(contentsOf: paths.task.appendingPathComponent("timer.sh"), encoding: .utf8)
        #expect(timer.contains("DEADLINE=$((CREATION_DATE + 9000))"))
    }
}

extension LifecycleTests {
    @Test func corruptFinalModelIsRecordedNotServed() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let agent = try h.agent("corrupt", script: "mkdir -p final_model && echo '{broken' > final_model/config.json && head -c 100 /dev/urandom > final_model/model.safetensors")
        let r = try ptb(runArgs(h, agentConfig: agent), home: h)
        #expect(r.status == 0, "\(r.stderr)")
        let (paths, _) = try h.onlyRun()
        let result = try JSONIO.read(RunResult.self, from: paths.result)
        #expect(result.scoreState == .invalidFinalModel)
        #expect(result.finalScore == nil)
        let status = try String(contentsOf: paths.finalEval.appendingPathComponent("status.json"), encoding: .utf8)
        #expect(status.contains("config.json is not valid JSON"))
        #expect(status.contains("model.safetensors: header length"))
    }
}

extension LifecycleTests {
    @Test func backgroundJobsThatEscapeTheProcessGroupDieWithThePhase() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let marker = "ptbesc\(UInt32.random(in: 0...UInt32.max))"
        let agent = try h.agent("escaper", script: "setsid bash -c 'exec -a \(marker) sleep 300' < /dev/null > /dev/null 2>&1 & sleep 0.5; echo left-a-job")
        let r = try ptb(runArgs(h, agentConfig: agent), home: h)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(countProcesses(containing: marker) == 0)
        let (paths, _) = try h.onlyRun()
        #expect(try String(contentsOf: paths.trace, encoding: .utf8).contains("killed-leftovers"))
    }
}

extension LifecycleTests {
    @Test func secretsNeverLandInAStoredFile() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let secret = "sk-test-\(UUID().uuidString.replacingOccurrences(of: "-", with: ""))"
        let hostOnly = "hostonly-\(UUID().uuidString)"
        let cfg = h.root.appendingPathComponent("echoer.yaml")
        try """
            name: echoer
            scaffold: command
            command: ["bash", "-c", "env; echo \\"key=$OPENAI_API_KEY\\"; echo \\"{\\\\\\"k\\\\\\": \\\\\\"$OPENAI_API_KEY\\\\\\"}\\" > leaked.json; echo done"]
            pass_env: [OPENAI_API_KEY]
            """.write(to: cfg, atomically: true, encoding: .utf8)
        let r = try ptb(runArgs(h, agentConfig: cfg), home: h, env: ["OPENAI_API_KEY": secret, "MY_PRIVATE_TOKEN": hostOnly])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stderr.contains(secret) && !r.stdout.contains(secret), "the console echo is redacted too")
        let (paths, _) = try h.onlyRun()
        let trace = try String(contentsOf: paths.trace, encoding: .utf8)
        #expect(trace.contains("key=[REDACTED:OPENAI_API_KEY]"))
        #expect(!trace.contains(hostOnly), "host variables that were not declared never reach the agent")
        // Nothing ptb stored outside the agent's own workspace holds the value.
        let fm = FileManager.default
        let files = fm.enumerator(at: paths.dir, includingPropertiesForKeys: nil)!.compactMap { $0 as? URL }
            .filter { !$0.path.hasPrefix(paths.workspace.path) && (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
        #expect(files.count > 5)
        for f in files {
            let text = String(decoding: (try? Data(contentsOf: f)) ?? Data(), as: UTF8.self)
            #expect(!text.contains(secret), "secret found in \(f.path)")
        }
        #expect(FileManager.default.fileExists(atPath: paths.events.path))
    }
}

@Suite struct FinalEvaluationOptionsTests {
    @Test func specChoosesExecModeAndScoringJudgeOverTheEnvironment() throws {
        let home = PTBHome(root: URL(fileURLWithPath: "/tmp/ptb-options-test"))
        var spec = RunSpec(task: "healthbench", model: "tiny", agent: "none")
        spec.execMode = .forkServer
        spec.scoringJudge = ScoringJudge(model: "grader", workers: 2)
        let env = ["PTB_JUDGE_ENDPOINT": "http://judge:8000", "PTB_JUDGE_MODEL": "env-model", "OPENAI_API_KEY": "sk-env"]
        let out = URL(fileURLWithPath: "/tmp/out")
        let judged = try EvaluatePhase.options(spec, task: try TaskRegistry.lookup("healthbench"), home: home, env: env, outputDir: out)
        #expect(judged.execMode == .forkServer)
        #expect(judged.judge?.model == "grader" && judged.judge?.workers == 2)
        #expect(judged.judge?.endpoint == "http://judge:8000" && judged.judge?.apiKey == "sk-env")
        // Tasks without a judge ignore the judge settings (a missing price file cannot fail them).
        spec.scoringJudge?.prices = "/nonexistent/prices.json"
        let plain = try EvaluatePhase.options(spec, task: try TaskRegistry.lookup("arith"), home: home, env: env, outputDir: out)
        #expect(plain.judge == nil && plain.execMode == .forkServer)
        // An exec mode ptb does not know cannot reach a spec: run.json holding one does not read.
        let stored = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self).replacingOccurrences(of: "\"fork-server\"", with: "\"forky\"")
        #expect(stored.contains("\"forky\""))
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RunSpec.self, from: Data(stored.utf8)) }
    }
}

/// `ptb resume --all` isolates each run: one that cannot be resumed is reported and skipped,
/// and the others still finish their next phase.
@Suite struct ResumeAllIsolationTests {
    @Test func aBrokenRunDoesNotBlockTheOthers() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let agent = try h.agent("quick", script: "echo agent-ran")
        let args = ["run", "--task", "arith", "--model", "tiny", "--agent", "command", "--agent-config", agent.path,
                    "--runs-dir", h.runs.path, "--sandbox", "none", "--skip-base", "--hours", "1"]
        _ = try ptb(args + ["--name", "good"], home: h, env: ["PTB_TEST_KILL_AFTER": "prepare"])
        _ = try ptb(args + ["--name", "broken"], home: h, env: ["PTB_TEST_KILL_AFTER": "prepare"])
        let dirs = try FileManager.default.contentsOfDirectory(atPath: h.runs.path).sorted()
        let broken = try #require(dirs.first { $0.hasPrefix("broken") }), good = try #require(dirs.first { $0.hasPrefix("good") })
        // A run whose recorded task no longer exists (a run directory from another ptb, a hand edit).
        let manifest = h.runs.appendingPathComponent(broken).appendingPathComponent("run.json")
        let text = try String(contentsOf: manifest, encoding: .utf8).replacingOccurrences(of: "\"task\":\"arith\"", with: "\"task\":\"nosuchtask\"")
            .replacingOccurrences(of: "\"task\" : \"arith\"", with: "\"task\" : \"nosuchtask\"")
        #expect(text.contains("nosuchtask"))
        try text.write(to: manifest, atomically: true, encoding: .utf8)

        let r = try ptb(["resume", "--all", "--runs-dir", h.runs.path], home: h, env: ["PTB_TEST_KILL_AFTER": "agent"])
        #expect(r.stderr.contains("Error: \(broken) could not be resumed") && r.stderr.contains("nosuchtask"), "\(r.stderr)")
        let m = try JSONIO.read(RunManifest.self, from: h.runs.appendingPathComponent(good).appendingPathComponent("run.json"))
        #expect(m[.agent].state == .done, "the good run resumed past the broken one: \(r.stderr)")
    }
}
