import Foundation
import PTBCore
import PTBProcess

/// What a sandboxed command may touch.
public struct SandboxPolicy: Sendable, Equatable {
    /// Writable: the agent's home/workspace.
    public var writable: [URL]
    /// Inside a writable path but protected: the evaluator entry point, templates, task data.
    public var readOnlyInsideWritable: [URL]
    /// The host paths the sandbox shows read-only at their own paths (the allow-list: the base
    /// model, the Python environment and its interpreter prefix, the shared HF cache). bubblewrap
    /// adds the system directories (`SandboxPolicy.systemDirectories`); container runtimes bring
    /// their image. Nothing else of the host is visible.
    public var visible: [URL]
    /// Host directories shown at another path (the evaluation broker's socket at /run/ptb).
    public var mounts: [Mount]
    /// Size caps of the private /tmp and /dev/shm (bytes); nil = the runtime's default.
    public var tmpSizeBytes: Int64?
    public var shmSizeBytes: Int64?
    public var network: NetworkPolicy
    /// Expose the GPU device nodes (`/dev/nvidia*`).
    public var gpus: Bool
    public var workingDirectory: URL
    /// Variables the run declared secret besides those whose names look secret (`*_API_KEY`…):
    /// container runtimes keep their values out of argv as they do for the others.
    public var secretNames: Set<String>

    public init(writable: [URL], readOnlyInsideWritable: [URL] = [], visible: [URL] = [], mounts: [Mount] = [],
                network: NetworkPolicy, gpus: Bool, workingDirectory: URL, secretNames: Set<String> = [],
                tmpSizeBytes: Int64? = nil, shmSizeBytes: Int64? = nil) {
        self.writable = writable
        self.readOnlyInsideWritable = readOnlyInsideWritable
        self.visible = visible
        self.mounts = mounts
        self.tmpSizeBytes = tmpSizeBytes
        self.shmSizeBytes = shmSizeBytes
        self.network = network
        self.gpus = gpus
        self.workingDirectory = workingDirectory
        self.secretNames = secretNames
    }

    public func isSecret(_ name: String) -> Bool { secretNames.contains(name) || SandboxSupport.isSecretName(name) }

    /// What a program needs from the host's root besides the allow-list: binaries, libraries and
    /// /etc (users, certificates, resolver). Homes, /root, /var, /srv, /mnt, /media, /opt, /run
    /// and every other top-level directory stay out.
    public static let systemDirectories = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/sys"]

    /// A host directory (or socket file) shown at `target` inside the sandbox.
    public struct Mount: Sendable, Equatable {
        public var source: URL
        public var target: String
        public var readOnly: Bool
        public init(source: URL, target: String, readOnly: Bool) {
            self.source = source
            self.target = target
            self.readOnly = readOnly
        }
    }
}

/// A way to run an agent command in isolation. One file per runtime.
public protocol SandboxRuntime: Sendable {
    var kind: SandboxKind { get }
    /// Fails with an actionable message when the runtime is not usable on this machine.
    func check() throws
    /// The command that runs `command` inside the sandbox. Environment passes only as given.
    func wrap(_ command: Command, policy: SandboxPolicy) -> Command
    /// What to run after the sandboxed command ended (a container a killed client left behind);
    /// nil when the runtime leaves nothing.
    func teardown(policy: SandboxPolicy) -> Command?
    /// Why the runtime itself refused to start the command, read from its own words (its exit
    /// code and the first lines of output); nil when the command ran (and maybe failed on its own).
    func startRefusal(exitCode: Int32, head: [String]) -> String?
}

extension SandboxRuntime {
    /// A runtime that adds nothing between ptb and the command cannot refuse it.
    public func startRefusal(exitCode: Int32, head: [String]) -> String? { nil }
}

public enum Sandboxes {
    /// `containerPath`: PATH inside podman/apptainer (an agent definition's `container_path`).
    public static func runtime(_ kind: SandboxKind, deviceNodes: [String]? = nil,
                               environment: [String: String] = ProcessInfo.processInfo.environment,
                               containerPath: String? = nil) -> any SandboxRuntime {
        switch kind {
        case .bwrap: BubblewrapSandbox(deviceNodes: deviceNodes)
        case .none: NoSandbox()
        // The image comes from the environment so a run needs no new flag; the defaults are what
        // containers/README.md builds.
        case .podman:
            // PTB_PODMAN_ARGS: extra `podman run` options, space-separated (`--memory 64g -v /data:/data:ro`).
            PodmanSandbox(image: environment["PTB_PODMAN_IMAGE"] ?? "localhost/ptb-agent:latest",
                          extraArguments: (environment["PTB_PODMAN_ARGS"] ?? "").split(separator: " ").map(String.init),
                          path: containerPath ?? defaultContainerPath(environment))
        case .apptainer:
            ApptainerSandbox(image: environment["PTB_APPTAINER_IMAGE"]
                ?? PTBHome.fromEnvironment(environment).root.appendingPathComponent("containers/ptb.sif").path,
                             path: containerPath ?? defaultContainerPath(environment))
        }
    }

    /// PATH inside a container: the image's own (PTB_CONTAINER_PATH overrides; an agent definition's
    /// `container_path` overrides both). The host's PATH names the host's Python env, which the
    /// image does not have.
    public static func defaultContainerPath(_ environment: [String: String]) -> String {
        if let p = environment["PTB_CONTAINER_PATH"], !p.isEmpty { return p }
        return imagePath
    }

    /// The PATH of ptb's images (containers/Containerfile `ENV PATH`, ptb.def `%environment`): the
    /// pinned venv first, then the system directories where the CLI agents (npm -g) and a
    /// minimal image's shell live. A test keeps the three equal.
    public static let imagePath = "/opt/ptb/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}

extension SandboxRuntime {
    public func teardown(policy: SandboxPolicy) -> Command? { nil }
}
