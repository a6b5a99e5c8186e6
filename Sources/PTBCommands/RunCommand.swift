import ArgumentParser
import Foundation
import PTBCore
import PTBExecution
import PTBRunner
import PTBStore

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a run: agent × base model × task × time budget, through every phase.",
        discussion: "Example (the CPU demo): ptb run --task arith --model tiny --agent reference --hours 0.05")

    @OptionGroup var homeOptions: HomeOptions
    @Option(help: "A YAML file with the run settings (keys as the flags, with underscores). Flags override it.")
    var config: String?
    @Option(help: "Benchmark task id (e.g. arith).") var task: String?
    @Option(help: "Base model: a catalog id (tiny, Qwen/Qwen3-1.7B-Base, entries of $PTB_HOME/models.yaml), any Hugging Face id in the HF cache (`ptb cache pull --model ID` fetches it), or a local directory (/path or ./path).") var model: String?
    @Option(help: "Hugging Face revision of the base model: branch, tag or commit (default: the catalog's, else main).") var modelRevision: String?
    @Option(help: "Agent: reference, none, command, or a name in $PTB_HOME/agents.") var agent: String?
    @Option(help: "Agent config file (YAML) for config-defined agents.") var agentConfig: String?
    // Unconditional: `--hours -1` must reach validation ("must be positive"), not read as a flag.
    @Option(parsing: .unconditional, help: "Time budget in hours (default 10).") var hours: Double?
    @Option(help: "GPUs for the agent (default 0; >0 runs the CUDA precheck first).") var gpus: Int?
    @Option(help: "GPU model the precheck and prompt expect (default H100).") var gpuName: String?
    @Option(help: "Where run directories go (default $PTB_HOME/runs).") var runsDir: String?
    @Option(help: "Agent sandbox: bwrap, podman, apptainer or none (default bwrap).") var sandbox: SandboxKind?
    @Option(help: "Agent network: open or none (default open).") var network: NetworkPolicy?
    @Option(help: "Seed passed to the agent (default 0).") var seed: Int?
    @Option(help: "Name used as the run id's prefix.") var name: String?
    @Option(parsing: .unconditional, help: "Limit the final evaluation to N samples (default: the whole test split).") var evalLimit: Int?
    @Flag(help: "Do not evaluate the unchanged base model.") var skipBase = false
    @Option(name: .customLong("judge"), help: "Integrity judge: an agent name or agent config file (repeatable); it reads the workspace and trace and returns a verdict. Default: judge-codex for CLI coding agents, none for scripted ones.")
    var judges: [String] = []
    @Flag(help: "Run no LLM judge (by default CLI coding agents get the original's Codex judge, `judge-codex`).") var noJudge = false
    @Option(help: "Hours one integrity judge may run (default 1).") var judgeHours: Double?
    @Option(help: "When integrity results replace the score with the base model's: ptb (default: every check, judges and ptb's own), original (the judges only, as the original's aggregation), flags-only, strict, report.")
    var integrityPolicy: String?
    @Option(help: "How HumanEval runs the model's programs: fresh (a new sandbox each, default) or fork-server (faster bulk scoring).")
    var execMode: ExecMode?
    @OptionGroup(title: "Scoring judge (judge-scored tasks: arenahardwriting, healthbench; stored with the run, the key excepted)")
    var scoringJudge: JudgeOptions
    @Option(help: "Stop the agent (recorded as disk-limit) when its workspace and cache layer exceed this many GB (default 500).") var workspaceLimitGb: Double?
    @Option(help: "Size cap of the sandbox's private /tmp in GB (default: a quarter of the memory, at most 32).") var tmpSizeGb: Double?
    @Option(help: "Size cap of the sandbox's /dev/shm in GB (default: a quarter of the memory, at most 32).") var shmSizeGb: Double?
    @Option(help: "What evaluate.py's test-split evaluations leave in the workspace: sealed (the score only, default) or original (also the full samples with targets in task/eval_logs/, as the original harness).")
    var evalFeedback: EvalFeedback?
    @Flag(help: "Do not echo the agent's output.") var quiet = false

    func spec(home: PTBHome) throws -> (RunSpec, URL) {
        let file = try config.map { try RunConfigFile.load(URL(fileURLWithPath: $0)) } ?? RunConfigFile()
        guard let task = task ?? file.task, let model = model ?? file.model, let agent = agent ?? file.agent else {
            throw ValidationError("--task, --model and --agent are required (on the command line or in --config).")
        }
        var s = RunSpec(task: task, model: model, agent: agent)
        s.modelRevision = modelRevision ?? file.modelRevision
        // A local directory is stored absolute: resume and the index must find the same weights.
        if ModelCatalog.looksLikePath(model) { s.model = ModelCatalog.expandPath(model) }
        s.agentConfig = (agentConfig.map { URL(fileURLWithPath: $0).standardizedFileURL.path }) ?? file.agentConfig
        s.hours = hours ?? file.hours ?? s.hours
        s.gpus = gpus ?? file.gpus ?? s.gpus
        s.gpuName = gpuName ?? file.gpuName ?? s.gpuName
        s.sandbox = sandbox ?? file.sandbox ?? s.sandbox
        s.network = network ?? file.network ?? s.network
        s.seed = seed ?? file.seed ?? s.seed
        s.name = name ?? file.name
        s.evalLimit = evalLimit ?? file.evalLimit
        let judgeList = judges.isEmpty ? file.judges : judges.map { j in
            j.hasSuffix(".yaml") || j.hasSuffix(".yml") ? URL(fileURLWithPath: j).standardizedFileURL.path : j
        }
        s.judges = noJudge ? [] : ((judgeList?.isEmpty ?? true) ? file.judges : judgeList)
        s.judgeHours = judgeHours ?? file.judgeHours
        s.integrityPolicy = integrityPolicy ?? file.integrityPolicy
        s.execMode = execMode?.rawValue ?? file.execMode
        s.evalFeedback = evalFeedback ?? file.evalFeedback
        s.scoringJudge = (file.scoringJudge ?? ScoringJudge()).overridden(by: scoringJudge.settings).nonEmpty
        s.evaluateBase = skipBase ? false : (file.evaluateBase ?? true)
        s.termGraceSeconds = file.termGraceSeconds ?? s.termGraceSeconds
        s.killAfterSeconds = file.killAfterSeconds ?? s.killAfterSeconds
        s.monitorIntervalSeconds = file.monitorIntervalSeconds ?? s.monitorIntervalSeconds
        s.limits = (file.limits ?? SandboxLimits())
            .overridden(by: SandboxLimits(workspaceGB: workspaceLimitGb, tmpGB: tmpSizeGb, shmGB: shmSizeGb)).nonEmpty
        try s.limits?.validate()
        let runs = (runsDir ?? file.runsDir).map { URL(fileURLWithPath: $0) } ?? home.runs
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
        abstract: "Continue runs from their first unfinished phase; completed phases are never re-run.")

    @OptionGroup var homeOptions: HomeOptions
    @Argument(help: "Run id (or run directory).") var runID: String?
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

extension SandboxKind: ExpressibleByArgument {}
extension NetworkPolicy: ExpressibleByArgument {}
extension EvalFeedback: ExpressibleByArgument {}
