import CPTBHash
import Foundation

/// A streaming SHA-256 (FIPS 180-4), the x86 SHA extensions where the CPU has them.
public struct SHA256: Sendable {
    private var ctx = ptb_sha256_ctx()

    public init() { ptb_sha256_init(&ctx) }

    /// Always the portable rounds, so tests can hold both paths to the same digests.
    public static func portable() -> SHA256 {
        var h = SHA256()
        ptb_sha256_init_portable(&h.ctx)
        return h
    }

    public mutating func update(bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        ptb_sha256_update(&ctx, base, bytes.count)
    }

    public mutating func update(data: Data) {
        data.withUnsafeBytes { update(bytes: $0) }
    }

    public mutating func update(_ text: String) {
        var text = text
        text.withUTF8 { update(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// The digest as lowercase hex; the hasher is spent afterwards.
    public mutating func finalizeHex() -> String {
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBufferPointer { ptb_sha256_final(&ctx, $0.baseAddress!) }
        return Hashing.hex(out)
    }

    public static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        var h = SHA256()
        h.update(bytes: bytes)
        return h.finalizeHex()
    }
}

public enum Hashing {
    /// Streaming SHA-256 of a file, so multi-GB checkpoints never sit in memory.
    public static func sha256(file url: URL) throws -> String {
        guard let h = FileHandle(forReadingAtPath: url.path) else { throw PTBError.io("cannot open \(url.path)") }
        defer { try? h.close() }
        var hasher = SHA256()
        while let chunk = try h.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalizeHex()
    }

    public static func sha256(_ data: Data) -> String {
        data.withUnsafeBytes { SHA256.hex($0) }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
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
