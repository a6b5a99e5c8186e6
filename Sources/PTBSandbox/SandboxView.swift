import Foundation
import PTBCore

/// Path arithmetic for allow-list views: what a directory needs besides itself to be readable in
/// a sandbox that shows nothing else (its links' targets), and real paths for binding.
public enum SandboxView {
    /// `dir`, plus the directories holding the targets of links inside it that point outside it
    /// (a Hugging Face snapshot links its files into `../../blobs`). Each is a real path.
    public static func closure(of dir: URL, maxEntries: Int = 100_000) -> [URL] {
        let root = RealPath.orSelf(dir.path)
        var out = [root]
        var seen = Set(out)
        guard let walk = FileManager.default.enumerator(at: URL(fileURLWithPath: root), includingPropertiesForKeys: [.isSymbolicLinkKey]) else {
            return out.map { URL(fileURLWithPath: $0) }
        }
        var n = 0
        for case let url as URL in walk {
            n += 1
            if n > maxEntries { break }
            guard (try? url.resourceValues(forKeys: [.isSymbolicLinkKey]))?.isSymbolicLink == true else { continue }
            let target = RealPath.orSelf(url.path)
            guard !isInside(target, root) else { continue }
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: target, isDirectory: &isDir) else { continue }
            let holder = isDir.boolValue ? target : (target as NSString).deletingLastPathComponent
            if seen.insert(holder).inserted { out.append(holder) }
        }
        return out.map { URL(fileURLWithPath: $0) }
    }

    /// Whether `path` is `root` or lies below it (both real paths).
    public static func isInside(_ path: String, _ root: String) -> Bool {
        path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    /// The interpreter prefix a virtual environment runs on (`home` in pyvenv.cfg, one level up):
    /// the venv's `bin/python` links there, so the sandbox must show it.
    public static func pythonPrefix(ofEnvironment env: URL) -> URL? {
        let cfg = env.appendingPathComponent("pyvenv.cfg")
        guard let text = try? String(contentsOf: cfg, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0] == "home" {
                return URL(fileURLWithPath: RealPath.orSelf(parts[1])).deletingLastPathComponent()
            }
        }
        return nil
    }
}
