import Foundation
import Testing

/// Tests that need something this machine may lack (a tool, a data copy, a model). A missing
/// dependency never passes silently: the test is cancelled, which Swift Testing reports as
/// skipped with the reason; under `PTB_REQUIRE_INTEGRATION=1` (CI) it is a failure instead.
public enum Integration {
    public static var required: Bool { ProcessInfo.processInfo.environment["PTB_REQUIRE_INTEGRATION"] == "1" }

    /// Ends the test: skipped, or failed when integration tests are required.
    public static func skip(_ why: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Never {
        if required {
            Issue.record("\(why) (PTB_REQUIRE_INTEGRATION=1: a missing dependency is a failure)", sourceLocation: sourceLocation)
            throw MissingDependency(reason: why)
        }
        try Test.cancel(Comment(rawValue: "skipped: \(why)"), sourceLocation: sourceLocation)
    }

    /// Ends the test as skipped unless `variable` is `1`, also under PTB_REQUIRE_INTEGRATION=1:
    /// for tests a variable opts into (PTB_PODMAN_LIVE), which CI sets where it can run them.
    public static func requireOptIn(_ variable: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard ProcessInfo.processInfo.environment[variable] != "1" else { return }
        try Test.cancel(Comment(rawValue: "skipped: \(what) runs with \(variable)=1"), sourceLocation: sourceLocation)
    }

    /// `value`, or the test ends as `skip` says.
    public static func require<T>(_ value: T?, _ why: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation) throws -> T {
        guard let value else { try skip(why(), sourceLocation: sourceLocation) }
        return value
    }

    /// A program on PATH, or nil.
    public static func which(_ tool: String) -> URL? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let url = URL(fileURLWithPath: String(dir)).appendingPathComponent(tool)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }

    /// The repository's root (the tests read data copies kept beside it).
    public static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The Arena-Hard / HealthBench copies kept outside the project (never committed into it), or nil.
    public static var sharedData: URL? {
        let d = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
        return FileManager.default.fileExists(atPath: d.appendingPathComponent("healthbench/healthbench-easy-245.jsonl").path) ? d : nil
    }
}

/// Thrown after the failure is recorded, to end a test whose dependency CI must provide.
public struct MissingDependency: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { "missing test dependency: \(reason)" }
}
