import Foundation
import PTBCore

/// The clock: timer.sh, deadlines and lateness compare times, and on a shared filesystem the
/// file server's clock stamps the files ptb compares against its own.
struct ClockDoctorCheck: DoctorCheck {
    let name = "clock"
    /// Farther apart than this, lateness and the late-submission check misjudge the deadline.
    static let maxSkewSeconds: Double = 120

    func run(_ ctx: DoctorContext) async -> [DoctorResult] {
        let now = Date()
        let year = Calendar(identifier: .gregorian).component(.year, from: now)
        guard (2025...2100).contains(year) else {
            return [DoctorResult(name, .fail, "the system clock says \(Timestamps.iso(now))",
                                 fix: "set the clock (enable NTP: `timedatectl set-ntp true`, or chrony/ntpd)")]
        }
        // A file written now on the runs directory's filesystem carries that filesystem's time.
        let dir = DiskDoctorCheck.existingAncestor(ctx.runsDir)
        let probe = dir.appendingPathComponent(".ptb-doctor-clock-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: probe) }
        guard FileManager.default.createFile(atPath: probe.path, contents: Data("x".utf8)),
              let stamp = (try? FileManager.default.attributesOfItem(atPath: probe.path))?[.modificationDate] as? Date else {
            return [DoctorResult(name, .pass, "\(Timestamps.iso(now)) UTC (could not write to \(dir.path) to compare its filesystem's clock)")]
        }
        let skew = stamp.timeIntervalSince(now)
        if abs(skew) > Self.maxSkewSeconds {
            return [DoctorResult(name, .fail, String(format: "files on %@ are stamped %.0f s %@ this node's clock", dir.path, abs(skew), skew > 0 ? "ahead of" : "behind"),
                                 fix: "synchronise this node and the file server with NTP")]
        }
        return [DoctorResult(name, .pass, String(format: "%@ UTC; the runs directory's filesystem agrees within %.1f s", Timestamps.iso(now), abs(skew)))]
    }
}
