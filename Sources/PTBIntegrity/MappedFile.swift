import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A whole file mapped read-only. Checkpoints are many GB, so tensors are read in place instead
/// of being copied; the page cache, not our heap, holds the bytes.
///
/// A file that another process truncates while it is mapped makes later reads fault (SIGBUS);
/// ptb reads submissions it has already copied out of the agent's workspace, so nothing else
/// writes them while we read.
public final class MappedFile: @unchecked Sendable {
    // @unchecked: the mapping is immutable (PROT_READ) and only unmapped in deinit.
    public let path: String
    public let size: Int
    private let base: UnsafeRawPointer?

    public init(path: String) throws(SafetensorsError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw .unreadable(path: path, reason: "not a regular file") }
        size = Int(st.st_size)
        if size == 0 {
            base = nil
            return
        }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else { throw .unreadable(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))") }
        _ = madvise(p, size, MADV_SEQUENTIAL)
        base = UnsafeRawPointer(p)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }

    /// The whole file. Valid while `self` is alive.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: size) }

    /// Drops the pages of `range` from this process's mapping once they have been read, so the
    /// resident set stays bounded while streaming a checkpoint larger than RAM; the kernel keeps
    /// them in the page cache.
    public func release(_ range: Range<Int>) {
        guard let base, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = range.lowerBound / page * page
        let end = min(size, (range.upperBound + page - 1) / page * page)
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
    }
}
