import Foundation
import PTBCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

let requireIntegration = ProcessInfo.processInfo.environment["PTB_REQUIRE_INTEGRATION"] == "1"
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let goldenDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

/// The Arena-Hard / HealthBench copies kept outside the project (never committed into it).
var sharedData: URL? {
    let d = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
    guard FileManager.default.fileExists(atPath: d.appendingPathComponent("healthbench/healthbench-easy-245.jsonl").path) else {
        #expect(!requireIntegration, "\(d.path) must hold the Arena-Hard and HealthBench data copies")
        return nil
    }
    return d
}

func goldenLines(_ name: String) throws -> [[String: Any]] {
    try String(contentsOf: goldenDir.appendingPathComponent(name), encoding: .utf8).split(separator: "\n").map {
        try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
    }
}

/// A scratch directory under /var/tmp, removed by `cleanup`.
struct Scratch {
    let url = URL(fileURLWithPath: "/var/tmp/ptb-judge-test-\(UUID().uuidString.prefix(8))")
    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    var home: PTBHome { PTBHome(root: url.appendingPathComponent("home")) }
    func cleanup() { try? FileManager.default.removeItem(at: url) }
}

/// A Python helper process (HTTP servers for the tests), stopped by `stop`.
final class PythonServer: @unchecked Sendable {
    let process = Process()
    let port: Int

    /// Runs `script` with `python3` and reads the port it prints on its first stdout line.
    init(script: String, arguments: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", "-c", script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while let b = try pipe.fileHandleForReading.read(upToCount: 1), !b.isEmpty, b != Data([0x0A]) { line.append(b) }
        guard let p = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespaces)) else {
            process.terminate()
            throw PTBError.io("test server did not start")
        }
        port = p
    }

    var base: String { "http://127.0.0.1:\(port)" }

    /// SIGKILL: test processes may inherit an ignored SIGTERM.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
