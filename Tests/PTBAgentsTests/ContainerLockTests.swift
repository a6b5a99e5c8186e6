import Foundation
import PTBSandbox
import Testing

/// containers/ptb.lock is the one lock of both image definitions: the base images are build
/// arguments whose defaults are written into them literally, so this keeps the three equal.
@Suite struct ContainerLockTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("containers")

    func read(_ name: String) throws -> String { try String(contentsOf: Self.dir.appendingPathComponent(name), encoding: .utf8) }

    func value(_ key: String, in text: String, prefix: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(prefix + key) }.map { String($0.dropFirst(prefix.count + key.count)) }
    }

    @Test func baseImageAndVersionsComeFromTheLock() throws {
        let lock = try read("ptb.lock"), containerfile = try read("Containerfile"), def = try read("ptb.def")
        for key in ["BASE_IMAGE", "SWIFT_IMAGE"] {
            let v = try #require(value("\(key)=", in: lock, prefix: ""))
            #expect(value("\(key)=", in: containerfile, prefix: "ARG ") == v, "Containerfile ARG \(key)")
            #expect(value("\(key)=", in: def, prefix: "    ") == v, "ptb.def %arguments \(key)")
            #expect(ContainerLock(text: lock).values[key] == v)
        }
        // The base images are build arguments, not literals.
        #expect(def.contains("From: {{ BASE_IMAGE }}") && def.contains("From: {{ SWIFT_IMAGE }}"))
        #expect(containerfile.contains("FROM ${BASE_IMAGE} AS eval") && containerfile.contains("FROM ${SWIFT_IMAGE} AS ptb-build"))
        // ptb itself is built inside, statically linked against the Swift runtime, and on PATH.
        for text in [containerfile, def] {
            #expect(text.contains("swift build -c release --static-swift-stdlib --product ptb"))
            // evaluate.py runs the image's ptb, which serves with the image's venv.
            #expect(text.contains("PTB_EXECUTABLE=/opt/ptb/bin/ptb PTB_PYTHON=/opt/ptb/venv/bin/python"))
        }
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

    /// The sandboxes set PATH to the images' own (Sandboxes.imagePath): both definitions must say the same.
    @Test func imagePathMatchesTheSandboxDefault() throws {
        let containerfile = try read("Containerfile"), def = try read("ptb.def")
        #expect(containerfile.contains("PATH=\(Sandboxes.imagePath)"))
        #expect(def.contains("export PATH=\(Sandboxes.imagePath)\n"))
    }
}
