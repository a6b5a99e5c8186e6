import Foundation
import PTBCore

/// The agent's view of the shared Hugging Face cache: a per-run directory tree that mirrors the
/// shared cache with a symlink for every file. Reading works as before; anything the agent
/// downloads lands in the run's layer as a real file, so the shared cache is never polluted and
/// the downloads stay with the run for the integrity checks. (bubblewrap 0.8 has no overlay
/// mounts and unprivileged overlayfs is not everywhere; a symlink farm works in every runtime.)
enum HFCacheLayer {
    /// The host's cache: HF_HOME, else ~/.cache/huggingface, when it exists.
    static func shared(env: [String: String]) -> URL? {
        let url = env["HF_HOME"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: env["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".cache/huggingface")
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else { return nil }
        return url.resolvingSymlinksInPath()
    }

    static func home(_ paths: RunPaths) -> URL { paths.cacheLayer.appendingPathComponent("hf") }

    /// Mirrors `shared` into the run's layer (from scratch); returns the number of linked files.
    @discardableResult
    static func build(shared: URL, paths: RunPaths) throws -> Int {
        let fm = FileManager.default
        if fm.fileExists(atPath: paths.cacheLayer.path) { try fm.removeItem(at: paths.cacheLayer) }
        let root = home(paths)
        try fm.createDirectory(at: root, withIntermediateDirectories: true)
        var linked = 0
        guard let walker = fm.enumerator(at: shared, includingPropertiesForKeys: [.isDirectoryKey, .isSymbolicLinkKey]) else { return 0 }
        for case let url as URL in walker {
            let rel = String(url.path.dropFirst(shared.path.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            let dest = root.appendingPathComponent(rel)
            let values = try url.resourceValues(forKeys: [.isDirectoryKey, .isSymbolicLinkKey])
            if values.isDirectory == true && values.isSymbolicLink != true {
                try fm.createDirectory(at: dest, withIntermediateDirectories: true)
            } else {
                try fm.createSymbolicLink(atPath: dest.path, withDestinationPath: url.path)
                linked += 1
            }
        }
        return linked
    }

    /// Files the agent added to its layer (real files, not the links to the shared cache).
    static func downloads(_ paths: RunPaths) -> [String] {
        let root = home(paths)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey, .isSymbolicLinkKey]) else { return [] }
        var out: [String] = []
        for case let url as URL in walker {
            let v = try? url.resourceValues(forKeys: [.isRegularFileKey, .isSymbolicLinkKey])
            if v?.isSymbolicLink != true, v?.isRegularFile == true { out.append(url.path) }
        }
        return out.sorted()
    }
}
