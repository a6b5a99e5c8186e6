import Foundation
import PTBCore
import PTBProcess

/// A plain subprocess in the working directory: for debugging, and for machines without bwrap.
/// Nothing is protected; the integrity phase's hash check still notices evaluator edits.
public struct NoSandbox: SandboxRuntime {
    public static let kind = SandboxKind.none
    public static let isolates = false
    public static let runsHostPrograms = true
    public static var doctorFixes: (unusable: String, didNotStart: String) {
        ("nothing to install: `none` runs plain processes", "check that /bin/sh runs on this host")
    }
    public static func make(_ setup: SandboxSetup) -> NoSandbox { NoSandbox() }
    public init() {}
    public func check() throws {}
    public func wrap(_ command: Command, policy: SandboxPolicy) -> Command {
        var c = command
        c.workingDirectory = policy.workingDirectory
        return c
    }
}

extension SandboxKind {
    /// No sandbox: the agent runs as a plain process of this user.
    public static let none: SandboxKind = "none"
}
