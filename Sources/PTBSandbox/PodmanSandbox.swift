import Foundation
import PTBCore
import PTBProcess

/// Podman: the agent in a container of `image`, the workspace bind-mounted read-write at its own
/// path, the evaluator files and ptb's directories read-only, network `none` or `bridge`, GPUs
/// through CDI, and only the declared environment. On hosts like ours (hybrid cgroups, no
/// CAP_SYS_RESOURCE) podman runs only with runc and explicit ulimits (feasibility.md §2).
public struct PodmanSandbox: ContainerRuntime {
    /// podman's own failures: 125 (its error: image missing), 126 (not executable), 127 (not found).
    public func startRefusal(exitCode: Int32, head: [String]) -> String? {
        guard [125, 126, 127].contains(exitCode) else { return nil }
        let said = head.last(where: { !$0.isEmpty }) ?? "no output"
        let fix = exitCode == 125 ? "Check the image (`ptb image build`, or PTB_PODMAN_IMAGE) and `ptb doctor`."
            : "The agent's program is missing from the image; rebuild it with `ptb image build`."
        return "podman could not start the agent (exit \(exitCode)): \(said). \(fix)"
    }

    public static let kind = SandboxKind.podman
    public static let isolates = true
    public static let runsHostPrograms = false
    public static var doctorFixes: (unusable: String, didNotStart: String) {
        ("install podman and runc (`apt-get install podman runc`)",
         "check the image (`ptb image build --runtime podman`, or PTB_PODMAN_IMAGE) and that `podman run --runtime runc` works for this user")
    }

    /// The image comes from the environment so a run needs no new flag (the default is what
    /// `ptb image build --runtime podman` builds); PTB_PODMAN_ARGS: extra `podman run` options,
    /// space-separated (`--memory 64g -v /data:/data:ro`).
    public static func make(_ setup: SandboxSetup) -> PodmanSandbox {
        PodmanSandbox(image: setup.environment["PTB_PODMAN_IMAGE"] ?? defaultImage(.agent, home: setup.home),
                      extraArguments: (setup.environment["PTB_PODMAN_ARGS"] ?? "").split(separator: " ").map(String.init),
                      path: setup.pathInsideImage)
    }

    public static func defaultImage(_ kind: ImageKind, home: PTBHome) -> String { "localhost/ptb-\(kind.rawValue):latest" }

    /// The same OCI runtime and ulimits as the runs: the build's RUN steps are containers too.
    public static func buildCommand(_ build: ImageBuild, environment: [String: String]) -> Command {
        Command("podman", ["build", "--runtime", "runc", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
                           "-f", "containers/Containerfile", "--target", build.kind.rawValue,
                           "--build-arg", "BASE_IMAGE=\(build.baseImage)", "--build-arg", "SWIFT_IMAGE=\(build.swiftImage)",
                           "-t", build.target, "."],
                environment: environment, workingDirectory: build.repo)
    }

    public var podmanPath: String
    public var image: String
    /// crun refuses hybrid v1/v2 cgroups; runc handles them.
    public var runtime: String
    /// Podman's default nofile exceeds a hard limit root cannot raise without CAP_SYS_RESOURCE.
    public var ulimits: [String]
    /// Extra `podman run` options (`--memory 64g`, `--cpus 8`, `--pids-limit 4096`…).
    public var extraArguments: [String]
    /// The podman client's own environment (storage and runtime lookup), and where secret values
    /// travel: a secret is passed as `--env NAME` so its value never appears in a process list.
    public var clientEnvironment: [String: String]
    /// PATH inside the container, replacing the command's (which names host directories); nil
    /// keeps the command's, for images that mount the host's /usr.
    public var path: String?

    public init(image: String, podmanPath: String = "podman", runtime: String = "runc",
                ulimits: [String] = ["nofile=1024:1024", "nproc=1024:1024"], extraArguments: [String] = [],
                clientEnvironment: [String: String] = PodmanSandbox.hostClientEnvironment(), path: String? = Sandboxes.imagePath) {
        self.image = image
        self.path = path
        self.podmanPath = podmanPath
        self.runtime = runtime
        self.ulimits = ulimits
        self.extraArguments = extraArguments
        self.clientEnvironment = clientEnvironment
    }

    public static func hostClientEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        env.filter { ["PATH", "HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF",
                      "TMPDIR", "USER", "LANG"].contains($0.key) }
    }

    public func check() throws {
        guard SandboxSupport.findExecutable(podmanPath) != nil else {
            throw PTBError.sandbox("podman is not installed. Install it (`apt-get install podman runc`) or use `--sandbox bwrap`.")
        }
        guard SandboxSupport.findExecutable(runtime) != nil else {
            throw PTBError.sandbox("the OCI runtime `\(runtime)` is not installed (crun fails on hybrid cgroups). Install it (`apt-get install runc`).")
        }
    }

    /// A stable name per workspace: `--replace` then removes a container a killed ptb left behind
    /// when the run resumes, and `cleanupCommand` can remove it after the agent phase.
    public static func containerName(policy: SandboxPolicy) -> String {
        "ptb-" + String(Hashing.sha256(Data(policy.workingDirectory.path.utf8)).prefix(16))
    }

    public func arguments(_ command: Command, policy: SandboxPolicy) -> [String] {
        // Podman's own warnings would otherwise land in the agent's trace between its lines.
        var a = ["--log-level", "error", "--runtime", runtime, "run", "--rm", "--init", "--replace", "--name", Self.containerName(policy: policy)]
        for u in ulimits { a += ["--ulimit", u] }
        a += ["--network", policy.network == .open ? "bridge" : "none"]
        let writable = Set(policy.writable.map(\.path))
        for v in policy.visible where !writable.contains(v.path) { a += ["-v", "\(v.path):\(v.path):ro"] }
        for w in policy.writable { a += ["-v", "\(w.path):\(w.path)"] }
        for r in policy.readOnlyInsideWritable { a += ["-v", "\(r.path):\(r.path):ro"] }
        for m in policy.mounts { a += ["-v", "\(m.source.path):\(m.target)" + (m.readOnly ? ":ro" : "")] }
        if let n = policy.tmpSizeBytes { a += ["--tmpfs", "/tmp:rw,size=\(n),mode=1777"] }
        if let n = policy.shmSizeBytes { a += ["--shm-size", "\(n)b"] }
        var env = command.environment
        if let path { env["PATH"] = path }
        if policy.gpus {
            let gpus = SandboxSupport.gpuSelection(env["CUDA_VISIBLE_DEVICES"])
            for g in gpus ?? ["all"] { a += ["--device", "nvidia.com/gpu=\(g)"] }
            // CDI exposes only the selected GPUs, which CUDA then numbers from 0.
            if let gpus { env["CUDA_VISIBLE_DEVICES"] = (0..<gpus.count).map(String.init).joined(separator: ",") }
        }
        for k in env.keys.sorted() {
            a += ["--env", policy.isSecret(k) ? k : "\(k)=\(env[k]!)"]
        }
        a += ["--workdir", policy.workingDirectory.path] + extraArguments + [image, command.executable] + command.arguments
        return a
    }

    public func wrap(_ command: Command, policy: SandboxPolicy) -> Command {
        var client = clientEnvironment
        for (k, v) in command.environment where policy.isSecret(k) { client[k] = v }
        return Command(podmanPath, arguments(command, policy: policy), environment: client, workingDirectory: nil)
    }

    /// Removes the run's container if it is still there (the podman client was SIGKILLed: conmon
    /// keeps the container running). Meant to run after the agent phase.
    public func teardown(policy: SandboxPolicy) -> Command? { cleanupCommand(policy: policy) }

    public func cleanupCommand(policy: SandboxPolicy) -> Command {
        Command(podmanPath, ["--runtime", runtime, "rm", "--force", "--ignore", "--time", "0", Self.containerName(policy: policy)],
                environment: clientEnvironment)
    }
}

extension SandboxKind {
    /// A container of an agent image (PTB_PODMAN_IMAGE).
    public static let podman: SandboxKind = "podman"
}
