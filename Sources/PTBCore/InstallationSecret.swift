import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Random values made once per installation and kept in `$PTB_HOME/secrets/` (mode 0600), which
/// no agent sandbox shows: seeds of synthetic test splits.
public enum InstallationSecret {
    public static func directory(_ home: PTBHome) -> URL { home.root.appendingPathComponent("secrets") }

    /// The value stored under `name`, created at random on first use. Concurrent first uses agree:
    /// the file is created exclusively, and a loser reads the winner's value.
    public static func value(named name: String, home: PTBHome) throws -> UInt64 {
        let dir = directory(home)
        let url = dir.appendingPathComponent(name)
        if let v = try read(url) { return v }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let fresh = UInt64.random(in: 1...UInt64.max)
        let tmp = dir.appendingPathComponent(".\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max))")
        try Data("\(fresh)\n".utf8).write(to: tmp)
        chmod(tmp.path, 0o600)
        // link() fails if the name exists: the first writer wins, atomically and completely written.
        let linked = link(tmp.path, url.path) == 0
        unlink(tmp.path)
        if !linked, errno != EEXIST {
            throw PTBError.io("cannot create \(url.path): \(String(cString: strerror(errno))). Check that \(dir.path) is writable.")
        }
        guard let v = try read(url) else { throw PTBError.io("\(url.path) could not be read back after it was created.") }
        return v
    }

    private static func read(_ url: URL) throws -> UInt64? {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        guard let v = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw PTBError.io("\(url.path) is corrupt (expected one unsigned integer). Delete it to make a new one; runs scored with the old value are then not comparable on this task.")
        }
        return v
    }
}
