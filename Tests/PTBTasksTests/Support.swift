import Foundation
import PTBCore
@testable import PTBTasks

/// A fresh `$PTB_HOME` under the temporary directory; removed by the caller with `cleanup`.
struct TempHome {
    let home: PTBHome
    init() {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ptb-tasks-test-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        home = PTBHome(root: dir)
    }

    var root: URL { home.root }

    /// Writes `text` to a file under the home (a stand-in for a downloaded upstream file).
    func file(_ name: String, _ text: String) throws -> URL {
        let url = root.appendingPathComponent("upstream").appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return url
    }

    func file(_ name: String, _ data: Data) throws -> URL {
        let url = root.appendingPathComponent("upstream").appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
        return url
    }

    func cleanup() { try? FileManager.default.removeItem(at: root) }
}

func jsonl<T: Encodable>(_ rows: [T]) throws -> String {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return try rows.map { String(decoding: try e.encode($0), as: UTF8.self) }.joined(separator: "\n") + "\n"
}
