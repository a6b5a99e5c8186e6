import Foundation
import Testing

/// containers/ptb.lock is the one lock of both image definitions: the base image can only be
/// written into them literally (a FROM default, a `From:` line), so this keeps the three equal.
@Suite struct ContainerLockTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("containers")

    func read(_ name: String) throws -> String { try String(contentsOf: Self.dir.appendingPathComponent(name), encoding: .utf8) }

    func value(_ key: String, in text: String, prefix: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(prefix + key) }.map { String($0.dropFirst(prefix.count + key.count)) }
    }

    @Test func baseImageAndVersionsComeFromTheLock() throws {
        let lock = try read("ptb.lock"), containerfile = try read("Containerfile"), def = try read("ptb.def")
        let base = try #require(value("BASE_IMAGE=", in: lock, prefix: ""))
        #expect(value("BASE_IMAGE=", in: containerfile, prefix: "ARG ") == base)
        #expect(value("From: ", in: def, prefix: "") == base)
        for key in ["CLAUDE_CODE_VERSION", "CODEX_VERSION", "GEMINI_CLI_VERSION", "OPENCODE_VERSION", "PIP_EVAL", "PIP_AGENT", "NODE_MAJOR"] {
            #expect(lock.contains("\n\(key)="), "\(key) is in the lock")
            #expect(containerfile.contains(key) && def.contains(key), "\(key) is read by both image definitions")
        }
        // Every Python requirement is pinned exactly.
        for key in ["PIP_EVAL", "PIP_AGENT"] {
            let reqs = try #require(value("\(key)=", in: lock, prefix: "")).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            for r in reqs.split(separator: " ") { #expect(r.contains("=="), "\(r) is pinned") }
        }
    }
}
