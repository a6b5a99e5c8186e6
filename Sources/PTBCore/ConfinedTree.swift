import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A directory tree confined to one root (the agent's workspace), materialised elsewhere
/// without following any link out of the root: the evaluation broker's model snapshot (hard
/// links) and collect's copy of `final_model` both use it, since ptb reads these trees with the
/// host user's rights. Every directory is opened below the root with O_NOFOLLOW, so a link
/// swapped in during the walk is refused, not followed. A link inside the root is materialised
/// as its target's content.
public struct ConfinedTree: Sendable {
    public struct File: Sendable, Equatable {
        public var path: String
        public var size: Int64
        public var mtimeSec: Int
        public var mtimeNsec: Int
    }

    public enum Mode: Sendable {
        /// Hard links (copies across file systems): cheap, shares the inodes.
        case link
        /// Independent copies.
        case copy
    }

    /// The tree holds something that is not the root's own files and directories (a link out
    /// of it, a device, a loop, a file that changed during the walk): the tree's fault, never ptb's.
    /// Failures on ptb's side (writing the destination, an I/O error) are `PTBError.io`.
    public struct Refusal: Error, CustomStringConvertible, Equatable {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    public static let maxFiles = 100_000
    public static let maxDepth = 32

    public var root: URL
    public init(root: URL) { self.root = root }

    /// Materialises `path` (absolute, resolving to a directory inside the root) into `dest`
    /// (replaced; removed again on failure). `display` names `path` in messages.
    public func materialize(_ path: String, into dest: URL, mode: Mode, display: String? = nil) throws -> [File] {
        let shown = display ?? path
        guard let rootReal = RealPath.resolve(root.path) else { throw PTBError.io("\(root.path) is missing.") }
        guard let real = RealPath.resolve(path) else {
            throw Refusal("\(shown) does not exist (\(String(cString: strerror(errno)))). Save the model there first (e.g. final_model in the task directory).")
        }
        guard real.hasPrefix(rootReal + "/") else {
            if real == rootReal { throw Refusal("\(shown) is the workspace itself; give the model directory (e.g. final_model).") }
            throw Refusal("\(shown) resolves to \(real), outside the workspace \(rootReal): ptb only takes models stored in the workspace.")
        }
        let fm = FileManager.default
        if fm.fileExists(atPath: dest.path) { try fm.removeItem(at: dest) }
        do { try fm.createDirectory(at: dest, withIntermediateDirectories: true) } catch {
            throw PTBError.io("cannot create \(dest.path): \(error.localizedDescription)")
        }
        let rootFD = open(rootReal, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else { throw PTBError.io("cannot open \(rootReal): \(String(cString: strerror(errno)))") }
        defer { close(rootFD) }
        var walker = Walker(rootFD: rootFD, wsReal: rootReal, modelPath: shown, mode: mode)
        let comps = real.dropFirst(rootReal.count + 1).split(separator: "/").map(String.init)
        let top = try walker.openDir(comps, display: shown)
        var st = stat()
        guard fstat(top, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            close(top)
            throw Refusal("\(shown) is not a directory; give a model directory (config.json, weights, tokenizer).")
        }
        let destFD = open(dest.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard destFD >= 0 else { close(top); throw PTBError.io("cannot open \(dest.path): \(String(cString: strerror(errno)))") }
        defer { close(destFD) }
        do {
            try walker.copyDir(fd: top, realComps: comps, relOut: "", destFD: destFD, depth: 0, visiting: [real])
        } catch {
            try? fm.removeItem(at: dest)
            throw error
        }
        return walker.files
    }

    /// errno values that mean the tree's own entries are unreadable or gone (its owner's doing);
    /// anything else is the host's failure.
    static func isTreeError(_ e: Int32) -> Bool {
        [EACCES, EPERM, ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG].contains(e)
    }

    private struct Walker {
        let rootFD: Int32
        let wsReal: String
        let modelPath: String
        let mode: Mode
        var files: [File] = []

        init(rootFD: Int32, wsReal: String, modelPath: String, mode: Mode) {
            self.rootFD = rootFD
            self.wsReal = wsReal
            self.modelPath = modelPath
            self.mode = mode
        }

        func display(_ rel: String) -> String { rel.isEmpty ? modelPath : "\(modelPath)/\(rel)" }

        /// Opens the directory at `comps` below the workspace, refusing symlinks on the way.
        func openDir(_ comps: [String], display: String) throws -> Int32 {
            var fd = dup(rootFD)
            guard fd >= 0 else { throw PTBError.io("cannot open a directory: \(String(cString: strerror(errno)))") }
            for c in comps {
                let n = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                let e = errno
                close(fd)
                guard n >= 0 else {
                    throw Refusal("\(display) changed while ptb was copying it (\(String(cString: strerror(e)))); evaluate again once it is written.")
                }
                fd = n
            }
            return fd
        }

        mutating func copyDir(fd: Int32, realComps: [String], relOut: String, destFD: Int32, depth: Int, visiting: Set<String>) throws {
            defer { close(fd) }
            guard depth <= ConfinedTree.maxDepth else { throw Refusal("\(display(relOut)) is nested too deeply (more than \(ConfinedTree.maxDepth) levels).") }
            for name in try Self.entries(fd, display: display(relOut)) {
                let rel = relOut.isEmpty ? name : "\(relOut)/\(name)"
                var st = stat()
                guard fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
                    throw Refusal("\(display(rel)) disappeared while ptb was copying it; evaluate again once the model is written.")
                }
                switch st.st_mode & S_IFMT {
                case S_IFREG:
                    try link(fromDir: fd, name: name, toDir: destFD, rel: rel)
                case S_IFDIR:
                    let sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    guard sub >= 0 else { throw Refusal("\(display(rel)) changed while ptb was copying it; evaluate again.") }
                    let subDest = try makeDir(destFD, name, rel: rel)
                    defer { close(subDest) }
                    try copyDir(fd: sub, realComps: realComps + [name], relOut: rel, destFD: subDest, depth: depth + 1, visiting: visiting)
                case S_IFLNK:
                    let hostPath = "/" + ([String](wsReal.split(separator: "/").map(String.init)) + realComps + [name]).joined(separator: "/")
                    let target = Self.readLink(fd, name) ?? "?"
                    guard let real = RealPath.resolve(hostPath) else {
                        throw Refusal("\(display(rel)) is a broken symlink (to \(target)); remove it or replace it with the file.")
                    }
                    guard real.hasPrefix(wsReal + "/") else {
                        throw Refusal("\(display(rel)) is a symlink to \(target), outside the workspace: every file of the model must be stored in the workspace. Copy the file in instead of linking it.")
                    }
                    let comps = real.dropFirst(wsReal.count + 1).split(separator: "/").map(String.init)
                    var tst = stat()
                    guard stat(real, &tst) == 0 else { throw Refusal("\(display(rel)) changed while ptb was copying it; evaluate again.") }
                    if (tst.st_mode & S_IFMT) == S_IFDIR {
                        guard !visiting.contains(real) else { throw Refusal("\(display(rel)) is a symlink loop (to \(target)).") }
                        let sub = try openDir(comps, display: display(rel))
                        let subDest = try makeDir(destFD, name, rel: rel)
                        defer { close(subDest) }
                        try copyDir(fd: sub, realComps: comps, relOut: rel, destFD: subDest, depth: depth + 1, visiting: visiting.union([real]))
                    } else if (tst.st_mode & S_IFMT) == S_IFREG {
                        let parent = try openDir(Array(comps.dropLast()), display: display(rel))
                        defer { close(parent) }
                        try link(fromDir: parent, name: comps.last!, toDir: destFD, destName: name, rel: rel)
                    } else {
                        throw Refusal("\(display(rel)) links to something that is neither a regular file nor a directory.")
                    }
                default:
                    throw Refusal("\(display(rel)) is not a regular file or directory (a device, FIFO or socket); remove it from the model directory.")
                }
            }
        }

        func makeDir(_ destFD: Int32, _ name: String, rel: String) throws -> Int32 {
            guard mkdirat(destFD, name, 0o755) == 0 else { throw PTBError.io("cannot create \(rel) in the copy: \(String(cString: strerror(errno)))") }
            let fd = openat(destFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { throw PTBError.io("cannot open \(rel) in the copy: \(String(cString: strerror(errno)))") }
            return fd
        }

        /// Hard-links (or, across file systems, copies) one regular file, then confirms that what
        /// landed in the copy is a regular file: a symlink swapped in meanwhile is refused.
        mutating func link(fromDir: Int32, name: String, toDir: Int32, destName: String? = nil, rel: String) throws {
            guard files.count < ConfinedTree.maxFiles else { throw Refusal("\(modelPath) holds more than \(ConfinedTree.maxFiles) files.") }
            let destName = destName ?? name
            if mode == .copy {
                try copy(fromDir: fromDir, name: name, toDir: toDir, destName: destName, rel: rel)
            } else if linkat(fromDir, name, toDir, destName, 0) != 0 {
                let e = errno
                guard e == EXDEV || e == EPERM || e == EMLINK else {
                    throw PTBError.io("cannot link \(display(rel)): \(String(cString: strerror(e)))")
                }
                try copy(fromDir: fromDir, name: name, toDir: toDir, destName: destName, rel: rel)
            }
            var st = stat()
            guard fstatat(toDir, destName, &st, AT_SYMLINK_NOFOLLOW) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
                unlinkat(toDir, destName, 0)
                throw Refusal("\(display(rel)) changed into something other than a regular file while ptb was copying it (a symlink?); every file of the model must be a regular file in the workspace.")
            }
            files.append(File(path: rel, size: Int64(st.st_size), mtimeSec: st.st_mtim.tv_sec, mtimeNsec: st.st_mtim.tv_nsec))
        }

        func copy(fromDir: Int32, name: String, toDir: Int32, destName: String, rel: String) throws {
            let src = openat(fromDir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard src >= 0 else {
                let e = errno
                let message = "cannot read \(display(rel)): \(String(cString: strerror(e)))"
                throw ConfinedTree.isTreeError(e) ? Refusal(message) as any Error : PTBError.io(message)
            }
            defer { close(src) }
            var st = stat()
            guard fstat(src, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
                throw Refusal("\(display(rel)) is not a regular file.")
            }
            let dst = openat(toDir, destName, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard dst >= 0 else { throw PTBError.io("cannot write the copy of \(rel): \(String(cString: strerror(errno)))") }
            defer { close(dst) }
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(src, $0.baseAddress, $0.count) }
                if n == 0 { break }
                if n < 0 { if errno == EINTR { continue }; throw PTBError.io("cannot read \(display(rel)): \(String(cString: strerror(errno)))") }
                var off = 0
                while off < n {
                    let w = buffer.withUnsafeBytes { write(dst, $0.baseAddress! + off, n - off) }
                    if w < 0 { if errno == EINTR { continue }; throw PTBError.io("cannot write the copy of \(rel): \(String(cString: strerror(errno)))") }
                    off += w
                }
            }
        }

        static func entries(_ fd: Int32, display: String) throws -> [String] {
            let d = dup(fd)
            guard d >= 0, let dir = fdopendir(d) else { throw PTBError.io("cannot list \(display): \(String(cString: strerror(errno)))") }
            defer { closedir(dir) }
            var names: [String] = []
            while let e = readdir(dir) {
                let name = withUnsafePointer(to: e.pointee.d_name) { $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) } }
                if name != "." && name != ".." { names.append(name) }
            }
            return names.sorted()
        }

        static func readLink(_ fd: Int32, _ name: String) -> String? {
            var buf = [CChar](repeating: 0, count: 4097)
            let n = readlinkat(fd, name, &buf, 4096)
            guard n >= 0 else { return nil }
            return String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}
