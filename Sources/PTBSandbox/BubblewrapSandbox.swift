import Foundation
import PTBCore
import PTBProcess

/// bubblewrap: the host read-only, a private /tmp, the workspace writable with the evaluator
/// re-bound read-only on top, optional network, and every process in its own PID namespace so
/// that the agent's whole tree dies with it.
public struct BubblewrapSandbox: SandboxRuntime {
    public let kind = SandboxKind.bwrap
    public var bwrapPath: String
    /// GPU device nodes to bind; nil = discover `/dev/nvidia*` when GPUs are requested.
    public var deviceNodes: [String]?

    public init(bwrapPath: String = "bwrap", deviceNodes: [String]? = nil) {
        self.bwrapPath = bwrapPath
        self.deviceNodes = deviceNodes
    }

    public func check() throws {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let found = bwrapPath.contains("/") ? FileManager.default.isExecutableFile(atPath: bwrapPath)
            : path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(bwrapPath)") }
        if !found {
            throw PTBError.sandbox("bubblewrap (`bwrap`) is not installed. Install it (`apt-get install bubblewrap`) or run with `--sandbox none`.")
        }
    }

    public func arguments(policy: SandboxPolicy) -> [String] {
        var a = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--tmpfs", "/dev/shm"]
        if policy.gpus {
            for node in deviceNodes ?? Self.nvidiaNodes() { a += ["--dev-bind", node, node] }
        }
        // Paths under /tmp vanish behind the private /tmp: bring back the ones that must be seen.
        for v in policy.visible where v.path.hasPrefix("/tmp/") { a += ["--ro-bind", v.path, v.path] }
        for w in policy.writable { a += ["--bind", w.path, w.path] }
        for r in policy.readOnlyInsideWritable { a += ["--ro-bind", r.path, r.path] }
        a += ["--unshare-all"]
        if policy.network == .open { a += ["--share-net"] }
        a += ["--die-with-parent", "--new-session", "--chdir", policy.workingDirectory.path]
        return a
    }

    public func wrap(_ command: Command, policy: SandboxPolicy) -> Command {
        Command(bwrapPath, arguments(policy: policy) + ["--", command.executable] + command.arguments,
                environment: command.environment, workingDirectory: nil)
    }

    static func nvidiaNodes() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/dev")) ?? []
        var nodes = names.filter { $0.hasPrefix("nvidia") && $0 != "nvidia-caps" }.sorted().map { "/dev/\($0)" }
        if FileManager.default.fileExists(atPath: "/dev/nvidia-caps") { nodes.append("/dev/nvidia-caps") }
        return nodes
    }
}
