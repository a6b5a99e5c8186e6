import Foundation
import PTBCore
import PTBInference
import PTBProcess
import Testing

/// Issue 21: an engine serves on the GPUs it is given (never ptb's whole node), shards over them
/// with vLLM's tensor parallelism when asked, and an engine that cannot shard says so.
struct EnginePlacementTests {
    let python = URL(fileURLWithPath: "/bin/sh")
    func config(gpus: Int, visible: String?, tp: Int) -> EngineConfig {
        EngineConfig(modelDir: URL(fileURLWithPath: "/models/m"), gpus: gpus, logFile: URL(fileURLWithPath: "/var/tmp/ptb-engine-test/engine.log"),
                     visibleDevices: visible, tensorParallel: tp)
    }

    @Test func vllmServesOnTheRunsGPUsAndShardsWhenAsked() throws {
        let c = try VLLMEngine(python: python).command(config(gpus: 2, visible: "5,7", tp: 2), port: 8000)
        #expect(c.environment["CUDA_VISIBLE_DEVICES"] == "5,7")
        let i = try #require(c.arguments.firstIndex(of: "--tensor-parallel-size"))
        #expect(c.arguments[i + 1] == "2")
        // GPU serving keeps vLLM's defaults (compiled, CUDA graphs) as the original runs it.
        #expect(!c.arguments.contains("--enforce-eager"))
        #expect(!c.arguments.contains("uni") && c.environment["VLLM_ENABLE_V1_MULTIPROCESSING"] == nil)
    }

    @Test func oneGPUIsTheOriginalsSingleServerWithoutTensorParallelism() throws {
        let c = try VLLMEngine(python: python).command(config(gpus: 1, visible: "3", tp: 1), port: 8000)
        #expect(c.environment["CUDA_VISIBLE_DEVICES"] == "3")
        #expect(!c.arguments.contains("--tensor-parallel-size"))
    }

    @Test func cpuServingIsEagerAndLeavesDevicesAlone() throws {
        let c = try VLLMEngine(python: python).command(config(gpus: 0, visible: nil, tp: 1), port: 8000)
        #expect(c.arguments.contains("--enforce-eager") && c.arguments.contains("float32"))
        #expect(c.environment["CUDA_VISIBLE_DEVICES"] == ProcessInfo.processInfo.environment["CUDA_VISIBLE_DEVICES"])
        // One process on a CPU: engine core and worker in the API server's.
        let i = try #require(c.arguments.firstIndex(of: "--distributed-executor-backend"))
        #expect(c.arguments[i + 1] == "uni" && c.environment["VLLM_ENABLE_V1_MULTIPROCESSING"] == "0")
    }

    @Test func transformersServesOnTheGivenGPUAndRefusesToShard() throws {
        let one = try TransformersEngine(python: python).command(config(gpus: 1, visible: "6", tp: 1), port: 8000)
        #expect(one.environment["CUDA_VISIBLE_DEVICES"] == "6" && one.arguments.contains("cuda"))
        #expect {
            _ = try TransformersEngine(python: python).command(config(gpus: 2, visible: "0,1", tp: 2), port: 8000)
        } throws: { error in
            guard case EngineError.unsupported(let why) = error else { return false }
            return why.contains("no tensor parallelism") && why.contains("2")
        }
    }
}
