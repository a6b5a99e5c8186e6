import Foundation
import PTBAgents
import PTBCore
import PTBTasks

/// Lays out the agent's workspace, fixes the deadline, renders the prompt, and hashes what the
/// agent must not change.
enum PreparePhase {
    static func run(_ ctx: PhaseContext, _ m: inout RunManifest) throws -> PhaseOutcome {
        let fm = FileManager.default
        let p = ctx.paths
        let spec = m.spec
        // A half-done earlier attempt is discarded: prepare always starts from nothing.
        if fm.fileExists(atPath: p.workspace.path) { try fm.removeItem(at: p.workspace) }
        try fm.createDirectory(at: p.task.appendingPathComponent("templates"), withIntermediateDirectories: true)

        let baseDir = try ModelCatalog.resolveDirectory(ctx.model, home: ctx.harness.home, env: ctx.harness.environment)
        let template = ChatTemplates.file(for: ctx.model, baseDir: baseDir)
        try AtomicFile.write(EvaluateScript.render(task: ctx.task, ptb: ctx.harness.ptbExecutable, template: template),
                             to: p.task.appendingPathComponent("evaluate.py"))
        for (name, text) in ChatTemplates.all {
            try AtomicFile.write(text, to: p.task.appendingPathComponent("templates/\(name)"))
        }
        for (name, text) in try ctx.task.contextFiles() {
            try AtomicFile.write(text, to: p.task.appendingPathComponent(name))
        }
        let now = Date()
        let budget = Int(spec.budgetSeconds.rounded())
        let epoch = Int(now.timeIntervalSince1970)
        try AtomicFile.write(TimerScript.render(creationEpoch: epoch, budgetSeconds: budget), to: p.task.appendingPathComponent("timer.sh"))
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: p.task.appendingPathComponent("timer.sh").path)
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: p.task.appendingPathComponent("evaluate.py").path)

        if let shared = HFCacheLayer.shared(env: ctx.harness.environment) {
            let n = try HFCacheLayer.build(shared: shared, paths: p)
            ctx.harness.log("[prepare] Hugging Face cache layer: \(n) files of \(shared.path) linked read-only into \(HFCacheLayer.home(p).path)")
        }
        let agentCtx = AgentContext(spec: spec, paths: p, home: ctx.harness.home, baseModelDir: baseDir,
                                    environment: ctx.harness.agentEnvironment(spec: spec, paths: p, baseModelDir: baseDir))
        try ctx.agent.prepare(agentCtx)
        _ = try AgentResources.install("cuda_check", into: p.workspace, as: "check_cuda.py")

        let prompt = AgentPrompt.render(model: spec.model, benchmark: ctx.task.benchmarkName, hours: spec.hoursText,
                                        gpus: spec.gpus, gpuName: spec.gpuName, inspectNote: ctx.task.inspectNote,
                                        nonInteractive: ctx.agent.nonInteractivePromptLine)
        try AtomicFile.write(prompt, to: p.prompt)
        try JSONIO.write(try ProtectedFiles.snapshot(paths: p, task: ctx.task, ptb: ctx.harness.ptbExecutable), to: p.protected)
        m.deadline = Date(timeIntervalSince1970: TimeInterval(epoch + budget))
        return .done("workspace ready; deadline \(Timestamps.iso(m.deadline!))")
    }
}

/// The agent's `evaluate.py`: a thin launcher for `ptb eval` on this task. The final
/// evaluation never runs it; it uses ptb's own task definition.
enum EvaluateScript {
    static func render(task: any EvalTask, ptb: URL, template: String?) -> String {
        let templateArgs = template.map { #", "--chat-template", os.path.join(HERE, "templates", "\#($0)")"# } ?? ""
        return #"""
        #!/usr/bin/env python3
        """Evaluate a model on \#(task.benchmarkName) (ptb task `\#(task.id)`).

        Usage: python evaluate.py [--model-path final_model] [--limit N] [--max-tokens N]
                                  [--max-connections N] [--json-output-file FILE] [--help]
        --limit -1 evaluates the whole test split (default: \#(task.defaults.limit.map(String.init) ?? "all") samples).
        Do not modify this file or templates/: the final evaluation uses ptb's own copy.
        """
        import os
        import sys

        HERE = os.path.dirname(os.path.abspath(__file__))
        # Inside ptb's container images, the image's own ptb (PTB_EXECUTABLE, set by the image).
        PTB = os.environ.get("PTB_EXECUTABLE") or "\#(ptb.path)"
        argv = sys.argv[1:]
        args = [PTB, "eval", "--task", "\#(task.id)"\#(templateArgs)]
        if not any(a == "--model-path" or a.startswith("--model-path=") for a in argv):
            args += ["--model-path", "final_model"]
        os.execv(PTB, args + argv)

        """#
    }
}

/// What the agent must not change, hashed at preparation and verified after the agent phase.
struct ProtectedFiles: Codable, Equatable {
    var files: [String: String]

    static func snapshot(paths: RunPaths, task: any EvalTask, ptb: URL) throws -> ProtectedFiles {
        var files: [String: String] = [:]
        files["task/evaluate.py"] = try Hashing.sha256(file: paths.task.appendingPathComponent("evaluate.py"))
        for (rel, h) in try Hashing.tree(paths.task.appendingPathComponent("templates")) { files["task/templates/\(rel)"] = h }
        for name in try task.contextFiles().keys { files["task/\(name)"] = try Hashing.sha256(file: paths.task.appendingPathComponent(name)) }
        files["task/timer.sh"] = try Hashing.sha256(file: paths.task.appendingPathComponent("timer.sh"))
        files["ptb:\(ptb.path)"] = try Hashing.sha256(file: ptb)
        return ProtectedFiles(files: files)
    }

    /// Files whose content now differs from the snapshot (or that disappeared).
    func changes(paths: RunPaths) -> [String] {
        files.keys.sorted().compactMap { key in
            let url = key.hasPrefix("ptb:") ? URL(fileURLWithPath: String(key.dropFirst(4))) : paths.workspace.appendingPathComponent(key)
            guard let now = try? Hashing.sha256(file: url) else { return "\(key) (missing)" }
            return now == files[key] ? nil : key
        }
    }
}
