import Foundation
import Glibc
import PTBCore
import PTBIntegrity
import Synchronization

/// The state of `final_model` at one moment: every entry's type, size, inode and change time,
/// read with `lstat` (links are not followed). Taken at the deadline and again when the agent is
/// gone, so that a model saved after "Timer expired!" (inside the grace before SIGTERM) is seen.
/// The change time (ctime) is set by the kernel on every write, rename or `touch`, so unlike the
/// modification time an agent cannot set it back.
struct ModelDirState: Equatable, Sendable {
    struct Entry: Equatable, Sendable {
        var kind: mode_t
        var size: Int64
        var inode: UInt64
        var ctime: Double
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
            out[rel] = Entry(kind: st.st_mode & S_IFMT, size: Int64(st.st_size), inode: UInt64(st.st_ino),
                             ctime: Double(st.st_ctim.tv_sec) + Double(st.st_ctim.tv_nsec) / 1e9)
            guard (st.st_mode & S_IFMT) == S_IFDIR, depth < 32,
                  let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
            for n in names.sorted() { visit(path + "/" + n, rel.isEmpty ? n : rel + "/" + n, depth: depth + 1) }
        }
        visit(dir.path, "", depth: 0)
        return ModelDirState(entries: out)
    }

    /// Entries that differ from `earlier`, appeared, vanished, or whose change time is after
    /// `deadline` (which catches a write the earlier snapshot could not see, e.g. when ptb itself
    /// was restarted after the deadline and has no snapshot).
    func changes(since earlier: ModelDirState?, deadline: Date) -> [String] {
        let cutoff = deadline.timeIntervalSince1970
        var changed = Set<String>()
        for (rel, e) in entries where e.ctime > cutoff { changed.insert(rel) }
        if let earlier {
            for (rel, e) in entries where earlier.entries[rel] != e { changed.insert(rel) }
            for rel in earlier.entries.keys where entries[rel] == nil { changed.insert(rel) }
        }
        return changed.map { $0.isEmpty ? "final_model" : "final_model/" + $0 }.sorted()
    }

    static func lateness(exitedAt: Date, deadline: Date, atDeadline: ModelDirState?, now: ModelDirState) -> Lateness {
        let past = max(0, exitedAt.timeIntervalSince(deadline))
        let changed = past > 0 ? now.changes(since: atDeadline, deadline: deadline) : []
        return Lateness(secondsPastDeadline: (past * 10).rounded() / 10, finalModelChangedAfterDeadline: !changed.isEmpty,
                        changed: Array(changed.prefix(20)))
    }
}

extension IntegrityPhase {
    /// The original lets the agent work on through its 5-minute grace after "Timer expired!" and
    /// counts what it saved then. ptb records it; every policy but `original` and `report` counts it.
    static func lateSubmission(_ m: RunManifest, policy: IntegrityPolicy) -> IntegrityReport.Check {
        let name = "late-submission"
        guard let late = m.lateness else {
            return .notRun(name, required: false, "the agent phase recorded no timing against the deadline (a run from before ptb recorded it, or the agent never ran)")
        }
        let past = String(format: "%.1f", late.secondsPastDeadline)
        guard late.finalModelChangedAfterDeadline else {
            return .clean(name, required: false, [late.secondsPastDeadline > 0
                ? "the agent ended \(past) s past its deadline; final_model did not change after the deadline"
                : "the agent ended before its deadline"])
        }
        var evidence = ["final_model changed after the deadline; the agent ended \(past) s past it"]
        evidence += late.changed.prefix(10).map { "changed after the deadline: \($0)" }
        evidence.append(policy.enforcesPTBRules
            ? "policy \(policy.rawValue) counts a submission written after the deadline as a flag"
            : "reported only: policy \(policy.rawValue) allows what the original's grace allows")
        return IntegrityReport.Check(name: name, required: false, ran: true, verdict: "flagged", evidence: evidence, ptbRule: true)
    }
}
