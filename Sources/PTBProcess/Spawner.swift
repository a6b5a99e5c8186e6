import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs every `posix_spawn` on one thread that lives as long as ptb.
///
/// Why: `PR_SET_PDEATHSIG` (used by `bwrap --die-with-parent` and `setpriv --pdeathsig`) fires
/// when the *thread* that created the child exits, and the threads of Swift's cooperative pool
/// come and go. Spawning from a fixed thread ties children to the life of the ptb process.
final class SpawnThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []

    init() {
        let thread = Thread { [self] in self.loop() }
        thread.name = "ptb-spawner"
        thread.start()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (c: CheckedContinuation<T, Never>) in
            condition.lock()
            jobs.append { c.resume(returning: body()) }
            condition.signal()
            condition.unlock()
        }
    }
}
