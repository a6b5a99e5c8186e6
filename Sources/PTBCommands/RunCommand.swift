import ArgumentParser
import Foundation
import PTBCore
import PTBTasks
import PTBExecution
import PTBRunner
import PTBSandbox
import PTBStore

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a run: agent × base model × task × time budget, through every phase.",
        discussion: """
            Every option is also a key of a run config (--config FILE, the flag's words with underscores); \
            flags override the file key by key. README "Run options" lists them all.

            Examples:
              ptb run --task arith --model tiny --agent reference --hours 0.05   # the CPU demo
              ptb run --task gsm8k --model Qwen/Qwen3-1.7B-Base --agent claude-opus-4-6 --gpus 1
              ptb run --config run.yaml --seed 3 --integrity-policy original
            """)

    // Names, help and order of these options are `RunOptions.Key`'s (a test checks the flags
    // against it); each is only read into a `RunOptions` by `options`.
    @OptionGroup var homeOptions: HomeOptions
    @Option(help: "A YAML file with the run settings (keys as the flags, with underscores). Flags override it.")
    var config: String?
    @Option(help: ArgumentHelp(RunOptions.Key.task.help), completion: .list(TaskRegistry.ids)) var task: String?
    @Option(help: ArgumentHelp(RunOptions.Key.model.help), completion: .custom(Completions.models)) var model: String?
    @Option(help: ArgumentHelp(RunOptions.Key.modelRevision.help)) var modelRevision: String?
    @Option(help: ArgumentHelp(RunOptions.Key.agent.help), completion: .custom(Completions.agents)) var agent: String?
    @Option(help: ArgumentHelp(RunOptions.Key.agentConfig.help), completion: .file(extensions: ["yaml", "yml"])) var agentConfig: String?
    // Unconditional: `--hours -1` must reach validation ("must be positive"), not read as a flag.
    @Option(parsing: .unconditional, help: ArgumentHelp(RunOptions.Key.hours.help)) var hours: Double?
    @Option(help: ArgumentHelp(RunOptions.Key.gpus.help)) var gpus: Int?
    @Option(help: ArgumentHelp(RunOptions.Key.seed.help)) var seed: Int?
    @Option(help: ArgumentHelp(RunOptions.Key.name.help)) var name: String?
    @Option(help: ArgumentHelp(RunOptions.Key.runsDir.help)) var runsDir: String?
    @Option(help: ArgumentHelp(RunOptions.Key.gpuName.help)) var gpuName: String?
    @Option(help: ArgumentHelp(RunOptions.Key.sandbox.help)) var sandbox: SandboxKind?
    @Option(help: ArgumentHelp(RunOptions.Key.network.help)) var network: NetworkPolicy?
    @Option(parsing: .unconditional, help: ArgumentHelp(RunOptions.Key.evalLimit.help)) var evalLimit: Int?
    @Flag(help: "Do not evaluate the unchanged base model (evaluate_base: false).") var skipBase = false
    @Option(parsing: .unconditional, help: ArgumentHelp(RunOptions.Key.termGraceSeconds.help)) var termGraceSeconds: Double?
    @Option(parsing: .unconditional, help: ArgumentHelp(RunOptions.Key.killAfterSeconds.help)) var killAfterSeconds: Double?
    @Option(parsing: .unconditional, help: ArgumentHelp(RunOptions.Key.monitorIntervalSeconds.help)) var monitorIntervalSeconds: Double?
    @Option(name: .customLong("judge"), help: "Integrity judge: an agent name or agent config file (repeatable); it reads the workspace and trace and returns a verdict. Default: judge-codex for CLI coding agents, none for scripted ones.")
    var judges: [String] = []
    @Flag(help: "Run no LLM judge (by default CLI coding agents get the original's Codex judge, `judge-codex`).") var noJudge = false
    @Option(help: ArgumentHelp(RunOptions.Key.judgeHours.help)) var judgeHours: Double?
    @Option(help: ArgumentHelp(RunOptions.Key.integrityPolicy.help)) var integrityPolicy: IntegrityPolicy?
    @Option(help: ArgumentHelp(RunOptions.Key.execMode.help)) var execMode: ExecMode?
    @OptionGroup(title: "Scoring judge (judge-scored tasks: arenahardwriting, healthbench; stored with the run, the key excepted)")
    var scoringJudge: JudgeOptions
    @Option(help: ArgumentHelp(RunOptions.Key.workspaceLimitGB.help)) var workspaceLimitGb: Double?
    @Option(help: ArgumentHelp(RunOptions.Key.tmpSizeGB.help)) var tmpSizeGb: Double?
    @Option(help: ArgumentHelp(RunOptions.Key.shmSizeGB.help)) var shmSizeGb: Double?
    @Option(help: ArgumentHelp(RunOptions.Key.evalFeedback.help)) var evalFeedback: EvalFeedback?
    @Option(help: ArgumentHelp(RunOptions.Key.evalTensorParallel.help)) var evalTensorParallel: Int?
    @Flag(help: "Do not echo the agent's output.") var quiet = false

    /// What the flags set, as run options (nil where a flag was not given).
    var options: RunOptions {
        var o = RunOptions()
        o.task = task
        o.model = model
        o.modelRevision = modelRevision
        o.agent = agent
        o.agentConfig = agentConfig.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        o.hours = hours
        o.gpus = gpus
        o.seed = seed
        o.name = name
        o.runsDir = runsDir
        o.gpuName = gpuName
        o.sandbox = sandbox
        o.network = network
        o.evalLimit = evalLimit
        o.evaluateBase = skipBase ? false : nil
        o.termGraceSeconds = termGraceSeconds
        o.killAfterSeconds = killAfterSeconds
        o.monitorIntervalSeconds = monitorIntervalSeconds
        o.judges = noJudge ? [] : (judges.isEmpty ? nil : judges.map { j in
            j.hasSuffix(".yaml") || j.hasSuffix(".yml") ? URL(fileURLWithPath: j).standardizedFileURL.path : j
        })
        o.judgeHours = judgeHours
        o.integrityPolicy = integrityPolicy
        o.execMode = execMode
        o.scoringJudge = scoringJudge.settings.nonEmpty
        o.limits = SandboxLimits(workspaceGB: workspaceLimitGb, tmpGB: tmpSizeGb, shmGB: shmSizeGb).nonEmpty
        o.evalFeedback = evalFeedback
        o.evalTensorParallel = evalTensorParallel
        return o
    }

    func spec(home: PTBHome) throws -> (RunSpec, URL) {
        let file = try config.map { try RunConfigFile.load(URL(fileURLWithPath: $0)) } ?? RunOptions()
        var merged = file.overridden(by: options)
        // A local directory is stored absolute: resume and the index must find the same weights.
        if let m = merged.model, ModelCatalog.looksLikePath(m) { merged.model = ModelCatalog.expandPath(m) }
        try merged.validate(flags: true)
        let s = try RunSpec(options: merged)
        let runs = merged.runsDir.map { URL(fileURLWithPath: $0) } ?? home.runs
        return (s, runs)
    }

    func run() async throws {
        try await reporting {
            let home = homeOptions.ptbHome
            let (spec, runs) = try spec(home: home)
            try Lifecycle.validate(spec, home: home)
            // A base model that is not there fails now, before a run directory exists (which the
            // leaderboard would otherwise read as a run that scored nothing).
            _ = try ModelCatalog.resolveDirectory(try ModelCatalog.load(home: home).lookup(spec.model, revision: spec.modelRevision),
                                                  home: home, env: ProcessInfo.processInfo.environment)
            let (paths, _) = try RunStore.create(spec: spec, runsDir: runs)
            Console.err("run \(paths.id)\n  dir: \(paths.dir.path)")
            let (harness, trap) = Harness.cli(home: home, quiet: quiet)
            let m = try await Lifecycle(harness: harness, paths: paths).run()
            withExtendedLifetime(trap) {}
            try Summary.print(paths: paths, manifest: m)
            if m.outcome != .done { throw ExitCode.failure }
        }
    }
}

struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue runs from their first unfinished phase; completed phases are never re-run.",
        discussion: """
            Examples:
              ptb resume latest
              ptb resume --all --quiet
            """)

    @OptionGroup var homeOptions: HomeOptions
    @Argument(help: "Run id, a unique prefix of it, `latest`, or the run directory.", completion: .custom(Completions.runIDs)) var runID: String?
    @Flag(help: "Resume every unfinished run in the runs directory.") var all = false
    @Option(help: "Runs directory (default $PTB_HOME/runs).") var runsDir: String?
    @Flag(help: "Do not echo the agent's output.") var quiet = false

    func validate() throws {
        if (runID == nil) == !all { throw ValidationError("give a RUN_ID or --all (not both).") }
    }

    func run() async throws {
        try await reporting {
            let home = homeOptions.ptbHome
            let runs = runsDir.map { URL(fileURLWithPath: $0) } ?? home.runs
            let targets: [RunPaths]
            if let runID {
                targets = [try RunStore.find(runID, in: [runs])]
            } else {
                targets = RunScanner.unfinished(in: runs)
                if targets.isEmpty { Console.err("no unfinished runs in \(runs.path)") }
            }
            let (harness, trap) = Harness.cli(home: home, quiet: quiet)
            var failed = false
            for paths in targets {
                Console.err("resuming \(paths.id)")
                do {
                    let m = try await Lifecycle(harness: harness, paths: paths).run()
                    try Summary.print(paths: paths, manifest: m)
                    failed = failed || m.outcome != .done
                } catch where all && !(error is CancellationError) {
                    // One broken run must not keep every other unfinished run from resuming.
                    Console.err("Error: \(paths.id) could not be resumed: \(error). Skipped; the other runs go on.")
                    failed = true
                }
            }
            withExtendedLifetime(trap) {}
            if failed { throw ExitCode.failure }
        }
    }
}

/// The names come from the runtimes' registry, so `--help` and a wrong value's error list them
/// as ArgumentParser does for an enum.
extension SandboxKind: ExpressibleByArgument {
    public init?(argument: String) {
        guard Sandboxes.names.contains(argument) else { return nil }
        self.init(rawValue: argument)
    }

    public static var allValueStrings: [String] { Sandboxes.names }
    public static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
}
extension NetworkPolicy: ExpressibleByArgument {}
extension EvalFeedback: ExpressibleByArgument {}
extension IntegrityPolicy: ExpressibleByArgument {}
