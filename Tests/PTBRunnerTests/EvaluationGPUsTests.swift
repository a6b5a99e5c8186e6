import Foundation
import PTBCore
@testable import PTBRunner
import Testing

/// Issue 21: the final, base and evaluate.py evaluations serve on the run's GPUs. On a node shared
/// by runs, two evaluations never get the same GPU, a scheduler's assignment is used as given,
/// and too few free GPUs is an error with the numbers (the run can be resumed), not GPU 0.
@Suite struct EvaluationGPUsTests {
    func scratch() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("ptb-evalgpus-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    func spec(gpus: Int, tp: Int? = nil) -> RunSpec {
        var s = RunSpec(task: "arith", model: "tiny", agent: "reference", gpus: gpus)
        s.evalTensorParallel = tp
        return s
    }

    @Test func twoRunsEvaluatingOnOneNodeGetDisjointGPUs() throws {
        let dev = try scratch(), locks = try scratch()
        defer { try? FileManager.default.removeItem(at: dev); try? FileManager.default.removeItem(at: locks) }
        for i in 0..<4 { _ = FileManager.default.createFile(atPath: dev.appendingPathComponent("nvidia\(i)").path, contents: nil) }
        let host = HostGPUs(devDir: dev.path)
        let env = ["PTB_GPU_LOCK_DIR": locks.path]
        do {
            let (a, leaseA) = try EvaluationGPUs.place(spec(gpus: 2, tp: 2), environment: env, host: host)
            let (b, leaseB) = try EvaluationGPUs.place(spec(gpus: 2), environment: env, host: host)
            #expect(a.tensorParallel == 2 && a.count == 2 && b.tensorParallel == 1 && b.count == 1)
            let ga = Set(GPUSelection.indices(a.visibleDevices ?? "") ?? []), gb = Set(GPUSelection.indices(b.visibleDevices ?? "") ?? [])
            #expect(ga.count == 2 && gb.count == 1 && ga.isDisjoint(with: gb), "\(a) \(b)")
            // The node has one GPU left: a third evaluation asking for two is refused with the numbers.
            #expect {
                _ = try EvaluationGPUs.place(spec(gpus: 2, tp: 2), environment: env, host: host)
            } throws: { error in
                "\(error)".contains("the evaluation needs 2 GPU(s)") && "\(error)".contains("only 1 of this node's 4 are free")
            }
            withExtendedLifetime((leaseA, leaseB)) {}
        }
        // Released with the leases.
        let (all, lease) = try EvaluationGPUs.place(spec(gpus: 4, tp: 4), environment: env, host: host)
        #expect(all.visibleDevices == "0,1,2,3")
        withExtendedLifetime(lease) {}
    }

    @Test func aSchedulersAssignmentIsUsedAsGivenAndCPURunsStayOnTheCPU() throws {
        let locks = try scratch()
        defer { try? FileManager.default.removeItem(at: locks) }
        let env = ["PTB_GPU_LOCK_DIR": locks.path, "CUDA_VISIBLE_DEVICES": "6,7"]
        let (p, lease) = try EvaluationGPUs.place(spec(gpus: 2), environment: env, host: HostGPUs(devDir: "/nonexistent"))
        #expect(p == GPUPlacement(count: 1, visibleDevices: "6", tensorParallel: 1) && lease == nil)
        let (tp2, _) = try EvaluationGPUs.place(spec(gpus: 2, tp: 2), environment: env, host: HostGPUs(devDir: "/nonexistent"))
        #expect(tp2.visibleDevices == "6,7")
        #expect(try EvaluationGPUs.place(spec(gpus: 0, tp: 2), environment: env).0 == .cpu)
        #expect {
            _ = try EvaluationGPUs.place(spec(gpus: 1, tp: 2), environment: env)
        } throws: { "\($0)".contains("eval_tensor_parallel 2 is more than the run's 1 GPU(s)") }
    }

    @Test func evaluatePyServesOnTheAgentsOwnGPUs() {
        #expect(EvaluationGPUs.forBroker(spec(gpus: 4, tp: 2), agentDevices: "3,1,6,7") == GPUPlacement(count: 2, visibleDevices: "3,1", tensorParallel: 2))
        #expect(EvaluationGPUs.forBroker(spec(gpus: 2), agentDevices: "5,4") == GPUPlacement(count: 1, visibleDevices: "5", tensorParallel: 1))
        #expect(EvaluationGPUs.forBroker(spec(gpus: 0, tp: 2), agentDevices: "0") == .cpu)
    }

    @Test func tensorParallelismIsCheckedBeforeAnythingRuns() throws {
        var o = RunOptions()
        o.evalTensorParallel = 2
        #expect(throws: PTBError.self) { try o.validate(flags: true) }   // no --gpus: 0 GPUs
        #expect { try o.validate(flags: true) } throws: { "\($0)".contains("--eval-tensor-parallel 2 needs at least 2 GPUs") }
        o.gpus = 2
        try o.validate(flags: true)
        o.evalTensorParallel = 0
        #expect { try o.validate(flags: false) } throws: { "\($0)".contains("eval_tensor_parallel must be at least 1") }
    }
}
