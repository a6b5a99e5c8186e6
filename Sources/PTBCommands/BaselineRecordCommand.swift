import ArgumentParser
import Foundation
import PTBCore
import PTBRunner
import PTBSandbox
import PTBStore
import PTBTasks

/// `ptb baseline`: zero-shot baselines as ordinary runs of the `none` agent (it submits the model
/// unchanged), named `baseline_zeroshot` as the original's method, so the leaderboard takes them
/// for fallback scores and weights in place of the published table.
struct BaselineRecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Record zero-shot baselines: evaluate base (and instruct) models unchanged, as runs of the `none` agent.",
        discussion: """
            Each (task, model) cell becomes a run named baseline_zeroshot in the runs directory; `ptb leaderboard \
            --runs-dir DIR` then uses the newest of them instead of the published table (baselines.md) for the \
            fallback scores and, with --weights derived, for the benchmark weights. Cells already recorded are \
            skipped unless --again.

            Examples:
              ptb baseline --task gsm8k --model Qwen/Qwen3-1.7B-Base --limit 50
              ptb baseline --instruct --gpus 1     # every task with data × every hub base model
            """)

    @OptionGroup var homeOptions: HomeOptions
    @Option(name: .customLong("task"), help: "Task (repeatable; default: every task whose data is available).") var tasks: [String] = []
    @Option(name: .customLong("model"), help: "Base model (repeatable; default: every hub base model in the catalog).") var models: [String] = []
    @Flag(help: "Also evaluate each base model's instruct counterparts.") var instruct = false
    @Option(help: "Evaluate N samples per cell (default: the whole test split).") var limit: Int?
    @Option(help: "GPUs for the evaluation (default 0).") var gpus: Int = 0
    @Option(help: "Runs directory (default $PTB_HOME/runs).") var runsDir: String?
    @Flag(help: "Record cells that already have a baseline run.") var again = false

    func run() async throws {
        try await reporting {
            let home = homeOptions.ptbHome
            let runs = runsDir.map { URL(fileURLWithPath: $0) } ?? home.runs
            let bases = models.isEmpty ? ModelCatalog.all.filter { !$0.local }.map(\.id) : models
            var cellsModels: [String] = []
            let catalog = try ModelCatalog.load(home: home)
            for m in bases {
                let info = try catalog.lookup(m)
                cellsModels.append(m)
                if instruct { cellsModels += info.instruct }
            }
            let taskIDs = tasks.isEmpty ? TaskRegistry.ids.filter { (try? TaskRegistry.lookup($0).samples(home: home)) != nil } : tasks
            let done = Set(RunScanner.runDirectories(in: runs).compactMap { dir -> String? in
                guard let r = try? JSONIO.read(RunResult.self, from: RunPaths(dir: dir).result), r.spec.name == Self.method,
                      r.finalScore != nil, r.spec.evalLimit == limit else { return nil }
                return "\(r.spec.task)|\(r.spec.model)"
            })
            let (harness, trap) = Harness.cli(home: home, quiet: true)
            defer { withExtendedLifetime(trap) {} }
            var failed = 0
            let cells = taskIDs.flatMap { t in cellsModels.map { (t, $0) } }
            for (i, (task, model)) in cells.enumerated() {
                let tag = "[\(i + 1)/\(cells.count)] \(task) × \(model)"
                if !again, done.contains("\(task)|\(model)") { Console.err("\(tag): already recorded"); continue }
                var spec = RunSpec(task: task, model: model, agent: "none", hours: 0.05, gpus: gpus, sandbox: .none, name: Self.method,
                                   evaluateBase: false, evalLimit: limit)
                spec.judges = []
                try Lifecycle.validate(spec, home: home)
                // A model that is not on this machine creates no run (the leaderboard would read an
                // empty run as a cell that scored nothing); the others go on.
                do {
                    _ = try ModelCatalog.resolveDirectory(try catalog.lookup(model), home: home, env: ProcessInfo.processInfo.environment)
                } catch {
                    failed += 1
                    Console.err("\(tag): not recorded: \(error)")
                    continue
                }
                let (paths, _) = try RunStore.create(spec: spec, runsDir: runs)
                Console.err("\(tag): run \(paths.id)")
                let m = try await Lifecycle(harness: harness, paths: paths).run()
                let result = try? JSONIO.read(RunResult.self, from: paths.result)
                if let s = result?.finalScore {
                    print(String(format: "%@\t%@\t%.4f ± %.4f (n=%d)\t%@", task, model, s.accuracy, s.stderr, s.n, paths.id))
                } else {
                    failed += 1
                    print("\(task)\t\(model)\tnot scored: \(m.failure ?? result?.scoreState.rawValue ?? "unknown")\t\(paths.id)")
                }
            }
            if failed > 0 { throw ExitCode.failure }
        }
    }

    static let method = "baseline_zeroshot"
}
