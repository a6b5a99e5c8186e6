import Foundation
import PTBProcess

/// The inference engine the final evaluation starts: its Python imports it.
struct EngineDoctorCheck: DoctorCheck {
    let name = "engine"

    func run(_ ctx: DoctorContext) async -> [DoctorResult] {
        let python = ctx.harness.enginePython
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            return [DoctorResult(name, .fail, "no Python environment at \(python.path)",
                                 fix: "run `ptb setup` (or `ptb setup --use-python /path/to/python` on a GPU node with torch and vLLM)")]
        }
        let engine = ctx.env["PTB_ENGINE"].flatMap { $0.isEmpty ? nil : $0 } ?? "vllm"
        let module = engine == "transformers" ? "transformers" : "vllm"
        var env = ctx.env
        env["HF_HUB_OFFLINE"] = "1"
        let (t, lines) = await ctx.run(Command(python.path, ["-c", "import \(module), torch; print(\(module).__version__, torch.__version__, torch.cuda.is_available())"], environment: env), seconds: 300)
        guard let t, t.succeeded, let last = lines.last else {
            let fix = module == "vllm"
                ? "install vLLM into \(python.path)'s environment (`ptb setup`), or set PTB_ENGINE=transformers where no vLLM matches the node's torch"
                : "install transformers into \(python.path)'s environment"
            return [DoctorResult(name, .fail, "`import \(module)` failed in \(python.path): \(lines.last ?? "no output")", fix: fix)]
        }
        let parts = last.split(separator: " ")
        let cuda = parts.count > 2 && parts[2] == "True"
        return [DoctorResult(name, .pass, "\(engine) \(parts.first ?? "?") imports (torch \(parts.count > 1 ? String(parts[1]) : "?"), CUDA \(cuda ? "available" : "not available"))")]
    }
}
