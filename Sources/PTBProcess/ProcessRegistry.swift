import Foundation
import PTBCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The process groups ptb currently owns. A signal to ptb stops all of them before it exits.
public final class ProcessRegistry: Sendable {
    private let groups = Mutex<Set<pid_t>>([])
    private let stopping = Mutex(false)

    /// Set once ptb is shutting down on a signal: work that ends because its children were
    /// stopped must not be recorded as finished.
    public var isShuttingDown: Bool { stopping.withLock { $0 } }

    public init() {}

    func markShuttingDown() { stopping.withLock { $0 = true } }

    func add(_ pgid: pid_t) { groups.withLock { _ = $0.insert(pgid) } }
    func remove(_ pgid: pid_t) { groups.withLock { _ = $0.remove(pgid) } }
    public var live: [pid_t] { groups.withLock { Array($0) } }

    /// SIGTERM every group, give them `grace` seconds, then SIGKILL. Blocking: used from signal
    /// handling where ptb is about to exit.
    public func stopAll(grace: Double = 5) {
        let pgids = live
        guard !pgids.isEmpty else { return }
        for g in pgids { kill(-g, SIGTERM) }
        let end = Date().addingTimeInterval(grace)
        while Date() < end, pgids.contains(where: { ProcessInspector.groupAlive($0) }) { usleep(100_000) }
        for g in pgids { kill(-g, SIGKILL) }
    }
}

public enum ProcessInspector {
    /// Field 22 of /proc/<pid>/stat: start time in clock ticks after boot.
    public static func startTicks(_ pid: pid_t) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command name: state is field 3, so start time (22) is index 19 here.
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    public static func groupAlive(_ pgid: pid_t) -> Bool { kill(-pgid, 0) == 0 }

    /// Kills a group recorded by an earlier (dead) ptb, unless the pid now belongs to someone else.
    @discardableResult
    public static func killStale(_ p: LiveProcess) -> Bool {
        if let ticks = p.startTicks, let now = startTicks(p.pid), now != ticks { return false }
        guard groupAlive(p.processGroup) else { return false }
        kill(-p.processGroup, SIGTERM)
        for _ in 0..<50 where groupAlive(p.processGroup) { usleep(100_000) }
        kill(-p.processGroup, SIGKILL)
        return true
    }
}

/// Turns SIGINT/SIGTERM/SIGHUP into "stop every child, then exit", so Ctrl-C never leaves an
/// engine or agent behind.
public final class SignalTrap: Sendable {
    private let sources: Mutex<[any DispatchSourceSignal]>

    public init(registry: ProcessRegistry, onSignal: @escaping @Sendable (Int32) -> Void = { _ in }) {
        var list: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            src.setEventHandler {
                registry.markShuttingDown()
                onSignal(sig)
                registry.stopAll()
                exit(128 + sig)
            }
            src.resume()
            list.append(src)
        }
        sources = Mutex(list)
    }
}

extension ProcessInspector {
    /// A zombie still answers `kill(pid, 0)`; read its state instead.
    public static func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].dropFirst().first == "Z"
    }
}
