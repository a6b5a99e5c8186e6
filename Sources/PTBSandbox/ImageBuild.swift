import Foundation
import PTBCore
import PTBProcess

/// The two images of containers/: `agent` (training libraries and the CLI agents on top of the
/// evaluation stack) and `eval` (the engine only, for the final evaluation).
public enum ImageKind: String, Sendable, CaseIterable {
    case agent, eval
}

/// containers/ptb.lock: `KEY=value` lines (values optionally double-quoted), read by both image
/// definitions as shell, and here for the defaults of `ptb image build`.
public struct ContainerLock: Sendable, Equatable {
    public var values: [String: String]

    public init(text: String) {
        var v: [String: String] = [:]
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.hasPrefix("#"), let eq = line.firstIndex(of: "=") else { continue }
            var value = String(line[line.index(after: eq)...])
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            v[String(line[..<eq])] = value
        }
        values = v
    }

    public static func load(repo: URL) throws -> ContainerLock {
        let url = repo.appendingPathComponent("containers/ptb.lock")
        do { return ContainerLock(text: try String(contentsOf: url, encoding: .utf8)) } catch {
            throw PTBError.config(path: url.path, reason: "cannot read the image lock (\(error.localizedDescription)); run from the ptb checkout or pass --repo.")
        }
    }

    public func require(_ key: String) throws -> String {
        guard let v = values[key], !v.isEmpty else { throw PTBError.config(path: "containers/ptb.lock", reason: "\(key) is missing") }
        return v
    }

    /// `name==version` pins of a space-separated requirement list (PIP_EVAL, PIP_AGENT).
    public func pins(_ key: String) -> [String: String] {
        var out: [String: String] = [:]
        for r in (values[key] ?? "").split(separator: " ") {
            let parts = r.components(separatedBy: "==")
            if parts.count == 2 { out[parts[0].lowercased()] = parts[1] }
        }
        return out
    }
}

/// `ptb image build`: the exact `podman build` / `apptainer build` of the repository's definitions.
/// Both build ptb itself inside (a release build with the Swift runtime linked statically) and
/// take every version from containers/ptb.lock; the base image is a build argument. Each
/// container runtime's file says how it builds (`ContainerRuntime`).
public struct ImageBuild: Sendable {
    public var runtime: SandboxKind
    public var kind: ImageKind
    /// The ptb checkout (build context: the definitions build ptb from its sources).
    public var repo: URL
    public var baseImage: String
    public var swiftImage: String
    /// podman: the image name; apptainer: the `.sif` path.
    public var target: String
    let recipe: any ContainerRuntime.Type

    public init(runtime: SandboxKind, kind: ImageKind, repo: URL, lock: ContainerLock, home: PTBHome,
                baseImage: String? = nil, target: String? = nil) throws {
        guard let recipe = Sandboxes.containerRuntimes.first(where: { $0.kind == runtime }) else {
            throw PTBError.invalidArgument("images are built for \(Self.runtimeNames), not \(runtime.rawValue).")
        }
        self.recipe = recipe
        self.runtime = runtime
        self.kind = kind
        self.repo = repo
        self.baseImage = try baseImage ?? lock.require("BASE_IMAGE")
        self.swiftImage = try lock.require("SWIFT_IMAGE")
        self.target = target ?? recipe.defaultImage(kind, home: home)
    }

    /// The container runtimes as a sentence does: "podman or apptainer".
    public static var runtimeNames: String {
        let names = Sandboxes.containerRuntimes.map { $0.kind.rawValue }
        return names.count > 1 ? names.dropLast().joined(separator: ", ") + " or " + names.last! : names.joined()
    }

    /// What the sandboxes use when PTB_PODMAN_IMAGE / PTB_APPTAINER_IMAGE are unset; nil for a
    /// runtime that runs no image.
    public static func defaultTarget(runtime: SandboxKind, kind: ImageKind, home: PTBHome) -> String? {
        Sandboxes.containerRuntimes.first { $0.kind == runtime }?.defaultImage(kind, home: home)
    }

    public var command: Command {
        let env = ProcessInfo.processInfo.environment.filter { ["PATH", "HOME", "USER", "LANG", "TMPDIR", "XDG_RUNTIME_DIR", "CONTAINERS_CONF",
                                                                 "APPTAINER_CACHEDIR", "APPTAINER_TMPDIR"].contains($0.key) }
        return recipe.buildCommand(self, environment: env)
    }

    /// Makes what the build needs before it runs (not for `--dry-run`).
    public func prepare() throws { try recipe.prepare(self) }
}
