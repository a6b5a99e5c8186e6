import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive, non-blocking `flock` on a file, held for the life of the object. The kernel
/// drops it when the holder dies, so a SIGKILLed ptb never leaves a stale lock behind.
public final class ExclusiveFileLock {
    private let fd: Int32

    /// Throws `busy` when another process holds the lock.
    public init(url: URL, busy: @autoclosure () -> any Error) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PTBError.io("cannot open \(url.path); check that its directory is writable.") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            throw busy()
        }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
