import Foundation
import PTBCore
import PTBTasks

/// What the agent must not change, hashed at preparation and verified after the agent phase.
public struct ProtectedFiles: Codable, Sendable, Equatable {
    public var files: [String: String]
    public init(files: [String: String]) { self.files = files }

    public static func snapshot(paths: RunPaths, task: any EvalTask, ptb: URL) throws -> ProtectedFiles {
        var files: [String: String] = [:]
        files["task/evaluate.py"] = try Hashing.sha256(file: paths.task.appendingPathComponent("evaluate.py"))
        for (rel, h) in try Hashing.tree(paths.task.appendingPathComponent("templates")) { files["task/templates/\(rel)"] = h }
        for name in try task.contextFiles().keys { files["task/\(name)"] = try Hashing.sha256(file: paths.task.appendingPathComponent(name)) }
        files["task/timer.sh"] = try Hashing.sha256(file: paths.task.appendingPathComponent("timer.sh"))
        files["ptb:\(ptb.path)"] = try Hashing.sha256(file: ptb)
        return ProtectedFiles(files: files)
    }

    /// Files whose content now differs from the snapshot (or that disappeared).
    public func changes(paths: RunPaths) -> [String] {
        files.keys.sorted().compactMap { key in
            let url = key.hasPrefix("ptb:") ? URL(fileURLWithPath: String(key.dropFirst(4))) : paths.workspace.appendingPathComponent(key)
            guard let now = try? Hashing.sha256(file: url) else { return "\(key) (missing)" }
            return now == files[key] ? nil : key
        }
    }
}
