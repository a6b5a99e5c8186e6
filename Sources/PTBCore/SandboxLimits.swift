import Foundation

/// What one run's agent may take of the machine's disk and memory. Unset values take the
/// defaults below; `ptb run` flags, run configs and sweep specs set them by the same names.
public struct SandboxLimits: Codable, Sendable, Equatable {
    /// The workspace and the run's Hugging Face cache layer together (GB, 10^9 bytes).
    public var workspaceGB: Double?
    /// The sandbox's private /tmp and /dev/shm, both memory-backed tmpfs (GB).
    public var tmpGB: Double?
    public var shmGB: Double?

    public init(workspaceGB: Double? = nil, tmpGB: Double? = nil, shmGB: Double? = nil) {
        self.workspaceGB = workspaceGB
        self.tmpGB = tmpGB
        self.shmGB = shmGB
    }

    enum CodingKeys: String, CodingKey {
        case workspaceGB = "workspace_limit_gb", tmpGB = "tmp_size_gb", shmGB = "shm_size_gb"
    }

    /// Generous for a 10-hour run of a 4B model (checkpoints, datasets, a few merged copies).
    public static let defaultWorkspaceGB = 500.0
    /// A quarter of the host's memory, at most 32 GB each (the kernel's tmpfs default is half).
    public static func defaultTmpfsGB(physicalMemory: UInt64 = ProcessInfo.processInfo.physicalMemory) -> Double {
        min(32, Double(physicalMemory) / 4 / 1e9)
    }

    public var workspaceBytes: Int64 { Int64((workspaceGB ?? Self.defaultWorkspaceGB) * 1e9) }
    public var tmpBytes: Int64 { Int64((tmpGB ?? Self.defaultTmpfsGB()) * 1e9) }
    public var shmBytes: Int64 { Int64((shmGB ?? Self.defaultTmpfsGB()) * 1e9) }

    /// Nil when nothing is set, so run.json stays as before for runs without these settings.
    public var nonEmpty: SandboxLimits? { self == SandboxLimits() ? nil : self }

    public func overridden(by other: SandboxLimits?) -> SandboxLimits {
        guard let other else { return self }
        return SandboxLimits(workspaceGB: other.workspaceGB ?? workspaceGB, tmpGB: other.tmpGB ?? tmpGB, shmGB: other.shmGB ?? shmGB)
    }

    public func validate() throws {
        for (name, v) in [("workspace_limit_gb", workspaceGB), ("tmp_size_gb", tmpGB), ("shm_size_gb", shmGB)] {
            if let v, !(v.isFinite && v > 0) {
                throw PTBError.invalidArgument("\(name) must be a positive number of GB (got \(v)).")
            }
        }
    }
}
