import ArgumentParser
import Foundation
import PTBCore
import PTBJobs
import PTBProcess
import PTBRunner
import PTBSandbox

/// `ptb sweep`: a matrix of runs on Slurm, HTCondor or the local GPUs.
///
/// How a job becomes a run: every job runs `task.sh RUN_ID`, which calls the hidden
/// `ptb sweep exec SWEEP_DIR RUN_ID`. That creates `<sweep>/runs/<RUN_ID>/run.json` itself (same
/// layout and manifest as `RunStore.create`, but with the sweep's stable id instead of a timestamped
/// one), or, when run.json is already there (a retry), resumes it like `ptb resume`. So a retried
/// run never repeats a finished phase and never loses the earlier attempt's evidence.
struct SweepCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run a matrix of agents × models × tasks × seeds on Slurm, HTCondor or local GPUs.",
        discussion: """
            ptb sweep sweep.yaml [--dry-run]     plan, write and submit (`ptb sweep submit --help` shows the spec)
            ptb sweep status NAME                scheduler state merged with each run's run.json
            ptb sweep retry NAME                 resubmit the runs that are not done; they resume
            ptb sweep cancel NAME [--run ID]     cancel jobs
            """,
        subcommands: [Submit.self, StatusCmd.self, Retry.self, Cancel.self, Exec.self],
        defaultSubcommand: Submit.self)

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "submit", abstract: "Plan a sweep and submit it.",
            discussion: """
                A sweep spec (YAML); runs are the product of the lists, with ids \
                <agent>_<task>_<model>_<hours>h_<gpus>gpu_s<seed> under <results_dir>/<experiment>/runs/:

                  experiment: march
                  agents: [reference, none]
                  models: [Qwen/Qwen3-1.7B-Base]
                  tasks: [arith]
                  seeds: [0, 1]                 # default [0]
                  hours: [10]                   # default [10]
                  gpus: [1]                     # default [1]
                  backend: slurm                # \(SweepBackends.names.joined(separator: " | "))
                  results_dir: /shared/ptb      # shared filesystem for cluster backends
                  resources: {cpus: 16, memory: 128G, disk: 400G, gpu_type: h100, gpu_request: gres,
                              gpu_name: "NVIDIA H100 80GB HBM3", partition: gpu, account: lab, qos: normal,
                              extra_directives: ["--constraint=ib"], evaluation_hours: 1, margin_minutes: 30}
                  throttle: {max_concurrent: 8, concurrency_limits: ["user.gemini:1250"], licenses: ["gemini:8"]}
                  agent_configs: {my-agent: agents/my-agent.yaml}
                  sandbox: bwrap                # every run option but the matrix's, as in a run config:
                  integrity_policy: original    # eval_limit, judges, exec_mode, judge_model, eval_feedback, …
                  ptb: /shared/bin/ptb          # default: this ptb; ptb_home: default this PTB_HOME
                  local_gpus: [0, 1, 2, 3]      # local backend; default: nvidia-smi
                  command: [bash, smoke.sh]     # instead of ptb: a smoke-test command per job

                Wall time per job = hours + evaluation_hours + margin_minutes.
                --preflight submits one short job with these resources first, running `ptb doctor --json` on the
                compute node; the sweep is submitted only if no check fails (the report: <sweep>/preflight/doctor.json).

                Examples:
                  ptb sweep submit sweep.yaml --dry-run
                  ptb sweep submit sweep.yaml --preflight
                  ptb sweep sweep.yaml                  # submit is the default
                """)
        @OptionGroup var homeOptions: HomeOptions
        @Argument(help: "The sweep spec (YAML).") var spec: String
        @Flag(help: "Print the plan and the exact files that would be submitted; change nothing.") var dryRun = false
        @Flag(help: "First run `ptb doctor` on a compute node as one short job with the sweep's resources; submit only if every check passes.")
        var preflight = false
        @Option(help: "Minutes to wait for the preflight job, queueing included; then it is cancelled.") var preflightTimeout: Double = 60
        @Option(name: .customLong("preflight-arg"), parsing: .unconditionalSingleValue,
                help: "An extra `ptb doctor` argument for the preflight (repeatable), e.g. --preflight-arg --min-free-gb --preflight-arg 200.")
        var preflightArgs: [String] = []

        func preflightJob(_ driver: SweepDriver) -> SweepPreflight {
            SweepPreflight(backend: driver.backend, sweep: driver.paths, ptb: driver.ptb, ptbHome: driver.ptbHome,
                           doctorArguments: preflightArgs, timeout: .seconds(Int(max(1, preflightTimeout * 60))))
        }

        func run() async throws {
            try await reporting {
                let home = homeOptions.ptbHome
                let spec = try SweepSpec.load(URL(fileURLWithPath: spec), sandboxes: Sandboxes.names)
                if spec.command == nil {
                    // Refuse unknown tasks/models/agents now, not in hundreds of failed jobs later.
                    var seen: Set<String> = []
                    for r in try SweepManifest.expand(spec) where seen.insert("\(r.task)|\(r.model)|\(r.agent)").inserted {
                        var s = RunSpec(task: r.task, model: r.model, agent: r.agent)
                        s.agentConfig = spec.agentConfigs[r.agent]
                        try Lifecycle.validate(s, home: home)
                    }
                }
                let runner = ProcessRunner()
                let trap = SignalTrap(registry: runner.registry) { _ in Console.err("\nptb sweep: interrupted; `ptb sweep retry \(spec.experiment)` continues") }
                defer { withExtendedLifetime(trap) {} }
                let driver = try await SweepCommand.driver(spec: spec, paths: SweepPaths(spec: spec), home: home, runner: runner)
                if dryRun {
                    let m = try SweepManifest(spec: spec, createdAt: Date())
                    let plan = try driver.plan(m, runs: m.runs)
                    print("sweep \(spec.experiment): \(m.runs.count) runs, backend \(spec.backend.rawValue), directory \(driver.paths.root.path)")
                    for (chunk, file) in plan.chunks {
                        print("  \(file.name): \(chunk.runs.count) run(s), \(chunk.gpus) GPU(s), \(RunSpec.formatHours(chunk.hours)) h")
                        for (i, r) in chunk.runs.enumerated() { print("    [\(i)] \(r.qualifiedID(experiment: spec.experiment))") }
                    }
                    print("\n==> \(driver.paths.taskScript.path)\n\(plan.taskScript)")
                    for (_, file) in plan.chunks {
                        print("==> \(driver.paths.submit.appendingPathComponent(file.name).path)\n\(file.text)")
                    }
                    if preflight {
                        let pf = preflightJob(driver)
                        let p = try pf.plan(spec)
                        print("preflight job (submitted first; the sweep only if every check passes):\n\n==> \(pf.paths.taskScript.path)\n\(p.taskScript)")
                        for (_, file) in p.chunks { print("==> \(pf.paths.submit.appendingPathComponent(file.name).path)\n\(file.text)") }
                    }
                    return
                }
                let lock = try SweepLock.acquire(driver.paths)
                defer { withExtendedLifetime(lock) {} }
                let m = try driver.create(spec: spec) { changed in
                    Console.err("sweep \(spec.experiment) was never accepted by a scheduler; submitting the corrected spec (\(changed.joined(separator: "; ")))")
                }
                if preflight {
                    let report = try await preflightJob(driver).run(spec) { Console.err($0) }
                    Console.err("preflight on \(report.node ?? "an unknown node") (job \(report.jobID)):")
                    for c in report.checks { Console.err("  " + c.line) }
                    guard report.passed else {
                        let failed = report.checks.filter(\.failed).map(\.check)
                        throw JobsError.unsupported("preflight failed (\(failed.joined(separator: ", "))): nothing of sweep \(spec.experiment) was submitted. Apply the fix of each FAIL line above and submit again; the full report is \(preflightJob(driver).reportURL.path).")
                    }
                }
                let done = try await driver.submit(m, runs: m.runs, isRetry: false)
                for s in done.submissions {
                    Console.err("submitted \(s.file): job \(s.jobID), \(s.runs.count) run(s)")
                }
                Console.err("sweep manifest: \(driver.paths.manifest.path)\nfollow with: ptb sweep status \(driver.paths.root.path)")
            }
        }
    }

    struct SweepRef: ParsableArguments {
        @Argument(help: "Sweep name (looked up under --results-dir and the current directory) or its directory.")
        var name: String
        @Option(help: "Results directory that holds the sweep (results_dir of the spec).") var resultsDir: String?

        func paths() throws -> SweepPaths {
            let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            return try SweepPaths.find(name, resultsDirs: (resultsDir.map { [URL(fileURLWithPath: $0)] } ?? []) + [cwd])
        }
    }

    struct StatusCmd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "Show each run: pending, running (phase), done, or failed with the reason.",
            discussion: """
                Examples:
                  ptb sweep status march --results-dir /shared/ptb
                  ptb sweep status /shared/ptb/march --json
                """)
        @OptionGroup var homeOptions: HomeOptions
        @OptionGroup var ref: SweepRef
        @Flag(help: "Machine-readable output.") var json = false

        func run() async throws {
            try await Self.show(ref, home: homeOptions.ptbHome, json: json)
        }

        /// Also `ptb status --sweep NAME`.
        static func show(_ ref: SweepRef, home: PTBHome, json: Bool) async throws {
            try await reporting {
                let paths = try ref.paths()
                let m = try paths.load()
                let runner = ProcessRunner()
                let driver = try await SweepCommand.driver(spec: m.spec, paths: paths, home: home, runner: runner)
                let rows = try await driver.status(m)
                if json {
                    let out = rows.map { s in
                        StatusLine(run: s.run.id, state: s.state.rawValue, phase: s.phase?.rawValue, job: s.job,
                                   attempts: s.attempts, scheduler: s.scheduler?.description, reason: s.reason?.description)
                    }
                    print(String(decoding: try JSONIO.encode(out), as: UTF8.self), terminator: "")
                } else {
                    print(SweepStatusTable.render(rows, experiment: m.experiment))
                }
            }
        }

        struct StatusLine: Codable {
            var run: String
            var state: String
            var phase: String?
            var job: String?
            var attempts: Int
            var scheduler: String?
            var reason: String?
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resubmit the runs that are not done (and not queued or running); each resumes its run directory.",
            discussion: """
                Examples:
                  ptb sweep retry march
                  ptb sweep retry march --run RUN_ID
                """)
        @OptionGroup var homeOptions: HomeOptions
        @OptionGroup var ref: SweepRef
        @Option(name: .customLong("run"), help: "Only these run ids (repeatable).") var runs: [String] = []

        func run() async throws {
            try await reporting {
                let paths = try ref.paths()
                let lock = try SweepLock.acquire(paths)
                defer { withExtendedLifetime(lock) {} }
                let m = try paths.load()
                let runner = ProcessRunner()
                let trap = SignalTrap(registry: runner.registry)
                defer { withExtendedLifetime(trap) {} }
                let driver = try await SweepCommand.driver(spec: m.spec, paths: paths, home: homeOptions.ptbHome, runner: runner)
                let (after, todo) = try await driver.retry(m, only: runs.isEmpty ? nil : Set(runs))
                if todo.isEmpty { Console.err("nothing to retry: every run is done, queued or running"); return }
                for s in after.submissions.dropFirst(m.submissions.count) {
                    Console.err("resubmitted \(s.runs.count) run(s) as job \(s.jobID) (\(s.file)): \(s.runs.joined(separator: ", "))")
                }
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a sweep's jobs (all, or the given runs).",
            discussion: """
                Examples:
                  ptb sweep cancel march
                  ptb sweep cancel march --run RUN_ID
                """)
        @OptionGroup var homeOptions: HomeOptions
        @OptionGroup var ref: SweepRef
        @Option(name: .customLong("run"), help: "Only these run ids (repeatable).") var runs: [String] = []

        func run() async throws {
            try await reporting {
                let paths = try ref.paths()
                let m = try paths.load()
                let driver = try await SweepCommand.driver(spec: m.spec, paths: paths, home: homeOptions.ptbHome, runner: ProcessRunner())
                try await driver.cancel(m, runs: runs.isEmpty ? nil : Set(runs))
                Console.err("cancelled \(runs.isEmpty ? "all jobs" : runs.joined(separator: ", ")); runs stay resumable with `ptb sweep retry`")
            }
        }
    }

    /// What each job runs (through task.sh): creates or resumes the run directory of one sweep run.
    struct Exec: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run (or resume) one run of a sweep by id; what the scheduler's jobs call.", shouldDisplay: false)
        @OptionGroup var homeOptions: HomeOptions
        @Argument(help: "The sweep directory.") var sweepDir: String
        @Argument(help: "The run id.") var runID: String
        @Flag(help: "Do not echo the agent's output.") var quiet = false

        func run() async throws {
            try await reporting {
                let home = homeOptions.ptbHome
                let sweep = SweepPaths(root: URL(fileURLWithPath: sweepDir))
                let m = try sweep.load()
                guard let run = m.run(runID) else {
                    throw PTBError.invalidArgument("sweep \(m.experiment) has no run '\(runID)'; `ptb sweep status \(sweep.root.path)` lists them.")
                }
                let paths = RunPaths(dir: sweep.runDir(run.id))
                if FileManager.default.fileExists(atPath: paths.manifest.path) {
                    Console.err("resuming \(m.experiment)/\(run.id)")
                } else {
                    let spec = m.runSpec(for: run)
                    try Lifecycle.validate(spec, home: home)
                    try FileManager.default.createDirectory(at: paths.dir, withIntermediateDirectories: true)
                    try RunStore.save(RunManifest(id: run.id, spec: spec, createdAt: Date(), ptbVersion: PTBVersion.current), paths)
                    Console.err("run \(m.experiment)/\(run.id)\n  dir: \(paths.dir.path)")
                }
                let (harness, trap) = Harness.cli(home: home, quiet: quiet)
                let result = try await Lifecycle(harness: harness, paths: paths).run()
                withExtendedLifetime(trap) {}
                try Summary.print(paths: paths, manifest: result)
                if result.outcome != .done { throw ExitCode.failure }
            }
        }
    }

    static func driver(spec: SweepSpec, paths: SweepPaths, home: PTBHome, runner: ProcessRunner) async throws -> SweepDriver {
        let backend = try await SweepBackends.make(spec, runner: runner) { Console.err($0) }
        return SweepDriver(backend: backend, paths: paths, ptb: spec.ptb ?? Harness.currentExecutable().path,
                           ptbHome: spec.ptbHome ?? home.root.path)
    }
}
