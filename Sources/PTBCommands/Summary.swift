import Foundation
import PTBCore
import PTBStore

enum Summary {
    /// The end-of-run report: base score, final score and where everything is.
    static func print(paths: RunPaths, manifest m: RunManifest) throws {
        let r = try? JSONIO.read(RunResult.self, from: paths.result)
        func fmt(_ s: ScoreSummary?) -> String {
            s.map { String(format: "%.4f ± %.4f (n=%d)", $0.accuracy, $0.stderr, $0.n) } ?? "n/a"
        }
        var lines = ["", "run \(m.id): \(m.outcome.rawValue)" + (m.failure.map { " — \($0)" } ?? "")]
        lines.append("  task \(m.spec.task), model \(m.spec.model), agent \(m.spec.agent), \(m.spec.hoursText) h")
        lines.append("  agent exit: \(m.exit?.description ?? "n/a")")
        lines.append("  base score:  \(fmt(r?.baseScore))")
        lines.append("  final score: \(fmt(r?.finalScore))" + (r?.finalScore == nil ? " [\(r?.scoreState.rawValue ?? "not evaluated")]" : ""))
        if let flagged = r?.integrityFlagged { lines.append("  integrity: \(flagged ? "FLAGGED (see integrity.json)" : "clean")") }
        lines.append("  results: \(paths.dir.path)")
        Swift.print(lines.joined(separator: "\n"))
    }
}

enum StatusTable {
    static func render(_ rows: [RunRow]) -> String {
        guard !rows.isEmpty else { return "no runs" }
        let header = ["RUN", "TASK", "MODEL", "AGENT", "PHASE", "OUTCOME", "ELAPSED", "BASE", "FINAL"]
        let body = rows.map { r in
            [r.id, r.task, r.model, r.agent, r.phase, r.outcome + (r.exitClass.map { " (\($0))" } ?? ""),
             duration(r.elapsedSeconds), r.baseAccuracy.map { String(format: "%.3f", $0) } ?? "-",
             r.finalAccuracy.map { String(format: "%.3f", $0) } ?? (r.scoreState ?? "-")]
        }
        let widths = header.indices.map { i in ([header[i]] + body.map { $0[i] }).map(\.count).max()! }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        let interrupted = rows.filter { $0.outcome == "interrupted" }
        let hint = interrupted.isEmpty ? [] : ["", "interrupted: the ptb process driving the run is gone. Continue with:"]
            + interrupted.map { "  ptb resume \($0.id)" }
        return ([line(header)] + body.map(line) + hint).joined(separator: "\n")
    }

    static func duration(_ s: Double) -> String {
        let t = Int(s)
        return String(format: "%d:%02d:%02d", t / 3600, t % 3600 / 60, t % 60)
    }
}
