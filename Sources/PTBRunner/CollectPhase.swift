import Foundation
import PTBCore
import PTBSandbox
#if canImport(Glibc)
import Glibc
#endif

/// Copies the agent's `final_model` out of the workspace. Collect runs outside the sandbox with
/// the host user's rights, so it never follows a link out of the workspace: every file must be a
/// regular file whose real path lies inside the workspace (links inside it are copied as their
/// targets' contents). Anything else ends the run as `invalid-submission`, with the reason, and
/// nothing is copied. The final evaluation uses only this copy.
enum CollectPhase {
    static func run(_ ctx: PhaseContext, _ m: inout RunManifest) async throws -> PhaseOutcome {
        let fm = FileManager.default
        let p = ctx.paths
        if fm.fileExists(atPath: p.finalModel.path) { try fm.removeItem(at: p.finalModel) }
        let record = p.dir.appendingPathComponent(SubmissionRecord.fileName)
        var st = stat()
        guard lstat(p.agentFinalModel.path, &st) == 0 else {
            try JSONIO.write(SubmissionRecord(state: .noFinalModel, reason: "the agent left no final_model/"), to: record)
            return .done("the agent left no final_model/")
        }
        let tmp = p.dir.appendingPathComponent(".final_model.partial")
        if fm.fileExists(atPath: tmp.path) { try fm.removeItem(at: tmp) }
        do {
            let copied = try ConfinedTree(root: p.workspace).materialize(p.agentFinalModel.path, into: tmp, mode: .copy, display: "task/final_model")
            let (files, bytes) = (copied.count, copied.reduce(Int64(0)) { $0 + $1.size })
            try fm.moveItem(at: tmp, to: p.finalModel)
            try JSONIO.write(SubmissionRecord(state: .collected, files: files, bytes: bytes), to: record)
            let fingerprint = DuplicateSubmissionCheck.recordFingerprint(ctx)
            return .done("collected final_model (\(files) files, \(bytes) bytes)" + fingerprint)
        } catch let e as ConfinedTree.Refusal {
            try? fm.removeItem(at: tmp)
            try JSONIO.write(SubmissionRecord(state: .invalidSubmission, reason: e.description), to: record)
            return .done("invalid-submission: \(e.description)")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // ptb's own failure (disk full, an I/O error, too many open files), not the agent's:
            // the phase fails, so that evaluate never reports the agent as leaving no model.
            try? fm.removeItem(at: tmp)
            try? fm.removeItem(at: record)
            return .failed("could not copy final_model out of the workspace: \(error). Free disk space or fix the error, then run `ptb resume \(p.id)`.")
        }
    }
}
