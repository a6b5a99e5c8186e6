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

/// What a runtime is made from when a run, a judge or `ptb doctor` names it.
public struct SandboxSetup: Sendable {
    /// Where a runtime reads its settings (PTB_PODMAN_IMAGE, PTB_HOME…): the run's environment.
    public var environment: [String: String]
    /// GPU device nodes to bind instead of the run's own (nil: those CUDA_VISIBLE_DEVICES names).
    public var deviceNodes: [String]?
    /// PATH inside a container image: an agent definition's `container_path` (nil: the default).
    public var containerPath: String?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, deviceNodes: [String]? = nil,
                containerPath: String? = nil) {
        self.environment = environment
        self.deviceNodes = deviceNodes
        self.containerPath = containerPath
    }

    public var home: PTBHome { PTBHome.fromEnvironment(environment) }

    /// PATH inside an image: the agent definition's, else `Sandboxes.defaultContainerPath`.
    public var pathInsideImage: String { containerPath ?? Sandboxes.defaultContainerPath(environment) }
}

/// A way to run an agent command in isolation. One file per runtime, which declares its name
/// (`extension SandboxKind { static let … }`) and is listed once in `Sandboxes.all`; nothing
/// outside that file knows which runtime it is.
public protocol SandboxRuntime: Sendable {
    /// The name `--sandbox` takes and run.json keeps.
    static var kind: SandboxKind { get }
    /// False for a runtime that runs the command as a plain host process: it sees the host's
    /// paths (the policy's mounts are not shown at their targets) and nothing is hidden from it.
    static var isolates: Bool { get }
    /// Whether the command runs this host's programs (its system directories and PATH) rather
    /// than an image's: a CLI agent's binary is then checked on the host before the start.
    static var runsHostPrograms: Bool { get }
    /// What `ptb doctor` says to do when `check()` fails, and when the runtime did not start a command.
    static var doctorFixes: (unusable: String, didNotStart: String) { get }
    /// The runtime as `setup` (the run's environment, devices, image PATH) configures it.
    static func make(_ setup: SandboxSetup) -> Self
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
    public var kind: SandboxKind { Self.kind }
    public var isolates: Bool { Self.isolates }
    public var runsHostPrograms: Bool { Self.runsHostPrograms }

    /// A runtime that adds nothing between ptb and the command cannot refuse it.
    public func startRefusal(exitCode: Int32, head: [String]) -> String? { nil }

    public func teardown(policy: SandboxPolicy) -> Command? { nil }
}

/// A runtime that runs ptb's own images (containers/): how `ptb image build` builds them and
/// where runs find them when the runtime's image variable is unset.
public protocol ContainerRuntime: SandboxRuntime {
    /// Where `ptb image build` puts an image of `kind` without `--output`, and what runs use by default.
    static func defaultImage(_ kind: ImageKind, home: PTBHome) -> String
    /// The build of `build`'s definition, run from the repository root; `environment` is the
    /// build client's own (its storage and cache settings).
    static func buildCommand(_ build: ImageBuild, environment: [String: String]) -> Command
    /// Makes what the build needs before it starts (the directory of an image file).
    static func prepare(_ build: ImageBuild) throws
}

extension ContainerRuntime {
    public static func prepare(_ build: ImageBuild) throws {}
}

public enum Sandboxes {
    /// Every runtime ptb knows, the default first: a new runtime is one line here.
    public static var all: [any SandboxRuntime.Type] {
        [BubblewrapSandbox.self, NoSandbox.self, PodmanSandbox.self, ApptainerSandbox.self]
    }

    /// The names `--sandbox` and `sandbox:` take.
    public static var names: [String] { all.map { $0.kind.rawValue } }

    /// The runtime of that name, or an error listing the valid ones.
    public static func type(_ kind: SandboxKind) throws -> any SandboxRuntime.Type {
        guard let t = all.first(where: { $0.kind == kind }) else {
            throw PTBError.unknownChoice(kind: "sandbox", value: kind.rawValue, valid: names)
        }
        return t
    }

    /// The runtimes that run ptb's images (`ptb image build --runtime`).
    public static var containerRuntimes: [any ContainerRuntime.Type] { all.compactMap { $0 as? any ContainerRuntime.Type } }

    /// `containerPath`: PATH inside a container (an agent definition's `container_path`).
    public static func runtime(_ kind: SandboxKind, deviceNodes: [String]? = nil,
                               environment: [String: String] = ProcessInfo.processInfo.environment,
                               containerPath: String? = nil) throws -> any SandboxRuntime {
        try type(kind).make(SandboxSetup(environment: environment, deviceNodes: deviceNodes, containerPath: containerPath))
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
