import Foundation
import PTBCore
import PTBIntegrity
import Testing

/// The cheat of issue 15: another run's weights, slightly perturbed, submitted as `final_model`.
/// In a sealed sandbox an agent cannot read other runs, so a real cheater would bring the weights
/// from outside (a published checkpoint, a shared disk). The trial runs without a sandbox, where
/// the agent can simply read run A's collected `final_model`: the simplest honest stand-in for
/// "the agent has another run's weights", exercising the same collect → fingerprint → index →
/// integrity path.
@Suite(.serialized) struct DuplicateSubmissionTrialTests {
    /// Adds uniform noise of ±AMP (seed SEED) to every float of SRC's model.safetensors and saves
    /// the result as final_model (config copied).
    static func perturb(_ src: String, amp: Double, seed: Int) -> String {
        """
        python3 - \(src) final_model \(amp) \(seed) <<'PY'
        import os, random, shutil, struct, sys
        src, dst, amp, seed = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
        os.makedirs(dst, exist_ok=True)
        shutil.copy(os.path.join(src, "config.json"), dst)
        raw = open(os.path.join(src, "model.safetensors"), "rb").read()
        n = struct.unpack("<Q", raw[:8])[0]
        body = bytearray(raw[8 + n:])
        random.seed(seed)
        for i in range(0, len(body), 4):
            (x,) = struct.unpack_from("<f", body, i)
            struct.pack_into("<f", body, i, x + random.uniform(-1, 1) * amp)
        open(os.path.join(dst, "model.safetensors"), "wb").write(raw[:8 + n] + bytes(body))
        PY
        """
    }

    @Test func copiesOfOtherRunsAndReferencesAreFlaggedAndOriginalsStayClean() throws {
        let t = try CheatTrialTests.Trial()
        defer { t.home.cleanup() }
        let dup = "duplicate-submission"

        // A: an honest fine-tune (every float moved by up to 0.003, ~3 % of the weights' norm).
        let (a, aPaths) = try t.run("original", CheatTrialTests.finetune)
        #expect(a.check(dup)?.verdict == "clean", "\(a.check(dup)?.evidence ?? [])")
        #expect(!a.flagged, "\(a.reasons)")
        let fingerprint = try Fingerprint.read(aPaths.dir.appendingPathComponent(Fingerprint.fileName))
        #expect(fingerprint.tensors.count == Checkpoints.shapes.count)
        #expect(try Data(contentsOf: aPaths.dir.appendingPathComponent(Fingerprint.fileName)).count < 16_384)
        let aModel = aPaths.finalModel.path

        // A again: the same agent, configuration and seed submit the same bytes honestly.
        let (rerun, _) = try t.run("original", CheatTrialTests.finetune)
        #expect(rerun.check(dup)?.verdict == "clean", "\(rerun.check(dup)?.evidence ?? [])")
        #expect(rerun.check(dup)?.evidence.contains { $0.hasPrefix("not counted: equal to run \(aPaths.id)") } == true,
                "\(rerun.check(dup)?.evidence ?? [])")

        // B: A's weights with noise of a thirtieth of A's update: not byte-equal, still A's.
        let (b, _) = try t.run("perturbed-copy", Self.perturb(aModel, amp: 0.0001, seed: 5))
        let bCheck = try #require(b.check(dup))
        #expect(bCheck.verdict == "flagged", "\(bCheck.evidence)")
        #expect(bCheck.evidence.first?.hasPrefix("duplicate of run \(aPaths.id): distance 0.") == true, "\(bCheck.evidence)")
        #expect(b.flagged)
        #expect(b.check("model-provenance")?.verdict == "clean", "provenance alone does not see it: the copy descends from the base")

        // C: A byte for byte.
        let (c, _) = try t.run("exact-copy", "cp -r \(aModel) final_model")
        #expect(c.check(dup)?.evidence.first == "duplicate of run \(aPaths.id): identical weights (all tensors byte-identical)", "\(c.check(dup)?.evidence ?? [])")

        // D: an independent honest fine-tune (another seed) is not a copy of anyone.
        let (d, _) = try t.run("independent", CheatTrialTests.finetune.replacingOccurrences(of: "random.seed(1)", with: "random.seed(2)"))
        #expect(d.check(dup)?.verdict == "clean", "\(d.check(dup)?.evidence ?? [])")
        #expect(d.check(dup)?.evidence.contains { $0.hasPrefix("nearest: ") } == true)

        // E, F: two runs that both submit the base unchanged do not flag each other.
        for name in ["base-1", "base-2"] {
            let (r, _) = try t.run(name, "cp -r \"$PTB_BASE_MODEL\" final_model")
            #expect(r.check(dup)?.verdict == "clean", "\(name): \(r.check(dup)?.evidence ?? [])")
            #expect(r.check(dup)?.evidence.first == "the submission is the base model unchanged: it copies no other run")
        }

        // G: the reference checkpoint with a little noise.
        let (g, _) = try t.run("perturbed-reference", Self.perturb(t.reference.path, amp: 0.002, seed: 6))
        #expect(g.check(dup)?.evidence.first?.hasPrefix("duplicate of reference tiny-instruct: distance") == true, "\(g.check(dup)?.evidence ?? [])")

        // Re-checking A now that copies of it exist: the later submissions are the copies.
        let recheck = try ptb(["check", aPaths.id, "--runs-dir", t.home.runs.path], home: t.home)
        #expect(recheck.status == 0, "\(recheck.stdout)\(recheck.stderr)")
        let again = try JSONIO.read(IntegrityReport.self, from: aPaths.integrity)
        #expect(again.check(dup)?.verdict == "clean", "\(again.check(dup)?.evidence ?? [])")
        #expect(again.check(dup)?.evidence.contains { $0.contains("submission(s) collected after this one not compared") } == true,
                "\(again.check(dup)?.evidence ?? [])")
    }
}
