import Foundation
import PTBCore
import PTBIntegrity
import PTBStore

/// `duplicate-submission`: is `final_model` another run's submission, or a reference
/// checkpoint, byte for byte or with a little noise added? Provenance cannot tell: such a copy
/// descends from the base like any honest fine-tune.
/// Lives in PTBRunner, not PTBIntegrity, because it reads the run index (PTBStore).
struct DuplicateSubmissionCheck: IntegrityCheck {
    let name = "duplicate-submission"

    /// Fingerprints used by this check that belong to no run (base models, references).
    static func fingerprintCache(_ home: PTBHome) -> URL { home.root.appendingPathComponent("fingerprints") }

    /// At collect: writes `<run>/fingerprint.json` and adds it to the index, so runs that
    /// finish later (or concurrently) compare against this one. Never fails the collect: a
    /// submission the reader refuses is reported by the integrity checks. Returns a note for the
    /// phase summary.
    static func recordFingerprint(_ ctx: PhaseContext) -> String {
        let (paths, modelID) = (ctx.paths, ctx.model.id)
        let url = paths.dir.appendingPathComponent(Fingerprint.fileName)
        do {
            let f = try Fingerprint.compute(paths.finalModel, key: try Fingerprint.installationKey(ctx.harness.home))
            try f.write(to: url)
            indexFingerprint(paths: paths, home: ctx.harness.home, model: modelID, log: ctx.harness.log, f)
            return "; fingerprinted \(f.tensors.count) tensors"
        } catch {
            try? FileManager.default.removeItem(at: url)
            ctx.harness.log("note: final_model could not be fingerprinted (\(error)); the duplicate-submission check will say why")
            return "; not fingerprinted (\(error))"
        }
    }

    private static func indexFingerprint(paths: RunPaths, home: PTBHome, model: String, log: @Sendable (String) -> Void, _ f: Fingerprint) {
        do {
            let idx = try FingerprintIndex(RunIndex(path: home.index))
            try idx.upsert([(FingerprintRow(runId: paths.id, dir: paths.dir, model: model, fingerprint: f), f)])
        } catch {
            log("note: could not add the fingerprint to the index (\(error)); `ptb index rebuild` recreates it")
        }
    }

    func run(_ input: IntegrityInput) async -> IntegrityReport.Check {
        let started = Date()
        guard input.finalModelExists else {
            return .notRun(name, required: false, "no final_model was submitted: nothing to compare")
        }
        let home = input.home
        let paths = input.paths
        let modelID = input.model.id
        let key: UInt64
        do { key = try Fingerprint.installationKey(home) } catch {
            return .notRun(name, required: true, "the installation's fingerprint key is unavailable: \(error)")
        }
        // The candidate: fingerprint.json from collect, recomputed if missing or made with another key.
        let own = paths.dir.appendingPathComponent(Fingerprint.fileName)
        let candidate: Fingerprint
        if let f = try? Fingerprint.read(own), f.keyID == Fingerprint.keyID(key) {
            candidate = f
        } else {
            do { candidate = try Fingerprint.compute(paths.finalModel, key: key) } catch {
                return .invalid(name, required: true, "the submission's weights could not be read, so they cannot be compared with other runs: \(error)")
            }
            try? candidate.write(to: own)
            Self.indexFingerprint(paths: paths, home: home, model: modelID, log: input.log, candidate)
        }
        let base: Fingerprint
        do {
            let dir = try input.baseModelDirectory()
            base = try Fingerprint.cached(dir, key: key, cacheDir: Self.fingerprintCache(home))
        } catch {
            return .notRun(name, required: true, "the base model's weights are not available to fingerprint: \(error)")
        }

        let c = FingerprintComparison.Decoded(candidate), b = FingerprintComparison.Decoded(base)
        if FingerprintComparison.compare(candidate: c, other: b, base: b, otherName: "base").verdict == .candidateIsBase {
            return .clean(name, ["the submission is the base model unchanged: it copies no other run"])
        }

        // Other runs: the index (every runs directory ptb has recorded), screened by sketch and
        // tensor hashes, then run directories beside this one that are not indexed yet (still
        // running, or never recorded). Only submissions collected before this one: of two equal
        // submissions the later is the copy, so re-checking the original leaves it clean.
        let ownTime = FingerprintRow.collectedAt(paths.dir) ?? Date().timeIntervalSince1970
        var others: [(String, Fingerprint)] = []
        var notes: [String] = []
        var seen: Set<String> = [paths.id]
        var otherDirs: [String: URL] = [:]
        var gone = 0, later = 0, indexed = 0
        do {
            let index = try FingerprintIndex(RunIndex(path: home.index))
            // Trained tensors only: a frozen tensor cast to another dtype has the same bytes in
            // every run that cast it, so it would send all of them to the full comparison.
            let baseTensor = Dictionary(base.tensors.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
            let changed = candidate.tensors.filter { t in baseTensor[t.name].map { $0.sha256 != t.sha256 && $0.dtype == t.dtype } ?? true }.map(\.sha256)
            let screened = try index.screen(model: modelID, excluding: paths.id, candidate: candidate, sketch: candidate.sketch(),
                                            baseSketch: base.sketch(), changedHashes: changed,
                                            screen: 2 * FingerprintComparison.defaultThreshold)
            indexed = screened.total
            seen.formUnion(try index.runIDs(model: modelID))
            for row in screened.rows {
                guard row.collectedAt < ownTime else { later += 1; continue }
                // A deleted run has no recorded score left to copy from.
                guard FileManager.default.fileExists(atPath: row.dir) else { gone += 1; continue }
                otherDirs["run \(row.runId)"] = URL(fileURLWithPath: row.dir)
                do { others.append(("run \(row.runId)", try Fingerprint.read(URL(fileURLWithPath: row.dir).appendingPathComponent(Fingerprint.fileName)))) } catch {
                    notes.append("run \(row.runId) is indexed but its fingerprint.json is unreadable (\(error))")
                }
            }
            if screened.otherLayout > 0 { notes.append("\(screened.otherLayout) indexed submission(s) with another architecture or key: compared by tensor hash only") }
        } catch {
            notes.append("the run index could not be read (\(error)); only this runs directory was searched")
        }
        let runsDir = paths.dir.deletingLastPathComponent()
        var scanned = 0
        for dir in RunScanner.runDirectories(in: runsDir) where !seen.contains(dir.lastPathComponent) {
            let url = dir.appendingPathComponent(Fingerprint.fileName)
            guard let t = FingerprintRow.collectedAt(dir) else { continue }
            guard t < ownTime else { later += 1; continue }
            guard let m = try? JSONIO.read(RunManifest.self, from: RunPaths(dir: dir).manifest), m.spec.model == modelID,
                  let f = try? Fingerprint.read(url) else { continue }
            scanned += 1
            otherDirs["run \(m.id)"] = dir
            others.append(("run \(m.id)", f))
        }
        let refs = input.references
        var refProblems: [String] = []
        for ref in refs {
            do { others.append(("reference \(ref.name)", try Fingerprint.cached(ref.path, key: key, cacheDir: Self.fingerprintCache(home)))) } catch {
                refProblems.append("\(ref.name): \(error)")
            }
        }

        var matches: [FingerprintComparison] = []
        var nearest: FingerprintComparison?
        var reruns: [String] = []
        let ownSpec = try? JSONIO.read(RunManifest.self, from: paths.manifest).spec
        for (label, f) in others {
            let r = FingerprintComparison.compare(candidate: c, other: .init(f), base: b, otherName: label)
            // A deterministic agent rerun with the same configuration and seed submits the same
            // weights honestly: a copy is a match with a run of some other configuration.
            if r.isDuplicate, let ownSpec, let dir = otherDirs[label],
               let spec = try? JSONIO.read(RunManifest.self, from: RunPaths(dir: dir).manifest).spec, Self.sameConfiguration(ownSpec, spec) {
                reruns.append(label)
                continue
            }
            if r.isDuplicate { matches.append(r) }
            if let d = r.distance, d < (nearest?.distance ?? .infinity) { nearest = r }
        }
        let ms = Int(Date().timeIntervalSince(started) * 1000)
        var evidence = ["searched \(indexed) indexed and \(scanned) unindexed submission(s) of \(modelID) and \(refs.count) reference(s) in \(ms) ms; "
            + "\(others.count) compared in full (near-duplicate: distance ≤ \(FingerprintComparison.defaultThreshold) of the other's own update from the base, or update cosine ≥ \(FingerprintComparison.defaultMinUpdateCosine))"]
        if later > 0 { evidence.append("\(later) submission(s) collected after this one not compared (the earlier of two equal submissions is the original)") }
        if !reruns.isEmpty { evidence.append("not counted: equal to \(reruns.joined(separator: ", ")), rerun(s) of the same agent, configuration, task, model and seed") }
        if gone > 0 { evidence.append("\(gone) indexed run(s) skipped: their directories no longer exist") }
        if !refProblems.isEmpty { evidence.append("reference(s) not fingerprinted: " + refProblems.joined(separator: "; ")) }
        evidence += notes
        if matches.isEmpty {
            if let n = nearest { evidence.append("nearest: " + n.summary) }
            return .clean(name, evidence)
        }
        matches.sort { ($0.distance ?? 0) < ($1.distance ?? 0) }
        return .flagged(name, matches.prefix(10).map { "duplicate of " + $0.summary } + evidence)
    }

    /// Two runs of one configuration: same task, model, agent, agent config and seed.
    static func sameConfiguration(_ a: RunSpec, _ b: RunSpec) -> Bool {
        a.task == b.task && a.model == b.model && a.agent == b.agent && a.agentConfig == b.agentConfig && a.seed == b.seed
    }
}
