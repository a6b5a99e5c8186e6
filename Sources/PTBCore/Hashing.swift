import Crypto
import Foundation

public enum Hashing {
    /// Streaming SHA-256 of a file, so multi-GB checkpoints never sit in memory.
    public static func sha256(file url: URL) throws -> String {
        guard let h = FileHandle(forReadingAtPath: url.path) else { throw PTBError.io("cannot open \(url.path)") }
        defer { try? h.close() }
        var hasher = SHA256()
        while let chunk = try h.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    public static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// Hashes of every regular file under `root` (relative path → sha256), symlinks recorded as
    /// `link:<target>` so that swapping a file for a link is a change too.
    public static func tree(_ root: URL) throws -> [String: String] {
        var out: [String: String] = [:]
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: root.path, isDirectory: &isDir) else { return out }
        if !isDir.boolValue { out[root.lastPathComponent] = try sha256(file: root); return out }
        guard let e = fm.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey, .isSymbolicLinkKey]) else { return out }
        let base = root.standardizedFileURL.path
        for case let url as URL in e {
            let rel = String(url.standardizedFileURL.path.dropFirst(base.count + 1))
            let v = try url.resourceValues(forKeys: [.isRegularFileKey, .isSymbolicLinkKey])
            if v.isSymbolicLink == true {
                out[rel] = "link:" + ((try? fm.destinationOfSymbolicLink(atPath: url.path)) ?? "?")
            } else if v.isRegularFile == true {
                out[rel] = try sha256(file: url)
            }
        }
        return out
    }
}
