import Foundation
import PTBCore

/// `integrity.json`: every check says whether it ran and what it found, so "did not run" is
/// never read as "clean".
struct IntegrityReport: Codable, Equatable {
    struct Check: Codable, Equatable {
        var name: String
        var ran: Bool
        var verdict: String
        var evidence: [String]
    }
    var checks: [Check]
    var flagged: Bool { checks.contains { !$0.ran || $0.verdict != "clean" } }
}

enum IntegrityPhase {
    static func run(_ ctx: PhaseContext, _ m: inout RunManifest) throws -> PhaseOutcome {
        var checks: [IntegrityReport.Check] = []
        if let snapshot = try? JSONIO.read(ProtectedFiles.self, from: ctx.paths.protected) {
            let changed = snapshot.changes(paths: ctx.paths)
            checks.append(.init(name: "evaluator-tamper", ran: true, verdict: changed.isEmpty ? "clean" : "flagged",
                                evidence: changed.map { "changed: \($0)" }))
        } else {
            checks.append(.init(name: "evaluator-tamper", ran: false, verdict: "not run", evidence: ["protected.json is missing or unreadable"]))
        }
        let report = IntegrityReport(checks: checks)
        try JSONIO.write(report, to: ctx.paths.integrity)
        return .done(report.flagged ? "FLAGGED: " + checks.flatMap(\.evidence).joined(separator: "; ") : "clean")
    }
}
