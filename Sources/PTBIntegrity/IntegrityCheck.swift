import Foundation
import PTBCore
import PTBTasks

/// One integrity check of a finished agent phase. A check never throws: whatever stops it is
/// recorded as `notRun` or `invalid`, so that a policy can tell "clean" from "could not look".
/// Adding a check is one file with a type that conforms, plus one line in the registry
/// (`IntegrityChecks.all` in PTBRunner).
public protocol IntegrityCheck: Sendable {
    /// The name recorded in `integrity.json` (and shown in `ptb check`).
    var name: String { get }
    func run(_ input: IntegrityInput) async -> IntegrityReport.Check
}

/// Everything a check may read about a run, gathered once by the integrity phase. Facts that
/// need the runner (the cache layer's downloads, the evaluation's template choice) are
/// computed there, so that checks stay plain functions of this value.
public struct IntegrityInput: Sendable {
    public var paths: RunPaths
    public var spec: RunSpec
    /// How the agent's end stood against its deadline (`run.json`), nil when not recorded.
    public var lateness: Lateness?
    public var policy: IntegrityPolicy
    public var task: any EvalTask
    public var model: ModelInfo
    public var home: PTBHome
    public var environment: [String: String]
    /// The ptb binary the agent could call (its hash is protected, its path a trace rule).
    public var ptbExecutable: URL
    /// The base model's directory, or why it is not available.
    public var baseModel: Result<URL, any Error>
    /// Checkpoints the submission must not be (instruct counterparts, user references).
    public var references: [NamedCheckpoint]
    /// Files the agent downloaded into its cache layer (not the shared cache's linked files).
    public var cacheDownloads: [String]
    /// The run's cache layer and the shared cache it links to: contamination scans may follow
    /// links into them.
    public var cacheLayer: URL
    public var sharedCache: URL?
    /// Whether the final evaluation passes ptb's own chat template (so a submitted one is never rendered).
    public var chatTemplateFixed: Bool
    public var log: @Sendable (String) -> Void

    public init(paths: RunPaths, spec: RunSpec, lateness: Lateness?, policy: IntegrityPolicy, task: any EvalTask, model: ModelInfo,
                home: PTBHome, environment: [String: String], ptbExecutable: URL, baseModel: Result<URL, any Error>,
                references: [NamedCheckpoint], cacheDownloads: [String], cacheLayer: URL, sharedCache: URL?,
                chatTemplateFixed: Bool, log: @escaping @Sendable (String) -> Void) {
        self.paths = paths
        self.spec = spec
        self.lateness = lateness
        self.policy = policy
        self.task = task
        self.model = model
        self.home = home
        self.environment = environment
        self.ptbExecutable = ptbExecutable
        self.baseModel = baseModel
        self.references = references
        self.cacheDownloads = cacheDownloads
        self.cacheLayer = cacheLayer
        self.sharedCache = sharedCache
        self.chatTemplateFixed = chatTemplateFixed
        self.log = log
    }

    public func baseModelDirectory() throws -> URL { try baseModel.get() }

    public var finalModelExists: Bool { FileManager.default.fileExists(atPath: paths.finalModel.path) }
}
