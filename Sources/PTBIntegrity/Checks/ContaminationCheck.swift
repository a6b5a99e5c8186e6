import Foundation
import PTBCore
import PTBTasks

/// `contamination-scan`: the task's test items (and their ROT13) searched for in everything the
/// agent left: the workspace, the collected final_model (configs, tokenizer, templates,
/// safetensors headers: what the final evaluation loads) and what it downloaded into its cache
/// layer (not the shared cache's files, which are only linked there).
public struct ContaminationCheck: IntegrityCheck {
    public let name = "contamination-scan"
    public init() {}

    public func run(_ input: IntegrityInput) async -> IntegrityReport.Check {
        // Hits under `task/eval_logs/` are reported, not counted, only for runs whose evaluator
        // writes full test samples there (`--eval-feedback original`); the sealed broker writes no
        // test prompts into the workspace, so by default they count like any file.
        let exemptEvalLogs = input.spec.evalFeedback == .original
        let paths = input.paths
        let samples: [Sample]
        do { samples = try input.task.samples(home: input.home) } catch {
            return .notRun(name, required: true, "the task's test items are not available to index: \(error)")
        }
        let index = NGramIndex(samples: samples, variants: [.rot13])
        let downloads = input.cacheDownloads
        let submitted = input.finalModelExists ? [paths.finalModel.path] : []
        let roots = [paths.workspace.path] + submitted + downloads
        do {
            var scanner = ContaminationScanner(index: index, task: input.task.id)
            scanner.decoders = .system(pythons: [input.home.python.path])
            // Links out of the workspace are reported, never read: ptb runs with the host's rights.
            scanner.confineLinksTo = [paths.workspace.path, input.cacheLayer.path, paths.finalModel.path]
                + (input.sharedCache.map { [$0.path] } ?? [])
            let report = try scanner.scan(paths: roots)
            try JSONIO.write(report, to: paths.dir.appendingPathComponent("contamination.json"))
            let rel = { (f: String) in f.hasPrefix(paths.dir.path + "/") ? String(f.dropFirst(paths.dir.path.count + 1)) : f }
            let where_ = "scanned \(report.filesScanned) files (\(report.bytesScanned) bytes of text, decoded content included) in the workspace, final_model and \(downloads.count) file(s) downloaded into the cache layer"
            // Files it could not read are evidence, not a verdict: the scan cannot tell a corrupt
            // download from hidden data, and a flag on every unreadable file would flag honest
            // runs (a partial download, an archive format without a reader). They are listed so
            // that a judge or a reader sees the gap; what decides the verdict is what was found.
            var gaps = report.unscanned.prefix(20).map { "UNSCANNED \(rel($0.path)): \($0.reason)" }
            if report.unscanned.count > 20 { gaps.append("… \(report.unscanned.count - 20) more unscanned in contamination.json") }
            let logs = paths.task.appendingPathComponent("eval_logs").path + "/"
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
}
