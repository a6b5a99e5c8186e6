import Foundation
import PTBCore
import PTBProcess

/// Apptainer, as the original harness ran its agents (`apptainer exec --nv -c …`), but with
/// `--containall` (contain + cleanenv + own IPC and PID namespaces, as `new_judge_v2`): nothing of
/// the host environment leaks in, each declared variable goes in by `--env`, secrets through
/// `APPTAINERENV_NAME` in apptainer's own environment so their values stay out of the process list.
public struct ApptainerSandbox: ContainerRuntime {
    /// Apptainer's own errors are `FATAL:` lines with exit 255.
    public func startRefusal(exitCode: Int32, head: [String]) -> String? {
        guard exitCode == 255, let said = head.first(where: { $0.contains("FATAL:") }) else { return nil }
        return "apptainer could not start the agent: \(said). Check PTB_APPTAINER_IMAGE and `ptb doctor`."
    }

    public static let kind = SandboxKind.apptainer
    public static let isolates = true
    public static let runsHostPrograms = false
    public static var doctorFixes: (unusable: String, didNotStart: String) {
        ("install apptainer (apptainer.org/docs/admin/main/installation.html) and build the image (`ptb image build --runtime apptainer`)",
         "check the image (PTB_APPTAINER_IMAGE) and that `apptainer exec --containall` works for this user")
    }

    /// The `.sif` comes from PTB_APPTAINER_IMAGE, else the one `ptb image build --runtime apptainer` builds.
    public static func make(_ setup: SandboxSetup) -> ApptainerSandbox {
        ApptainerSandbox(image: setup.environment["PTB_APPTAINER_IMAGE"] ?? defaultImage(.agent, home: setup.home), path: setup.pathInsideImage)
    }

    public static func defaultImage(_ kind: ImageKind, home: PTBHome) -> String {
        home.root.appendingPathComponent(kind == .agent ? "containers/ptb.sif" : "containers/ptb-\(kind.rawValue).sif").path
    }

    /// %files paths in ptb.def are relative to the repository root: the build runs from there.
    public static func buildCommand(_ build: ImageBuild, environment: [String: String]) -> Command {
        Command("apptainer", ["build", "--build-arg", "TARGET=\(build.kind.rawValue)", "--build-arg", "BASE_IMAGE=\(build.baseImage)",
                              "--build-arg", "SWIFT_IMAGE=\(build.swiftImage)", build.target, "containers/ptb.def"],
                environment: environment, workingDirectory: build.repo)
    }

    /// The `.sif` is a file: its directory must exist.
    public static func prepare(_ build: ImageBuild) throws {
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: build.target).deletingLastPathComponent(), withIntermediateDirectories: true)
    }

    public var apptainerPath: String
    /// A `.sif` file (or sandbox directory).
    public var image: String
    public var extraArguments: [String]
    public var clientEnvironment: [String: String]
    /// PATH inside the container, replacing the command's host PATH; nil keeps the command's.
    public var path: String?

    public init(image: String, apptainerPath: String = "apptainer", extraArguments: [String] = [],
                clientEnvironment: [String: String] = ApptainerSandbox.hostClientEnvironment(), path: String? = Sandboxes.imagePath) {
        self.image = image
        self.path = path
        self.apptainerPath = apptainerPath
        self.extraArguments = extraArguments
        self.clientEnvironment = clientEnvironment
    }

    public static func hostClientEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        env.filter { ["PATH", "HOME", "USER", "LANG", "TMPDIR", "APPTAINER_CACHEDIR", "APPTAINER_TMPDIR"].contains($0.key) }
    }

    public func check() throws {
        guard SandboxSupport.findExecutable(apptainerPath) != nil else {
            throw PTBError.sandbox("apptainer is not installed (Debian does not package it: see apptainer.org/docs/admin/main/installation.html) or use `--sandbox bwrap`/`podman`.")
        }
        guard FileManager.default.fileExists(atPath: image) else {
            throw PTBError.sandbox("the Apptainer image \(image) does not exist. Build it with `apptainer build \(image) containers/ptb.def` or set PTB_APPTAINER_IMAGE.")
        }
    }

    public func arguments(_ command: Command, policy: SandboxPolicy) -> [String] {
        var a = ["exec", "--containall", "--writable-tmpfs"]
        var env = command.environment
        if let path { env["PATH"] = path }
        // HOME cannot be set by --env; --home binds the workspace as home instead.
        let home = env.removeValue(forKey: "HOME")
        if policy.gpus { a.append("--nv") }
        if policy.network == .none { a += ["--net", "--network", "none"] }
        if let home { a += ["--home", home] }
        let writable = Set(policy.writable.map(\.path))
        for v in policy.visible where !writable.contains(v.path) { a += ["--bind", "\(v.path):\(v.path):ro"] }
        for w in policy.writable where w.path != home { a += ["--bind", "\(w.path):\(w.path)"] }
        for r in policy.readOnlyInsideWritable { a += ["--bind", "\(r.path):\(r.path):ro"] }
        for m in policy.mounts { a += ["--bind", "\(m.source.path):\(m.target)" + (m.readOnly ? ":ro" : "")] }
        // /tmp and /dev/shm caps: apptainer has no per-run flag; `--containall` gives a private
        // /tmp from the session directory, whose size `sessiondir max size` in apptainer.conf caps.
        a += ["--pwd", policy.workingDirectory.path]
        // --nv exposes every GPU; CUDA_VISIBLE_DEVICES (passed below) selects among them.
        for k in env.keys.sorted() where !policy.isSecret(k) { a += ["--env", "\(k)=\(env[k]!)"] }
        return a + extraArguments + [image, command.executable] + command.arguments
    }

    public func wrap(_ command: Command, policy: SandboxPolicy) -> Command {
        var client = clientEnvironment
        for (k, v) in command.environment where policy.isSecret(k) { client["APPTAINERENV_\(k)"] = v }
        return Command(apptainerPath, arguments(command, policy: policy), environment: client, workingDirectory: nil)
    }
}

/// Helpers the container runtimes share.
public enum SandboxSupport {
    /// Names whose values are secrets (the same rule as the trace redactor in PTBAgents).
    public static func isSecretName(_ name: String) -> Bool {
        let n = name.uppercased()
        return n.hasSuffix("_API_KEY") || n.hasSuffix("_TOKEN") || n.hasSuffix("_SECRET") || n.hasSuffix("_ACCESS_KEY") || n == "API_KEY"
    }

    /// The GPUs named by CUDA_VISIBLE_DEVICES (indices or UUIDs); nil = all of them.
    public static func gpuSelection(_ value: String?) -> [String]? {
        guard let value, !value.isEmpty else { return nil }
        return value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    public static func findExecutable(_ name: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        ProcessRunner.which(name, path: path ?? "/usr/bin:/bin")
    }
}

extension SandboxKind {
    /// An Apptainer `.sif` (PTB_APPTAINER_IMAGE).
    public static let apptainer: SandboxKind = "apptainer"
}
