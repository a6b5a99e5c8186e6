import Foundation
import PTBCore
import PTBProcess

/// bubblewrap: an empty root with only the allow-list bound into it (system directories, the
/// policy's read-only paths), size-capped private /tmp and /dev/shm, the workspace writable with
/// the evaluator re-bound read-only on top, optional network, and every process in its own PID
/// namespace so that the agent's whole tree dies with it.
public struct BubblewrapSandbox: SandboxRuntime {
    /// bubblewrap prints `bwrap: …` as its first line and exits 1 when it refuses (a bind it
    /// cannot make, no user namespaces); a later `bwrap:` line is the agent's own output.
    public func startRefusal(exitCode: Int32, head: [String]) -> String? {
        guard exitCode != 0, let first = head.first, first.hasPrefix("bwrap: ") else { return nil }
        return "bubblewrap refused to start the agent: \(first). `ptb doctor` checks the sandbox."
    }

    public static let kind = SandboxKind.bwrap
    public static let isolates = true
    public static let runsHostPrograms = true
    public static var doctorFixes: (unusable: String, didNotStart: String) {
        ("install bubblewrap (`apt-get install bubblewrap`) and make sure it is on PATH",
         "bubblewrap needs unprivileged user namespaces: `sysctl kernel.unprivileged_userns_clone=1` (Debian) or `sysctl user.max_user_namespaces=15000`; on Ubuntu 24.04 also an AppArmor profile for bwrap")
    }

    public static func make(_ setup: SandboxSetup) -> BubblewrapSandbox { BubblewrapSandbox(deviceNodes: setup.deviceNodes) }

    public var bwrapPath: String
    /// GPU device nodes to bind; nil = the run's own: those of the GPUs CUDA_VISIBLE_DEVICES
    /// names (all of them when it is unset or names UUIDs) plus the control nodes.
    public var deviceNodes: [String]?
    /// Where the host's nodes are (`/dev`; tests use a directory of fake nodes). They appear
    /// under `/dev` inside whatever this is.
    public var devDir: String
    /// Whether this process may open a device node. A job whose cgroup allows only its own GPUs
    /// (Slurm's ConstrainDevices) gets CUDA_VISIBLE_DEVICES renumbered from 0, which no longer
    /// names /dev/nvidia<i>; opening tells the two cases apart.
    public var canOpen: @Sendable (String) -> Bool = BubblewrapSandbox.opens
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

    public init(bwrapPath: String = "bwrap", deviceNodes: [String]? = nil, devDir: String = "/dev", system: [SystemEntry]? = nil) {
        self.bwrapPath = bwrapPath
        self.deviceNodes = deviceNodes
        self.devDir = devDir
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
        if ProcessRunner.which(bwrapPath, path: path) == nil {
            throw PTBError.sandbox("bubblewrap (`bwrap`) is not installed. Install it (`apt-get install bubblewrap`) or run with `--sandbox none`.")
        }
    }

    /// The device nodes a run with these CUDA_VISIBLE_DEVICES gets, and the value that variable
    /// takes inside (nil: unchanged). Only the named GPUs' `/dev/nvidiaN` are bound, so another
    /// run's GPUs do not exist in this sandbox; CUDA then numbers the visible ones 0..<k.
    public func gpuDevices(visibleDevices: String?) -> (nodes: [String], insideVisible: String?) {
        if let deviceNodes { return (deviceNodes, nil) }
        let host = HostGPUs(devDir: devDir)
        let present = host.indices()
        guard let visible = visibleDevices, let wanted = GPUSelection.indices(visible) else {
            return (present.map(host.node) + host.controlNodes(), nil)
        }
        let mine = wanted.filter(present.contains)
        // Some named GPU is not ours to open: the cgroup is what selects the GPUs here, so bind
        // them all (the cgroup still hides the others) and leave the variable as the scheduler set it.
        if mine.contains(where: { !canOpen(host.node($0)) }) { return (present.map(host.node) + host.controlNodes(), nil) }
        return (mine.map(host.node) + host.controlNodes(), GPUSelection.insideSandbox(count: mine.count))
    }

    public func arguments(policy: SandboxPolicy) -> [String] { arguments(policy: policy, visibleDevices: nil) }

    public func arguments(policy: SandboxPolicy, visibleDevices: String?) -> [String] {
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
            for node in gpuDevices(visibleDevices: visibleDevices).nodes {
                a += ["--dev-bind", node, "/dev/" + URL(fileURLWithPath: node).lastPathComponent]
            }
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

    /// Opening a GPU node is what every CUDA process does first; EPERM/EACCES is a device cgroup.
    public static func opens(_ node: String) -> Bool {
        let fd = open(node, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        if fd >= 0 { close(fd); return true }
        return errno != EPERM && errno != EACCES
    }

    /// The real path of a link at `path` when it points outside `under`; nil otherwise.
    static func outsideLink(_ path: String, under: String) -> String? {
        guard (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil else { return nil }
        let real = RealPath.orSelf(path)
        return real.hasPrefix(under + "/") ? nil : real
    }

    public func wrap(_ command: Command, policy: SandboxPolicy) -> Command {
        let visible = command.environment["CUDA_VISIBLE_DEVICES"]
        var env = command.environment
        if policy.gpus, let inside = gpuDevices(visibleDevices: visible).insideVisible { env["CUDA_VISIBLE_DEVICES"] = inside }
        return Command(bwrapPath, arguments(policy: policy, visibleDevices: visible) + ["--", command.executable] + command.arguments,
                       environment: env, workingDirectory: nil)
    }
}
