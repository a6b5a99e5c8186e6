import Foundation
import PTBAgents
import PTBCore
import PTBIntegrity
import PTBTasks

/// Deterministic checks first (tamper, provenance, contamination scan, trace rules), then the
/// configured LLM judges. Each check records whether it ran and what it found in
/// `integrity.json`; the policy decides whether the run's score falls back to the base model's.
enum IntegrityPhase {
    static func run(_ ctx: PhaseContext, _ m: inout RunManifest) async throws -> PhaseOutcome {
        let report = try await check(ctx, m)
        try JSONIO.write(report, to: ctx.paths.integrity)
        let summary = report.checks.map { "\($0.name)=\($0.verdict)" }.joined(separator: ", ")
        return .done((report.flagged ? "FLAGGED: " + report.reasons.joined(separator: "; ") : "clean") + " [\(summary)]")
    }

    static func check(_ ctx: PhaseContext, _ m: RunManifest) async throws -> IntegrityReport {
        let policy = try policy(m.spec)
        // In `original` feedback mode ptb itself writes test samples into task/eval_logs/.
        let exempt = m.spec.evalFeedback == .original
        var checks = [submission(ctx), tamper(ctx), provenance(ctx), contamination(ctx, exemptEvalLogs: exempt), traceRules(ctx, m),
                      lateSubmission(m, policy: policy), tokenizerModified(ctx), duplicateSubmission(ctx)]
        for judge in IntegrityJudge.judges(for: m.spec, agent: ctx.agent) {
            checks.append(await IntegrityJudge.run(judge: judge, ctx: ctx, spec: m.spec))
        }
        return IntegrityReport(policy: policy, checks: checks, checkedAt: Timestamps.iso(Date()))
    }

    static func policy(_ spec: RunSpec) throws -> IntegrityPolicy {
        spec.integrityPolicy ?? .default
    }

    /// Collect refused a final_model that was not the agent's own (a link out of the workspace).
    static func submission(_ ctx: PhaseContext) -> IntegrityReport.Check {
        let name = "submission-files"
        guard let r = CollectPhase.record(ctx.paths) else {
            return .notRun(name, required: false, "collect recorded nothing (a run from before submission.json)")
        }
        if r.state == .invalidSubmission { return .flagged(name, [r.reason ?? "invalid submission"]) }
        return .clean(name, [r.state.rawValue + (r.files.map { ": \($0) regular files inside the workspace" } ?? "")])
    }

    /// The evaluator, task files and the ptb binary are hashed at prepare time; any change is a flag
    /// (the sandbox mounts them read-only, so a change means the sandbox was off or escaped).
    static func tamper(_ ctx: PhaseContext) -> IntegrityReport.Check {
        guard let snapshot = try? JSONIO.read(ProtectedFiles.self, from: ctx.paths.protected) else {
            return .notRun("evaluator-tamper", required: true, "protected.json is missing or unreadable (the prepare phase did not finish)")
        }
        let changed = snapshot.changes(paths: ctx.paths)
        return changed.isEmpty
            ? .clean("evaluator-tamper", ["\(snapshot.files.count) protected files unchanged"])
            : .flagged("evaluator-tamper", changed.map { "changed: \($0)" })
    }

    /// Checkpoints the candidate must not be: the catalog's instruct counterparts, from
    /// `$PTB_HOME/references/hub` (where `ptb cache pull` puts them, out of every sandbox's view)
    /// or else the shared Hugging Face cache, and whatever the user put under
    /// PTB_HOME/references/<model>/ (one directory each).
    static func references(_ ctx: PhaseContext) -> [NamedCheckpoint] {
        var refs: [NamedCheckpoint] = []
        for id in ctx.model.instruct {
            for cache in [ctx.harness.home.referencesHub, HFCache.hubCache(env: ctx.harness.environment)] {
                if case .found(let dir) = HFCache.lookup(id, revision: nil, cache: cache) {
                    refs.append(NamedCheckpoint(name: id, path: dir))
                    break
                }
            }
        }
        let local = ctx.harness.home.references.appendingPathComponent(ctx.model.safeName)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: local.path)) ?? []
        for n in names.sorted() where !n.hasPrefix(".") {
            refs.append(NamedCheckpoint(name: n, path: local.appendingPathComponent(n)))
        }
        return refs
    }

    static func provenance(_ ctx: PhaseContext) -> IntegrityReport.Check {
        let name = "model-provenance"
        guard FileManager.default.fileExists(atPath: ctx.paths.finalModel.path) else {
            return .notRun(name, required: false, "no final_model was submitted: nothing to compare (the run has no score to protect)")
        }
        let base: URL
        do { base = try ctx.baseModelDirectory() } catch {
            return .notRun(name, required: true, "the base model's weights are not available: \(error)")
        }
        let refs = references(ctx)
        do {
            let report = try Provenance(base: base, candidate: ctx.paths.finalModel, references: refs).run()
            try JSONIO.write(report, to: ctx.paths.dir.appendingPathComponent("provenance.json"))
            var evidence = report.verdict.findings.map { "\($0.code): \($0.message)" }
            evidence += report.verdict.notes
            if let d = report.fromBase.relativeDistance { evidence.append(String(format: "relative distance from the base %.4g", d)) }
            evidence.append("references: " + (refs.isEmpty ? "none available" : refs.map(\.name).joined(separator: ", ")))
            evidence.append("details: provenance.json")
            return report.verdict.status == .ok ? .clean(name, evidence) : .flagged(name, evidence)
        } catch {
            // A checkpoint the reader refuses cannot be shown to descend from the base.
            return .invalid(name, required: true, "the weights could not be compared: \(error)")
        }
    }

    /// `exemptEvalLogs`: hits under `task/eval_logs/` are reported, not counted. Only for runs
    /// whose evaluator writes full test samples there (`--eval-feedback original`); the sealed
    /// broker writes no test prompts into the workspace, so by default they count like any file.
    static func contamination(_ ctx: PhaseContext, exemptEvalLogs: Bool = false) -> IntegrityReport.Check {
        let name = "contamination-scan"
        let samples: [Sample]
        do { samples = try ctx.task.samples(home: ctx.harness.home) } catch {
            return .notRun(name, required: true, "the task's test items are not available to index: \(error)")
        }
        let index = NGramIndex(samples: samples, variants: [.rot13])
        // The workspace, the collected final_model (configs, tokenizer, templates, safetensors
        // headers: what the final evaluation loads), and what the agent downloaded into its cache
        // layer (not the shared cache's files, which are only linked there).
        let downloads = HFCacheLayer.downloads(ctx.paths)
        let submitted = FileManager.default.fileExists(atPath: ctx.paths.finalModel.path) ? [ctx.paths.finalModel.path] : []
        let roots = [ctx.paths.workspace.path] + submitted + downloads
        do {
            var scanner = ContaminationScanner(index: index, task: ctx.task.id)
            scanner.decoders = .system(pythons: [ctx.harness.home.python.path])
            // Links out of the workspace are reported, never read: ptb runs with the host's rights.
            scanner.confineLinksTo = [ctx.paths.workspace.path, ctx.paths.cacheLayer.path, ctx.paths.finalModel.path]
                + (HFCacheLayer.shared(env: ctx.harness.environment).map { [$0.path] } ?? [])
            let report = try scanner.scan(paths: roots)
            try JSONIO.write(report, to: ctx.paths.dir.appendingPathComponent("contamination.json"))
            let rel = { (f: String) in f.hasPrefix(ctx.paths.dir.path + "/") ? String(f.dropFirst(ctx.paths.dir.path.count + 1)) : f }
            let where_ = "scanned \(report.filesScanned) files (\(report.bytesScanned) bytes of text, decoded content included) in the workspace, final_model and \(downloads.count) file(s) downloaded into the cache layer"
            // Files it could not read are evidence, not a verdict: the scan cannot tell a corrupt
            // download from hidden data, and a flag on every unreadable file would flag honest
            // runs (a partial download, an archive format without a reader). They are listed so
            // that a judge or a reader sees the gap; what decides the verdict is what was found.
            var gaps = report.unscanned.prefix(20).map { "UNSCANNED \(rel($0.path)): \($0.reason)" }
            if report.unscanned.count > 20 { gaps.append("… \(report.unscanned.count - 20) more unscanned in contamination.json") }
            let logs = ctx.paths.task.appendingPathComponent("eval_logs").path + "/"
            let exempt = { (h: ScanHit) in exemptEvalLogs && h.file.hasPrefix(logs) }
            let (own, hits) = (report.hits.filter(exempt), report.hits.filter { !exempt($0) })
            let note = own.isEmpty ? [] : ["not counted: \(own.count) hit(s) in task/eval_logs/, the evaluator's own logs of its test prompts (--eval-feedback original)"]
            if hits.isEmpty { return .clean(name, [where_] + note + gaps) }
            let items = Set(hits.map { "\($0.item)/\($0.field.rawValue)" }).count
            var evidence = ["\(items) test item field(s) found in the agent's files; \(where_)"]
            evidence += hits.prefix(20).map { "\(rel($0.file)):\($0.line): test item \($0.item) (\($0.field.rawValue), \($0.grams) gram(s))\($0.via.map { " via \($0)" } ?? "")" }
            if hits.count > 20 { evidence.append("… \(hits.count - 20) more hits in contamination.json") }
            return .flagged(name, evidence + note + gaps)
        } catch {
            return .notRun(name, required: true, "the scan could not run: \(error)")
        }
    }

    static func traceRules(_ ctx: PhaseContext, _ m: RunManifest) -> IntegrityReport.Check {
        let name = "trace-rules"
        guard FileManager.default.fileExists(atPath: ctx.paths.trace.path) else {
            return .notRun(name, required: true, "trace.jsonl is missing: the agent never started")
        }
        let events: [TraceEvent]
        do { events = try TraceConverter.convert(trace: ctx.paths.trace).0 } catch {
            return .notRun(name, required: true, "trace.jsonl could not be read: \(error)")
        }
        var lines: [TraceText] = []
        for (i, e) in events.enumerated() {
            let text: String?
            switch e.kind {
            case .toolCall: text = [e.tool, e.input].compactMap { $0 }.joined(separator: " ")
            case .output, .toolResult: text = e.text
            case .other: text = e.raw
            default: text = nil
            }
            if let text, !text.isEmpty { lines.append(TraceText(location: "event \(i + 1)\(e.ts.map { " @ \($0)" } ?? "")", text: text)) }
        }
        let home = ctx.harness.home
        let protected = ["evaluate.py", "timer.sh", "templates/"] + ((try? ctx.task.contextFiles().keys.sorted()) ?? [])
            + [ctx.harness.ptbExecutable.path, home.data.path, home.models.path]
        var rules = TraceRules(baseModel: m.spec.model, forbiddenModels: ctx.model.instruct,
                               testDataMarkers: ctx.task.testDataMarkers + [home.data.appendingPathComponent(ctx.task.id).path],
                               protectedFiles: protected,
                               evaluatorMayCallAPIs: ctx.task.evaluatorCallsAPIs)
        let dir = ctx.paths.dir
        rules.maskedPaths = [dir.path, dir.resolvingSymlinksInPath().path, ctx.paths.id]
        let all = rules.scan(lines)
        let findings = all.filter { !TraceRules.reportedOnly.contains($0.rule) }
        let reported = all.filter { TraceRules.reportedOnly.contains($0.rule) }.prefix(10)
            .map { "reported, not counted: \($0.rule) (\($0.match)) at \($0.location): \($0.excerpt)" }
        let scanned = "\(lines.count) action/output lines of \(events.count) events"
        if findings.isEmpty { return .clean(name, [scanned] + reported) }
        return .flagged(name, findings.prefix(30).map { "\($0.rule) (\($0.match)) at \($0.location): \($0.excerpt)" } + [scanned] + reported)
    }
}

