import Foundation
import PTBCore

/// `evaluator-tamper`: the evaluator, task files and the ptb binary are hashed at prepare time;
/// any change is a flag (the sandbox mounts them read-only, so a change means the sandbox was
/// off or escaped).
public struct TamperCheck: IntegrityCheck {
    public let name = "evaluator-tamper"
    public init() {}

    public func run(_ input: IntegrityInput) async -> IntegrityReport.Check {
        guard let snapshot = try? JSONIO.read(ProtectedFiles.self, from: input.paths.protected) else {
            return .notRun(name, required: true, "protected.json is missing or unreadable (the prepare phase did not finish)")
        }
        let changed = snapshot.changes(paths: input.paths)
        return changed.isEmpty
            ? .clean(name, ["\(snapshot.files.count) protected files unchanged"])
            : .flagged(name, changed.map { "changed: \($0)" })
    }
}
