import Foundation
import PTBCore
import PTBProcess

/// Copies the agent's `final_model` out of the workspace (links dereferenced, so a symlink to
/// somewhere else cannot dangle or change later). The final evaluation uses only this copy.
enum CollectPhase {
    static func run(_ ctx: PhaseContext, _ m: inout RunManifest) async throws -> PhaseOutcome {
        let fm = FileManager.default
        let p = ctx.paths
        if fm.fileExists(atPath: p.finalModel.path) { try fm.removeItem(at: p.finalModel) }
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: p.agentFinalModel.path, isDirectory: &isDir), isDir.boolValue else {
            return .done("the agent left no final_model/")
        }
        let tmp = p.dir.appendingPathComponent(".final_model.partial")
        if fm.fileExists(atPath: tmp.path) { try fm.removeItem(at: tmp) }
        let (t, lines) = try await ctx.harness.runner.run(Command("cp", ["-rL", p.agentFinalModel.path, tmp.path],
                                                                   environment: ctx.harness.environment))
        guard t.succeeded else {
            try? fm.removeItem(at: tmp)
            return .done("final_model could not be copied (\(t)): \(lines.suffix(3).joined(separator: " | "))")
        }
        try fm.moveItem(at: tmp, to: p.finalModel)
        let files = (try? fm.contentsOfDirectory(atPath: p.finalModel.path).count) ?? 0
        return .done("collected final_model (\(files) files)")
    }
}
