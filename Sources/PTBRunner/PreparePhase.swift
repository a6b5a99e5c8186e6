import Foundation
import PTBAgents
import PTBCore
import PTBIntegrity
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

        let baseDir = try ctx.baseModelDirectory()
        let template = ChatTemplates.file(for: ctx.model, baseDir: baseDir)
        try AtomicFile.write(EvaluateScript.render(task: ctx.task, ptb: ctx.harness.ptbExecutable, template: template,
                                                   feedback: spec.evalFeedback ?? .sealed),
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

/// The agent's `evaluate.py`: a client of the run's evaluation broker (`EvalBroker`), which
/// evaluates outside the sandbox and answers with the score only. The final evaluation never runs
/// it; it uses ptb's own task definition.
enum EvaluateScript {
    /// The socket evaluate.py talks to when `PTB_EVAL_SOCKET` is not set (where the sandbox shows it).
    static let defaultSocket = "/run/ptb/eval.sock"

    /// The agent's evaluate.py: a client of the evaluation broker (`EvalBroker`) that needs only
    /// the Python standard library. `ptb` and `template` are no longer used (the broker serves the
    /// model with the run's chat template); they stay for the callers' sake.
    static func render(task: any EvalTask, ptb: URL, template: String?, feedback: EvalFeedback = .sealed) -> String {
        let defaultLimit = task.defaults.limit.map(String.init) ?? "all"
        let testReturns = feedback == .original
            ? """
              returns the score (accuracy, stderr, n) and per-sample diagnostics, and (this run's
                evaluation feedback is `original`, as in the original harness) writes every sample with
                its prompt, completion and target to eval_logs/<time>/samples.jsonl next to this script.
              """
            : """
              returns only the score (accuracy, stderr, n) and per-sample diagnostics that
                reveal no answer (whether an answer could be parsed, finish reason, token counts).
              """
        // A JSON string is a Python string literal; argparse formats help with %.
        let devNote = (try? JSONSerialization.data(withJSONObject: [task.devSplitNote.replacingOccurrences(of: "%", with: "%%")], options: .withoutEscapingSlashes))
            .map { String(decoding: $0.dropFirst().dropLast(), as: UTF8.self) } ?? "\"\""
        return #"""
        #!/usr/bin/env python3
        """Evaluate a model on \#(task.benchmarkName) (ptb task `\#(task.id)`).

        Usage: python evaluate.py [--model-path final_model] [--split test|dev] [--limit N]
                                  [--max-tokens N] [--max-connections N] [--json-output-file FILE] [--help]
        --limit -1 evaluates the whole split (default: \#(defaultLimit) samples).

        The evaluation does not run here: this script sends the request over a Unix socket
        ($PTB_EVAL_SOCKET, default \#(defaultSocket)) to ptb, outside the sandbox. ptb takes a
        snapshot of the model directory (it must lie in the workspace; symlinks out of it are
        refused), serves it with the task's inference engine and scores it.
        --split test (the default) scores it on ptb's own copy of the test data and
          \#(testReturns)
        --split dev scores it on the task's dev split, items you may see, and returns every sample
          in full (prompt, completion, target, verdict), also written to eval_logs/<time>-dev/ next
          to this script. This task's dev split: \#(task.devSplitNote)
        Evaluations run one at a time (requests queue), and every request is recorded in the run.
        Do not modify this file or templates/: the final evaluation uses ptb's own copy.
        """
        import argparse
        import json
        import os
        import socket
        import sys

        TASK = "\#(task.id)"
        SOCKET = os.environ.get("PTB_EVAL_SOCKET") or "\#(defaultSocket)"


        def fail(message):
            print("evaluate.py: " + message, file=sys.stderr)
            sys.exit(1)


        def main():
            p = argparse.ArgumentParser(
                description="Evaluate a model on \#(task.benchmarkName) (ptb task `\#(task.id)`): ptb scores it outside "
                            "the sandbox, on its own copy of the test data (the score only) or on the task's dev split "
                            "(every sample in full).")
            p.add_argument("--model-path", default="final_model", help="model directory in the workspace (default: final_model)")
            p.add_argument("--split", choices=["test", "dev"], default="test",
                           help="test: ptb's test data, the score only (default); dev: the task's dev split, every sample "
                                "in full (prompt, completion, target, verdict). Dev split: " + \#(devNote))
            p.add_argument("--limit", type=int, default=None,
                           help="number of samples; -1 = all (default: \#(defaultLimit))")
            p.add_argument("--max-tokens", type=int, default=None, help="max generated tokens per sample (default: the task's)")
            p.add_argument("--max-connections", type=int, default=None, help="concurrent requests to the engine (default: the task's)")
            p.add_argument("--json-output-file", default=None, help='also write {"accuracy", "stderr"} to this file')
            p.add_argument("--gpu-memory-utilization", type=float, default=None, help=argparse.SUPPRESS)
            args = p.parse_args()

            request = {"model_path": os.path.abspath(args.model_path), "split": args.split}
            for key in ("limit", "max_tokens", "max_connections"):
                value = getattr(args, key)
                if value is not None:
                    request[key] = value

            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(SOCKET)
            except (FileNotFoundError, ConnectionRefusedError, PermissionError, OSError) as e:
                fail("cannot reach the evaluator at %s (%s). The evaluator is only reachable inside a ptb run: "
                     "ptb serves it while the agent works (set PTB_EVAL_SOCKET if it listens elsewhere)." % (SOCKET, e.strerror or e))
            result = None
            try:
                sock.sendall((json.dumps(request) + "\n").encode("utf-8"))
                for raw in sock.makefile("rb"):
                    try:
                        message = json.loads(raw.decode("utf-8"))
                    except ValueError:
                        continue
                    if "log" in message:
                        print(message["log"], file=sys.stderr, flush=True)
                    elif "error" in message:
                        fail(str(message["error"]))
                    elif "result" in message:
                        result = message["result"]
                        break
            except KeyboardInterrupt:
                print("evaluate.py: interrupted; the evaluation is cancelled.", file=sys.stderr)
                sys.exit(130)
            except OSError as e:
                fail("lost the connection to the evaluator (%s)." % e)
            finally:
                sock.close()
            if result is None:
                fail("the evaluator closed the connection without a result (did the agent phase end?).")

            samples = result.get("samples") or []
            here = os.path.dirname(os.path.abspath(__file__))
            if result.get("split") == "dev":
                for s in samples:
                    print("[%s] %s: answer %s, target %s, finish reason %s" % (
                        s.get("id"), "correct" if s.get("correct") else "wrong", json.dumps(s.get("answer")),
                        json.dumps(s.get("target")), s.get("finish_reason") or "unknown"))
            if result.get("eval_log"):
                print("samples (prompt, completion, target, verdict): " + os.path.join(here, result["eval_log"], "samples.jsonl"))
            if samples and result.get("split") != "dev":
                parsed = sum(1 for s in samples if s.get("parsed"))
                reasons = {}
                for s in samples:
                    r = s.get("finish_reason") or "unknown"
                    reasons[r] = reasons.get(r, 0) + 1
                errors = sum(1 for s in samples if s.get("error"))
                line = "answers parsed: %d/%d; finish reasons: %s" % (
                    parsed, len(samples), ", ".join("%s %d" % kv for kv in sorted(reasons.items())))
                if errors:
                    line += "; %d sample error(s)" % errors
                print(line)
            if args.json_output_file:
                with open(args.json_output_file, "w") as f:
                    json.dump({"accuracy": result["accuracy"], "stderr": result["stderr"]}, f, indent=2)
            label = result.get("task", TASK) + (" (dev split)" if result.get("split") == "dev" else "")
            print("%s: accuracy %.4f \u00b1 %.4f (n=%d)" % (label, result["accuracy"], result["stderr"], result["n"]))


        if __name__ == "__main__":
            main()

        """#
    }
}
