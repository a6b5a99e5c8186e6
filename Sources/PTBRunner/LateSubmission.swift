import Foundation
import Glibc
import PTBCore
import PTBIntegrity
import Synchronization

/// The content of `final_model` at one moment: every entry's type, and for a regular file its
/// size and SHA-256 (a symlink its target). Taken at the deadline and again when the agent is
/// gone, so that a model saved after "Timer expired!" (inside the grace before SIGTERM) is seen.
/// Content, not inode metadata, decides: the kernel bumps a file's change time whenever its link
/// count changes, and ptb's own evaluation broker hard-links final_model into its snapshot, so a
/// change-time rule flagged every agent that called evaluate.py near the deadline. A content
/// hash cannot be set back the way a modification time can, and a re-save of identical weights
/// is not a late submission.
struct ModelDirState: Equatable, Sendable {
    struct Entry: Equatable, Sendable {
        var kind: mode_t
        var size: Int64
        /// SHA-256 for a regular file, the target for a symlink, nil for a directory (or a file
        /// that could not be read, which then differs from any readable one).
        var content: String?
        /// Only for the fallback when there is no deadline snapshot; never compared.
        var mtime: Double
        static func == (a: Entry, b: Entry) -> Bool { a.kind == b.kind && a.size == b.size && a.content == b.content }
    }
    /// The deadline's snapshot, handed from the watchdog task to the end of the agent phase.
    final class Box: Sendable {
        private let value = Mutex<ModelDirState?>(nil)
        func set(_ s: ModelDirState) { value.withLock { $0 = s } }
        func get() -> ModelDirState? { value.withLock { $0 } }
    }
    /// Relative path ("" for final_model itself) → entry. Empty when final_model does not exist.
    var entries: [String: Entry]

    static func take(_ dir: URL) -> ModelDirState {
        var out: [String: Entry] = [:]
        func visit(_ path: String, _ rel: String, depth: Int) {
            var st = stat()
            guard lstat(path, &st) == 0 else { return }
            let kind = st.st_mode & S_IFMT
            var content: String?
            if kind == S_IFREG {
                content = try? Hashing.sha256(file: URL(fileURLWithPath: path))
            } else if kind == S_IFLNK {
                content = try? FileManager.default.destinationOfSymbolicLink(atPath: path)
            }
            out[rel] = Entry(kind: kind, size: Int64(st.st_size), content: content,
                             mtime: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
            guard kind == S_IFDIR, depth < 32,
                  let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
            for n in names.sorted() { visit(path + "/" + n, rel.isEmpty ? n : rel + "/" + n, depth: depth + 1) }
        }
        visit(dir.path, "", depth: 0)
        return ModelDirState(entries: out)
    }

    /// Entries whose content differs from `earlier`, appeared or vanished. Without an earlier
    /// snapshot (ptb itself was restarted after the deadline), files modified after `deadline`:
    /// weaker, since a modification time can be set back, and said so in the evidence.
    func changes(since earlier: ModelDirState?, deadline: Date) -> [String] {
        var changed = Set<String>()
        if let earlier {
            for (rel, e) in entries where earlier.entries[rel] != e { changed.insert(rel) }
            for rel in earlier.entries.keys where entries[rel] == nil { changed.insert(rel) }
        } else {
            let cutoff = deadline.timeIntervalSince1970
            for (rel, e) in entries where e.kind != S_IFDIR && e.mtime > cutoff { changed.insert(rel) }
        }
        return changed.map { $0.isEmpty ? "final_model" : "final_model/" + $0 }.sorted()
    }

    /// `now` is read only when the agent ended past its deadline: hashing a multi-GB model costs
    /// seconds, and nothing can have changed after a deadline that was never reached.
    static func lateness(exitedAt: Date, deadline: Date, atDeadline: ModelDirState?, now: () -> ModelDirState) -> Lateness {
        let past = max(0, exitedAt.timeIntervalSince(deadline))
        let changed = past > 0 ? now().changes(since: atDeadline, deadline: deadline) : []
        return Lateness(secondsPastDeadline: (past * 10).rounded() / 10, finalModelChangedAfterDeadline: !changed.isEmpty,
                        changed: Array(changed.prefix(20)), comparedByContent: past > 0 ? atDeadline != nil : nil)
    }
}
