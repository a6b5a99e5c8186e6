import Foundation
import PTBCore
#if canImport(Glibc)
import Glibc
#endif

/// After the agent phase, replaces every secret value in the files the agent left in its workspace
/// (an `env > notes.txt`, a config file with the key pasted in), byte for byte as the trace
/// redactor does, so that no stored file of the run holds it. Symlinks are neither followed nor
/// changed; files are streamed, so multi-GB checkpoints cost one read and are rewritten only
/// when they contain a secret.
public enum WorkspaceRedaction {
    static let chunk = 8 << 20

    /// The files that were rewritten, relative to `directory`.
    @discardableResult
    public static func redact(directory: URL, with redactor: Redactor) throws -> [String] {
        let needles = redactor.secrets.map { (Array($0.value.utf8), Array("[REDACTED:\($0.name)]".utf8)) }
        guard !needles.isEmpty else { return [] }
        let keys: [URLResourceKey] = [.isRegularFileKey, .isSymbolicLinkKey]
        guard let walk = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: keys) else { return [] }
        var changed: [String] = []
        for case let url as URL in walk {
            let v = try? url.resourceValues(forKeys: Set(keys))
            guard v?.isSymbolicLink != true, v?.isRegularFile == true else { continue }
            guard try contains(url, needles.map(\.0)) else { continue }
            try rewrite(url, needles)
            changed.append(String(url.path.dropFirst(directory.path.count + 1)))
        }
        return changed.sorted()
    }

    /// Streams the file in chunks that overlap by the longest needle minus one byte.
    static func contains(_ url: URL, _ needles: [[UInt8]]) throws -> Bool {
        guard let h = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? h.close() }
        let overlap = (needles.map(\.count).max() ?? 1) - 1
        var carry: [UInt8] = []
        while true {
            let data = try h.read(upToCount: chunk) ?? Data()
            if data.isEmpty { return false }
            let buf = carry + [UInt8](data)
            if needles.contains(where: { find($0, in: buf, from: 0) != nil }) { return true }
            carry = Array(buf.suffix(overlap))
        }
    }

    static func rewrite(_ url: URL, _ needles: [([UInt8], [UInt8])]) throws {
        var bytes = [UInt8](try Data(contentsOf: url))
        // Longest first (the Redactor's order), so a secret containing another is replaced whole.
        for (needle, replacement) in needles {
            var out: [UInt8] = []
            var i = 0
            while let j = find(needle, in: bytes, from: i) {
                out += bytes[i..<j]
                out += replacement
                i = j + needle.count
            }
            if i == 0 { continue }
            out += bytes[i...]
            bytes = out
        }
        let mode = (try? FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions]) as? Int
        try AtomicFile.write(Data(bytes), to: url)
        if let mode { try? FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path) }
    }

    /// memchr for the first byte, memcmp for the rest (Glibc's memmem is not visible to Swift).
    static func find(_ needle: [UInt8], in hay: [UInt8], from start: Int) -> Int? {
        let n = needle.count
        guard n > 0, hay.count - start >= n else { return nil }
        return hay.withUnsafeBytes { h in
            needle.withUnsafeBytes { nd in
                let base = h.baseAddress!
                let last = hay.count - n
                var i = start
                while i <= last {
                    guard let p = memchr(base + i, Int32(needle[0]), last - i + 1) else { return nil }
                    let j = base.distance(to: UnsafeRawPointer(p))
                    if memcmp(base + j, nd.baseAddress!, n) == 0 { return j }
                    i = j + 1
                }
                return nil
            }
        }
    }
}
