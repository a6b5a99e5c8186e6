import Foundation
import PTBCore
import Testing

/// A run config with a typo is refused before anything runs, naming the key that was meant
/// (it used to run a full base evaluation that `skip_base: true` was meant to skip).
@Suite struct ConfigTypoTests {
    @Test func aRunConfigWithUnknownKeysIsRefusedAndNoRunIsCreated() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let cfg = h.root.appendingPathComponent("typo.yaml")
        try "task: arith\nmodel: tiny\nagent: none\neval_limt: 20\nskip_base: true\n".write(to: cfg, atomically: true, encoding: .utf8)
        let r = try ptb(["run", "--config", cfg.path, "--runs-dir", h.runs.path], home: h)
        #expect(r.status != 0)
        #expect(r.stderr.contains("unknown key 'eval_limt' (did you mean 'eval_limit'?)"), "\(r.stderr)")
        #expect(r.stderr.contains("unknown key 'skip_base'"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: h.runs.path).isEmpty)
    }
}

/// Exit codes: a mistake in what was typed is a usage error (64, with usage); a failure while
/// running is `Error: …` and exit 1, without a usage dump.
@Suite struct ExitCodeTests {
    @Test func runtimeErrorsExitOneWithoutUsage() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        let cfg = h.root.appendingPathComponent("typo.yaml")
        try "task: arith\nhourz: 1\n".write(to: cfg, atomically: true, encoding: .utf8)
        let r = try ptb(["run", "--config", cfg.path, "--runs-dir", h.runs.path], home: h)
        #expect(r.status == 1, "\(r.status): \(r.stderr)")
        #expect(r.stderr.hasPrefix("Error: config \(cfg.path):2: unknown key 'hourz' (did you mean 'hours'?)"), "\(r.stderr)")
        #expect(!r.stderr.contains("Usage:"), "\(r.stderr)")
        let typed = try ptb(["run", "--task", "arith", "--model", "tiny", "--agent", "none", "--hours", "-1", "--runs-dir", h.runs.path], home: h)
        #expect(typed.status == 64 && typed.stderr.contains("Usage:"), "\(typed.status): \(typed.stderr)")
    }
}

/// A run that cannot start is never created: a missing base model is an error before the run
/// directory exists.
@Suite struct RunThatCannotStartTests {
    @Test func aMissingBaseModelCreatesNoRunDirectory() throws {
        let h = try TestHome()
        defer { h.cleanup() }
        try FileManager.default.removeItem(at: h.home.models.appendingPathComponent("tiny"))
        let r = try ptb(["run", "--task", "arith", "--model", "tiny", "--agent", "none", "--runs-dir", h.runs.path], home: h)
        #expect(r.status == 1, "\(r.status): \(r.stderr)")
        #expect(r.stderr.contains("Error: model 'tiny' is not built yet") && r.stderr.contains("ptb setup"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: h.runs.path).isEmpty)
    }
}
