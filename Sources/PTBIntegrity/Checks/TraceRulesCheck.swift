import Foundation
import PTBAgents
import PTBCore
import PTBTasks

/// `trace-rules`: the agent's actions and outputs (its trace) against rules a judge would apply
/// by reading: no instruct checkpoints, no test data, no protected files.
public struct TraceRulesCheck: IntegrityCheck {
    public let name = "trace-rules"
    public init() {}

    public func run(_ input: IntegrityInput) async -> IntegrityReport.Check {
        let paths = input.paths
        guard FileManager.default.fileExists(atPath: paths.trace.path) else {
            return .notRun(name, required: true, "trace.jsonl is missing: the agent never started")
        }
        let events: [TraceEvent]
        do { events = try TraceConverter.convert(trace: paths.trace).0 } catch {
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
        let home = input.home
        let task = input.task
        let protected = ["evaluate.py", "timer.sh", "templates/"] + ((try? task.contextFiles().keys.sorted()) ?? [])
            + [input.ptbExecutable.path, home.data.path, home.models.path]
        var rules = TraceRules(baseModel: input.spec.model, forbiddenModels: input.model.instruct,
                               testDataMarkers: task.testDataMarkers + [home.data.appendingPathComponent(task.id).path],
                               protectedFiles: protected,
                               evaluatorMayCallAPIs: task.evaluatorCallsAPIs)
        let dir = paths.dir
        rules.maskedPaths = [dir.path, dir.resolvingSymlinksInPath().path, paths.id]
        let all = rules.scan(lines)
        let findings = all.filter { !TraceRules.reportedOnly.contains($0.rule) }
        let reported = all.filter { TraceRules.reportedOnly.contains($0.rule) }.prefix(10)
            .map { "reported, not counted: \($0.rule) (\($0.match)) at \($0.location): \($0.excerpt)" }
        let scanned = "\(lines.count) action/output lines of \(events.count) events"
        if findings.isEmpty { return .clean(name, [scanned] + reported) }
        return .flagged(name, findings.prefix(30).map { "\($0.rule) (\($0.match)) at \($0.location): \($0.excerpt)" } + [scanned] + reported)
    }
}
