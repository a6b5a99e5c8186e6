import Foundation
import PTBAgents
import PTBCore
import PTBIntegrity
import PTBTasks

/// Every check of the integrity phase, in the order they run and appear in `integrity.json`:
/// deterministic checks first, then the configured LLM judges (added per run). Adding a check
/// is one file with a type conforming to `IntegrityCheck` plus one line here.
enum IntegrityChecks {
    static let all: [any IntegrityCheck] = [
        SubmissionFilesCheck(),
        TamperCheck(),
        ProvenanceCheck(),
        ContaminationCheck(),
        TraceRulesCheck(),
        LateSubmissionCheck(),
        TokenizerModifiedCheck(),
        DuplicateSubmissionCheck(),
    ]
}

/// Runs the registered checks, then the configured LLM judges. Each check records whether it
/// ran and what it found in `integrity.json`; the policy decides whether the run's score falls
/// back to the base model's.
enum IntegrityPhase {
    static func run(_ ctx: PhaseContext, _ m: inout RunManifest) async throws -> PhaseOutcome {
        let report = try await check(ctx, m)
        try JSONIO.write(report, to: ctx.paths.integrity)
        let summary = report.checks.map { "\($0.name)=\($0.verdict)" }.joined(separator: ", ")
        return .done((report.flagged ? "FLAGGED: " + report.reasons.joined(separator: "; ") : "clean") + " [\(summary)]")
    }

    static func check(_ ctx: PhaseContext, _ m: RunManifest) async throws -> IntegrityReport {
        let input = try input(ctx, m)
        let judges: [any IntegrityCheck] = IntegrityJudge.judges(for: m.spec, agent: ctx.agent).map { JudgeCheck(judge: $0, harness: ctx.harness) }
        var checks: [IntegrityReport.Check] = []
        for check in IntegrityChecks.all + judges { checks.append(await check.run(input)) }
        return IntegrityReport(policy: input.policy, checks: checks, checkedAt: Timestamps.iso(Date()))
    }

    /// The facts every check reads, gathered once.
    static func input(_ ctx: PhaseContext, _ m: RunManifest) throws -> IntegrityInput {
        let base = Result<URL, any Error> { try ctx.baseModelDirectory() }
        return IntegrityInput(
            paths: ctx.paths, spec: m.spec, lateness: m.lateness, policy: try policy(m.spec), task: ctx.task, model: ctx.model,
            home: ctx.harness.home, environment: ctx.harness.environment, ptbExecutable: ctx.harness.ptbExecutable,
            baseModel: base, references: references(ctx), cacheDownloads: HFCacheLayer.downloads(ctx.paths),
            cacheLayer: ctx.paths.cacheLayer, sharedCache: HFCacheLayer.shared(env: ctx.harness.environment),
            // The same choice as `EvaluatePhase.writeTemplate`: with ptb's own template, a submitted one is never rendered.
            chatTemplateFixed: EvaluatePhase.templateName(ctx, baseDir: try? base.get()) != nil,
            log: ctx.harness.log)
    }

    static func policy(_ spec: RunSpec) throws -> IntegrityPolicy {
        spec.integrityPolicy ?? .default
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
}
