import Foundation
import PTBAgents
import PTBCore
import PTBInference
import PTBProcess
import PTBTasks

/// Everything a run needs from its surroundings, passed explicitly (no globals).
public struct Harness: Sendable {
    public let home: PTBHome
    public let runner: ProcessRunner
    /// The ptb binary the agent's evaluate.py calls (and whose hash is protected).
    public let ptbExecutable: URL
    public let environment: [String: String]
    public let log: @Sendable (String) -> Void
    /// Echo agent output to the console as it is traced.
    public var echoAgent: Bool

    public init(home: PTBHome, runner: ProcessRunner, ptbExecutable: URL, environment: [String: String],
                echoAgent: Bool = true, log: @escaping @Sendable (String) -> Void) {
        self.home = home
        self.runner = runner
        self.ptbExecutable = ptbExecutable
        self.environment = environment
        self.echoAgent = echoAgent
        self.log = log
    }

    /// vLLM unless `PTB_ENGINE` names another engine (transformers, where vLLM is not installed).
    public var engine: any InferenceEngine {
        get throws { try EngineRegistry.engine(named: environment["PTB_ENGINE"], python: enginePython) }
    }

    /// The interpreter that serves models: `$PTB_HOME/envs/py`, or PTB_PYTHON where it is set. ptb's
    /// images set it to their pinned venv, because inside a container the host home's env (bound
    /// read-only at its host path) names an interpreter the image does not have.
    public var enginePython: URL {
        if let p = environment["PTB_PYTHON"], !p.isEmpty { return URL(fileURLWithPath: p) }
        return home.python
    }

    public static func currentExecutable() -> URL {
        if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return URL(fileURLWithPath: p) }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
    }

    /// The environment an agent starts from: nothing from the host but what is declared here (no
    /// PTB_HOME: the sandbox hides it, and its path alone tells where the test data lives).
    func agentEnvironment(spec: RunSpec, paths: RunPaths, baseModelDir: URL) -> [String: String] {
        let hostPath = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        var env: [String: String] = [
            "PATH": home.pythonEnv.appendingPathComponent("bin").path + ":" + hostPath,
            "HOME": paths.workspace.path,
            "PTB_TASK": spec.task,
            "PTB_RUN_ID": paths.id,
            "PTB_MODEL_ID": spec.model,
            "PTB_BASE_MODEL": baseModelDir.path,
            "NUM_GPUS": String(spec.gpus),
            "PYTHONNOUSERSITE": "1",
            "PYTHONUNBUFFERED": "1",
            "TMPDIR": "/tmp",
            "LANG": environment["LANG"] ?? "C.UTF-8",
            "HF_HUB_DISABLE_TELEMETRY": "1",
        ]
        for k in ["HF_HOME", "CUDA_VISIBLE_DEVICES", "VLLM_CPU_KVCACHE_SPACE", "OMP_NUM_THREADS"] {
            if let v = environment[k] { env[k] = v }
        }
        // The run's copy-on-write view of the shared cache (HFCacheLayer), when prepare made one.
        if FileManager.default.fileExists(atPath: HFCacheLayer.home(paths).path) { env["HF_HOME"] = HFCacheLayer.home(paths).path }
        return env
    }
}
