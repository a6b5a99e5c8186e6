import Foundation
import PTBCore
import Testing

/// Numbers at the boundary: each bad value is one clear message and no run directory; none
/// crashes ptb (`--hours inf` used to abort with SIGILL and leave a run `prepare running`).
@Suite struct BadNumberTests {
    @Test(arguments: [
        (["--hours", "inf"], "--hours must be a positive number of hours"),
        (["--hours", "-1"], "--hours must be a positive number of hours"),
        (["--hours=-1"], "--hours must be a positive number of hours"),
        (["--hours", "nan"], "--hours must be a positive number of hours"),
        (["--hours", "100000"], "at most 8760"),
        (["--eval-limit", "0"], "--eval-limit must be at least 1"),
        (["--eval-limit=-5"], "--eval-limit must be at least 1"),
    ])
    func aBadRunNumberIsAClearErrorAndCreatesNoRun(_ args: [String], _ message: String) throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let r = try ptb(["run", "--task", "arith", "--model", "tiny", "--agent", "none", "--runs-dir", h.runs.path] + args, home: h)
        #expect(r.status != 0 && !r.signaled, "\(args): \(r.status)")
        #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: h.runs.path).isEmpty, "\(args)")
    }

    @Test func servePortOutOfRange() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let r = try ptb(["serve", "--port", "99999", "--runs-dir", h.runs.path], home: h, timeout: 30)
        #expect(r.status == 64 && r.stderr.contains("--port must be between 0 and 65535 (got 99999)"), "\(r.stderr)")
    }
}
