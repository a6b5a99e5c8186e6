import Foundation

/// The one loop over samples: generation (`Evaluator`, the judged tasks' answers), offline
/// scoring (`OfflineScorer`) and judging (the judged tasks' verdicts) each hand it a per-sample
/// job. At most `width` jobs run at once; results come back in job order, and `onResult` sees
/// each one as it finishes (progress lines, failure lists), one at a time, on the caller's task.
public struct SampleRunner: Sendable {
    /// Jobs in flight at most (≥ 1).
    public let width: Int

    public init(width: Int) { self.width = max(1, width) }

    /// Every job at once: for callers whose jobs wait on a bounded service themselves (the judge
    /// client's permits), where a second bound here would only serialise the waiting.
    public static let unbounded = SampleRunner(width: Int.max)

    /// Runs `body(i)` for every i in `0..<count`. A job that throws stops the run: the jobs in
    /// flight are cancelled, no new one starts, and the error is rethrown. Jobs that must not stop
    /// the others return their failure as a value (`Result`).
    public func map<T: Sendable>(_ count: Int, onResult: ((Int, T) -> Void)? = nil,
                                 _ body: @escaping @Sendable (Int) async throws -> T) async throws -> [T] {
        var out = [T?](repeating: nil, count: count)
        try await withThrowingTaskGroup(of: (Int, T).self) { group in
            var next = 0
            func launch() {
                guard next < count else { return }
                let i = next
                next += 1
                group.addTask { (i, try await body(i)) }
            }
            for _ in 0..<min(width, count) { launch() }
            while let (i, value) = try await group.next() {
                out[i] = value
                onResult?(i, value)
                launch()
            }
        }
        return out.map { $0! }
    }

    /// `map` for jobs that cannot fail (they record their failures in their result).
    public func mapAll<T: Sendable>(_ count: Int, onResult: ((Int, T) -> Void)? = nil,
                                    _ body: @escaping @Sendable (Int) async -> T) async -> [T] {
        var out = [T?](repeating: nil, count: count)
        await withTaskGroup(of: (Int, T).self) { group in
            var next = 0
            func launch() {
                guard next < count else { return }
                let i = next
                next += 1
                group.addTask { (i, await body(i)) }
            }
            for _ in 0..<min(width, count) { launch() }
            while let (i, value) = await group.next() {
                out[i] = value
                onResult?(i, value)
                launch()
            }
        }
        return out.map { $0! }
    }
}

/// A progress line on stderr, at most one update a second: `[eval arith] 12/50 (24%) accuracy
/// 0.417 eta 31s` when the total is known (`counted`), `[judge healthbench] 120 done, 95s`
/// otherwise (`open`, the judged tasks' calls, whose number depends on the answers).
public final class ProgressLine: @unchecked Sendable {
    public enum Style: Sendable { case counted(total: Int), open }

    private let style: Style
    private let label: String
    private let enabled: Bool
    private let start = Date()
    private var done = 0
    private var correct = 0
    private var lastPrint = Date.distantPast
    // Steps come from the runner's `onResult` and from judged tasks' concurrent jobs alike.
    private let lock = NSLock()
    private let onStep: (@Sendable (_ done: Int, _ total: Int) -> Void)?

    /// `onStep(done, total)` after every step of a `counted` line (the eval broker's progress).
    public init(_ style: Style, label: String, enabled: Bool, onStep: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil) {
        self.style = style
        self.label = label
        self.enabled = enabled
        self.onStep = onStep
    }

    public func step(correct ok: Bool = false) {
        lock.lock(); defer { lock.unlock() }
        done += 1
        if ok { correct += 1 }
        let elapsed = Date().timeIntervalSince(start)
        switch style {
        case .counted(let total):
            onStep?(done, total)
            guard enabled, Date().timeIntervalSince(lastPrint) >= 1 || done == total else { return }
            lastPrint = Date()
            let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
            write(String(format: "[eval %@] %d/%d (%.0f%%) accuracy %.3f eta %.0fs\n", label, done, total,
                         100 * Double(done) / Double(total), Double(correct) / Double(done), eta))
        case .open:
            guard enabled, Date().timeIntervalSince(lastPrint) >= 1 else { return }
            lastPrint = Date()
            write(String(format: "[%@] %d done, %.0fs\n", label, done, elapsed))
        }
    }

    private func write(_ line: String) { FileHandle.standardError.write(Data(line.utf8)) }
}
