import Foundation
import PTBAgents
import PTBCore
import PTBProcess
import PTBSandbox
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One sandboxed agent process from spawn to teardown, the same for the agent phase and every
/// judge: spawn in the sandbox view, trace every output line redacted and timestamped, stop at
/// the hard limit (SIGTERM to the process group, SIGKILL `killAfter` later), kill the group and
/// every process carrying the run id (and its GPU processes) once the agent is gone, tear the
/// sandbox down. A sandbox or agent that never started is told apart from one that ran.
struct SandboxedLaunch: Sendable {
    let harness: Harness
    let sandbox: any SandboxRuntime
    let policy: SandboxPolicy
    /// The command before wrapping: what runs inside the sandbox.
    let command: Command
    /// The `PTB_RUN_ID` its processes carry: the leftover sweep kills every process with it.
    let runID: String
    let trace: LineAppender
    let redactor: Redactor
    let echo: Bool
    let hardLimit: Date
    let killAfter: Double

    /// Why nothing ran: the reason and what to do, for `failed-to-start`.
    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    struct Ended: Sendable {
        var termination: Termination
        /// The hard limit fired.
        var timedOut: Bool
        /// A companion asked for the stop (the disk watch), with its reason.
        var stoppedBecause: String?
        var leftovers: [pid_t]
        var started: Date
        var ended: Date
        /// The sandbox itself refused to start the command (it exited before the agent ran).
        var sandboxRefusal: String?
    }

    /// The first lines of output, where a sandbox runtime's own refusal appears.
    private final class Head: Sendable {
        private let lines = Mutex<[String]>([])
        func add(_ l: String) { lines.withLock { if $0.count < 5 { $0.append(l) } } }
        var value: [String] { lines.withLock { $0 } }
    }

    func event(_ name: String, _ detail: String? = nil) {
        if let l = try? JSONIO.line(TraceLine(ts: Timestamps.iso(Date()), line: nil, event: name, detail: detail.map(redactor.redact))) {
            trace.append(l)
        }
    }

    /// Checks the runtime and spawns the wrapped command. Throws `StartFailure` when either fails.
    func start() async throws -> ChildProcess {
        do { try sandbox.check() } catch {
            throw StartFailure(description: "the \(sandbox.kind.rawValue) sandbox is not usable: \(error). `ptb doctor` checks the sandbox runtimes.")
        }
        do { return try await harness.runner.start(sandbox.wrap(command, policy: policy)) } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw StartFailure(description: "\(command.executable) could not be started in the \(sandbox.kind.rawValue) sandbox: \(error)")
        }
    }

    /// Supervises `child` until it and its output are gone. `companions` run beside it until
    /// then (monitor, broker, watchers); one that returns a reason stops the agent the way the
    /// hard limit does.
    func supervise(_ child: ChildProcess, companions: [@Sendable () async -> String?] = []) async -> Ended {
        let (trace, redact, echo, log) = (self.trace, self.redactor, self.echo, harness.log)
        let (hardLimit, killAfter, runID) = (self.hardLimit, self.killAfter, self.runID)
        let fired = OneWayFlag()
        let head = Head()
        let start = Date()
        var leftovers: [pid_t] = []
        var stopReason: String?
        enum Event: Sendable { case exited(Termination), drained, stop(String), other }
        let termination: Termination = await withTaskGroup(of: Event.self) { group in
            group.addTask {
                for await line in child.lines {
                    let clean = redact.redact(line)
                    head.add(clean)
                    if let l = try? JSONIO.line(TraceLine(ts: Timestamps.iso(Date()), line: clean)) { trace.append(l) }
                    if echo { log("  | \(clean)") }
                }
                return .drained
            }
            for companion in companions { group.addTask { await companion().map { .stop($0) } ?? .other } }
            group.addTask {
                // The watchdog: SIGTERM at the hard limit, SIGKILL after the grace.
                let wait = hardLimit.timeIntervalSinceNow
                if wait > 0 { try? await Task.sleep(for: .seconds(wait)) }
                if Task.isCancelled { return .other }
                fired.set()
                child.signalGroup(SIGTERM)
                try? await Task.sleep(for: .seconds(killAfter))
                if !Task.isCancelled { child.signalGroup(SIGKILL) }
                return .other
            }
            group.addTask { .exited(await child.wait()) }
            var exit: Termination?
            var drained = false
            while let e = await group.next() {
                switch e {
                case .exited(let t):
                    exit = t
                    // Whatever the agent left running in its group (background jobs) goes with it;
                    // then the output drains to EOF, or we stop waiting for it after 5 s.
                    child.signalGroup(SIGKILL)
                    leftovers = RunProcesses.killAll(runID: runID)
                    group.addTask { try? await Task.sleep(for: .seconds(5)); return .other }
                case .drained: drained = true
                case .stop(let why):
                    guard stopReason == nil else { break }
                    // The same stop as at the deadline: TERM to the group, KILL after the grace.
                    stopReason = why
                    child.signalGroup(SIGTERM)
                    group.addTask {
                        try? await Task.sleep(for: .seconds(killAfter))
                        if !Task.isCancelled { child.signalGroup(SIGKILL) }
                        return .other
                    }
                case .other: break
                }
                // Done once the agent exited and its output drained (or the 5 s drain wait ran out).
                if exit != nil, drained || { if case .other = e { true } else { false } }() { break }
            }
            group.cancelAll()
            return exit ?? .signaled(SIGKILL)
        }
        // Anything of this run still alive (a background job that escaped the process group
        // with setsid, a process on a GPU in another namespace) goes too: nothing the agent
        // started outlives its launch.
        leftovers += RunProcesses.killAll(runID: runID)
        if policy.gpus { leftovers += await GPUProcesses.killLeftovers(runID: runID, runner: harness.runner) }
        if !leftovers.isEmpty { event("killed-leftovers", Array(Set(leftovers)).sorted().map(String.init).joined(separator: " ")) }
        if let teardown = sandbox.teardown(policy: policy) { _ = try? await harness.runner.run(teardown) }
        return Ended(termination: termination, timedOut: fired.isSet, stoppedBecause: stopReason, leftovers: leftovers,
                     started: start, ended: Date(),
                     sandboxRefusal: Self.sandboxRefusal(sandbox, termination: termination, head: head.value))
    }

    /// A runtime that exited before running anything says so in its own words (each runtime's
    /// file knows which: `SandboxRuntime.startRefusal`).
    static func sandboxRefusal(_ sandbox: any SandboxRuntime, termination: Termination, head: [String]) -> String? {
        guard case .exited(let code) = termination, code != 0 else { return nil }
        return sandbox.startRefusal(exitCode: code, head: head)
    }
}
