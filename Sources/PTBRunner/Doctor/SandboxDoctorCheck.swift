import Foundation
import PTBCore
import PTBProcess
import PTBSandbox

/// The agents' sandbox starts, and inside it `/` holds the allow-list and nothing else: no
/// test data, references, credentials, runs or index of `$PTB_HOME`, no home directory.
struct SandboxDoctorCheck: DoctorCheck {
    let name = "sandbox"

    /// A sandbox with the view an agent gets (AgentView, the same builder runs use), running `script`.
    static func sandboxed(_ ctx: DoctorContext, script: String, args: [String] = [], gpus: Bool) throws -> (Command, URL, SandboxPolicy) {
        let workspace = FileManager.default.temporaryDirectory.appendingPathComponent("ptb-doctor-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        let base = ctx.models.lazy.compactMap { m in
            (try? ModelCatalog.load(home: ctx.harness.home).lookup(m)).flatMap { try? ModelCatalog.resolveDirectory($0, home: ctx.harness.home, env: ctx.env) }
        }.first ?? ctx.harness.home.models.appendingPathComponent("tiny")
        var spec = RunSpec(task: "arith", model: "tiny", agent: "none", gpus: gpus ? 1 : 0, sandbox: ctx.sandbox)
        spec.network = .none
        let view = AgentView(harness: ctx.harness, spec: spec, baseModelDir: base)
        let policy = view.policy(writable: [workspace], sharedCache: HFCacheLayer.shared(env: ctx.env), brokerDirectory: nil,
                                 gpus: gpus, workingDirectory: workspace)
        let runtime = try Sandboxes.runtime(ctx.sandbox, environment: ctx.env)
        try runtime.check()
        var env = ["PATH": ctx.env["PATH"] ?? "/usr/bin:/bin", "HOME": workspace.path]
        if let v = ctx.env["CUDA_VISIBLE_DEVICES"] { env["CUDA_VISIBLE_DEVICES"] = v }
        return (runtime.wrap(Command("/bin/sh", ["-c", script, "sh"] + args, environment: env, workingDirectory: workspace), policy: policy), workspace, policy)
    }

    func run(_ ctx: DoctorContext) async -> [DoctorResult] {
        let runtime: any SandboxRuntime.Type
        do { runtime = try Sandboxes.type(ctx.sandbox) } catch {
            return [DoctorResult(name, .fail, "\(error)", fix: "pass one of them to --sandbox")]
        }
        guard runtime.isolates else {
            return [DoctorResult(name, .warn, "sandbox `\(ctx.sandbox)`: agents run as plain processes and see what this user sees",
                                 fix: "use the default bubblewrap sandbox (`apt-get install bubblewrap`) for runs that count")]
        }
        let home = ctx.harness.home
        // Hidden paths that exist on this host: seeing any of them inside is a hole.
        let userHome = ctx.env["HOME"] ?? NSHomeDirectory()
        let secrets = [home.data, home.references, home.runs, home.index, home.root.appendingPathComponent("secrets"),
                       home.root.appendingPathComponent("credentials"), URL(fileURLWithPath: userHome).appendingPathComponent(".ssh"),
                       URL(fileURLWithPath: userHome).appendingPathComponent(".netrc"), ctx.runsDir]
            .map(\.path).filter { FileManager.default.fileExists(atPath: $0) }
        let script = #"ls -A /; echo ---; for p in "$@"; do if [ -e "$p" ]; then echo "VISIBLE $p"; fi; done"#
        let command: Command, workspace: URL, policy: SandboxPolicy
        do { (command, workspace, policy) = try Self.sandboxed(ctx, script: script, args: secrets, gpus: false) } catch {
            return [DoctorResult(name, .fail, "\(error)", fix: runtime.doctorFixes.unusable)]
        }
        defer { try? FileManager.default.removeItem(at: workspace) }
        let (t, lines) = await ctx.run(command, seconds: 60)
        guard let t, t.succeeded, let sep = lines.firstIndex(of: "---") else {
            return [DoctorResult(name, .fail, "the sandbox did not start: " + (lines.suffix(3).joined(separator: " / ")),
                                 fix: runtime.doctorFixes.didNotStart)]
        }
        let root = Array(lines[..<sep])
        let leaks = lines[(sep + 1)...].filter { $0.hasPrefix("VISIBLE ") }.map { String($0.dropFirst(8)) }
        // What may be at the top: the system directories, the runtime's own, and the first
        // components of the allow-list (the Python env, the model, the cache, the workspace).
        var allowed = Set(SandboxPolicy.systemDirectories.map { String($0.dropFirst()) } + ["dev", "proc", "tmp", "run"])
        for p in (policy.visible + policy.writable).map(\.path) + policy.mounts.map(\.target) {
            if let first = p.split(separator: "/").first { allowed.insert(String(first)) }
        }
        let extra = root.filter { !allowed.contains($0) }
        if !leaks.isEmpty || !extra.isEmpty {
            return [DoctorResult(name, .fail, "the sandbox shows more than its allow-list: " + (leaks + extra.map { "/" + $0 }).joined(separator: ", "),
                                 fix: "do not keep $PTB_HOME or the runs directory under a path the agent is shown (the Python env's or the model's directory); report it if they are apart")]
        }
        return [DoctorResult(name, .pass, "\(ctx.sandbox.rawValue) starts; / holds only \(root.joined(separator: " ")); \(secrets.count) private path(s) checked hidden")]
    }
}
