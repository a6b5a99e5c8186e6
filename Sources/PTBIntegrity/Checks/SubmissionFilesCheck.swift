import Foundation
import PTBCore

/// `submission-files`: collect refused a final_model that was not the agent's own (a link out
/// of the workspace, a special file).
public struct SubmissionFilesCheck: IntegrityCheck {
    public let name = "submission-files"
    public init() {}

    public func run(_ input: IntegrityInput) async -> IntegrityReport.Check {
        let r: SubmissionRecord?
        do { r = try SubmissionRecord.read(input.paths) } catch {
            return .notRun(name, required: true, "submission.json is unreadable (\(error)); run `ptb resume` after removing it to collect again")
        }
        guard let r else {
            return .notRun(name, required: false, "collect recorded nothing (a run from before submission.json)")
        }
        if r.state == .invalidSubmission { return .flagged(name, [r.reason ?? "invalid submission"]) }
        return .clean(name, [r.state.rawValue + (r.files.map { ": \($0) regular files inside the workspace" } ?? "")])
    }
}
