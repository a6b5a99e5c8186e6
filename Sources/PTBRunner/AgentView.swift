import Foundation
import PTBAgents
import PTBCore
import PTBSandbox

/// What a sandboxed agent (and every LLM judge) can see: its workspace, the base model, the
/// Python environment with its interpreter prefix, the run's Hugging Face cache layer over the
/// shared cache, the GPUs, a private /tmp and /dev/shm, and the system directories. Never
/// `$PTB_HOME` (test data, references, credentials, other runs, the index, the ptb binary), any
/// home directory, or the runs directory. One builder, so the agent and its judges cannot drift.
struct AgentView {
    /// Where the evaluation broker's socket directory appears inside a sandbox.
    static let brokerMount = "/run/ptb"
    static let brokerSocketName = "eval.sock"

    var harness: Harness
    var spec: RunSpec
    var baseModelDir: URL
    var agentDefinition: AgentConfig?

    /// The read-only allow-list: real paths, nothing inside `$PTB_HOME` beyond the Python env and
    /// the base model themselves.
    func readOnlyPaths(extra: [URL] = [], sharedCache: URL? = nil) -> [URL] {
        var out: [URL] = []
        let env = harness.home.pythonEnv
        out.append(URL(fileURLWithPath: RealPath.orSelf(env.path)))
        if let prefix = SandboxView.pythonPrefix(ofEnvironment: env) { out.append(prefix) }
        if let wrapped = Self.wrappedInterpreter(harness.home.python) {
            // `ptb setup --use-python X` leaves a wrapper that execs X: show X's prefix.
            // X may itself be a venv's interpreter linking elsewhere (/opt/torch/.venv/bin/python3 →
            // /usr/bin/python3.12): the venv, its pyvenv.cfg home and the link's target all count.
            let venv = URL(fileURLWithPath: wrapped).deletingLastPathComponent().deletingLastPathComponent()
            out.append(URL(fileURLWithPath: RealPath.orSelf(venv.path)))
            if let home = SandboxView.pythonPrefix(ofEnvironment: venv) { out.append(home) }
            out.append(URL(fileURLWithPath: RealPath.orSelf(wrapped)).deletingLastPathComponent().deletingLastPathComponent())
        }
        if let py = harness.environment["PTB_PYTHON"], !py.isEmpty {
            // An interpreter given by path (ptb's images, `setup --use-python`): its prefix.
            out.append(URL(fileURLWithPath: RealPath.orSelf(py)).deletingLastPathComponent().deletingLastPathComponent())
        }
        out += SandboxView.closure(of: baseModelDir)
        if let sharedCache { out.append(URL(fileURLWithPath: RealPath.orSelf(sharedCache.path))) }
        if let cli = AgentBinaries.installed(home: harness.home, scaffold: agentDefinition?.scaffoldKind) {
            // The CLI binary `ptb setup --agents` installed under $PTB_HOME/agents: that
            // directory only, nothing else of $PTB_HOME.
            out.append(URL(fileURLWithPath: RealPath.orSelf(cli.directory.path)))
        }
        out += (agentDefinition?.readOnlyPaths ?? []).map { URL(fileURLWithPath: RealPath.orSelf(($0 as NSString).expandingTildeInPath)) }
        out += extra
        return Self.prune(out)
    }

    /// The interpreter a `setup --use-python` wrapper script runs (`exec 'X' "$@"`).
    static func wrappedInterpreter(_ python: URL) -> String? {
        guard let text = try? String(contentsOf: python, encoding: .utf8), text.hasPrefix("#!") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("exec ") {
            let rest = line.dropFirst(5)
            if rest.hasPrefix("'") {
                return rest.dropFirst().split(separator: "'", maxSplits: 1).first.map(String.init)
            }
            return rest.split(separator: " ").first.map(String.init)
        }
        return nil
    }

    /// Drops duplicates, paths inside a system directory (already shown) and paths inside
    /// another listed path.
    static func prune(_ urls: [URL]) -> [URL] {
        let system = SandboxPolicy.systemDirectories.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: $0)) == nil }
        let paths = Array(Set(urls.map(\.standardizedFileURL.path))).sorted { $0.count < $1.count }
        var kept: [String] = []
        for p in paths where !system.contains(where: { SandboxView.isInside(p, $0) }) && !kept.contains(where: { SandboxView.isInside(p, $0) }) {
            kept.append(p)
        }
        return kept.sorted().map { URL(fileURLWithPath: $0) }
    }

    /// The environment an agent or judge starts from: nothing of the host beyond what is declared
    /// here, and no PTB_HOME (the agent has no business there).
    func environment(paths: RunPaths, brokerSocket: String?) -> [String: String] {
        // Real paths: the sandbox binds each allowed path at its real location only, so a link
        // on the way ($PTB_HOME/models → /data/models) must not be in the names the agent gets.
        var env = harness.agentEnvironment(spec: spec, paths: paths, baseModelDir: URL(fileURLWithPath: RealPath.orSelf(baseModelDir.path)))
        let pythonBin = harness.home.pythonEnv.appendingPathComponent("bin").path
        if let path = env["PATH"], path.hasPrefix(pythonBin) {
            env["PATH"] = RealPath.orSelf(pythonBin) + path.dropFirst(pythonBin.count)
        }
        if let brokerSocket { env["PTB_EVAL_SOCKET"] = brokerSocket }
        return env
    }

    /// The policy for one sandboxed command.
    func policy(writable: [URL], readOnlyInsideWritable: [URL] = [], extraReadOnly: [URL] = [], sharedCache: URL?,
                brokerDirectory: URL?, gpus: Bool, workingDirectory: URL) -> SandboxPolicy {
        let limits = spec.limits ?? SandboxLimits()
        return SandboxPolicy(
            writable: writable, readOnlyInsideWritable: readOnlyInsideWritable,
            visible: readOnlyPaths(extra: extraReadOnly, sharedCache: sharedCache),
            mounts: brokerDirectory.map { [SandboxPolicy.Mount(source: $0, target: Self.brokerMount, readOnly: true)] } ?? [],
            network: spec.network, gpus: gpus, workingDirectory: workingDirectory,
            secretNames: agentDefinition?.declaredSecrets ?? [],
            tmpSizeBytes: limits.tmpBytes, shmSizeBytes: limits.shmBytes)
    }

    /// The socket path the agent is told: inside a sandbox the fixed mount, without one
    /// (`SandboxRuntime.isolates` false: mounts are not shown) the host's.
    static func socketPath(isolated: Bool, hostDirectory: URL) -> String {
        isolated ? "\(brokerMount)/\(brokerSocketName)" : hostDirectory.appendingPathComponent(brokerSocketName).path
    }
}
