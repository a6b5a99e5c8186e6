import Foundation
import PTBAgents
import PTBCore
import PTBProcess
@testable import PTBRunner
import PTBSandbox
import PTBTestSupport
import Testing

/// The one launcher of the agent phase and the judges, with real bubblewrap: a sandbox that
/// refuses to start is told apart from an agent that ran and failed; the hard limit stops the
/// whole process group; every output line is traced, redacted.
@Suite(.serialized) struct SandboxedLaunchTests {
    func launch(_ dir: URL, command: Command, writable: [URL], hardLimit: Date = Date().addingTimeInterval(60),
                secret: String = "", sandbox: (any SandboxRuntime)? = nil) throws -> SandboxedLaunch {
        let home = PTBHome(root: dir.appendingPathComponent("home"))
        let harness = Harness(home: home, runner: ProcessRunner(), ptbExecutable: URL(fileURLWithPath: "/bin/true"), environment: [:]) { _ in }
        let policy = SandboxPolicy(writable: writable, visible: [], network: .open, gpus: false, workingDirectory: dir)
        return SandboxedLaunch(harness: harness, sandbox: try sandbox ?? Sandboxes.runtime(.bwrap), policy: policy, command: command,
                               runID: "launch-test-\(UUID().uuidString.prefix(8))", trace: try LineAppender(url: dir.appendingPathComponent("trace.jsonl")),
                               redactor: Redactor(environment: secret.isEmpty ? [:] : ["TEST_API_KEY": secret]), echo: false,
                               hardLimit: hardLimit, killAfter: 1)
    }

    func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ptb-launch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    var bwrapUsable: Bool {
        (try? Sandboxes.runtime(.bwrap).check()) != nil
    }

    @Test func aViewBubblewrapRefusesIsAStartFailureAndACrashIsNot() async throws {
        guard bwrapUsable else { try Integration.skip("bubblewrap is needed (scripts/test.sh installs it)") }
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A writable bind whose source does not exist: bwrap exits before running anything.
        let refused = try launch(dir, command: Command("/bin/true", environment: ["PATH": "/usr/bin:/bin"]),
                                 writable: [dir, dir.appendingPathComponent("missing-dir")])
        let ended = await refused.supervise(try await refused.start())
        let refusal = try #require(ended.sandboxRefusal, "\(ended.termination)")
        #expect(refusal.hasPrefix("bubblewrap refused to start the agent: bwrap: "), "\(refusal)")

        // The same view, fine; the program runs and fails: the agent's result, not a start failure.
        let secret = "sk-test-\(UUID().uuidString)"
        let crash = try launch(dir, command: Command("/bin/sh", ["-c", "echo hello \(secret); exit 3"], environment: ["PATH": "/usr/bin:/bin"]),
                               writable: [dir], secret: secret)
        let crashed = await crash.supervise(try await crash.start())
        #expect(crashed.sandboxRefusal == nil)
        #expect(crashed.termination == .exited(3))
        let trace = try String(contentsOf: dir.appendingPathComponent("trace.jsonl"), encoding: .utf8)
        #expect(trace.contains("hello"))
        #expect(!trace.contains(secret), "output is redacted before it is traced")
    }

    @Test func theHardLimitStopsTheWholeGroup() async throws {
        guard bwrapUsable else { try Integration.skip("bubblewrap is needed (scripts/test.sh installs it)") }
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let started = Date()
        let l = try launch(dir, command: Command("/bin/sh", ["-c", "sleep 300 & sleep 300"], environment: ["PATH": "/usr/bin:/bin"]),
                           writable: [dir], hardLimit: Date().addingTimeInterval(2))
        let ended = await l.supervise(try await l.start())
        #expect(ended.timedOut)
        #expect(Date().timeIntervalSince(started) < 30, "stopped at the limit, not after the sleeps")
        #expect(ended.sandboxRefusal == nil)
    }

    @Test func refusalsAreReadFromTheRuntimesOwnWords() throws {
        let (bwrap, podman) = (try Sandboxes.runtime(.bwrap), try Sandboxes.runtime(.podman))
        let (none, apptainer) = (try Sandboxes.runtime(.none), try Sandboxes.runtime(.apptainer))
        #expect(SandboxedLaunch.sandboxRefusal(bwrap, termination: .exited(1), head: ["bwrap: Can't find source path /x: No such file or directory"]) != nil)
        #expect(SandboxedLaunch.sandboxRefusal(bwrap, termination: .exited(1), head: ["Traceback (most recent call last):", "bwrap: x"]) == nil,
                "only bwrap's first line is its own")
        #expect(SandboxedLaunch.sandboxRefusal(bwrap, termination: .exited(0), head: ["bwrap: x"]) == nil)
        #expect(SandboxedLaunch.sandboxRefusal(podman, termination: .exited(125), head: ["Error: image not known"])?.contains("image not known") == true)
        #expect(SandboxedLaunch.sandboxRefusal(podman, termination: .exited(1), head: ["Error: x"]) == nil, "exit 1 is the agent's own")
        #expect(SandboxedLaunch.sandboxRefusal(none, termination: .exited(127), head: []) == nil)
        #expect(SandboxedLaunch.sandboxRefusal(apptainer, termination: .exited(255), head: ["FATAL: could not open image x.sif"])?
            .contains("could not open image") == true)
        #expect(SandboxedLaunch.sandboxRefusal(apptainer, termination: .exited(1), head: ["FATAL: x"]) == nil)
    }

    /// A runtime that exists only in this test: it prefixes the command with `env` and a marker,
    /// and refuses with exit 99. The launcher (the agent phase's and every judge's) knows no
    /// runtime by name, so it launches, traces and reads the refusal of this one as of any other.
    struct MarkerSandbox: SandboxRuntime {
        static let kind: SandboxKind = "test-marker"
        static let isolates = false
        static let runsHostPrograms = true
        static var doctorFixes: (unusable: String, didNotStart: String) { ("install env", "check env") }
        static func make(_ setup: SandboxSetup) -> MarkerSandbox { MarkerSandbox() }
        func check() throws {}
        func wrap(_ command: Command, policy: SandboxPolicy) -> Command {
            Command("/usr/bin/env", ["SANDBOX_MARKER=inside", command.executable] + command.arguments,
                    environment: command.environment, workingDirectory: policy.workingDirectory)
        }
        func startRefusal(exitCode: Int32, head: [String]) -> String? { exitCode == 99 ? "marker refused: \(head.first ?? "")" : nil }
    }

    @Test func aRuntimeDefinedOnlyInTheTestLaunchesThroughTheSameLauncher() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ran = try launch(dir, command: Command("/bin/sh", ["-c", "echo marker=$SANDBOX_MARKER; exit 4"], environment: ["PATH": "/usr/bin:/bin"]),
                             writable: [dir], sandbox: MarkerSandbox.make(SandboxSetup()))
        let ended = await ran.supervise(try await ran.start())
        #expect(ended.termination == .exited(4) && ended.sandboxRefusal == nil)
        #expect(try String(contentsOf: dir.appendingPathComponent("trace.jsonl"), encoding: .utf8).contains("marker=inside"))
        let refused = try launch(dir, command: Command("/bin/sh", ["-c", "echo no; exit 99"], environment: ["PATH": "/usr/bin:/bin"]),
                                 writable: [dir], sandbox: MarkerSandbox())
        let r = await refused.supervise(try await refused.start())
        #expect(r.sandboxRefusal == "marker refused: no", "\(r.termination)")
    }
}
