import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// realpath(3): every symlink resolved. The sandbox binds real paths, and collect, the
/// evaluation broker and the contamination scan decide "inside the workspace" on them.
public enum RealPath {
    /// The resolved path, or nil when it does not exist (errno says why).
    public static func resolve(_ path: String) -> String? {
        guard let r = realpath(path, nil) else { return nil }
        defer { free(r) }
        return String(cString: r)
    }

    /// The resolved path, or `path` itself when it does not exist.
    public static func orSelf(_ path: String) -> String { resolve(path) ?? path }
}
