import Foundation
import PTBCore
#if canImport(Glibc)
import Glibc
#endif

/// Whether advisory locks on a filesystem can be relied on by several nodes (SQLite's POSIX
/// locks; the runs' `flock`s).
public enum LockSupport: Sendable, Equatable {
    case works
    /// Why not: a lock call failed, or the mount keeps locks on each node (NFS `nolock`, Lustre
    /// `localflock`), where every node's lock succeeds and none sees the others'.
    case broken(String)
}

/// The lock probe, injectable so that the decision can be tested without a lockless filesystem.
public struct LockProbe: Sendable {
    public let probe: @Sendable (URL) -> LockSupport
    public init(_ probe: @escaping @Sendable (URL) -> LockSupport) { self.probe = probe }

    /// fcntl and flock on a scratch file in the directory, then the mount's options.
    public static let system = LockProbe { FilesystemLocks.probe(directory: $0) }
}

public enum FilesystemLocks {
    public static func probe(directory: URL, mountTable: String? = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) -> LockSupport {
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(".ptb-lock-probe-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return .broken("cannot create a file in \(directory.path): \(String(cString: strerror(errno)))") }
        defer {
            close(fd)
            unlink(path)
        }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        if fcntl(fd, F_SETLK, &lock) != 0 {
            return .broken("POSIX lock (fcntl F_SETLK) failed: \(String(cString: strerror(errno)))")
        }
        lock.l_type = Int16(F_UNLCK)
        _ = fcntl(fd, F_SETLK, &lock)
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            return .broken("flock failed: \(String(cString: strerror(errno)))")
        }
        flock(fd, LOCK_UN)
        if let mountTable, let m = mount(of: SandboxRealPath.of(directory.path), in: mountTable), let why = nodeLocal(m) {
            return .broken(why)
        }
        return .works
    }

    public struct Mount: Sendable, Equatable {
        public var point: String
        public var type: String
        public var options: [String]
    }

    /// The mount holding `path`: the longest mount point that is a prefix of it (the last one
    /// listed wins among equals, as the kernel stacks them).
    public static func mount(of path: String, in table: String) -> Mount? {
        var best: Mount?
        for line in table.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count >= 4 else { continue }
            // /proc/mounts escapes spaces and the like as octal (\040).
            let point = String(f[1]).replacingOccurrences(of: "\\040", with: " ")
            let inside = point == "/" || path == point || path.hasPrefix(point + "/")
            if inside, point.count >= (best?.point.count ?? 0) {
                best = Mount(point: point, type: String(f[2]), options: f[3].split(separator: ",").map(String.init))
            }
        }
        return best
    }

    /// Mounts whose locks succeed on each node but are not seen by the others.
    public static func nodeLocal(_ m: Mount) -> String? {
        let opts = Set(m.options)
        switch m.type {
        case "nfs", "nfs4":
            if opts.contains("nolock") { return "\(m.point) is NFS mounted with nolock: locks are local to each node" }
            if opts.contains("local_lock=all") || opts.contains("local_lock=posix") {
                return "\(m.point) is NFS mounted with \(opts.contains("local_lock=all") ? "local_lock=all" : "local_lock=posix"): POSIX locks are local to each node"
            }
        case "lustre":
            if opts.contains("localflock") { return "\(m.point) is Lustre mounted with localflock: locks are local to each node" }
            if opts.contains("noflock") { return "\(m.point) is Lustre mounted with noflock: no locks" }
        case "cifs", "smb3":
            if opts.contains("nobrl") { return "\(m.point) is CIFS mounted with nobrl: byte-range locks are local to each node" }
        default:
            if m.type.hasPrefix("fuse.") { return "\(m.point) is a FUSE filesystem (\(m.type.dropFirst(5))), whose locks are local to this node" }
        }
        return nil
    }
}

/// Real path without following into the sandbox layer (PTBStore does not depend on PTBSandbox).
enum SandboxRealPath {
    static func of(_ path: String) -> String {
        guard let r = realpath(path, nil) else { return path }
        defer { free(r) }
        return String(cString: r)
    }
}

/// Where the SQLite index lives: at `$PTB_HOME/index.sqlite` when its filesystem's locks work,
/// else on this node's local disk, since SQLite on a filesystem without working locks corrupts
/// under two writers. It is derived data either way: run directories are the source of truth
/// and `ptb status` / `ptb index rebuild` refill it from them.
public struct IndexLocation: Sendable, Equatable {
    public var url: URL
    /// Set when the index was moved off `$PTB_HOME`: the reason and what it means.
    public var warning: String?

    public init(url: URL, warning: String?) {
        self.url = url
        self.warning = warning
    }

    /// `PTB_LOCAL_INDEX_DIR`, else `/var/tmp/ptb-index-<uid>`, then a directory per home path so
    /// two homes never share an index.
    public static func localDirectory(for index: URL, environment: [String: String]) -> URL {
        let base = environment["PTB_LOCAL_INDEX_DIR"].map { URL(fileURLWithPath: $0) } ?? URL(fileURLWithPath: "/var/tmp/ptb-index-\(getuid())")
        return base.appendingPathComponent(String(Hashing.sha256(Data(index.deletingLastPathComponent().path.utf8)).prefix(16)))
    }

    public static func resolve(_ index: URL, probe: LockProbe = .system,
                               environment: [String: String] = ProcessInfo.processInfo.environment) -> IndexLocation {
        guard case .broken(let why) = probe.probe(index.deletingLastPathComponent()) else { return IndexLocation(url: index, warning: nil) }
        let local = localDirectory(for: index, environment: environment).appendingPathComponent(index.lastPathComponent)
        return IndexLocation(url: local, warning: "the index cannot stay at \(index.path) (\(why)); it is kept on this node at \(local.path). Run directories stay the source of truth: `ptb status` and `ptb index rebuild --runs-dir DIR` refill it from them on any node.")
    }
}
