import Foundation
import PTBCore
import PTBProcess

/// What an agent gets to know about its run.
public struct AgentContext: Sendable {
    public var spec: RunSpec
    public var paths: RunPaths
    public var home: PTBHome
    /// Directory of the base model's weights (read-only to the agent).
    public var baseModelDir: URL
    /// The environment every agent starts from (PATH with the Python env first, HOME = workspace…).
    public var environment: [String: String]

    public init(spec: RunSpec, paths: RunPaths, home: PTBHome, baseModelDir: URL, environment: [String: String]) {
        self.spec = spec
        self.paths = paths
        self.home = home
        self.baseModelDir = baseModelDir
        self.environment = environment
    }
}

/// One agent scaffold. One file per adapter; agents of an existing scaffold are config files.
public protocol AgentAdapter: Sendable {
    var name: String { get }
    /// Claude Code gets the original's extra "non-interactive mode" prompt line.
    var nonInteractivePromptLine: Bool { get }
    /// Lay down what the agent needs in its workspace (scripts, config); idempotent.
    func prepare(_ context: AgentContext) throws
    /// The command that runs the agent in `task/` with `prompt`.
    func command(_ context: AgentContext, prompt: String) throws -> Command
}

public enum AgentResources {
    /// A Python script shipped with ptb (reference agent, tiny-model builder, CUDA precheck).
    public static func python(_ name: String) throws -> URL {
        guard let url = Bundle.module.url(forResource: name, withExtension: "py", subdirectory: "Python") else {
            throw PTBError.io("\(name).py is missing from ptb's resources; rebuild ptb.")
        }
        return url
    }

    /// Copy a shipped script into the workspace so the agent's own files are self-contained.
    public static func install(_ name: String, into dir: URL, as target: String? = nil) throws -> URL {
        let dest = dir.appendingPathComponent(target ?? "\(name).py")
        let fm = FileManager.default
        if fm.fileExists(atPath: dest.path) { try fm.removeItem(at: dest) }
        try fm.copyItem(at: try python(name), to: dest)
        return dest
    }
}
