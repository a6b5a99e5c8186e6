import Foundation
import PTBAgents
import PTBCore
import PTBProcess
import PTBSandbox
import PTBTasks

/// One line of `trace.jsonl`: an agent output line, or an event of ptb's own.
struct TraceLine: Codable {
    var ts: String
    var line: String?
    var event: String?
    var detail: String?
}

/// Runs the agent in its sandbox under the time budget: SIGTERM at deadline + grace, SIGKILL
/// `killAfter` later; every output line traced with a UTC timestamp; the monitor sampling alongside.
enum AgentPhase {
    static func run(_ ctx: PhaseContext, _ m: inout RunManifest) async throws -> PhaseOutcome {
        let spec = m.spec
        let p = ctx.paths
        if let stale = m.live {
            // A previous ptb died while the agent ran: stop whatever it left behind first.
            if ProcessInspector.killStale(stale) { ctx.harness.log("[agent] stopped leftover process group \(stale.processGroup)") }
            m.live = nil
            try ctx.save(m)
        }
        // Also whatever of this run escaped that group (setsid) while the old ptb was gone.
        RunProcesses.killAll(runID: p.id)
        guard let deadline = m.deadline else { return .failed("no deadline recorded; the prepare phase did not finish") }
        let hardLimit = deadline.addingTimeInterval(spec.termGraceSeconds)
        let trace = try LineAppender(url: p.trace)
        // Every value of a secret-bearing variable (the agent's and the host's) and the contents of
        // subscription credential files are replaced before anything reaches disk or the console.
        let hostSecrets = ctx.harness.environment.filter { Redactor.isSecretName($0.key) }
        var redactor = Redactor(environment: hostSecrets)
        func event(_ name: String, _ detail: String? = nil) {
            if let l = try? JSONIO.line(TraceLine(ts: Timestamps.iso(Date()), line: nil, event: name, detail: detail.map(redactor.redact))) {
                trace.append(l)
            }
        }
        let def = AgentRegistry.definition(agent: spec.agent, config: spec.agentConfig, home: ctx.harness.home)
        if Date() >= hardLimit {
            event("skipped", "budget spent before the agent could (re)start")
            m.exit = .timeout
            // A ptb killed between the agent's exit and the redaction below resumes here.
            let declared = ctx.harness.environment.filter { def?.declaredSecrets.contains($0.key) == true }
            _ = try? WorkspaceRedaction.redact(directory: p.workspace,
                                               with: Redactor(environment: hostSecrets.merging(declared) { a, _ in a }, secretNames: def?.declaredSecrets ?? []))
            return .done("budget already spent; exit classified as timeout")
        }

        let sandbox: any SandboxRuntime
        do {
            sandbox = try Sandboxes.runtime(spec.sandbox, containerPath: def?.containerPath)
            try sandbox.check()
        } catch {
            m.exit = .launchFailed
            event("launch-failed", "\(error)")
            return .failedToStart("the \(spec.sandbox.rawValue) sandbox is not usable: \(error). `ptb doctor` checks the sandbox runtimes.")
        }
        let baseDir = URL(fileURLWithPath: RealPath.orSelf(try ctx.baseModelDirectory().path))
        let view = AgentView(harness: ctx.harness, spec: spec, baseModelDir: baseDir, agentDefinition: def)
        // The evaluation broker's socket lives in a short host directory (a socket path must fit
        // in 108 bytes), shown read-only at /run/ptb inside the sandbox.
        let brokerDir = try Self.brokerDirectory()
        defer { try? FileManager.default.removeItem(at: brokerDir) }
        var env = view.environment(paths: p, brokerSocket: AgentView.socketPath(isolated: sandbox.isolates, hostDirectory: brokerDir))
        // The run's GPUs, claimed host-wide unless a scheduler already chose them; held until the
        // agent phase returns. Too few ends the run as no-gpu here, with the numbers.
        var gpuLease: GPULease?
        defer { withExtendedLifetime(gpuLease) {} }
        if spec.gpus > 0 {
            switch try GPUAcquisition.acquire(requested: spec.gpus, visibleDevices: env["CUDA_VISIBLE_DEVICES"],
                                              lockDir: GPULease.lockDirectory(environment: ctx.harness.environment)) {
            case .short(let why):
                let line = "CUDA precheck failed: \(why)"
                if let j = try? JSONIO.line(TraceLine(ts: Timestamps.iso(Date()), line: line)) { trace.append(j) }
                _ = FileManager.default.createFile(atPath: p.task.appendingPathComponent("cuda_not_available").path, contents: nil)
                m.exit = .noGPU
                event("no-gpu", line)
                return .failed("no-gpu: \(line)")
            case let .granted(visible, lease):
                env["CUDA_VISIBLE_DEVICES"] = visible
                gpuLease = lease
                if lease != nil { event("gpus", "claimed GPU \(visible) on this node") }
            }
        }
        let layer = FileManager.default.fileExists(atPath: p.cacheLayer.path)
        let sharedCache = layer ? HFCacheLayer.shared(env: ctx.harness.environment) : nil
        let policy = view.policy(
            writable: [p.workspace] + (layer ? [p.cacheLayer] : []),
            readOnlyInsideWritable: [p.task.appendingPathComponent("evaluate.py"), p.task.appendingPathComponent("templates"),
                                     p.task.appendingPathComponent("timer.sh")]
                + ((try? ctx.task.contextFiles().keys.sorted()) ?? []).map { p.task.appendingPathComponent($0) },
            sharedCache: sharedCache, brokerDirectory: brokerDir, gpus: spec.gpus > 0, workingDirectory: p.task)

        if spec.gpus > 0 {
            let check = Command("python", [p.workspace.appendingPathComponent("check_cuda.py").path, "--gpus", String(spec.gpus),
                                           "--gpu-name", spec.gpuName, "--marker", p.task.appendingPathComponent("cuda_not_available").path],
                                environment: env)
            let (t, lines) = try await ctx.harness.runner.run(sandbox.wrap(check, policy: policy))
            for l in lines.map(redactor.redact) { if let j = try? JSONIO.line(TraceLine(ts: Timestamps.iso(Date()), line: l)) { trace.append(j) } }
            guard t.succeeded else {
                m.exit = .noGPU
                event("no-gpu", lines.last)
                return .failed("no-gpu: \(lines.last ?? "CUDA precheck failed (\(t))")")
            }
        }

        let prompt = try String(contentsOf: p.prompt, encoding: .utf8)
        let template = try EvaluatePhase.writeTemplate(ctx, into: p.dir.appendingPathComponent("broker"))
        let broker = EvalBroker(harness: ctx.harness, task: ctx.task, runPaths: p,
                                gpus: EvaluationGPUs.forBroker(spec, agentDevices: env["CUDA_VISIBLE_DEVICES"]),
                                socketPath: brokerDir.appendingPathComponent(AgentView.brokerSocketName), chatTemplate: template,
                                feedback: spec.evalFeedback ?? .sealed)
        let agentCtx = AgentContext(spec: spec, paths: p, home: ctx.harness.home, baseModelDir: baseDir, environment: env)
        let agentCommand = try ctx.agent.command(agentCtx, prompt: prompt)
        redactor = ctx.agent.redactor(environment: agentCommand.environment.merging(hostSecrets) { a, _ in a }, home: ctx.harness.home,
                                      secretNames: def?.declaredSecrets ?? [])
        if let missing = await Self.missingCLI(agentCommand, adapter: ctx.agent, sandbox: sandbox, home: ctx.harness.home,
                                               runner: ctx.harness.runner) {
            m.exit = .launchFailed
            event("launch-failed", missing)
            return .failedToStart(missing)
        }
        let launch = SandboxedLaunch(harness: ctx.harness, sandbox: sandbox, policy: policy, command: agentCommand, runID: p.id,
                                     trace: trace, redactor: redactor, echo: ctx.harness.echoAgent, hardLimit: hardLimit,
                                     killAfter: spec.killAfterSeconds)
        event("start", "attempt \(m[.agent].attempts); sandbox \(spec.sandbox.rawValue); hard limit \(Timestamps.iso(hardLimit))")
        let child: ChildProcess
        do { child = try await launch.start() } catch let e as SandboxedLaunch.StartFailure {
            m.exit = .launchFailed
            event("launch-failed", e.description)
            return .failedToStart(e.description)
        }
        m.live = child.live
        try ctx.save(m)

        let log = ctx.harness.log
        let monitor = Monitor(url: p.monitor, interval: spec.monitorIntervalSeconds, workspace: p.workspace, runner: ctx.harness.runner,
                              gpus: spec.gpus > 0 ? env["CUDA_VISIBLE_DEVICES"].flatMap(GPUSelection.indices) : nil)
        let atDeadline = ModelDirState.Box()
        let finalModel = p.agentFinalModel
        let limits = spec.limits ?? SandboxLimits()
        let disk = DiskWatch(roots: [p.workspace] + (layer ? [p.cacheLayer] : []), limitBytes: limits.workspaceBytes)
        let diskInterval = min(10, max(1, spec.monitorIntervalSeconds))
        let ended = await launch.supervise(child, companions: [
            { await monitor.run(); return nil },
            {
                // evaluate.py's requests, served outside the sandbox until the agent is gone.
                do { try await broker.run() } catch is CancellationError {} catch { log("[agent] evaluation broker stopped: \(error)") }
                return nil
            },
            { await disk.watch(interval: diskInterval)?.reason },
            {
                // final_model as it stood when timer.sh said "Timer expired!": what changes after
                // it is a late submission (allowed by the original's grace, flagged by policy ptb).
                let wait = deadline.timeIntervalSinceNow
                if wait > 0 { try? await Task.sleep(for: .seconds(wait)) }
                if !Task.isCancelled { let s = ModelDirState.take(finalModel); atDeadline.set(s) }
                return nil
            },
        ])
        let termination = ended.termination
        let seconds = ended.ended.timeIntervalSince(ended.started)
        m.live = nil
        if let refusal = ended.sandboxRefusal {
            // The sandbox exited before the agent ran: nothing of the agent's to judge or evaluate.
            m.exit = .launchFailed
            event("launch-failed", refusal)
            if let cli = ctx.agent as? any CLIScaffoldAdapter { try? cli.removeCopiedCredentials(agentCtx) }
            return .failedToStart(refusal)
        }
        let late = ModelDirState.lateness(exitedAt: ended.ended, deadline: deadline, atDeadline: atDeadline.get(),
                                          now: { ModelDirState.take(p.agentFinalModel) })
        m.lateness = late
        if late.secondsPastDeadline > 0 {
            let what = late.finalModelChangedAfterDeadline ? "changed after it: " + late.changed.joined(separator: " ") : "unchanged since it"
            event("past-deadline", "ended \(late.secondsPastDeadline) s past the deadline; final_model \(what)")
        }
        let breach = ended.stoppedBecause
        let exit = breach != nil ? .diskLimit : classify(termination, timedOut: ended.timedOut)
        if let breach { event("disk-limit", breach) }
        m.exit = exit
        event("exit", "\(exit) after \(Int(seconds)) s (\(termination))")
        if let cli = ctx.agent as? any CLIScaffoldAdapter { try? cli.removeCopiedCredentials(agentCtx) }
        // Secrets the agent wrote into its workspace (an `env` dump, a pasted key) are replaced
        // too, before anything copies or hashes those files.
        do {
            let rewritten = try WorkspaceRedaction.redact(directory: p.workspace, with: redactor)
            if !rewritten.isEmpty { event("redacted-files", rewritten.joined(separator: " ")) }
        } catch {
            event("redaction-failed", "\(error)")
            return .failed("secrets could not be redacted from the workspace: \(error)")
        }
        // The unified event stream and token/cost summary, parsed from the (redacted) raw trace.
        var usage = ""
        if let summary = try? TraceConverter.writeEvents(trace: p.trace, to: p.events, scaffold: def?.traceScaffold, model: def?.model) {
            try? JSONIO.write(summary, to: p.usage)
            if !summary.usage.isZero { usage = "; tokens in \(summary.usage.input) out \(summary.usage.output)" }
            if exit != .normal, let said = summary.lastError {
                // The CLI's own error text (401, rate limit, server error) in the run's record.
                let line = String(said.split(separator: "\n").first ?? "").prefix(300)
                event("agent-error", String(line))
                usage += "; the agent said: \(line)"
            }
        }
        return .done("agent exit: \(exit) after \(Int(seconds)) s\(usage)")
    }

    /// For a CLI scaffold run on this host's programs (`SandboxRuntime.runsHostPrograms`): the
    /// reason its program is not there (or is not the pinned binary), before the sandbox would
    /// fail with a bare "execvp: No such file".
    static func missingCLI(_ command: Command, adapter: any AgentAdapter, sandbox: any SandboxRuntime, home: PTBHome,
                           runner: ProcessRunner) async -> String? {
        guard let cli = adapter as? any CLIScaffoldAdapter, sandbox.runsHostPrograms,
              let program = cli.arguments(prompt: "").first else { return nil }
        // A file replaced at the pinned path would run in its place: refused before it starts.
        if let wrong = await AgentBinaries.mismatch(home: home, scaffold: cli.config.scaffoldKind, runner: runner) { return wrong }
        let path = command.environment["PATH"] ?? ""
        if ProcessRunner.which(program, path: path) != nil { return nil }
        let scaffold = cli.config.scaffold
        let pinned = cli.config.scaffoldKind.flatMap(AgentBinaries.pin)
        let other = cli.config.scaffoldKind.map { AgentBinaries.installedVersions(home: home, scaffold: $0) } ?? []
        var s = "the \(scaffold) CLI (`\(program)`) is not installed"
        if let pinned {
            s += other.isEmpty ? "" : " in the pinned version \(pinned.cliVersion) (found \(other.joined(separator: ", ")) under \(home.agents.path)/\(pinned.installName))"
            s += ". Install it with `ptb setup --skip-env --skip-models --agents \(pinned.installName)`, or put `\(program)` on PATH."
        } else {
            s += " and not on PATH. Install it with npm (README, Running real agents)."
        }
        return s
    }

    static func classify(_ t: Termination, timedOut: Bool) -> ExitClass {
        if timedOut { return .timeout }
        switch t {
        case .exited(0): return .normal
        case .exited(let c): return .error(c)
        case .signaled(let s): return .signal(s)
        }
    }

    /// A fresh, private, short host directory for the broker's socket.
    static func brokerDirectory() throws -> URL {
        var template = Array("/tmp/ptb-eval-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw PTBError.io("cannot create the evaluation broker's directory under /tmp: \(String(cString: strerror(errno))). Check that /tmp is writable.")
        }
        return URL(fileURLWithPath: String(cString: made))
    }
}
