import Foundation
import PTBCore
import PTBProcess

/// A plain subprocess in the working directory: for debugging, and for machines without bwrap.
/// Nothing is protected; the integrity phase's hash check still notices evaluator edits.
public struct NoSandbox: SandboxRuntime {
    public let kind = SandboxKind.none
    public init() {}
    public func check() throws {}
    public func wrap(_ command: Command, policy: SandboxPolicy) -> Command {
        var c = command
        c.workingDirectory = policy.workingDirectory
        return c
    }
}
