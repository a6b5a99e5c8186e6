import Foundation
import PTBCore
#if canImport(Glibc)
import Glibc
#endif

/// Keeps an agent from filling the host's disk: every `interval` seconds it sums what the
/// workspace and the run's cache layer hold (links not followed, blocks actually allocated) and
/// reads the free space of their filesystem. It reports a breach when the sum passes the limit,
/// or when the disk is down to its last `floorBytes` and the agent has added data since it
/// started (another tenant filling the disk is not this agent's fault).
struct DiskWatch: Sendable {
    var roots: [URL]
    var limitBytes: Int64
    var floorBytes: Int64 = 1 << 30
    var grownEnough: Int64 = 100 << 20

    struct Breach: Sendable, CustomStringConvertible {
        var usedBytes: Int64
        var freeBytes: Int64?
        var reason: String
        var description: String { reason }
    }

    /// Allocated bytes under the roots; links count as themselves, never their targets.
    func used() -> Int64 {
        var total: Int64 = 0
        for root in roots {
            guard let walk = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil, options: [], errorHandler: { _, _ in true }) else { continue }
            for case let url as URL in walk {
                var st = stat()
                if lstat(url.path, &st) == 0 { total += Int64(st.st_blocks) * 512 }
            }
        }
        return total
    }

    func free() -> Int64? {
        guard let root = roots.first else { return nil }
        var s = statvfs()
        guard statvfs(root.path, &s) == 0 else { return nil }
        return Int64(s.f_bavail) * Int64(s.f_frsize)
    }

    func check(startUsed: Int64) -> Breach? {
        let now = used()
        if now > limitBytes {
            return Breach(usedBytes: now, freeBytes: free(),
                          reason: "the workspace holds \(Self.gb(now)) GB, over its limit of \(Self.gb(limitBytes)) GB (workspace_limit_gb)")
        }
        if let f = free(), f < floorBytes, now - startUsed > grownEnough {
            return Breach(usedBytes: now, freeBytes: f,
                          reason: "the disk holding the workspace is down to \(Self.gb(f)) GB free after the agent wrote \(Self.gb(now - startUsed)) GB")
        }
        return nil
    }

    /// Checks every `interval` seconds until a breach (returned) or cancellation (nil).
    func watch(interval: Double) async -> Breach? {
        let start = used()
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(interval))
            if Task.isCancelled { return nil }
            if let b = check(startUsed: start) { return b }
        }
        return nil
    }

    static func gb(_ bytes: Int64) -> String { String(format: "%.2f", Double(bytes) / 1e9) }
}
