import ArgumentParser
import Foundation
import PTBCore
import PTBIntegrity
import PTBRunner

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Re-run a run's integrity checks (tamper, provenance, contamination scan, trace rules, judges).",
        discussion: """
            Rewrites integrity.json, and result.json and the index when the run is recorded. Each check reports \
            whether it ran and its verdict (clean, flagged, not run, invalid); the policy decides whether the run's \
            score falls back to the base model's in the leaderboard (the raw score is kept).

            Exit status: 0 when the run is not flagged, 1 when it is.

            Examples:
              ptb check latest
              ptb check RUN_ID --policy strict --judge judge-codex --json
            """)

    @OptionGroup var homeOptions: HomeOptions
    @Argument(help: "Run id (or run directory).") var runID: String
    @Option(help: "Runs directory (default $PTB_HOME/runs).") var runsDir: String?
    @Option(help: "Policy to apply from now on: ptb, original, flags-only, strict, report (default: the run's).") var policy: IntegrityPolicy?
    @Option(name: .customLong("judge"), help: "Judge to use instead of the run's (agent name or config file; repeatable).")
    var judges: [String] = []
    @Flag(help: "Print integrity.json instead of the table.") var json = false

    func run() async throws {
        let report: IntegrityReport = try await reporting {
            let home = homeOptions.ptbHome
            let runs = runsDir.map { URL(fileURLWithPath: $0) } ?? home.runs
            let paths = try RunStore.find(runID, in: [runs])
            let (harness, trap) = Harness.cli(home: home, quiet: true)
            defer { withExtendedLifetime(trap) {} }
            let judgeList = judges.isEmpty ? nil : judges.map { j in
                j.hasSuffix(".yaml") || j.hasSuffix(".yml") ? URL(fileURLWithPath: j).standardizedFileURL.path : j
            }
            return try await Lifecycle(harness: harness, paths: paths).recheckIntegrity(policy: policy, judges: judgeList)
        }
        if json {
            print(String(decoding: try JSONIO.encode(report), as: UTF8.self), terminator: "")
        } else {
            print(Self.render(report))
        }
        if report.flagged { throw ExitCode(1) }
    }

    static func render(_ r: IntegrityReport) -> String {
        var out = ["policy \(r.policy.rawValue): " + (r.flagged ? "FLAGGED — the score falls back to the base model's" : "not flagged")]
        let width = max(12, r.checks.map(\.name.count).max() ?? 0)
        for c in r.checks {
            out.append("  " + c.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                       + c.verdict.padding(toLength: 8, withPad: " ", startingAt: 0) + (c.required ? "" : " (optional)"))
            for e in c.evidence.prefix(8) { out.append("      " + e) }
            if c.evidence.count > 8 { out.append("      … \(c.evidence.count - 8) more in integrity.json") }
        }
        for reason in r.reasons { out.append("reason: \(reason)") }
        return out.joined(separator: "\n")
    }
}
