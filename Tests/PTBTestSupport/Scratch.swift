import Foundation
import PTBCore

/// A scratch directory under /var/tmp (the tests' sandboxes and servers may not see a private
/// /tmp), removed by `cleanup`.
public struct Scratch: Sendable {
    public let url: URL

    public init(prefix: String = "ptb-test") throws {
        url = URL(fileURLWithPath: "/var/tmp/\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A `$PTB_HOME` inside the scratch directory (created on first use by what writes into it).
    public var home: PTBHome { PTBHome(root: url.appendingPathComponent("home")) }

    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// A directory `name` inside the scratch directory, made.
    public func directory(_ name: String) throws -> URL {
        let dir = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Writes `text` at `rel` inside the scratch directory, making its parents.
    @discardableResult
    public func write(_ text: String, _ rel: String) throws -> URL {
        let file = url.appendingPathComponent(rel)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    public func cleanup() { try? FileManager.default.removeItem(at: url) }
}
