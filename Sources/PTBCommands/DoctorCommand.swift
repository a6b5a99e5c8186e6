import ArgumentParser
import Foundation
import PTBCore
import PTBJobs
import PTBRunner
import PTBSandbox

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Preflight this node before runs spend hours on it: one line per check, with the fix for each failure.",
        discussion: """
            Checks: clock (and the runs filesystem's), sandbox (starts; / shows only its allow-list), GPUs inside the \
            sandbox (ptb's CUDA precheck; a node without GPUs is reported, not failed, unless --gpus > 0), the inference \
            engine imports, free disk, the HF cache holds the models/datasets asked for, agent CLIs and credentials \
            (values never printed), the scheduler (with --backend). --sweep FILE takes models, agents, GPUs, backend and \
            results directory from a sweep spec. Exit status 1 when a check fails.

            Examples:
              ptb doctor --model Qwen/Qwen3-1.7B-Base --gpus 1
              ptb doctor --sweep sweep.yaml --json
            """)

    @OptionGroup var homeOptions: HomeOptions
    @Flag(help: "Machine-readable output (a JSON array of {check, status, detail, fix}).") var json = false
    @Option(help: "A sweep spec: check what its runs need.") var sweep: String?
    @Option(help: "A base model the runs use (repeatable).") var model: [String] = []
    @Option(help: "A dataset agents are promised in the HF cache (repeatable).") var dataset: [String] = []
    @Option(help: "An agent whose CLI and credentials must be there (repeatable; default: report every CLI agent).") var agent: [String] = []
    @Option(help: "Runs directory (default $PTB_HOME/runs).") var runsDir: String?
    @Option(help: "Sandbox the runs use (default bwrap).") var sandbox: SandboxKind?
    @Option(help: "GPUs a run asks for (default 0: no GPU is a warning, not a failure).") var gpus: Int?
    @Option(help: "Scheduler to check: \(SweepBackends.names.orList()).") var backend: String?
    @Option(help: "Free space the runs directory needs, in GB (default 50).") var minFreeGb: Double = 50

    func run() async throws {
        try await reporting {
            let home = homeOptions.ptbHome
            var models = model, agents = agent, g = gpus, b = backend, runs = runsDir.map { URL(fileURLWithPath: $0) }
            var box = sandbox
            if let sweep {
                let spec = try SweepSpec.load(URL(fileURLWithPath: sweep), sandboxes: Sandboxes.names)
                models += spec.models
                agents += spec.agents
                g = g ?? spec.gpus.max()
                b = b ?? spec.backend.rawValue
                runs = runs ?? URL(fileURLWithPath: spec.resultsDir)
                box = box ?? spec.options.sandbox
            }
            let (harness, trap) = Harness.cli(home: home, quiet: true)
            defer { withExtendedLifetime(trap) {} }
            let ctx = DoctorContext(harness: harness, models: models, datasets: dataset, agents: agents, minFreeGB: minFreeGb,
                                    runsDir: runs ?? home.runs, sandbox: box ?? .bwrap, gpus: g ?? 0, backend: b,
                                    backends: SweepBackends.names, schedulerProbes: SweepBackends.doctorProbes)
            let results = await Doctor.run(ctx)
            if json {
                print(String(decoding: try JSONIO.encode(results), as: UTF8.self))
            } else {
                for r in results { print(r.line) }
                let failed = results.filter { $0.status == .fail }.count
                print(failed == 0 ? "doctor: all checks passed" : "doctor: \(failed) check(s) failed")
            }
            if !Doctor.passed(results) { throw ExitCode.failure }
        }
    }
}
