import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `driver.json`: which ptb process drives a run, refreshed every minute while it does. A run
/// whose manifest says `running` but whose driver is gone was interrupted (ptb killed, node
/// rebooted, job preempted): it must say so, with the resume command, instead of `running` forever.
public struct RunDriver: Codable, Sendable, Equatable {
    public var host: String
    public var pid: Int32
    /// The process's start time in clock ticks since boot (/proc/PID/stat field 22), so that a
    /// recycled pid is not mistaken for the driver.
    public var processStart: UInt64?
    public var heartbeatAt: Date

    public init(host: String, pid: Int32, processStart: UInt64?, heartbeatAt: Date) {
        self.host = host
        self.pid = pid
        self.processStart = processStart
        self.heartbeatAt = heartbeatAt
    }

    public static let fileName = "driver.json"
    /// A driver on another host is presumed gone after this long without a heartbeat.
    public static let staleAfter: TimeInterval = 300
    public static let interval: Duration = .seconds(60)

    public static func current(now: Date = Date()) -> RunDriver {
        RunDriver(host: hostName(), pid: getpid(), processStart: startTime(getpid()), heartbeatAt: now)
    }

    public static func hostName() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count - 1) == 0 else { return "unknown" }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// nil when the process does not exist (or /proc is not there).
    public static func startTime(_ pid: Int32) -> UInt64? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); field 22 is fields[19].
        guard fields.count > 19, fields[0] != "Z" else { return nil }
        return UInt64(fields[19])
    }
}

public enum RunLiveness {
    /// Why a run that its manifest calls running has no driver any more; nil when it is not
    /// running or its driver is alive (or cannot be judged, e.g. on another host within the
    /// heartbeat window).
    public static func interruption(runDir: URL, manifest m: RunManifest, now: Date = Date()) -> String? {
        let running = m.outcome == .running || Phase.allCases.contains { m[$0].state == .running }
        guard running, m.outcome != .done, m.outcome != .failed else { return nil }
        let paths = RunPaths(dir: runDir)
        let url = runDir.appendingPathComponent(RunDriver.fileName)
        guard let d = try? JSONIO.read(RunDriver.self, from: url) else {
            // A run from before driver.json: the run lock tells, on a filesystem where flock works.
            return lockIsFree(paths.lock) ? "no ptb process holds the run's lock" : nil
        }
        if d.host == RunDriver.hostName() {
            let start = RunDriver.startTime(d.pid)
            if start == nil || (d.processStart != nil && start != d.processStart) {
                return "its ptb process (pid \(d.pid)) is gone"
            }
            return nil
        }
        let silent = now.timeIntervalSince(d.heartbeatAt)
        return silent > RunDriver.staleAfter ? "no heartbeat from its ptb process on \(d.host) for \(Int(silent / 60)) min" : nil
    }

    static func lockIsFree(_ url: URL) -> Bool {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return false }
        flock(fd, LOCK_UN)
        return true
    }

    /// Writes driver.json now and every minute until cancelled.
    public static func heartbeat(runDir: URL) async {
        let url = runDir.appendingPathComponent(RunDriver.fileName)
        while !Task.isCancelled {
            try? JSONIO.write(RunDriver.current(), to: url)
            try? await Task.sleep(for: RunDriver.interval)
        }
    }
}
