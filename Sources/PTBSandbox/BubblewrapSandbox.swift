import Foundation
import PTBCore
import PTBProcess

/// bubblewrap: an empty root with only the allow-list bound into it (system directories, the
/// policy's read-only paths), size-capped private /tmp and /dev/shm, the workspace writable with
/// the evaluator re-bound read-only on top, optional network, and every process in its own PID
/// namespace so that the agent's whole tree dies with it.
public struct BubblewrapSandbox: SandboxRuntime {
    public let kind = SandboxKind.bwrap
    public var bwrapPath: String
    /// GPU device nodes to bind; nil = discover `/dev/nvidia*` when GPUs are requested.
    public var deviceNodes: [String]?
    /// The host's system directories: each a real directory (link nil) or a link (merged /usr).
    public var system: [SystemEntry]

    public struct SystemEntry: Sendable, Equatable {
        public var path: String
        public var link: String?
        public init(path: String, link: String? = nil) {
            self.path = path
            self.link = link
        }
    }

    public init(bwrapPath: String = "bwrap", deviceNodes: [String]? = nil, system: [SystemEntry]? = nil) {
        self.bwrapPath = bwrapPath
        self.deviceNodes = deviceNodes
        self.system = system ?? Self.hostSystem()
    }

    /// `SandboxPolicy.systemDirectories` as they exist on this host.
    public static func hostSystem() -> [SystemEntry] {
        SandboxPolicy.systemDirectories.compactMap { dir in
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: dir) { return SystemEntry(path: dir, link: target) }
            return FileManager.default.fileExists(atPath: dir) ? SystemEntry(path: dir) : nil
        }
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
        // The root is bubblewrap's own empty tmpfs: only what is bound below exists inside.
        var a: [String] = []
        for entry in system {
            // Merged-/usr systems link /bin, /lib… into /usr: recreate the link, bind real ones.
            if let target = entry.link { a += ["--symlink", target, entry.path] } else { a += ["--ro-bind", entry.path, entry.path] }
        }
        // /etc/resolv.conf often links into /run, which stays hidden: bring back just that file.
        if policy.network == .open, let resolv = Self.outsideLink("/etc/resolv.conf", under: "/etc") {
            a += ["--ro-bind-try", resolv, resolv]
        }
        a += ["--dev", "/dev", "--proc", "/proc"]
        if let n = policy.tmpSizeBytes { a += ["--size", String(n)] }
        a += ["--tmpfs", "/tmp"]
        if let n = policy.shmSizeBytes { a += ["--size", String(n)] }
        a += ["--tmpfs", "/dev/shm"]
        if policy.gpus {
            for node in deviceNodes ?? Self.nvidiaNodes() { a += ["--dev-bind", node, node] }
            // The NVIDIA user-space driver reads its version and capabilities from here.
            a += ["--ro-bind-try", "/proc/driver/nvidia", "/proc/driver/nvidia"]
        }
        // Parents before children, so a writable workspace under /tmp lands on the private /tmp
        // and the read-only evaluator files on top of the writable workspace.
        var binds: [(depth: Int, order: Int, args: [String])] = []
        func add(_ flag: String, _ source: String, _ target: String, _ order: Int) {
            binds.append((target.split(separator: "/").count, order, [flag, source, target]))
        }
        for v in policy.visible { add("--ro-bind-try", RealPath.orSelf(v.path), v.path, 0) }
        for w in policy.writable { add("--bind", RealPath.orSelf(w.path), w.path, 1) }
        for r in policy.readOnlyInsideWritable { add("--ro-bind-try", r.path, r.path, 2) }
        for m in policy.mounts { add(m.readOnly ? "--ro-bind" : "--bind", m.source.path, m.target, 3) }
        for b in binds.enumerated().sorted(by: { ($0.element.depth, $0.element.order, $0.offset) < ($1.element.depth, $1.element.order, $1.offset) }) {
            a += b.element.args
        }
        // The root itself (and the directories made for the mount points) is read-only: writes
        // land in the workspace, /tmp or /dev/shm, or fail.
        a += ["--remount-ro", "/", "--unshare-all"]
        if policy.network == .open { a += ["--share-net"] }
        a += ["--die-with-parent", "--new-session", "--chdir", policy.workingDirectory.path]
        return a
    }

    /// The real path of a link at `path` when it points outside `under`; nil otherwise.
    static func outsideLink(_ path: String, under: String) -> String? {
        guard (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil else { return nil }
        let real = RealPath.orSelf(path)
        return real.hasPrefix(under + "/") ? nil : real
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
